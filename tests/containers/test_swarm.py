"""Issue 18, "How we will know": six mining drones and two haulers, each kind one group
playbook, run as a user runs them (one ``st-run watch DIR`` process) against a real
``st-run sim`` process on a fast clock, with the runner SIGKILLed twice (once while the
drones mine, once just after the first transfer, when loads are reserved and half handed
over) and restarted on the same database. (The same run without kills was a second test;
it went to keep the suite within CI's time: between the kills this one runs just so, and
bench/drones.py and bench/fleet.py run fleets without kills.)

The fleet is bought through the game API and placed at the belt nearest headquarters
(control endpoints); each hauler carries ballast so that its room takes exactly three drone
loads: the six drones race for the last room of both holds. Each drone delivers one full
load (a fixed amount of work, so the test is deterministic in what it checks); the haulers
wait until full (or an hour), then sell and throw the rest overboard, in a loop.

The simulator is the judge. Replaying its ledger's transfers, sells and jettisons per
hauler, no hold ever exceeds its capacity (and both are filled to the brim); every drone
hands over exactly one load of 15 units, each good once (a repeated transfer would show as
a good handed twice or a load past the drone's hold); no drone flies (it starts at the
belt); every extract, transfer, sell, jettison and navigate the server accepted is one the
runner's log accounts for, once (a command re-sent after a kill would not be); the
simulator answered the agent no 4217/4228/4234/4271 (its stats count error codes: the
runner may fix up an error without logging it), nor do the runner's logs carry one; no
container FAILED.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.containers.swarm import (
    Fleet,
    buy_fleet,
    drone_playbook,
    forbidden_errors,
    forbidden_lines,
    hauler_playbook,
    logged_changes,
    replay,
)
from tests.support.simproc import start_sim_process
from tests.watch.procs import State, Watcher, ledger, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

SPEED = "40"
"""Game seconds per wall second. The runner paces its requests as for the real server (2/s
and a burst), so a faster clock would leave it behind the game: a drone fills its hold in
about 6 game minutes, the haulers fly to the market in a few more."""
LOADS = 1
DRONE_HOLD = 15
BALLAST = 35
"""QUARTZ_SAND each hauler starts with: 80 - 35 = room for exactly three drone loads, so the
six drones race for the last room of both holds and fill them to the brim."""
WAIT_S = 150.0


@pytest.fixture
def sim_url() -> Iterator[str]:
    with start_sim_process("--speed", SPEED, "--no-rate-limit") as (_, url):
        yield url


def write_playbooks(folder: Path, fleet: Fleet) -> None:
    folder.mkdir()
    (folder / "drones.yaml").write_text(drone_playbook(fleet.belt, LOADS))
    (folder / "haulers.yaml").write_text(hauler_playbook(fleet.belt))


def drones_done(state: State, fleet: Fleet) -> bool:
    """Every drone's container ended (COMPLETED, or FAILED: asserted on afterwards)."""
    records = [state.container(f"drones/{d}") for d in fleet.drones]
    return all(r is not None and r.status.value in ("COMPLETED", "FAILED") for r in records)


def all_done(state: State, fleet: Fleet) -> bool:
    """Every drone ended and every hauler sold (it was full: its wait ended at once)."""
    if not drones_done(state, fleet):
        return False
    sold = {e["ship"] for e in ledger(fleet.agent.url) if e["path"].endswith("/sell")}
    return set(fleet.haulers) <= sold


def check(state: State, fleet: Fleet, output: str) -> None:
    """The assertions of the module docstring, from the ledger and the store."""
    for ship in fleet.drones + fleet.haulers:
        name = f"{'drones' if ship in fleet.drones else 'haulers'}/{ship}"
        record = state.container(name)
        assert record is not None, name
        assert record.status.value != "FAILED", (name, state.messages(name)[-10:])
    for ship in fleet.drones:
        record = state.container(f"drones/{ship}")
        assert record is not None and record.status.value == "COMPLETED", ship
    lines = state.messages()
    assert not forbidden_lines(lines + output.splitlines()), forbidden_lines(lines)
    assert forbidden_errors(fleet.agent.url, fleet.agent.symbol) == {}
    assert "Traceback" not in output, output[-3000:]
    done = replay(ledger(fleet.agent.url), fleet)
    assert not done.problems, done.problems
    for hauler in fleet.haulers:
        assert done.most_aboard[hauler] <= fleet.capacity[hauler]
        assert done.most_aboard[hauler] == fleet.capacity[hauler]  # filled to the brim
    assert done.receivers == set(fleet.haulers)
    for drone in fleet.drones:
        assert [sum(load.values()) for load in done.loads[drone]] == [DRONE_HOLD] * LOADS, \
            (drone, done.loads[drone])
        assert done.changes[drone, "navigate"] == 0  # it starts at the belt
    for ship in fleet.drones + fleet.haulers:
        group = "drones" if ship in fleet.drones else "haulers"
        counted = logged_changes(state.messages(f"{group}/{ship}"))
        for kind in ("extract", "transfer", "sell", "jettison", "navigate"):
            assert done.changes[ship, kind] == counted[kind], (ship, kind, counted)


def kill_when(proc: Watcher, state: State, fleet: Fleet, moment: Callable[[], bool],
              what: str, delay: float) -> int:
    """SIGKILL ``proc`` ``delay`` seconds after ``moment()`` holds; 1 when it was killed
    (0: the drones had ended first)."""
    try:
        until(lambda: moment() or drones_done(state, fleet), what, timeout=WAIT_S,
              on_fail=lambda: proc.output()[-3000:])
        time.sleep(delay)
        if proc.proc.poll() is None and not drones_done(state, fleet):
            proc.signal(signal.SIGKILL)
            return 1
        return 0
    finally:
        proc.kill()


def entries(fleet: Fleet, suffix: str = "") -> int:
    return sum(1 for e in ledger(fleet.agent.url) if e["path"].endswith(suffix))


def test_six_drones_feed_two_haulers_through_sigkills(
        tmp_path: Path, sim_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_RUN_LEASE_TTL", "2")
    fleet = buy_fleet(sim_url, "KILLED", drones=6, haulers=2, ballast=BALLAST)
    folder, db, log = tmp_path / "playbooks", tmp_path / "state.db", tmp_path / "watch.log"
    write_playbooks(folder, fleet)
    state = State(db)
    rng = random.Random(18)
    kills = 0
    deadline = time.monotonic() + WAIT_S
    try:
        # once while the drones mine (8 purchases, then their extracts), once just after
        # the first transfer: other drones' loads are then reserved, some half handed over
        first = rng.randrange(14, 30)
        kills += kill_when(Watcher(folder, db, fleet.agent, log), state, fleet,
                           lambda: entries(fleet) >= first, f"{first} ledger entries",
                           rng.uniform(0.0, 0.5))
        kills += kill_when(Watcher(folder, db, fleet.agent, log), state, fleet,
                           lambda: entries(fleet, "/transfer") > 0, "a first transfer",
                           rng.uniform(0.0, 0.3))
        assert kills == 2, kills
        proc = Watcher(folder, db, fleet.agent, log)
        try:
            until(lambda: all_done(state, fleet), "every drone delivered, every hauler sold",
                  timeout=max(deadline - time.monotonic(), 30.0),
                  on_fail=lambda: proc.output()[-3000:])
            proc.signal(signal.SIGTERM)
            assert proc.wait() == 0, proc.output()[-3000:]
        finally:
            proc.kill()
        check(state, fleet, log.read_text())
    finally:
        state.close()
