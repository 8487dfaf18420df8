"""Kills that broke other bots: mid-transit with 40+ s left, and during a reactor cooldown.

After the restart the runner must re-read the ship and wait: no action before the ship
arrives (no 4214), no extraction before the cooldown ends (no 4000).
"""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from runner.state.store import Store
from tests.e2e.support import Sim, run_runner, sim_process, start_runner, wait_for

FAR_FUEL_MARKET = "X1-EU98-X25"  # 201 units from headquarters (seed 1): a CRUISE flight


@pytest.fixture(autouse=True)
def short_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_RUN_LEASE_TTL", "1.5")


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def entries(sim: Sim, agent: str, suffix: str) -> list[dict[str, Any]]:
    return [e for e in sim.ledger() if e["agent"] == agent and e["path"].endswith(suffix)]


def kill_when(sim: Sim, runner: Any, condition: Any) -> None:
    wait_for(lambda: condition() or runner.poll() is not None, timeout=60, interval=0.01)
    assert runner.poll() is None, "the runner ended before the kill point"
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    if runner.stdout is not None:
        runner.stdout.close()


def logs(db: str, name: str) -> list[str]:
    store = Store.open(db)
    try:
        return [r.message for r in store.logs(name)]
    finally:
        store.close()


def test_killed_mid_transit_with_40s_left_waits_for_arrival(tmp_path: Path) -> None:
    playbook = tmp_path / "transit.yaml"
    playbook.write_text("name: transit\nship: {role: COMMAND}\nsteps:\n"
                        "  - navigate: {to: '{{ to }}', mode: CRUISE}\n  - dock\n  - refuel\n")
    db = str(tmp_path / "s.db")
    with sim_process(seed=1, speed=100.0) as sim:
        token = sim.register("TRANSIT")
        runner = start_runner(sim, token, playbook, db, "-e", f"to={FAR_FUEL_MARKET}")
        kill_when(sim, runner, lambda: entries(sim, "TRANSIT", "/navigate"))
        ship = sim.ship(token, "TRANSIT-1")
        game_now = when(sim.get("/_sim/clock")["gameTime"])
        arrival = when(ship["nav"]["route"]["arrival"])
        assert ship["nav"]["status"] == "IN_TRANSIT"
        assert (arrival - game_now).total_seconds() >= 40
        done = run_runner(sim, token, playbook, db, "-e", f"to={FAR_FUEL_MARKET}")
        assert done.returncode == 0, done.stdout
        assert "resuming transit at step 1/3" in done.stdout
        after = [e for e in sim.ledger() if e["agent"] == "TRANSIT"
                 and e["seq"] > entries(sim, "TRANSIT", "/navigate")[0]["seq"]]
        assert after, "nothing happened after the flight"
        assert all(when(e["game_time"]) >= arrival for e in after)
        assert len(entries(sim, "TRANSIT", "/navigate")) == 1
        assert len(entries(sim, "TRANSIT", "/refuel")) == 1
    lines = logs(db, "transit")
    assert not any("4214" in line for line in lines)
    assert not any(line.startswith("failed") for line in lines)


def test_killed_during_cooldown_waits_before_extracting_again(tmp_path: Path) -> None:
    playbook = tmp_path / "cool.yaml"
    playbook.write_text("name: cool\nship: {role: COMMAND}\nsteps:\n"
                        "  - navigate: {nearest: {type: ASTEROID,\n"
                        "                         traits: [COMMON_METAL_DEPOSITS]}}\n"
                        "  - extract\n  - extract\n")
    db = str(tmp_path / "s.db")
    with sim_process(seed=1, speed=50.0) as sim:
        token = sim.register("COOLER")
        runner = start_runner(sim, token, playbook, db)
        kill_when(sim, runner, lambda: entries(sim, "COOLER", "/extract"))
        cooldown = sim.ship(token, "COOLER-1")["cooldown"]
        assert cooldown["remainingSeconds"] > 0
        expiration = when(cooldown["expiration"])
        time.sleep(0.2)
        done = run_runner(sim, token, playbook, db)
        assert done.returncode == 0, done.stdout
        extracts = entries(sim, "COOLER", "/extract")
        assert len(extracts) == 2
        assert when(extracts[1]["game_time"]) >= expiration
    lines = logs(db, "cool")
    assert not any("4000" in line for line in lines)
    assert not any(line.startswith("failed") for line in lines)
