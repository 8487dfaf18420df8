"""The issue-17 example playbooks complete on the simulator's seeds 1, 2 and 3 (the real
language, executor, client and store, in-process), each state change once in the ledger."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize("seed", [1, 2])
def test_drone_hands_its_ore_to_the_hauler_that_sells(tmp_path: Path, seed: int) -> None:
    """playbooks/drone-hauler as a user runs it (`st-run drone.yaml hauler.yaml`): the
    hauler buys a drone, the drone group picks it up, every load reaches the hauler once,
    and the hauler sells."""
    folder = EXAMPLES / "drone-hauler"
    # 500x: the client paces itself at 2 requests/s of wall time, so a faster clock runs
    # ahead of the ships (game deadlines pass while requests wait their turn)
    with game(tmp_path, seed=seed, speed=500.0) as g:
        env = {**os.environ, "SPACETRADERS_TOKEN": g.world.token,
               "ST_RUN_API_URL": g.world.url, "XDG_STATE_HOME": str(tmp_path / "xdg")}
        env.pop("ST_RUN_DB", None)
        result = subprocess.run(
            [sys.executable, "-m", "runner", "run", "--db", f"sqlite:///{tmp_path}/run.db",
             str(folder / "drone.yaml"), str(folder / "hauler.yaml")],
            env=env, capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "hauler: COMPLETED" in result.stdout
        drones = [s["symbol"] for s in g.get("/my/ships")
                  if s["registration"]["role"] == "EXCAVATOR"]
        assert len(drones) == 1 and f"drone/{drones[0]}: COMPLETED" in result.stdout
        handed = g.accepted("/transfer")
        assert {e["body"]["shipSymbol"] for e in handed} == {g.world.ship}
        assert sum(e["body"]["units"] for e in handed) == 30  # two full drone holds
        assert len({(e["body"]["tradeSymbol"], e["seq"]) for e in handed}) == len(handed)
        assert sum(e["body"]["units"] for e in g.accepted("/sell")) > 0
