"""Galaxy data across systems, read through the client: systems on the galactic map, their
jump gates, the gates' links and whether each gate is built.

Costs ``ceil(systems / 20)`` list requests plus two per gate (links and construction
status); the result is cached in the state store with its age (``runner.runtime.adapters``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from runner.domain.galaxy import Galaxy, GalaxySystem
from runner.domain.universe import System

if TYPE_CHECKING:
    from runner.api.client import SpaceTradersClient


async def fetch_galaxy(client: SpaceTradersClient, now: datetime, *,
                       container: str | None = None) -> Galaxy:
    """Every system with its gate, the gate's links and construction status."""
    systems = await client.list_systems(container=container)
    found = await asyncio.gather(*(_system(client, s, container) for s in systems))
    return Galaxy.of(list(found), now)


async def _system(client: SpaceTradersClient, system: System,
                  container: str | None) -> GalaxySystem:
    gate = next((w.symbol for w in system if w.type == "JUMP_GATE"), None)
    if gate is None:
        return GalaxySystem(system.symbol, system.x, system.y)
    links = await client.get_jump_gate(gate, container=container)
    waypoint = await client.get_waypoint(gate, container=container)
    return GalaxySystem(system.symbol, system.x, system.y, gate,
                        not waypoint.under_construction, links)
