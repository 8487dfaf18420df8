"""Read-only endpoints of :class:`~runner.api.client.SpaceTradersClient` (GETs, retried
freely). Ship reads refresh the client's last-known ship state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.api import parse as p
from runner.api.core import ClientCore, payload
from runner.api.errors import UnexpectedResponse
from runner.api.limiter import Priority
from runner.api.models import (
    Construction,
    ServerStatus,
    Shipyard,
)
from runner.domain.contract import Contract
from runner.domain.ship import Agent, Cargo, Cooldown, Nav, Ship
from runner.domain.universe import Market, System, Waypoint, system_of


class ClientReads(ClientCore):
    """Server, agent, ships, systems, markets and contracts: reads."""

    async def get_status(self, *, priority: Priority = Priority.BACKGROUND,
                         container: str | None = None) -> ServerStatus:
        """``GET /``: server status and reset schedule (no token needed)."""
        answer = await self._send("GET", "/", "/", priority, container, anonymous=True)
        if not isinstance(answer.body, Mapping):
            raise UnexpectedResponse("GET /: not a JSON object")
        return p.parse_status(answer.body)


    async def get_agent(self, *, priority: Priority = Priority.QUERY,
                        container: str | None = None) -> Agent:
        """``GET /my/agent``."""
        return p.parse_agent(await self._get("/my/agent", "/my/agent", priority, container))


    # -- ships: reads ---------------------------------------------------------------------
    async def list_ships(self, *, priority: Priority = Priority.BACKGROUND,
                         container: str | None = None) -> list[Ship]:
        """``GET /my/ships``, every page."""
        items = await self._pages("/my/ships", "/my/ships", priority, container)
        return [self._remember(p.parse_ship(item)) for item in items]

    async def get_ship(self, ship: str, *, priority: Priority = Priority.QUERY,
                       container: str | None = None) -> Ship:
        """``GET /my/ships/{ship}``."""
        data = await self._get(f"/my/ships/{ship}", "/my/ships/{ship}", priority, container,
                               ship=ship)
        return self._remember(p.parse_ship(data))

    async def get_nav(self, ship: str, *, priority: Priority = Priority.NAVIGATION,
                      container: str | None = None) -> Nav:
        """``GET /my/ships/{ship}/nav``."""
        nav = p.parse_nav(await self._get(f"/my/ships/{ship}/nav", "/my/ships/{ship}/nav",
                                          priority, container, ship=ship))
        self._update(ship, nav=nav)
        return nav

    async def get_cargo(self, ship: str, *, priority: Priority = Priority.QUERY,
                        container: str | None = None) -> Cargo:
        """``GET /my/ships/{ship}/cargo``."""
        cargo = p.parse_cargo(await self._get(f"/my/ships/{ship}/cargo",
                                              "/my/ships/{ship}/cargo", priority, container,
                                              ship=ship))
        self._update(ship, cargo=cargo)
        return cargo

    async def get_cooldown(self, ship: str, *, priority: Priority = Priority.NAVIGATION,
                           container: str | None = None) -> Cooldown | None:
        """``GET /my/ships/{ship}/cooldown``; None when the ship has no cooldown (204)."""
        answer = await self._send("GET", f"/my/ships/{ship}/cooldown",
                                  "/my/ships/{ship}/cooldown", priority, container, ship=ship)
        if answer.status == 204 or answer.body is None:
            self._update(ship, cooldown=Cooldown(0, 0, None))
            return None
        cooldown = p.parse_cooldown(payload(answer, "/my/ships/{ship}/cooldown"))
        self._update(ship, cooldown=cooldown)
        return cooldown


    # -- systems, waypoints, markets -------------------------------------------------------
    async def get_system(self, system: str, *, with_traits: bool = True,
                         priority: Priority = Priority.BACKGROUND,
                         container: str | None = None) -> System:
        """``GET /systems/{system}`` with every waypoint; with traits (all waypoint pages)
        unless ``with_traits=False``."""
        data = await self._get(f"/systems/{system}", "/systems/{system}", priority, container)
        waypoints = None
        if with_traits:
            waypoints = await self.list_waypoints(system, priority=priority,
                                                  container=container)
        return p.parse_system(data, waypoints)

    async def list_systems(self, *, priority: Priority = Priority.BACKGROUND,
                           container: str | None = None) -> list[System]:
        """``GET /systems``, every page: systems with their bare waypoints (no traits)."""
        items = await self._pages("/systems", "/systems", priority, container)
        return [p.parse_system(item) for item in items]

    async def get_jump_gate(self, waypoint: str, *, priority: Priority = Priority.BACKGROUND,
                            container: str | None = None) -> tuple[str, ...]:
        """``GET .../waypoints/{gate}/jump-gate``: the gates this gate links to."""
        system = system_of(waypoint)
        data = await self._get(f"/systems/{system}/waypoints/{waypoint}/jump-gate",
                               "/systems/{system}/waypoints/{waypoint}/jump-gate", priority,
                               container)
        return tuple(str(c) for c in data.get("connections") or ())

    async def list_waypoints(self, system: str, type: str | None = None,
                             traits: str | list[str] | None = None, *,
                             priority: Priority = Priority.BACKGROUND,
                             container: str | None = None) -> list[Waypoint]:
        """``GET /systems/{system}/waypoints``, every page, optionally filtered."""
        params: dict[str, Any] = {}
        if type:
            params["type"] = type
        if traits:
            params["traits"] = traits if isinstance(traits, str) else list(traits)
        items = await self._pages(f"/systems/{system}/waypoints",
                                  "/systems/{system}/waypoints", priority, container, params)
        return [p.parse_waypoint(item) for item in items]

    async def get_waypoint(self, waypoint: str, *, priority: Priority = Priority.QUERY,
                           container: str | None = None) -> Waypoint:
        """``GET /systems/{system}/waypoints/{waypoint}``."""
        system = system_of(waypoint)
        data = await self._get(f"/systems/{system}/waypoints/{waypoint}",
                               "/systems/{system}/waypoints/{waypoint}", priority, container)
        return p.parse_waypoint(data)

    async def get_market(self, waypoint: str, *, priority: Priority = Priority.QUERY,
                         container: str | None = None) -> Market:
        """``GET .../waypoints/{waypoint}/market``; prices only with a ship present."""
        system = system_of(waypoint)
        data = await self._get(f"/systems/{system}/waypoints/{waypoint}/market",
                               "/systems/{system}/waypoints/{waypoint}/market", priority,
                               container)
        return p.parse_market(data, self.clock.now())

    async def get_shipyard(self, waypoint: str, *, priority: Priority = Priority.QUERY,
                           container: str | None = None) -> Shipyard:
        """``GET .../waypoints/{waypoint}/shipyard``."""
        system = system_of(waypoint)
        data = await self._get(f"/systems/{system}/waypoints/{waypoint}/shipyard",
                               "/systems/{system}/waypoints/{waypoint}/shipyard", priority,
                               container)
        return p.parse_shipyard(data)

    async def get_construction(self, waypoint: str, *,
                               priority: Priority = Priority.BACKGROUND,
                               container: str | None = None) -> Construction:
        """``GET .../waypoints/{waypoint}/construction``: a construction site's progress."""
        system = system_of(waypoint)
        data = await self._get(f"/systems/{system}/waypoints/{waypoint}/construction",
                               "/systems/{system}/waypoints/{waypoint}/construction",
                               priority, container)
        return p.parse_construction(data)

    # -- contracts --------------------------------------------------------------------------
    async def list_contracts(self, *, priority: Priority = Priority.QUERY,
                             container: str | None = None) -> list[Contract]:
        """``GET /my/contracts``, every page."""
        items = await self._pages("/my/contracts", "/my/contracts", priority, container)
        return [self._remember_contract(p.parse_contract(item)) for item in items]

    async def get_contract(self, contract_id: str, *, priority: Priority = Priority.QUERY,
                           container: str | None = None) -> Contract:
        """``GET /my/contracts/{id}``."""
        data = await self._get(f"/my/contracts/{contract_id}", "/my/contracts/{id}",
                               priority, container)
        return self._remember_contract(p.parse_contract(data))

