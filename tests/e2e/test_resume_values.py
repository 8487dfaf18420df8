"""A container's ``-e`` values are kept with it (issue 22): a resume without ``-e`` runs with
the stored values and says so; one asked with other values is refused (exit 2) unless
``--fresh``. Real ``st-run run`` processes against a real ``st-run sim`` and SQLite file."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.state.store import Store
from tests.e2e.support import REPO, ST_RUN, Sim, run_runner, sim_process

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

PLAYBOOK = """\
name: counted
ship: {ship}
vars: {{n: 1}}
steps:
  - orbit
  - log: "n={{{{ n }}}}"
"""


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    with sim_process(speed=50.0) as server:
        yield server


def _paused_after_step_one(db: str, path: Path, ship: str, overrides: dict[str, str]) -> None:
    """Container ``counted`` as a run started with ``overrides`` leaves it when stopped
    after its first step: one checkpoint, no lease."""
    store = Store.open(db)
    try:
        record = store.upsert_container("counted", str(path), "v0", ship, "default",
                                        source_text=path.read_text(), overrides=overrides)
        lease = store.claim(record.id, "an-old-runner", 30)
        assert lease is not None
        state = {"commands": [], "registered": {}, "iterations": 0, "stops": {}}
        store.checkpoint(lease, "1", 0, state, "orbited")
        store.release(lease)
    finally:
        store.close()


def _logged(db: str) -> list[str]:
    store = Store.open(db)
    try:
        return [line.message for line in store.logs("counted", limit=None)]
    finally:
        store.close()


@pytest.fixture
def setup(sim: Sim, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Path, str]:
    symbol = "VALS" + "".join(c for c in request.node.name.upper() if c.isalpha())[-8:]
    token = sim.register(symbol)
    path = tmp_path / "counted.yaml"
    path.write_text(PLAYBOOK.format(ship=f"{symbol}-1"))
    db = str(tmp_path / "state.db")
    _paused_after_step_one(db, path, f"{symbol}-1", {"n": "3"})
    return token, path, db


def test_a_resume_without_e_runs_with_the_stored_values_and_says_so(
        sim: Sim, setup: tuple[str, Path, str]) -> None:
    token, path, db = setup
    done = run_runner(sim, token, path, db)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "counted: resuming with the values it started with (-e n=3)" in output
    assert "n=3" in _logged(db) and "n=1" not in _logged(db)


def test_a_resume_with_other_values_is_refused_unless_fresh(
        sim: Sim, setup: tuple[str, Path, str]) -> None:
    token, path, db = setup
    before = len(sim.ledger())
    refused = run_runner(sim, token, path, db, "-e", "n=5")
    lines = (refused.stdout + refused.stderr).strip().splitlines()
    assert refused.returncode == 2, lines
    assert lines == ["error: counted: cannot resume with -e n=5: it started with -e n=3; run "
                     "it again with those (or without -e), or start it over with --fresh"]
    assert len(sim.ledger()) == before  # nothing was sent
    assert "n=5" not in _logged(db)

    same = run_runner(sim, token, path, db, "-e", "n=3")  # the same values resume quietly
    assert same.returncode == 0 and "resuming with the values" not in same.stdout
    assert "n=3" in _logged(db)

    fresh = run_runner(sim, token, path, db, "-e", "n=5", "--fresh")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "n=5" in _logged(db)
    store = Store.open(db)
    try:
        assert store.require_container("counted").overrides == {"n": "5"}
    finally:
        store.close()
    shown = subprocess.run([*ST_RUN, "status", "--all", "--json", "--db", db], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    assert json.loads(shown.stdout)[0]["overrides"] == {"n": "5"}
