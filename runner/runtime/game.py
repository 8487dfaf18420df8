"""The game as one container's executor sees it: commands in, updated ship out.

:class:`GameApi` implements :class:`runner.runtime.ports.ShipApi` over
``runner.api.client.SpaceTradersClient``. Each command becomes one client call, and the
ship is updated from what the response carries (nav, fuel, cargo, cooldown): no extra GET.
Contract commands without an id use the container's active contract (the last one
negotiated, accepted or found open).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, assert_never

from runner.api.limiter import Priority
from runner.domain import commands as c
from runner.domain.contract import Contract
from runner.domain.ship import Ship
from runner.domain.universe import Market
from runner.runtime.ports import Sent

if TYPE_CHECKING:
    from runner.api.client import SpaceTradersClient


_CHANGES = {"NegotiateContract": "contracts", "AcceptContract": "contracts",
            "Deliver": "contracts", "FulfillContract": "contracts",
            "SupplyConstruction": "construction"}
"""Commands that change what ``contract`` / ``construction`` show in templates."""


class GameApi:
    """One agent's client, seen by one container (the client is shared by the agent's)."""

    def __init__(self, client: SpaceTradersClient, container: str | None = None, *,
                 markets: Callable[[Market], None] | None = None) -> None:
        """``markets`` is told every market a command read (``scan_market``): the runtime
        records it in the shared market store (``Universe.observe``)."""
        self.client = client
        self.container = container  # who asks, for the client's per-container accounting
        self.markets = markets
        self.contract_id: str | None = None
        self.credits: int | None = None  # the agent's credits as the last response said
        self.changed: dict[str, int] = {}  # "contracts" / "construction": changes sent
        self.on_fleet_change: Callable[[], None] | None = None  # a ship bought or scrapped

    # ---- reads ---------------------------------------------------------------------------

    async def get_ship(self, symbol: str) -> Ship:
        ship: Ship = await self.client.get_ship(symbol, container=self.container)
        return ship

    async def fleet(self) -> list[Ship]:
        """The agent's ships, for a container waiting on another ship (``transfer: {to:
        {here: true}}``): a QUERY, not the client's BACKGROUND default, or the ships' own
        polls (QUERY) starve it for the limiter's aging head start (10 s) each time."""
        return list(await self.client.list_ships(priority=Priority.QUERY,
                                                 container=self.container))

    async def ship_count(self) -> int:
        agent = await self.client.get_agent(container=self.container)
        self.credits = int(agent.credits)
        return int(agent.ship_count)

    async def recovered_result(self, command: c.Command) -> Any:
        """A bought ship is the fleet's newest (``PurchaseShip.newest``); a supplied site is
        read again; others: None."""
        if isinstance(command, c.SupplyConstruction):
            site = await self.client.get_construction(command.waypoint, container=self.container)
            return _site(site)
        if not isinstance(command, c.PurchaseShip):
            return None
        ships = list(await self.client.list_ships(container=self.container))
        if not ships:
            return None
        newest = c.PurchaseShip.newest([s.symbol for s in ships])
        ship = next(s for s in ships if s.symbol == newest)
        return _bought(ship, command.ship_type)

    async def get_credits(self) -> int:
        agent = await self.client.get_agent(container=self.container)
        self.credits = int(agent.credits)
        return self.credits

    def server_now(self) -> datetime:
        now: datetime = self.client.clock.now()
        return now

    def speed(self) -> float:
        return float(self.client.clock.speed)

    # ---- commands ------------------------------------------------------------------------

    async def send(self, ship: Ship, command: c.Command) -> Sent:
        """Carry out ``command`` for ``ship``; the returned ship reflects the response."""
        sent = await self._send(ship, command)
        if sent.credits is not None:
            self.credits = sent.credits
        kind = _CHANGES.get(type(command).__name__)
        if kind is not None:  # what the game's template names show is stale now
            self.changed[kind] = self.changed.get(kind, 0) + 1
        return sent

    async def _send(self, ship: Ship, command: c.Command) -> Sent:
        client, symbol = self.client, ship.symbol
        who = self.container
        match command:
            case c.Orbit():
                return Sent(ship.with_nav(await client.orbit(symbol, container=who)))
            case c.Dock():
                return Sent(ship.with_nav(await client.dock(symbol, container=who)))
            case c.SetFlightMode(mode=mode):
                nav = await client.set_flight_mode(symbol, mode, container=who)
                return Sent(ship.with_nav(nav))
            case c.Navigate(destination=destination):
                nav_result = await client.navigate(symbol, destination, container=who)
                moved = ship.with_nav(nav_result.nav).with_fuel(nav_result.fuel)
                return Sent(moved, result={"arrival": nav_result.nav.route.arrival.isoformat()
                                           if nav_result.nav.route else None})
            case c.Jump(destination=destination):
                jumped = await client.jump(symbol, destination, container=who)
                moved = replace(ship.with_nav(jumped.nav), cooldown=jumped.cooldown)
                return Sent(moved, _credits(jumped.agent), _transaction(jumped.transaction))
            case c.Warp(destination=destination):
                warped = await client.warp(symbol, destination, container=who)
                flown = ship.with_nav(warped.nav).with_fuel(warped.fuel)
                return Sent(flown, result={"arrival": warped.nav.route.arrival.isoformat()
                                           if warped.nav.route else None})
            case c.Refuel(units=units, from_cargo=from_cargo):
                refuel = await client.refuel(symbol, units=units, from_cargo=from_cargo,
                                             container=who)
                fueled = ship.with_fuel(refuel.fuel)
                if refuel.cargo is not None:
                    fueled = fueled.with_cargo(refuel.cargo)
                return Sent(fueled, _credits(refuel.agent))
            case c.Purchase(symbol=good, units=units):
                trade = await client.purchase(symbol, good, units, container=who)
                return Sent(ship.with_cargo(trade.cargo), _credits(trade.agent),
                            _transaction(trade.transaction))
            case c.Sell(symbol=good, units=units):
                trade = await client.sell(symbol, good, units, container=who)
                return Sent(ship.with_cargo(trade.cargo), _credits(trade.agent),
                            _transaction(trade.transaction))
            case c.Jettison(symbol=good, units=units):
                left = await client.jettison(symbol, good, units, container=who)
                return Sent(ship.with_cargo(left))
            case c.Siphon():
                return _mined(ship, await client.siphon(symbol, container=who))
            case c.ExtractWithSurvey(survey=survey):
                chosen = json.loads(survey)
                return _mined(ship, await client.extract(symbol, chosen, container=who))
            case c.Extract():
                return _mined(ship, await client.extract(symbol, container=who))
            case c.Survey():
                surveyed = await client.survey(symbol, container=who)
                return Sent(replace(ship, cooldown=surveyed.cooldown),
                            result=[dict(s.raw) for s in surveyed.surveys])
            case c.Deliver(contract_id=contract_id, symbol=good, units=units):
                contract_id = contract_id or await self._active_contract()
                delivered = await client.deliver_contract(contract_id, symbol, good, units,
                                                          container=who)
                self.contract_id = delivered.contract.id
                return Sent(ship.with_cargo(delivered.cargo), result=_contract(delivered.contract))
            case c.NegotiateContract():
                contract = await client.negotiate_contract(symbol, container=who)
                self.contract_id = contract.id
                return Sent(ship, result=_contract(contract))
            case c.AcceptContract(contract_id=contract_id):
                contract_id = contract_id or await self._active_contract()
                accepted = await client.accept_contract(contract_id, container=who)
                self.contract_id = accepted.contract.id
                return Sent(ship, _credits(accepted.agent), _contract(accepted.contract))
            case c.FulfillContract(contract_id=contract_id):
                contract_id = contract_id or await self._active_contract()
                fulfilled = await client.fulfill_contract(contract_id, container=who)
                return Sent(ship, _credits(fulfilled.agent), _contract(fulfilled.contract))
            case c.Transfer(to=to, symbol=good, units=units):
                handed = await client.transfer(symbol, to, good, units, container=who)
                return Sent(ship.with_cargo(handed.cargo))
            case c.SupplyConstruction(waypoint=site, symbol=good, units=units):
                supplied = await client.supply_construction(site, symbol, good, units,
                                                            container=who)
                return Sent(ship.with_cargo(supplied.cargo), result=_construction(supplied))
            case c.PurchaseShip(ship_type=ship_type, waypoint=yard):
                bought = await client.purchase_ship(ship_type, yard, container=who)
                if self.on_fleet_change is not None:
                    self.on_fleet_change()
                return Sent(ship, _credits(bought.agent), _bought(bought.ship, ship_type))
            case c.Refine(produce=produce):
                refined = await client.refine(symbol, produce, container=who)
                return Sent(replace(ship.with_cargo(refined.cargo), cooldown=refined.cooldown),
                            result={"produce": produce, "units": refined.cargo.count(produce)})
            case c.Chart(waypoint=waypoint):
                charted = await client.chart(symbol, container=who)
                return Sent(ship, _credits(charted.agent), {"waypoint": charted.waypoint})
            case c.Scan(kind=kind):
                scanned = await client.scan(symbol, kind, container=who)
                return Sent(replace(ship, cooldown=scanned.cooldown), result=list(scanned.found))
            case c.InstallMount() | c.RemoveMount() | c.InstallModule() | c.RemoveModule():
                refitted = await client.refit(symbol, command, container=who)
                changed = ship.with_cargo(refitted.cargo)
                if refitted.mounts is not None:
                    changed = replace(changed, mounts=refitted.mounts)
                return Sent(changed, _credits(refitted.agent))
            case c.Repair():
                repaired = await client.repair(symbol, container=who)
                return Sent(ship, _credits(repaired.agent), {"price": repaired.price})
            case c.Scrap():
                scrapped = await client.scrap(symbol, container=who)
                if self.on_fleet_change is not None:
                    self.on_fleet_change()
                return Sent(ship, _credits(scrapped.agent), {"price": scrapped.price})
            case c.ScanMarket(waypoint=waypoint):
                market = await client.get_market(waypoint, container=who)
                if self.markets is not None:
                    self.markets(market)
                return Sent(ship, result={"symbol": market.symbol,
                                          "goods": sorted(market.trade_goods)})
            case c.Wait() | c.Log() | c.AwaitShip() | c.WaitUntil():
                raise ValueError(f"{type(command).__name__} is carried out by the runner, "
                                 "not sent")
            case _:
                assert_never(command)

    async def _active_contract(self) -> str:
        """The contract to act on: the last one seen, else the newest unfulfilled one."""
        if self.contract_id is not None:
            return self.contract_id
        contracts: list[Contract] = list(await self.client.list_contracts(container=self.container))
        open_ones = [k for k in contracts if not k.fulfilled]
        if not open_ones:
            raise ValueError("no open contract: negotiate one first")
        self.contract_id = open_ones[-1].id
        return self.contract_id


