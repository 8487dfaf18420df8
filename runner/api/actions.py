"""State-changing endpoints of :class:`~runner.api.client.SpaceTradersClient`.

Each action is sent through ``_act``: if its answer is lost, a ``recover`` closure re-reads
the ship or contract and asks the command's own ``took_effect`` rule
(``runner.domain.commands``, the same rule a resume after a crash uses); only an action that
did not take effect is sent again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from runner.api import parse as p
from runner.api.core import payload
from runner.api.errors import ApiError, RegisterAgentConflictSymbolError, ResponseLost
from runner.api.limiter import Priority
from runner.api.models import (
    ChartResult,
    ContractResult,
    DeliverResult,
    ExtractResult,
    JumpResult,
    NavigateResult,
    PurchaseShipResult,
    RefineResult,
    RefitResult,
    RefuelResult,
    Registration,
    RepairResult,
    ScanResult,
    SupplyResult,
    SurveyResult,
    TradeResult,
    TransferResult,
)
from runner.api.reads import ClientReads
from runner.api.secrets import Token
from runner.api.transport import Answer, Call, OutcomeUnknown
from runner.domain import commands as c
from runner.domain.contract import Contract
from runner.domain.ship import Cargo, FlightMode, Nav, NavStatus, Ship
from runner.domain.snapshot import ShipSnapshot
from runner.domain.universe import system_of


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
    async def extract(self, ship: str, survey: Mapping[str, Any] | None = None, *,
                      priority: Priority = Priority.ACTION,
                      container: str | None = None) -> ExtractResult:
        """``POST /my/ships/{ship}/extract`` (in orbit at an extractable waypoint); with
        ``survey`` (the server's survey object, sent back unchanged) ``.../extract/survey``."""
        if survey is None:
            return await self._reactor_yield(ship, "extract", "extraction", None, c.Extract(),
                                             priority, container)
        command = c.ExtractWithSurvey(json.dumps(dict(survey)))
        return await self._reactor_yield(ship, "extract/survey", "extraction", dict(survey),
                                         command, priority, container)

    async def siphon(self, ship: str, *, priority: Priority = Priority.ACTION,
                     container: str | None = None) -> ExtractResult:
        """``POST /my/ships/{ship}/siphon`` (in orbit at a gas giant; siphon and processor)."""
        return await self._reactor_yield(ship, "siphon", "siphon", None, c.Siphon(), priority,
                                         container)

    async def _reactor_yield(self, ship: str, verb: str, key: str, body: Any,
                             command: c.Extract, priority: Priority,
                             container: str | None) -> ExtractResult:
        before = await self._before(ship, priority, container)
        call = Call("POST", f"/my/ships/{ship}/{verb}", f"/my/ships/{{ship}}/{verb}", priority,
                    json=body, ship=ship, container=container, mutating=True)

        def parse(data: Any) -> ExtractResult:
            found = data[key]["yield"]
            result = ExtractResult(str(found["symbol"]), int(found["units"]),
                                   p.parse_cooldown(data["cooldown"]),
                                   p.parse_cargo(data["cargo"]))
            self._update(ship, cargo=result.cargo, cooldown=result.cooldown)
            return result

        async def recover() -> ExtractResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            snapshot = ShipSnapshot.of(before)
            if not command.took_effect(snapshot, after) or after.cooldown is None:
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


    # -- fleet: ships, transfers, construction, refining, charts, scans (issue 17) ----------
    async def purchase_ship(self, ship_type: str, waypoint: str, *,
                            priority: Priority = Priority.ACTION,
                            container: str | None = None) -> PurchaseShipResult:
        """``POST /my/ships`` ``{shipType, waypointSymbol}`` (a ship of ours at the yard).

        After a lost answer the agent is read again: the purchase applied when its ship count
        grew (``PurchaseShip.fleet_took_effect``); the new ship is then the fleet's newest."""
        before = await self.get_agent(priority=priority, container=container)
        command = c.PurchaseShip(ship_type, waypoint)
        call = Call("POST", "/my/ships", "/my/ships", priority,
                    json={"shipType": ship_type, "waypointSymbol": waypoint},
                    container=container, mutating=True)

        def parse(data: Any) -> PurchaseShipResult:
            return PurchaseShipResult(p.parse_agent(data["agent"]),
                                      self._remember(p.parse_ship(data["ship"])))

        async def recover() -> PurchaseShipResult | None:
            agent = await self.get_agent(priority=priority, container=container)
            if not command.fleet_took_effect(ShipSnapshot(ships=before.ship_count),
                                             agent.ship_count):
                return None
            ships = await self.list_ships(priority=priority, container=container)
            newest = c.PurchaseShip.newest([s.symbol for s in ships])
            return PurchaseShipResult(agent, next(s for s in ships if s.symbol == newest),
                                      recovered=True)

        return await self._act(call, parse, recover)

    async def transfer(self, ship: str, to: str, symbol: str, units: int, *,
                       priority: Priority = Priority.ACTION,
                       container: str | None = None) -> TransferResult:
        """``POST /my/ships/{ship}/transfer`` ``{tradeSymbol, units, shipSymbol}``: both ships
        at one waypoint, both docked or both in orbit."""
        before = await self._before(ship, priority, container)
        command = c.Transfer(symbol, units, to)
        call = Call("POST", f"/my/ships/{ship}/transfer", "/my/ships/{ship}/transfer", priority,
                    json={"tradeSymbol": symbol, "units": units, "shipSymbol": to}, ship=ship,
                    container=container, mutating=True)

        def parse(data: Any) -> TransferResult:
            cargo = p.parse_cargo(data["cargo"])
            target = p.parse_cargo(data["targetCargo"]) if data.get("targetCargo") else None
            self._update(ship, cargo=cargo)
            self._update(to, cargo=target)
            return TransferResult(cargo, target)

        async def recover() -> TransferResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not command.took_effect(ShipSnapshot.of(before), after):
                return None
            return TransferResult(after.cargo, None, recovered=True)

        return await self._act(call, parse, recover)

    async def supply_construction(self, waypoint: str, ship: str, symbol: str, units: int, *,
                                  priority: Priority = Priority.ACTION,
                                  container: str | None = None) -> SupplyResult:
        """``POST .../waypoints/{waypoint}/construction/supply`` ``{shipSymbol, tradeSymbol,
        units}`` (the ship docked at the site)."""
        before = await self._before(ship, priority, container)
        command = c.SupplyConstruction(symbol, units, waypoint)
        path = f"/systems/{system_of(waypoint)}/waypoints/{waypoint}/construction/supply"
        call = Call("POST", path, "/systems/{system}/waypoints/{waypoint}/construction/supply",
                    priority, json={"shipSymbol": ship, "tradeSymbol": symbol, "units": units},
                    ship=ship, container=container, mutating=True)

        def parse(data: Any) -> SupplyResult:
            cargo = p.parse_cargo(data["cargo"])
            self._update(ship, cargo=cargo)
            return SupplyResult(p.parse_construction(data["construction"]), cargo)

        async def recover() -> SupplyResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not command.took_effect(ShipSnapshot.of(before), after):
                return None
            site = await self.get_construction(waypoint, priority=priority, container=container)
            return SupplyResult(site, after.cargo, recovered=True)

        return await self._act(call, parse, recover)

    async def refine(self, ship: str, produce: str, *, priority: Priority = Priority.ACTION,
                     container: str | None = None) -> RefineResult:
        """``POST /my/ships/{ship}/refine`` ``{produce}`` (a refinery module)."""
        before = await self._before(ship, priority, container)
        command = c.Refine(produce)
        call = Call("POST", f"/my/ships/{ship}/refine", "/my/ships/{ship}/refine", priority,
                    json={"produce": produce}, ship=ship, container=container, mutating=True)

        def parse(data: Any) -> RefineResult:
            result = RefineResult(p.parse_cargo(data["cargo"]),
                                  p.parse_cooldown(data["cooldown"]))
            self._update(ship, cargo=result.cargo, cooldown=result.cooldown)
            return result

        async def recover() -> RefineResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not command.took_effect(ShipSnapshot.of(before), after) or \
                    after.cooldown is None:
                return None
            return RefineResult(after.cargo, after.cooldown, recovered=True)

        return await self._act(call, parse, recover)

    async def chart(self, ship: str, *, priority: Priority = Priority.ACTION,
                    container: str | None = None) -> ChartResult:
        """``POST /my/ships/{ship}/chart``: chart the uncharted waypoint the ship is at.

        After a lost answer the waypoint is read: charted (no UNCHARTED trait) means done."""
        before = await self._before(ship, priority, container)
        waypoint = before.nav.waypoint
        call = Call("POST", f"/my/ships/{ship}/chart", "/my/ships/{ship}/chart", priority,
                    ship=ship, container=container, mutating=True)

        def parse(data: Any) -> ChartResult:
            agent = p.parse_agent(data["agent"]) if data.get("agent") else None
            return ChartResult(str(data["waypoint"]["symbol"]), agent)

        async def recover() -> ChartResult | None:
            after = await self.get_waypoint(waypoint, priority=priority, container=container)
            charted = c.Chart(waypoint).charted(after.traits)
            return ChartResult(waypoint, None, recovered=True) if charted else None

        return await self._act(call, parse, recover)

    async def scan(self, ship: str, kind: str, *, priority: Priority = Priority.ACTION,
                   container: str | None = None) -> ScanResult:
        """``POST /my/ships/{ship}/scan/{kind}`` (systems, waypoints or ships; sensor array,
        in orbit): the symbols found."""
        if kind not in c.SCAN_KINDS:
            raise ValueError(f"scan kind must be one of {', '.join(c.SCAN_KINDS)}")
        before = await self._before(ship, priority, container)
        command = c.Scan(kind)
        call = Call("POST", f"/my/ships/{ship}/scan/{kind}", f"/my/ships/{{ship}}/scan/{kind}",
                    priority, ship=ship, container=container, mutating=True)

        def parse(data: Any) -> ScanResult:
            cooldown = p.parse_cooldown(data["cooldown"])
            self._update(ship, cooldown=cooldown)
            found = tuple(str(item["symbol"]) for item in data.get(kind) or ())
            return ScanResult(cooldown, found)

        async def recover() -> ScanResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not command.took_effect(ShipSnapshot.of(before), after) or \
                    after.cooldown is None:
                return None
            return ScanResult(after.cooldown, (), recovered=True)

        return await self._act(call, parse, recover)

    async def refit(self, ship: str, command: c.InstallMount | c.RemoveMount | c.InstallModule
                    | c.RemoveModule, *, priority: Priority = Priority.ACTION,
                    container: str | None = None) -> RefitResult:
        """``POST /my/ships/{ship}/{mounts|modules}/{install|remove}`` ``{symbol}`` (docked at
        a shipyard; the part moves between the hold and the ship)."""
        before = await self._before(ship, priority, container)
        key = f"{command.kind}s"
        verb = f"{key}/{'install' if command.installs else 'remove'}"
        call = Call("POST", f"/my/ships/{ship}/{verb}", f"/my/ships/{{ship}}/{verb}", priority,
                    json={"symbol": command.symbol}, ship=ship, container=container,
                    mutating=True)

        def parse(data: Any) -> RefitResult:
            cargo = p.parse_cargo(data["cargo"])
            self._update(ship, cargo=cargo)
            mounts = frozenset(str(m["symbol"]) for m in data.get("mounts") or ()) \
                if key == "mounts" else None
            agent = p.parse_agent(data["agent"]) if data.get("agent") else None
            return RefitResult(mounts, cargo, agent)

        async def recover() -> RefitResult | None:
            after = await self.get_ship(ship, priority=priority, container=container)
            if not command.took_effect(ShipSnapshot.of(before), after):
                return None
            return RefitResult(after.mounts, after.cargo, None, recovered=True)

        return await self._act(call, parse, recover)

    async def repair(self, ship: str, *, priority: Priority = Priority.ACTION,
                     container: str | None = None) -> RepairResult:
        """``POST /my/ships/{ship}/repair`` (docked at a shipyard). A repair sent again after
        a lost answer costs nothing (the price is the wear), so it is simply sent again."""
        call = Call("POST", f"/my/ships/{ship}/repair", "/my/ships/{ship}/repair", priority,
                    ship=ship, container=container, mutating=True)

        def parse(data: Any) -> RepairResult:
            self._remember(p.parse_ship(data["ship"]))
            price = int((data.get("transaction") or {}).get("totalPrice", 0))
            return RepairResult(p.parse_agent(data["agent"]), price)

        async def recover() -> RepairResult | None:
            return None

        return await self._act(call, parse, recover)

    async def scrap(self, ship: str, *, priority: Priority = Priority.ACTION,
                    container: str | None = None) -> RepairResult:
        """``POST /my/ships/{ship}/scrap`` (docked at a shipyard): the agent is paid, the ship
        is gone. After a lost answer the ship is read: 404 means it was scrapped."""
        call = Call("POST", f"/my/ships/{ship}/scrap", "/my/ships/{ship}/scrap", priority,
                    ship=ship, container=container, mutating=True)

        def parse(data: Any) -> RepairResult:
            self._ships.pop(ship, None)
            price = int((data.get("transaction") or {}).get("totalPrice", 0))
            return RepairResult(p.parse_agent(data["agent"]), price)

        async def recover() -> RepairResult | None:
            try:
                await self.get_ship(ship, priority=priority, container=container)
            except ApiError as exc:
                if exc.status == 404:
                    self._ships.pop(ship, None)
                    return RepairResult(None, 0, recovered=True)
                raise
            return None

        return await self._act(call, parse, recover)
