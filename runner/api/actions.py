"""State-changing endpoints of :class:`~runner.api.client.SpaceTradersClient`.

Each action is sent through ``_act``: if its answer is lost, a ``recover`` closure re-reads
the ship or contract and asks the command's own ``took_effect`` rule
(``runner.domain.commands``, the same rule a resume after a crash uses); only an action that
did not take effect is sent again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from runner.api import parse as p
from runner.api.core import payload
from runner.api.errors import RegisterAgentConflictSymbolError, ResponseLost
from runner.api.limiter import Priority
from runner.api.models import (
    ContractResult,
    DeliverResult,
    ExtractResult,
    JumpResult,
    NavigateResult,
    RefuelResult,
    Registration,
    SurveyResult,
    TradeResult,
)
from runner.api.reads import ClientReads
from runner.api.secrets import Token
from runner.api.transport import Answer, Call, OutcomeUnknown
from runner.domain import commands as c
from runner.domain.contract import Contract
from runner.domain.ship import Cargo, FlightMode, Nav, NavStatus, Ship
from runner.domain.snapshot import ShipSnapshot


class ClientActions(ClientReads):
    """Register, navigation, trade, extraction and contract actions."""

    async def _before(self, ship: str, priority: Priority, container: str | None) -> Ship:
        """The state to compare with after a lost answer: last-known, or read now."""
        known = self._ships.get(ship)
        if known is not None:
            return known
        return await self.get_ship(ship, priority=priority, container=container)

    async def register(self, symbol: str, faction: str, *, account_token: Token | None = None,
                       email: str | None = None, priority: Priority = Priority.ACTION,
                       container: str | None = None) -> Registration:
        """``POST /register``: create an agent; returns its token (a redacted ``Token``).

        ``account_token`` is needed by the real server (v2.3); the simulator accepts none.
        The token exists only in the answer: after a lost answer the request is sent once
        more, and a symbol conflict then raises :class:`ResponseLost` (agent created,
        token unknown).
        """
        body: dict[str, Any] = {"symbol": symbol, "faction": faction}
        if email:
            body["email"] = email
        call = Call("POST", "/register", "/register", priority, json=body,
                    container=container, mutating=True, token=account_token)
        answer = await self._register_once(call, symbol)
        data = payload(answer, "/register")
        registration = Registration(
            token=Token(str(data["token"])), agent=p.parse_agent(data["agent"]),
            ships=tuple(map(p.parse_ship, data.get("ships") or ())),
            contract=p.parse_contract(data["contract"]) if data.get("contract") else None,
            faction=str((data.get("faction") or {}).get("symbol", faction)))
        for ship in registration.ships:
            self._remember(ship)
        return registration

    async def _register_once(self, call: Call, symbol: str) -> Answer:
        """Register; after a lost answer send it once more. A conflict then means the first
        one worked, and its token (only in the lost answer) is gone."""
        try:
            return await self._session.send(call)
        except OutcomeUnknown as lost:
            first = lost
        await asyncio.sleep(self.retry.decide([first.failure]).delay)
        try:
            return await self._session.send(call)
        except RegisterAgentConflictSymbolError:
            raise ResponseLost(f"register {symbol}: the answer was lost ({first}) and the "
                               "symbol is now taken: the agent was probably created, but "
                               "its token is unknown; register another symbol") from None
        except OutcomeUnknown as again:
            raise ResponseLost(f"register {symbol}: the answer was lost twice ({again}); "
                               "the agent may exist, its token is unknown") from None


    # -- ships: navigation ------------------------------------------------------------------
    async def set_flight_mode(self, ship: str, mode: FlightMode, *,
                              priority: Priority = Priority.ACTION,
                              container: str | None = None) -> Nav:
        """``PATCH /my/ships/{ship}/nav`` ``{flightMode}``; returns the new nav."""
        call = Call("PATCH", f"/my/ships/{ship}/nav", "/my/ships/{ship}/nav", priority,
                    json={"flightMode": str(mode)}, ship=ship, container=container,
                    mutating=True)

        def parse(data: Any) -> Nav:
            nav = p.parse_nav(data.get("nav", data))
            fuel = p.parse_fuel(data["fuel"]) if "fuel" in data else None
            self._update(ship, nav=nav, fuel=fuel)
            return nav

        async def recover() -> Nav | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            applied = c.SetFlightMode(mode).took_effect(ShipSnapshot(), after)
            return after.nav if applied else None

        return await self._act(call, parse, recover)

    async def orbit(self, ship: str, *, priority: Priority = Priority.ACTION,
                    container: str | None = None) -> Nav:
        """``POST /my/ships/{ship}/orbit``; returns the new nav."""
        return await self._nav_change(ship, "orbit", NavStatus.IN_ORBIT, priority, container)

    async def dock(self, ship: str, *, priority: Priority = Priority.ACTION,
                   container: str | None = None) -> Nav:
        """``POST /my/ships/{ship}/dock``; returns the new nav."""
        return await self._nav_change(ship, "dock", NavStatus.DOCKED, priority, container)

    async def _nav_change(self, ship: str, verb: str, status: NavStatus, priority: Priority,
                          container: str | None) -> Nav:
        call = Call("POST", f"/my/ships/{ship}/{verb}", f"/my/ships/{{ship}}/{verb}",
                    priority, ship=ship, container=container, mutating=True)

        def parse(data: Any) -> Nav:
            nav = p.parse_nav(data["nav"])
            self._update(ship, nav=nav)
            return nav

        async def recover() -> Nav | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            command = c.Orbit() if status is NavStatus.IN_ORBIT else c.Dock()
            return after.nav if command.took_effect(ShipSnapshot(), after) else None

        return await self._act(call, parse, recover)

    async def navigate(self, ship: str, waypoint: str, *, priority: Priority = Priority.ACTION,
                       container: str | None = None) -> NavigateResult:
        """``POST /my/ships/{ship}/navigate``; the ship must be in orbit."""
        before = await self._before(ship, priority, container)
        call = Call("POST", f"/my/ships/{ship}/navigate", "/my/ships/{ship}/navigate",
                    priority, json={"waypointSymbol": waypoint}, ship=ship,
                    container=container, mutating=True)

        def parse(data: Any) -> NavigateResult:
            result = NavigateResult(p.parse_nav(data["nav"]), p.parse_fuel(data["fuel"]))
            self._update(ship, nav=result.nav, fuel=result.fuel)
            return result

        async def recover() -> NavigateResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            # Only the destination matters to the rule; the predictions are not needed.
            flight = c.Navigate(waypoint, after.nav.flight_mode, 0.0, 0, 0)
            if not flight.took_effect(ShipSnapshot.of(before), after):
                return None
            return NavigateResult(after.nav, after.fuel, recovered=True)

        return await self._act(call, parse, recover)

    async def jump(self, ship: str, waypoint: str, *, priority: Priority = Priority.ACTION,
                   container: str | None = None) -> JumpResult:
        """``POST /my/ships/{ship}/jump`` to a connected gate (in orbit at a built gate)."""
        before = await self._before(ship, priority, container)
        call = Call("POST", f"/my/ships/{ship}/jump", "/my/ships/{ship}/jump", priority,
                    json={"waypointSymbol": waypoint}, ship=ship, container=container,
                    mutating=True)

        def parse(data: Any) -> JumpResult:
            cooldown = p.parse_cooldown(data["cooldown"]) if data.get("cooldown") else None
            result = JumpResult(
                p.parse_nav(data["nav"]), cooldown,
                p.parse_agent(data["agent"]) if data.get("agent") else None,
                p.parse_transaction(data["transaction"]) if data.get("transaction") else None)
            self._update(ship, nav=result.nav, cooldown=cooldown)
            return result

        async def recover() -> JumpResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not c.Jump(waypoint).took_effect(ShipSnapshot.of(before), after):
                return None
            return JumpResult(after.nav, after.cooldown, recovered=True)

        return await self._act(call, parse, recover)

    async def warp(self, ship: str, waypoint: str, *, priority: Priority = Priority.ACTION,
                   container: str | None = None) -> NavigateResult:
        """``POST /my/ships/{ship}/warp`` to a waypoint of another system (warp drive)."""
        before = await self._before(ship, priority, container)
        call = Call("POST", f"/my/ships/{ship}/warp", "/my/ships/{ship}/warp", priority,
                    json={"waypointSymbol": waypoint}, ship=ship, container=container,
                    mutating=True)

        def parse(data: Any) -> NavigateResult:
            result = NavigateResult(p.parse_nav(data["nav"]), p.parse_fuel(data["fuel"]))
            self._update(ship, nav=result.nav, fuel=result.fuel)
            return result

        async def recover() -> NavigateResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            flight = c.Warp(waypoint, after.nav.flight_mode, 0.0, 0, 0)
            if not flight.took_effect(ShipSnapshot.of(before), after):
                return None
            return NavigateResult(after.nav, after.fuel, recovered=True)

        return await self._act(call, parse, recover)

    async def refuel(self, ship: str, units: int | None = None, from_cargo: bool = False, *,
                     priority: Priority = Priority.ACTION,
                     container: str | None = None) -> RefuelResult:
        """``POST /my/ships/{ship}/refuel``; ``units`` in ship fuel units (None: fill up)."""
        before = await self._before(ship, priority, container)
        body: dict[str, Any] = {}
        if units is not None:
            body["units"] = units
        if from_cargo:
            body["fromCargo"] = True
        call = Call("POST", f"/my/ships/{ship}/refuel", "/my/ships/{ship}/refuel", priority,
                    json=body, ship=ship, container=container, mutating=True)

        def parse(data: Any) -> RefuelResult:
            cargo = p.parse_cargo(data["cargo"]) if data.get("cargo") else None
            result = RefuelResult(p.parse_agent(data["agent"]), p.parse_fuel(data["fuel"]),
                                  p.parse_transaction(data["transaction"]), cargo)
            self._update(ship, fuel=result.fuel, cargo=cargo)
            return result

        async def recover() -> RefuelResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not c.Refuel(units, from_cargo).took_effect(ShipSnapshot.of(before), after):
                return None
            return RefuelResult(None, after.fuel, None, after.cargo, recovered=True)

        return await self._act(call, parse, recover)


    # -- ships: cargo and trade -------------------------------------------------------------
    async def purchase(self, ship: str, symbol: str, units: int, *,
                       priority: Priority = Priority.ACTION,
                       container: str | None = None) -> TradeResult:
        """``POST /my/ships/{ship}/purchase`` (docked; ``units`` <= the good's trade volume)."""
        return await self._trade(ship, "purchase", c.Purchase(symbol, units), priority,
                                 container)

    async def sell(self, ship: str, symbol: str, units: int, *,
                   priority: Priority = Priority.ACTION,
                   container: str | None = None) -> TradeResult:
        """``POST /my/ships/{ship}/sell`` (docked; ``units`` <= the good's trade volume)."""
        return await self._trade(ship, "sell", c.Sell(symbol, units), priority, container)

    async def jettison(self, ship: str, symbol: str, units: int, *,
                       priority: Priority = Priority.ACTION,
                       container: str | None = None) -> Cargo:
        """``POST /my/ships/{ship}/jettison``; returns the cargo left."""
        result = await self._trade(ship, "jettison", c.Jettison(symbol, units), priority,
                                   container)
        return result.cargo

    async def _trade(self, ship: str, verb: str, command: c.Purchase | c.Sell | c.Jettison,
                     priority: Priority, container: str | None) -> TradeResult:
        before = await self._before(ship, priority, container)
        call = Call("POST", f"/my/ships/{ship}/{verb}", f"/my/ships/{{ship}}/{verb}",
                    priority, json={"symbol": command.symbol, "units": command.units}, ship=ship,
                    container=container, mutating=True)

        def parse(data: Any) -> TradeResult:
            cargo = p.parse_cargo(data["cargo"])
            self._update(ship, cargo=cargo)
            agent = p.parse_agent(data["agent"]) if data.get("agent") else None
            transaction = p.parse_transaction(data["transaction"]) \
                if data.get("transaction") else None
            return TradeResult(agent, cargo, transaction)

        async def recover() -> TradeResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not command.took_effect(ShipSnapshot.of(before), after):
                return None
            return TradeResult(None, after.cargo, None, recovered=True)

        return await self._act(call, parse, recover)


    # -- ships: extraction ------------------------------------------------------------------
    async def extract(self, ship: str, *, priority: Priority = Priority.ACTION,
                      container: str | None = None) -> ExtractResult:
        """``POST /my/ships/{ship}/extract`` (in orbit at an extractable waypoint)."""
        before = await self._before(ship, priority, container)
        call = Call("POST", f"/my/ships/{ship}/extract", "/my/ships/{ship}/extract", priority,
                    ship=ship, container=container, mutating=True)

        def parse(data: Any) -> ExtractResult:
            found = data["extraction"]["yield"]
            result = ExtractResult(str(found["symbol"]), int(found["units"]),
                                   p.parse_cooldown(data["cooldown"]),
                                   p.parse_cargo(data["cargo"]))
            self._update(ship, cargo=result.cargo, cooldown=result.cooldown)
            return result

        async def recover() -> ExtractResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            snapshot = ShipSnapshot.of(before)
            if not c.Extract().took_effect(snapshot, after) or after.cooldown is None:
                return None
            symbol, units = c.Extract.yield_between(snapshot, after)
            return ExtractResult(symbol, units, after.cooldown, after.cargo, recovered=True)

        return await self._act(call, parse, recover)

    async def survey(self, ship: str, *, priority: Priority = Priority.ACTION,
                     container: str | None = None) -> SurveyResult:
        """``POST /my/ships/{ship}/survey`` (surveyor mount, in orbit)."""
        before = await self._before(ship, priority, container)
        call = Call("POST", f"/my/ships/{ship}/survey", "/my/ships/{ship}/survey", priority,
                    ship=ship, container=container, mutating=True)

        def parse(data: Any) -> SurveyResult:
            result = SurveyResult(tuple(map(p.parse_survey, data["surveys"])),
                                  p.parse_cooldown(data["cooldown"]))
            self._update(ship, cooldown=result.cooldown)
            return result

        async def recover() -> SurveyResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not c.Survey().took_effect(ShipSnapshot.of(before), after) or \
                    after.cooldown is None:
                return None
            return SurveyResult((), after.cooldown, recovered=True)

        return await self._act(call, parse, recover)


    async def negotiate_contract(self, ship: str, *, priority: Priority = Priority.ACTION,
                                 container: str | None = None) -> Contract:
        """``POST /my/ships/{ship}/negotiate/contract``: a new contract offer."""
        before = frozenset(c.id for c in await self.list_contracts(priority=priority,
                                                                    container=container))
        call = Call("POST", f"/my/ships/{ship}/negotiate/contract",
                    "/my/ships/{ship}/negotiate/contract", priority, ship=ship,
                    container=container, mutating=True)

        def parse(data: Any) -> Contract:
            return self._remember_contract(p.parse_contract(data["contract"]))

        async def recover() -> Contract | None:
            after = await self.list_contracts(priority=priority, container=container)
            return c.NegotiateContract.new_contract(before, after)

        return await self._act(call, parse, recover)

    async def accept_contract(self, contract_id: str, *, priority: Priority = Priority.ACTION,
                              container: str | None = None) -> ContractResult:
        """``POST /my/contracts/{id}/accept``."""
        return await self._contract_step(contract_id, "accept", c.AcceptContract(contract_id),
                                         priority, container)

    async def fulfill_contract(self, contract_id: str, *, priority: Priority = Priority.ACTION,
                               container: str | None = None) -> ContractResult:
        """``POST /my/contracts/{id}/fulfill`` (every delivery complete)."""
        return await self._contract_step(contract_id, "fulfill",
                                         c.FulfillContract(contract_id), priority, container)

    async def _contract_step(self, contract_id: str, verb: str,
                             command: c.AcceptContract | c.FulfillContract, priority: Priority,
                             container: str | None) -> ContractResult:
        call = Call("POST", f"/my/contracts/{contract_id}/{verb}", f"/my/contracts/{{id}}/{verb}",
                    priority, container=container, mutating=True)

        def parse(data: Any) -> ContractResult:
            contract = self._remember_contract(p.parse_contract(data["contract"]))
            return ContractResult(p.parse_agent(data["agent"]), contract)

        async def recover() -> ContractResult | None:
            after = await self.get_contract(contract_id, priority=priority, container=container)
            applied = command.contract_took_effect(None, after)
            return ContractResult(None, after, recovered=True) if applied else None

        return await self._act(call, parse, recover)

    async def deliver_contract(self, contract_id: str, ship: str, symbol: str, units: int, *,
                               priority: Priority = Priority.ACTION,
                               container: str | None = None) -> DeliverResult:
        """``POST /my/contracts/{id}/deliver`` ``{shipSymbol, tradeSymbol, units}``."""
        before = self._contracts.get(contract_id) or await self.get_contract(
            contract_id, priority=priority, container=container)
        call = Call("POST", f"/my/contracts/{contract_id}/deliver", "/my/contracts/{id}/deliver",
                    priority, json={"shipSymbol": ship, "tradeSymbol": symbol, "units": units},
                    ship=ship, container=container, mutating=True)

        def parse(data: Any) -> DeliverResult:
            contract = self._remember_contract(p.parse_contract(data["contract"]))
            cargo = p.parse_cargo(data["cargo"])
            self._update(ship, cargo=cargo)
            return DeliverResult(contract, cargo)

        async def recover() -> DeliverResult | None:
            after = await self.get_contract(contract_id, priority=priority, container=container)
            if not c.Deliver(contract_id, symbol, units).contract_took_effect(before, after):
                return None
            cargo = await self.get_cargo(ship, priority=priority, container=container)
            return DeliverResult(after, cargo, recovered=True)

        return await self._act(call, parse, recover)