def _bought(ship: Ship, ship_type: str) -> dict[str, Any]:
    """What ``register`` stores for a bought ship."""
    return {"symbol": ship.symbol, "type": ship_type, "waypoint": ship.nav.waypoint}


def _mined(ship: Ship, extract: Any) -> Sent:
    """The ship after an extraction or siphon, and its yield for ``register``."""
    mined = replace(ship.with_cargo(extract.cargo), cooldown=extract.cooldown)
    return Sent(mined, result={"symbol": extract.yield_symbol, "units": extract.yield_units})


def _construction(supplied: Any) -> dict[str, Any] | None:
    return None if supplied.construction is None else _site(supplied.construction)


def _site(site: Any) -> dict[str, Any]:
    """What ``register`` stores for a construction site."""
    return {"waypoint": site.waypoint, "complete": site.complete,
            "materials": {m.good: {"required": m.required, "fulfilled": m.fulfilled}
                          for m in site.materials}}


def _credits(agent: Any) -> int | None:
    return None if agent is None else int(agent.credits)


def _transaction(tx: Any) -> dict[str, Any] | None:
    if tx is None:
        return None
    return {"symbol": tx.symbol, "units": tx.units, "price_per_unit": tx.price_per_unit,
            "total_price": tx.total_price}


def _contract(contract: Contract) -> dict[str, Any]:
    return {"id": contract.id, "accepted": contract.accepted, "fulfilled": contract.fulfilled}
