"""How many requests a runner sends to start N containers, measured on the simulator.

Shared by ``tests/runtime/test_startup_requests.py`` and ``bench/startup_requests.py``: a
simulator on a real loopback socket, one agent with N ships, one supervisor (as ``st-run
run`` drives it) starting N one-step playbooks that read the system through a template,
run to their end. The count is the simulator's own per-agent request counter.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from runner.api.client import SpaceTradersClient
from runner.api.limiter import LimiterConfig, RateLimiter
from runner.api.secrets import Token
from runner.domain.status import ContainerStatus
from runner.runtime.adapters import AgentDirectory
from runner.runtime.supervisor import Supervisor
from runner.sim.config import SimConfig
from runner.sim.server import SimServer
from runner.state.store import Store

PLAYBOOK = """\
name: c{index}
ship: {ship}
steps:
  - log: "at {{{{ ship.nav.waypoint }}}} for {{{{ agent.symbol }}}}"
"""


def _add_ships(server: SimServer, symbol: str, total: int) -> list[str]:
    """The agent's ships, with probes added at headquarters until it has ``total``."""
    sim: Any = server.app.state.sim
    agent = sim.world.agents[symbol]
    while len(agent.ship_symbols) < total:
        sim.world.add_ship(agent, "SHIP_PROBE", agent.headquarters, sim.clock.now())
    return list(agent.ship_symbols[:total])


async def _run(url: str, token: str, ships: list[str], folder: Path, store: Store) -> None:
    client = SpaceTradersClient(url, Token(token),
                                limiter=RateLimiter(LimiterConfig.unlimited()))
    agents = AgentDirectory({"main": client}, default="main", any_name=True)
    try:
        supervisor = Supervisor(store, agents)
        for index, ship in enumerate(ships):
            path = folder / f"c{index}.yaml"
            path.write_text(PLAYBOOK.format(index=index, ship=ship))
            await supervisor.start(path)
        outcomes = await supervisor.wait()
        assert all(o is not None and o.status is ContainerStatus.COMPLETED
                   for o in outcomes.values()), outcomes
    finally:
        await agents.aclose()


def startup_requests(containers: int, workdir: Path) -> int:
    """Requests the simulator received from a runner that started ``containers``
    containers in a fresh database (no cached universe) and ran them to their end."""
    workdir.mkdir(parents=True, exist_ok=True)
    with SimServer(SimConfig(seed=1, speed=50.0, rate_limit=None)) as server:
        symbol = f"BOOT{containers}"
        token = httpx.post(f"{server.url}/register", json={"symbol": symbol,
                           "faction": "COSMIC"}, timeout=10).json()["data"]["token"]
        ships = _add_ships(server, symbol, containers)
        store = Store.open(str(workdir / "state.db"))
        try:
            asyncio.run(_run(server.url, token, ships, workdir, store))
        finally:
            store.close()
        stats = httpx.get(f"{server.url}/_sim/stats", timeout=10).json()["data"]
        return int(stats[symbol]["requests"])
