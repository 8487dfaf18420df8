"""Jump and Warp through GameApi and the client against the simulator (real socket): the
ship as the answer shows it, and the lost-answer recovery (``drop-after``) sending each once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.domain import commands as c
from runner.domain.ship import FlightMode, NavStatus
from runner.runtime.game import GameApi
from runner.state.store import Store
from tests.runtime.harness import World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    with SimServer(SimConfig(seed=1, speed=1000.0, rate_limit=None, systems=8)) as server:
        data = httpx.post(f"{server.url}/register",
                          json={"symbol": "HOPPER", "faction": "COSMIC"}, timeout=10).json()
        store = Store.open(str(tmp_path / "state.db"))
        ship = next(s for s in data["data"]["ships"] if s["registration"]["role"] == "COMMAND")
        yield World(server.url, data["data"]["token"], "HOPPER", store, ship["symbol"],
                    ship["nav"]["waypointSymbol"])
        store.close()


def call(world: World, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{world.url}{path}", json=body or {}, timeout=10,
                             headers={"Authorization": f"Bearer {world.token}"})
    response.raise_for_status()
    return response.json()["data"]


def fit_warp_drive(world: World) -> None:
    """Buy a warp drive at headquarters and install it in place of the gas processor."""
    base = f"/my/ships/{world.ship}"
    call(world, "POST", f"{base}/purchase", {"symbol": "MODULE_WARP_DRIVE_I", "units": 1})
    call(world, "POST", f"{base}/modules/remove", {"symbol": "MODULE_GAS_PROCESSOR_I"})
    call(world, "POST", f"{base}/modules/install", {"symbol": "MODULE_WARP_DRIVE_I"})


def other_system_waypoint(world: World) -> str:
    home = world.hq.rsplit("-", 1)[0]
    systems = httpx.get(f"{world.url}/systems", timeout=10).json()["data"]
    other = next(s for s in systems if s["symbol"] != home and s["waypoints"])
    return str(other["waypoints"][0]["symbol"])


def jumps(world: World, suffix: str) -> list[str]:
    return [e["body"]["waypointSymbol"] for e in world.ledger() if e["path"].endswith(suffix)]


@pytest.mark.parametrize("lost", [False, True], ids=["answered", "answer-lost"])
def test_warp_moves_the_ship_to_another_system_once(world: World, lost: bool) -> None:
    fit_warp_drive(world)
    target = other_system_waypoint(world)
    if lost:
        world.control("PUT", "/faults", {"spec": "drop-after:100%:endpoint=warp-ship"})

    async def go() -> Any:
        async with world.client() as client:
            game = GameApi(client)
            ship = await game.get_ship(world.ship)
            assert ship.can_warp
            ship = (await game.send(ship, c.Orbit())).ship
            ship = (await game.send(ship, c.SetFlightMode(FlightMode.DRIFT))).ship
            return (await game.send(ship, c.Warp(target, FlightMode.DRIFT, 0.0, 1, 0))).ship

    ship = asyncio.run(go())
    assert ship.nav.waypoint == target and ship.nav.system == target.rsplit("-", 1)[0]
    assert ship.nav.status is NavStatus.IN_TRANSIT
    assert jumps(world, "/warp") == [target]


@pytest.mark.parametrize("lost", [False, True], ids=["answered", "answer-lost"])
def test_jump_to_a_linked_gate_once(world: World, lost: bool) -> None:
    home = world.hq.rsplit("-", 1)[0]
    system = httpx.get(f"{world.url}/systems/{home}", timeout=10).json()["data"]
    gate = next(w["symbol"] for w in system["waypoints"] if w["type"] == "JUMP_GATE")
    world.control("POST", f"/construction/{gate}", {"complete": True})
    links = httpx.get(f"{world.url}/systems/{home}/waypoints/{gate}/jump-gate",
                      timeout=10).json()["data"]["connections"]
    built = [g for g in links if not httpx.get(
        f"{world.url}/systems/{g.rsplit('-', 1)[0]}/waypoints/{g}",
        timeout=10).json()["data"]["isUnderConstruction"]]
    world.control("PATCH", f"/ships/{world.ship}", {"waypoint": gate})
    if lost:
        world.control("PUT", "/faults", {"spec": "drop-after:100%:endpoint=jump-ship"})

    async def go() -> Any:
        async with world.client() as client:
            game = GameApi(client)
            ship = await game.get_ship(world.ship)
            return await game.send(ship, c.Jump(built[0]))

    sent = asyncio.run(go())
    assert sent.ship.nav.waypoint == built[0]
    assert sent.ship.nav.system == built[0].rsplit("-", 1)[0]
    assert sent.ship.cooldown is not None and sent.ship.cooldown.remaining_seconds > 0
    if not lost:
        assert sent.credits is not None  # the antimatter was paid from the answer's agent
    assert jumps(world, "/jump") == [built[0]]
