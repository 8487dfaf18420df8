"""``st-run --sim``: an embedded simulator with a fast clock and an agent registered for you.

The simulator runs in a background thread of the runner's process (``runner.sim``'s
``SimServer``) with no rate limit; a new agent is registered on it and its token lives only in
this process's memory (a redacted ``Token``): it is never written to the database, a log or
the config file.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from runner.api.client import SpaceTradersClient
from runner.api.limiter import LimiterConfig, RateLimiter
from runner.runtime.adapters import AgentDirectory

#: Game seconds per wall second for ``--sim`` (a 2-minute flight takes 6 s).
SIM_SPEED = 20.0
#: Seed of the embedded universe (the same universe on every run).
SIM_SEED = 1
#: The agent registered on the embedded simulator, and the agent name playbooks resolve to.
SIM_AGENT = "STRUN-SIM"
SIM_FACTION = "COSMIC"


@dataclass(frozen=True)
class EmbeddedSim:
    """A running embedded simulator and the agent directory that talks to it."""

    url: str
    agents: AgentDirectory
    server: Any


def _server(seed: int, speed: float) -> Any:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    return SimServer(SimConfig(seed=seed, speed=speed, rate_limit=None))


@contextlib.asynccontextmanager
async def embedded_sim(*, seed: int = SIM_SEED, speed: float = SIM_SPEED,
                       agent_symbol: str = SIM_AGENT) -> AsyncIterator[EmbeddedSim]:
    """Start a simulator, register ``agent_symbol``, yield; stop it all on exit."""
    server = _server(seed, speed)
    server.start()
    try:
        url = server.url
        async with SpaceTradersClient(url, None, limiter=_unlimited()) as anonymous:
            registration = await anonymous.register(agent_symbol, SIM_FACTION)
        client = SpaceTradersClient(url, registration.token, limiter=_unlimited())
        agents = AgentDirectory({"sim": client}, default="sim", any_name=True,
                                who=f"the embedded simulator's one agent {agent_symbol}")
        try:
            yield EmbeddedSim(url, agents, server)
        finally:
            await agents.aclose()
    finally:
        server.stop()


def _unlimited() -> RateLimiter:
    return RateLimiter(LimiterConfig.unlimited())
