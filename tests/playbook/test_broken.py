"""Broken playbooks as data: ``broken/*.yaml`` with the exact problems in ``expected.txt``.

Each line of ``expected.txt`` is ``FILE:LINE:COL: MESSAGE``; a file's problems must be
exactly its lines, in order. Adding a case: drop a file in ``broken/`` and its line(s) here.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from runner.playbook import PlaybookError, load_playbook

BROKEN = Path(__file__).parent / "broken"


def expectations() -> dict[str, list[str]]:
    expected: dict[str, list[str]] = defaultdict(list)
    for line in (BROKEN / "expected.txt").read_text().splitlines():
        if line.strip():
            name, rest = line.split(":", 1)
            expected[name].append(rest)
    return expected


EXPECTED = expectations()
CASES = sorted(p.name for p in BROKEN.glob("*.yaml"))


def test_every_case_has_expectations_and_there_are_enough() -> None:
    assert sorted(EXPECTED) == CASES
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", CASES)
def test_broken_playbook_reports_exact_location_and_message(name: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        load_playbook(BROKEN / name)
    got = [f"{p.line}:{p.col}: {p.message}" for p in caught.value.problems]
    assert got == EXPECTED[name]
    assert all(p.file == str(BROKEN / name) for p in caught.value.problems)
    assert caught.value.exit_code == 2


def test_several_problems_are_all_reported_sorted() -> None:
    text = ("ship: A\nstpes: []\nsteps:\n  - navigte: X\n  - dock:\n    retries: -2\n"
            "  - sell: {symbol: ORE, units: none}\n")
    with pytest.raises(PlaybookError) as caught:
        from runner.playbook import load_playbook_text

        load_playbook_text(text, "many.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "many.yaml:2:1: unknown key `stpes`; did you mean `steps`?",
        "many.yaml:4:5: unknown action `navigte`; did you mean `navigate`?",
        "many.yaml:6:14: `retries` must be at least 0, got -2",
        "many.yaml:7:32: expected a positive number of units, or a `{{ }}` template, "
        "got `none`",
    ]
    assert str(caught.value).startswith("many.yaml:2:1: unknown key `stpes`")
    assert str(caught.value).endswith("(and 3 more)")
