"""docs/playbooks.md's reference block is generated from the tables and stays current."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.actions import registry
from runner.playbook import load_playbook_text
from runner.playbook.docs import with_reference
from runner.playbook.keywords import STEP_KEYWORDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "playbooks.md"


def test_reference_block_matches_the_tables() -> None:
    text = DOC.read_text()
    assert text == with_reference(text), \
        "docs/playbooks.md is stale: python -m runner.playbook.docs docs/playbooks.md"


@pytest.mark.parametrize("action", [a.name for a in registry()])
def test_each_action_example_is_a_valid_step(action: str) -> None:
    example = registry()[action].example
    load_playbook_text(f"ship: A\nsteps:\n  - {example}\n")


@pytest.mark.parametrize("keyword", STEP_KEYWORDS, ids=lambda k: k.name)
def test_each_keyword_example_is_valid_on_a_step(keyword: object) -> None:
    load_playbook_text(f"ship: A\nsteps:\n  - dock:\n    {keyword.example}\n")  # type: ignore[attr-defined]


def test_full_playbooks_shown_in_the_docs_validate() -> None:
    import re

    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)
    full = [b for b in blocks if "\nship:" in b or b.startswith("ship:")]
    assert full
    for block in full:
        load_playbook_text(block)
