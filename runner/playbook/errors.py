"""Located playbook errors: ``path:line:col: message``, sorted, with a snippet to show.

Every problem found in a playbook (YAML, schema, meaning, template) becomes a
:class:`Problem`; :class:`PlaybookError` carries all of them and is an ``InvalidInput``
(exit code 2), so the CLI prints it without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from runner.errors import InvalidInput


@dataclass(frozen=True, order=True)
class Problem:
    """One located error; ``line``/``col`` are 1-based (0 when the whole file is meant)."""

    file: str
    line: int
    col: int
    message: str
    kind: str = "error"  # error | warning

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """JSON form for ``--format json``."""
        return {"file": self.file, "line": self.line, "col": self.col,
                "message": self.message, "kind": self.kind}


class PlaybookError(InvalidInput):
    """The playbook is invalid."""

    def __init__(self, problems: Sequence[Problem], source: str = "") -> None:
        self.problems: list[Problem] = sorted(set(problems))
        self.source = source
        first = str(self.problems[0]) if self.problems else "invalid playbook"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))


class StepError(Exception):
    """A step cannot be carried out as written; the caller adds the step's location."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key  # the argument key to point at, when known

    @property
    def message(self) -> str:
        return str(self.args[0])



class NotRegisteredYet(StepError):
    """The step needs a result a ``register`` stores at run time (``plan`` notes it as
    "depends on a registered result"; ``run`` fails the step with the message)."""

def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean `x`?"`` for the closest choice, or ``""`` when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def snippet(source: str, problem: Problem, context: int = 1) -> str:
    """A few source lines around ``problem`` with a caret line under its column."""
    lines = source.splitlines()
    if not (1 <= problem.line <= len(lines)):
        return ""
    start = max(1, problem.line - context)
    width = len(str(problem.line))
    out = []
    for n in range(start, problem.line + 1):
        out.append(f"{n:>{width}} | {lines[n - 1]}")
    text = lines[problem.line - 1]
    col = max(1, problem.col)
    rest = text[col - 1:]
    token = len(rest.split()[0]) if rest.split() else 1
    if rest[:1] in ("'", '"') and rest.find(rest[0], 1) > 0:  # a quoted value: all of it
        token = rest.find(rest[0], 1) + 1
    out.append(f"{'':>{width}} | {' ' * (col - 1)}{'^' * max(1, min(token, 60))}")
    return "\n".join(out)
