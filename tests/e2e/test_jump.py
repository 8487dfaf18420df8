"""``playbooks/jump.yaml`` end to end: ``st-run run`` flies to a waypoint two jumps away on
``st-run sim`` (a 16-system galaxy), each jump in the ledger once, also when every jump's
answer is lost (the ``drop-after`` fault: the jump is applied, its answer never arrives).

The starting gate is under construction for a new agent: the test finishes it through the
simulator's control endpoint, as the playbook's header says.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import REPO, Sim, run_runner, sim_process

PLAYBOOK = REPO / "playbooks" / "jump.yaml"


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    with sim_process(seed=1, speed=1000.0, extra=("--systems", "16")) as running:
        yield running


def gates(sim: Sim) -> dict[str, tuple[str, list[str], bool]]:
    """Gate symbol -> (system, connections, built), read from the public endpoints."""
    systems: list[Any] = []
    page = 1
    while True:
        batch = sim.get("/systems", page=page, limit=20)
        systems += batch
        if len(batch) < 20:
            break
        page += 1
    out = {}
    for system in systems:
        for w in system["waypoints"]:
            if w["type"] == "JUMP_GATE":
                base = f"/systems/{system['symbol']}/waypoints/{w['symbol']}"
                links = sim.get(f"{base}/jump-gate")["connections"]
                built = not sim.get(base)["isUnderConstruction"]
                out[w["symbol"]] = (system["symbol"], list(links), built)
    return out


def two_jumps_away(sim: Sim, home: str) -> tuple[str, str]:
    """(home gate, a waypoint whose system's gate is exactly two built jumps away)."""
    known = gates(sim)
    home_gate = next(g for g, (s, _, _) in known.items() if s == home)
    first = {g for g in known[home_gate][1] if known[g][2]}
    second = sorted({g for f in first for g in known[f][1]
                     if known[g][2] and g != home_gate and g not in known[home_gate][1]})
    assert second, "no system two jumps away in this galaxy"
    system = known[second[0]][0]
    waypoints = sorted(w["symbol"] for w in sim.get(f"/systems/{system}/waypoints")
                       if w["type"] != "JUMP_GATE")
    return home_gate, waypoints[0]


def fly(sim: Sim, symbol: str, tmp_path: Path) -> tuple[str, list[dict[str, Any]], Any]:
    token = sim.register(symbol)
    home = sim.ship(token, f"{symbol}-1")["nav"]["systemSymbol"]
    home_gate, target = two_jumps_away(sim, home)
    sim.send("POST", f"/_sim/construction/{home_gate}", {"complete": True})
    result = run_runner(sim, token, PLAYBOOK, str(tmp_path / "s.db"), "-e",
                        f"target={target}", timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    ledger = [e for e in sim.ledger() if e["agent"] == symbol]
    return target, ledger, sim.ship(token, f"{symbol}-1")


def check(target: str, ledger: list[dict[str, Any]], ship: Any) -> None:
    jumps = [e["body"]["waypointSymbol"] for e in ledger if e["path"].endswith("/jump")]
    assert len(jumps) == 2 and len(set(jumps)) == 2, jumps  # each jump once
    assert jumps[-1].rsplit("-", 1)[0] == target.rsplit("-", 1)[0]
    assert ship["nav"]["waypointSymbol"] == target
    assert ship["nav"]["status"] == "DOCKED"


def test_jump_playbook_flies_two_jumps(sim: Sim, tmp_path: Path) -> None:
    target, ledger, ship = fly(sim, "E2EJUMP", tmp_path)
    check(target, ledger, ship)


def test_jump_playbook_with_every_jump_answer_lost(sim: Sim, tmp_path: Path) -> None:
    sim.faults("drop-after:100%:endpoint=jump-ship")
    try:
        target, ledger, ship = fly(sim, "E2EJUMPDROP", tmp_path)
    finally:
        sim.faults("")
    check(target, ledger, ship)
