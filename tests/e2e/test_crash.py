"""SIGKILL the runner at seeded random points of a trading playbook; restart it each time.

A reference run (no kills) on a fresh simulator with the same seed and agent gives the
expected list of state changes. The crashed run, on another fresh simulator, must end with
exactly the same list in the ledger: nothing done twice, nothing skipped, and the playbook
COMPLETED in the database.
"""

from __future__ import annotations

import os
import random
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from runner.state.store import Store
from tests.e2e.support import REPO, Sim, run_runner, sim_process, start_runner

PLAYBOOK = REPO / "tests" / "e2e" / "playbooks" / "crash-trade.yaml"
AGENT = "CRASHER"
SPEED = 100.0
KILLS = 20
TARGETS = 24  # a few spare kill points: one may land after the playbook ended
NON_IDEMPOTENT = ("/purchase", "/sell", "/navigate", "/refuel", "/jettison", "/deliver")


def changes(sim: Sim) -> list[tuple[str, str, Any]]:
    """The agent's state changes that must happen exactly once, in order."""
    out = []
    for entry in sim.ledger():
        if entry["agent"] == AGENT and entry["path"].endswith(NON_IDEMPOTENT):
            out.append((entry["method"], entry["path"], entry["body"]))
    return out


@pytest.fixture(autouse=True)
def short_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    # a killed runner's lease is taken over once it lapses: keep that short in tests
    monkeypatch.setenv("ST_RUN_LEASE_TTL", "1.5")


@pytest.mark.slow
def test_sigkill_at_random_points_each_state_change_happens_once(tmp_path: Path) -> None:
    with sim_process(seed=1, speed=SPEED) as sim:
        token = sim.register(AGENT)
        done = run_runner(sim, token, PLAYBOOK, str(tmp_path / "ref.db"), timeout=180)
        assert done.returncode == 0, done.stdout
        expected = changes(sim)
    assert len(expected) >= 20, expected
    kinds = {re.sub(r".*/", "", path) for _, path, _ in expected}
    assert {"purchase", "sell", "navigate"} <= kinds

    rng = random.Random(20261126)
    # kill points: after the k-th expected state change, plus a random delay (which lands
    # kills mid-request, mid-transit and between commands)
    targets = sorted(rng.choices(range(0, len(expected) - 2), k=TARGETS))
    db = str(tmp_path / "crash.db")
    kills = 0
    with sim_process(seed=1, speed=SPEED) as sim:
        token = sim.register(AGENT)
        for target in targets:
            if kills >= KILLS + 2:
                break
            runner = start_runner(sim, token, PLAYBOOK, db)
            deadline = time.monotonic() + 60
            while len(changes(sim)) < target and runner.poll() is None:
                assert time.monotonic() < deadline, "no progress"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.3))
            if runner.poll() is None:
                os.kill(runner.pid, signal.SIGKILL)
                kills += 1
            runner.wait()
            if runner.stdout is not None:
                runner.stdout.close()
        final = run_runner(sim, token, PLAYBOOK, db, timeout=180)
        assert final.returncode == 0, final.stdout
        assert kills >= KILLS, kills
        got = changes(sim)
    assert got == expected
    store = Store.open(db)
    try:
        record = store.require_container("crash-trade")
        assert record.status.value == "COMPLETED"
        assert any(r.message.startswith("done: 0 units") for r in store.logs("crash-trade"))
    finally:
        store.close()
