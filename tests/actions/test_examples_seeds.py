"""The issue-17 example playbooks complete on the simulator's seeds 1, 2 and 3 (the real
language, executor, client and store, in-process), each state change once in the ledger."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from runner.domain.status import ContainerStatus
from tests.actions.harness import game, run_playbook

EXAMPLES = Path(__file__).resolve().parents[2] / "playbooks"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_probe_scan_buys_one_probe_and_scans(tmp_path: Path, seed: int) -> None:
    with game(tmp_path, seed=seed) as g:
        text = (EXAMPLES / "probe-scan.yaml").read_text()
        outcome = asyncio.run(run_playbook(g, text))
        assert outcome.status is ContainerStatus.COMPLETED, outcome.error
        bought = g.accepted("/my/ships")
        assert [e["body"]["shipType"] for e in bought] == ["SHIP_PROBE"]
        assert len(g.accepted("/scan/waypoints")) == 1
        markets = [m for m in (r.message for r in g.world.store.logs("c1"))
                   if m.startswith("read the market at")]
        assert len(markets) == 3, markets
        lines = [r.message for r in g.world.store.logs("c1")]
        assert any(m.startswith(f"bought {g.world.agent}-") for m in lines), lines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_supply_gate_buys_and_supplies_ten(tmp_path: Path, seed: int) -> None:
    with game(tmp_path, seed=seed) as g:
        text = (EXAMPLES / "supply-gate.yaml").read_text()
        outcome = asyncio.run(run_playbook(g, text))
        assert outcome.status is ContainerStatus.COMPLETED, outcome.error
        assert [e["body"]["units"] for e in g.accepted("/construction/supply")] == [10]
        lines = [r.message for r in g.world.store.logs("c1")]
        assert any(m.endswith("10/1600 FAB_MATS") for m in lines), lines


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_drone_hands_its_ore_to_the_hauler_that_sells(tmp_path: Path, seed: int) -> None:
    """playbooks/drone-hauler: setup buys a drone; then the drone and the hauler run
    together (two containers): every load reaches the hauler once, and the hauler sells."""
    folder = EXAMPLES / "drone-hauler"
    with game(tmp_path, seed=seed, speed=2000.0) as g:
        setup = asyncio.run(run_playbook(g, (folder / "setup.yaml").read_text(),
                                         name="setup"))
        assert setup.status is ContainerStatus.COMPLETED, setup.error
        drone = next(s["symbol"] for s in g.get("/my/ships")
                     if s["registration"]["role"] == "EXCAVATOR")

        async def together() -> list[Any]:
            return list(await asyncio.gather(
                run_playbook(g, (folder / "drone.yaml").read_text(), name="drone",
                             ship=drone),
                run_playbook(g, (folder / "hauler.yaml").read_text(), name="hauler")))

        outcomes = asyncio.run(together())
        assert [o.status for o in outcomes] == [ContainerStatus.COMPLETED] * 2, \
            [o.error for o in outcomes]
        handed = g.accepted("/transfer")
        assert {e["body"]["shipSymbol"] for e in handed} == {g.world.ship}
        assert sum(e["body"]["units"] for e in handed) == 30  # two full drone holds
        assert len({(e["body"]["tradeSymbol"], e["seq"]) for e in handed}) == len(handed)
        assert sum(e["body"]["units"] for e in g.accepted("/sell")) > 0
