"""The reference part of ``docs/playbooks.md``, generated from the keyword and action tables.

``python -m runner.playbook.docs docs/playbooks.md`` rewrites the block between the
``<!-- reference:start -->`` and ``<!-- reference:end -->`` markers; a test fails when the
committed block differs from the tables.
"""

from __future__ import annotations

import sys
from pathlib import Path

from runner.actions import registry
from runner.playbook.keywords import STEP_KEYWORDS, TOP_LEVEL

START, END = "<!-- reference:start -->", "<!-- reference:end -->"


def reference_markdown() -> str:
    """Markdown tables: top-level fields, step keywords, actions."""
    lines = ["### Top-level fields", "", "| field | meaning | default | example |",
             "|---|---|---|---|"]
    lines += [f"| `{k.name}` | {k.summary} | {_cell(k.default)} | {_code(k.example)} |"
              for k in TOP_LEVEL]
    lines += ["", "### Step keywords (any step)", "", "| keyword | meaning | default | example |",
              "|---|---|---|---|"]
    lines += [f"| `{k.name}` | {k.summary} | {_cell(k.default)} | {_code(k.example)} |"
              for k in STEP_KEYWORDS]
    lines += ["", "### Actions", "", "| action | what it does | alone? | preconditions | example |",
              "|---|---|---|---|---|"]
    lines += [f"| `{a.name}` | {a.summary} | {'yes' if a.bare else 'no'} | "
              f"{', '.join(a.needs) or '-'} | {_code(a.example)} |" for a in registry()]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    if value is None or value == {} or value == "":
        return "-"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _code(text: str) -> str:
    return f"`{text}`".replace("|", "\\|") if text else "-"


def with_reference(doc: str) -> str:
    """``doc`` with its reference block replaced by the generated one."""
    head, _, rest = doc.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{reference_markdown()}{END}{tail}"


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    target = Path(sys.argv[1])
    target.write_text(with_reference(target.read_text()))
