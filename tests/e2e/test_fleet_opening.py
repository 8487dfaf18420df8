"""playbooks/fleet/ (issue 18, the opening) from a fresh agent, as a user runs it:
`st-run --watch playbooks/fleet` against `st-run sim` on seeds other than the docs' one.

For three game hours: the command ship buys mining drones within its budget guard,
each drone joins the `drones` group as its own container, the probe's scans let the command
ship trade (a purchase and a sale in the ledger), and no container fails or meets a race.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import pytest

from runner.domain.status import ContainerStatus
from tests.support.simproc import start_sim_process
from tests.watch.procs import State, ledger, register, until, watcher

FLEET = Path(__file__).resolve().parents[2] / "playbooks" / "fleet"
SPEED = 100.0
GAME_S = 3 * 3600.0


def game_seconds(url: str, started: str) -> float:
    from datetime import datetime

    now = httpx.get(f"{url}/_sim/clock", timeout=10).json()["data"]["gameTime"]
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return (parse(now) - parse(started)).total_seconds()


def members(db: Path, prefix: str) -> int:
    state = State(db)
    try:
        return sum(r.name.startswith(prefix) for r in state.store.list_containers(all=True))
    finally:
        state.close()


def drones_bought(url: str) -> int:
    return sum(e["path"].endswith("/my/ships") and e["body"]["shipType"] == "SHIP_MINING_DRONE"
               for e in ledger(url))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2])
def test_the_opening_grows_and_trades(tmp_path: Path, seed: int) -> None:
    with start_sim_process("--speed", str(SPEED), "--no-rate-limit", "--seed",
                           str(seed)) as (_, url):
        agent = register(url, "OPENING")
        started = httpx.get(f"{url}/_sim/clock", timeout=10).json()["data"]["gameTime"]
        db = tmp_path / "state.db"
        with watcher(FLEET, db, agent, tmp_path / "watch.log") as proc:
            until(lambda: game_seconds(url, started) >= GAME_S, "three game hours",
                  timeout=GAME_S / SPEED * 4, on_fail=proc.output)
            # every drone bought so far joins the group (one bought just now: in a moment)
            until(lambda: members(db, "drones/") == drones_bought(url), "each drone joined",
                  timeout=30, on_fail=proc.output)
            proc.signal(signal.SIGTERM)
            assert proc.wait() == 0, proc.output()
        changes = ledger(url)
        state = State(db)
        records = state.store.list_containers(all=True)
        messages = state.messages()
        state.close()
    bought = [e["body"]["shipType"] for e in changes if e["path"].endswith("/my/ships")]
    assert bought and set(bought) <= {"SHIP_MINING_DRONE", "SHIP_LIGHT_HAULER"}
    assert bought.count("SHIP_MINING_DRONE") <= 3  # the playbook's count guard
    drones = {r.name for r in records if r.name.startswith("drones/")}
    assert len(drones) == bought.count("SHIP_MINING_DRONE"), drones
    assert any(e["path"].endswith("/extract") for e in changes)
    assert any(e["path"].endswith("/purchase") for e in changes)  # the command ship traded
    assert any(e["path"].endswith("/sell") for e in changes)
    assert not [r.name for r in records if r.status is ContainerStatus.FAILED]
    race = re.compile(r"\b(4217|4228|4234|4271) [A-Z]\w*:")  # as an API error is logged
    assert not [m for m in messages if race.search(m)]
