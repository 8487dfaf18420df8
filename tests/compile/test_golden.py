"""Golden compile tests as data: one folder per case, one test per folder.

``<case>/playbook.yaml`` + ``<case>/state.json`` (compact state, see
``runner.playbook.state_file``; ``"system": "sample:X1-AD75"`` is the real universe sample)
-> ``<case>/expected.json`` (the plan as ``st-run plan --json`` prints it, without clock
times) or ``<case>/expected_errors.txt`` (one ``LINE:COL: message`` per line).

To accept a deliberate change: ``ST_RUN_UPDATE_GOLDEN=1 pytest tests/compile`` and review
the diff of the expected files before committing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from runner.playbook import PlaybookError, compile_playbook, load_playbook
from runner.playbook.plan_view import plan_to_dict
from runner.playbook.selectors import resolve_ship
from tests.playbook.universe import state_from

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "playbook.yaml").exists())
UPDATE = os.environ.get("ST_RUN_UPDATE_GOLDEN") == "1"


def run_case(case: Path, samples_dir: str) -> tuple[str, str]:
    """("json", plan) or ("errors", text) for one case folder."""
    book = load_playbook(case / "playbook.yaml")
    state = json.loads((case / "state.json").read_text())
    system, ships, agent = state_from(state, samples_dir)
    try:
        plan = compile_playbook(book, system, resolve_ship(book.ship, ships), agent,
                                ships=ships)
    except PlaybookError as exc:
        return "errors", "".join(f"{p.line}:{p.col}: {p.message}\n" for p in exc.problems)
    return "json", json.dumps(plan_to_dict(plan), indent=1) + "\n"


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("name", CASES)
def test_golden_case(name: str, samples_dir: Path) -> None:
    case = HERE / name
    kind, got = run_case(case, str(samples_dir))
    target = case / ("expected.json" if kind == "json" else "expected_errors.txt")
    other = case / ("expected_errors.txt" if kind == "json" else "expected.json")
    if UPDATE:
        target.write_text(got)
        other.unlink(missing_ok=True)
    assert not other.exists(), f"{name}: expected {other.name} but the compiler gave {kind}"
    assert target.exists(), f"{name}: no {target.name}; run with ST_RUN_UPDATE_GOLDEN=1"
    assert got == target.read_text(), (
        f"{name}: the plan changed. Plans encode the routing planner's choices: if "
        "runner/routing or the compiler changed on purpose, run ST_RUN_UPDATE_GOLDEN=1 "
        "pytest tests/compile and review the diff.")
