"""Galaxy data in the executor's Universe: fetched from the simulator (real socket) once,
cached in the store with its age, used while fresh, fetched again when stale."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runner.domain.galaxy import GALAXY_MAX_AGE_S, Galaxy
from runner.runtime.adapters import Universe
from runner.state.store import Store
from tests.runtime.harness import World
from tests.state.conftest import Clock


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    with SimServer(SimConfig(seed=1, speed=200.0, rate_limit=None, systems=8)) as server:
        data = httpx.post(f"{server.url}/register",
                          json={"symbol": "GALAXY", "faction": "COSMIC"}, timeout=10).json()
        store = Store.open(str(tmp_path / "state.db"), clock=Clock())
        yield World(server.url, data["data"]["token"], "GALAXY", store)
        store.close()


def load(world: World) -> Galaxy:
    async def go() -> Galaxy:
        client = world.client()
        try:
            return await Universe(world.store, client).galaxy()
        finally:
            await client.aclose()
    return asyncio.run(go())


def home_gate(galaxy: Galaxy) -> str:
    unbuilt = [s.gate for s in galaxy if s.gate is not None and not s.gate_built]
    assert unbuilt, "the starting gate is under construction for a new agent"
    return str(unbuilt[0])


def test_galaxy_is_fetched_cached_and_refreshed_when_stale(world: World) -> None:
    clock = world.store.clock
    assert isinstance(clock, Clock)
    first = load(world)
    assert len(first) == 8
    assert first.fetched_at == clock.now
    gated = [s for s in first if s.gate is not None]
    assert gated and all(s.connections for s in gated)
    gate = home_gate(first)
    world.control("POST", f"/construction/{gate}", {"complete": True})
    clock.advance(GALAXY_MAX_AGE_S - 1)
    cached = load(world)  # fresh enough: the store's copy, still showing the old status
    assert cached.fetched_at == first.fetched_at
    assert cached.age_s(clock.now) == GALAXY_MAX_AGE_S - 1
    assert not next(s for s in cached if s.gate == gate).gate_built
    clock.advance(2)
    fresh = load(world)  # stale: fetched again
    assert fresh.fetched_at == clock.now
    assert next(s for s in fresh if s.gate == gate).gate_built
