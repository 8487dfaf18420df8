"""The async SpaceTraders client: one per agent, shared by all of that agent's containers.

Every method is a coroutine returning domain values (``runner.domain``) or result values
(``runner.api.models``) and takes two keyword-only arguments: ``priority`` (the limiter
class, see :class:`~runner.api.limiter.Priority`) and ``container`` (who asked, for
accounting). Errors are typed (``runner.api.errors``).

State-changing calls are never blindly re-sent: if the answer is lost, the client re-reads
the ship or contract, compares it with the last-known state (kept from every response) and
re-sends only if the action did not take effect (``runner.api.guard``). The last-known
state of each ship is available to callers through :meth:`SpaceTradersClient.known_ship`.

Usage::

    async with SpaceTradersClient(url, token) as client:
        ship = await client.get_ship("AGENT-1", priority=Priority.QUERY)
        await client.navigate("AGENT-1", "X1-AB12-C3", priority=Priority.ACTION)
        await asyncio.sleep(client.clock.seconds_until(arrival))
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, TypeVar

import httpx

from runner.api import guard
from runner.api import parse as p
from runner.api.clock import ServerClock
from runner.api.errors import RegisterAgentConflictSymbolError, ResponseLost, UnexpectedResponse
from runner.api.limiter import LimiterConfig, Priority, RateLimiter
from runner.api.metrics import Metrics
from runner.api.models import (
    ContractResult,
    DeliverResult,
    ExtractResult,
    NavigateResult,
    RefuelResult,
    Registration,
    ServerStatus,
    Shipyard,
    SurveyResult,
    TradeResult,
)
from runner.api.retry import Failure, FailureKind, RetryPolicy
from runner.api.secrets import Token
from runner.api.transport import Answer, ApiSession, Call, OutcomeUnknown, log_event
from runner.domain.contract import Contract
from runner.domain.ship import Agent, Cargo, Cooldown, FlightMode, Fuel, Nav, NavStatus, Ship
from runner.domain.universe import Market, System, Waypoint

DEFAULT_API_URL = "https://api.spacetraders.io/v2"
PAGE_LIMIT = 20
R = TypeVar("R")
Json = Mapping[str, Any]


def api_url_from_env() -> str:
    """``ST_RUN_API_URL`` or the real server's ``/v2`` URL."""
    return os.environ.get("ST_RUN_API_URL") or DEFAULT_API_URL


class SpaceTradersClient:
    """Async client for one agent. ``async with`` it, or call :meth:`aclose` when done."""

    def __init__(self, base_url: str, token: Token | None, *,
                 limiter: RateLimiter | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 retry: RetryPolicy | None = None, metrics: Metrics | None = None,
                 clock: ServerClock | None = None,
                 timeout: httpx.Timeout | float | None = None) -> None:
        self.metrics = metrics or Metrics()
        self.limiter = limiter or RateLimiter(LimiterConfig())
        self.clock = clock or ServerClock()
        self.retry = retry or RetryPolicy()
        extra = {} if timeout is None else {"timeout": httpx.Timeout(timeout)} \
            if not isinstance(timeout, httpx.Timeout) else {"timeout": timeout}
        self._session = ApiSession(base_url, token, limiter=self.limiter, retry=self.retry,
                                   metrics=self.metrics, clock=self.clock,
                                   transport=transport, **extra)
        self._ships: dict[str, Ship] = {}
        self._contracts: dict[str, Contract] = {}

    # -- lifecycle ------------------------------------------------------------------------
    async def __aenter__(self) -> SpaceTradersClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._session.aclose()

    @property
    def base_url(self) -> str:
        """The API root this client talks to (ends in ``/v2``)."""
        return self._session.base_url

    def server_time(self) -> Any:
        """The server's current time (a lower bound), as an aware datetime."""
        return self.clock.now()

    def known_ship(self, symbol: str) -> Ship | None:
        """The last-known state of a ship, kept from every response (None if never seen)."""
        return self._ships.get(symbol)

    # -- plumbing ---------------------------------------------------------------------------
    async def _send(self, method: str, path: str, endpoint: str, priority: Priority,
                    container: str | None, *, ship: str | None = None,
                    json: Json | None = None, params: Json | None = None,
                    mutating: bool = False, anonymous: bool = False) -> Answer:
        call = Call(method, path, endpoint, priority, json=json, params=params or {},
                    ship=ship, container=container, mutating=mutating, anonymous=anonymous)
        return await self._session.send(call)

    async def _get(self, path: str, endpoint: str, priority: Priority,
                   container: str | None, *, ship: str | None = None,
                   params: Json | None = None) -> Any:
        answer = await self._send("GET", path, endpoint, priority, container, ship=ship,
                                  params=params)
        return _data(answer, endpoint)

    async def _pages(self, path: str, endpoint: str, priority: Priority,
                     container: str | None, params: Json | None = None) -> list[Json]:
        """Every item of a paged list, fetched once, ``PAGE_LIMIT`` per request."""
        items: list[Json] = []
        page = 1
        while True:
            answer = await self._send("GET", path, endpoint, priority, container,
                                      params={**(params or {}), "page": page,
                                              "limit": PAGE_LIMIT})
            batch = _data(answer, endpoint)
            items.extend(batch)
            total = int(answer.body.get("meta", {}).get("total", len(items)))
            if not batch or page * PAGE_LIMIT >= total:
                return items
            page += 1

    async def _act(self, call: Call, parse: Callable[[Any], R],
                   recover: Callable[[], Awaitable[R | None]]) -> R:
        """Send a mutating ``call``; if its answer is lost, ``recover`` (re-read and compare)
        returns the result when it took effect, or None, and the call is sent again."""
        failures: list[Failure] = []
        while True:
            try:
                answer = await self._session.send(call)
                return parse(_data(answer, call.endpoint))
            except OutcomeUnknown as lost:
                failures.append(lost.failure)
                log_event(logging.WARNING, "answer_lost", call, failure=lost.failure.kind)
                decision = self.retry.decide(failures)
                if not decision.retry:
                    raise ResponseLost(f"{call.method} {call.endpoint} for {call.ship}: "
                                       f"answer lost {len(failures)} times ({lost}); "
                                       "re-read the ship before acting") from None
                await asyncio.sleep(self._settle(lost.failure, decision.delay))
                result = await recover()
                verdict = "applied" if result is not None else "not_applied"
                self.metrics.recovery(verdict)
                log_event(logging.INFO, "answer_recovered", call, verdict=verdict)
                if result is not None:
                    return result
                self.metrics.retry()

    def _settle(self, failure: Failure, delay: float) -> float:
        """How long to wait before re-reading after a lost answer. A timed-out request may
        still be queued at the server and be applied after we look: give it twice the
        timeout before concluding it was not (a residual risk, not a proof)."""
        if failure.kind is FailureKind.TIMEOUT:
            return max(delay, 2 * self._session.read_timeout)
        return delay

    def _remember(self, ship: Ship) -> Ship:
        self._ships[ship.symbol] = ship
        return ship

    def _update(self, symbol: str, *, nav: Nav | None = None, fuel: Fuel | None = None,
                cargo: Cargo | None = None, cooldown: Cooldown | None = None) -> None:
        ship = self._ships.get(symbol)
        if ship is None:
            return
        changes: dict[str, Any] = {}
        for name, value in (("nav", nav), ("fuel", fuel), ("cargo", cargo),
                            ("cooldown", cooldown)):
            if value is not None:
                changes[name] = value
        self._ships[symbol] = replace(ship, **changes)

    async def _before(self, ship: str, priority: Priority, container: str | None) -> Ship:
        """The state to compare with after a lost answer: last-known, or read now."""
        known = self._ships.get(ship)
        if known is not None:
            return known
        return await self.get_ship(ship, priority=priority, container=container)

    def _remember_contract(self, contract: Contract) -> Contract:
        self._contracts[contract.id] = contract
        return contract

    # -- server and agent ---------------------------------------------------------------------
    async def get_status(self, *, priority: Priority = Priority.BACKGROUND,
                         container: str | None = None) -> ServerStatus:
        """``GET /``: server status and reset schedule (no token needed)."""
        answer = await self._send("GET", "/", "/", priority, container, anonymous=True)
        if not isinstance(answer.body, Mapping):
            raise UnexpectedResponse("GET /: not a JSON object")
        return p.parse_status(answer.body)

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
        data = _data(answer, "/register")
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
        cooldown = p.parse_cooldown(_data(answer, "/my/ships/{ship}/cooldown"))
        self._update(ship, cooldown=cooldown)
        return cooldown

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
            return after.nav if guard.flight_mode_set(after, mode) else None

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
            return after.nav if guard.reached_status(after, status) else None

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
            if not guard.navigated(before, after, waypoint):
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
            if not guard.refueled(before, after):
                return None
            return RefuelResult(None, after.fuel, None, after.cargo, recovered=True)

        return await self._act(call, parse, recover)

    # -- ships: cargo and trade -------------------------------------------------------------
    async def purchase(self, ship: str, symbol: str, units: int, *,
                       priority: Priority = Priority.ACTION,
                       container: str | None = None) -> TradeResult:
        """``POST /my/ships/{ship}/purchase`` (docked; ``units`` <= the good's trade volume)."""
        return await self._trade(ship, "purchase", symbol, units, guard.cargo_gained,
                                 priority, container)

    async def sell(self, ship: str, symbol: str, units: int, *,
                   priority: Priority = Priority.ACTION,
                   container: str | None = None) -> TradeResult:
        """``POST /my/ships/{ship}/sell`` (docked; ``units`` <= the good's trade volume)."""
        return await self._trade(ship, "sell", symbol, units, guard.cargo_lost, priority,
                                 container)

    async def jettison(self, ship: str, symbol: str, units: int, *,
                       priority: Priority = Priority.ACTION,
                       container: str | None = None) -> Cargo:
        """``POST /my/ships/{ship}/jettison``; returns the cargo left."""
        result = await self._trade(ship, "jettison", symbol, units, guard.cargo_lost,
                                   priority, container)
        return result.cargo

    async def _trade(self, ship: str, verb: str, symbol: str, units: int,
                     took_effect: Callable[[Ship, Ship, str], bool], priority: Priority,
                     container: str | None) -> TradeResult:
        before = await self._before(ship, priority, container)
        call = Call("POST", f"/my/ships/{ship}/{verb}", f"/my/ships/{{ship}}/{verb}",
                    priority, json={"symbol": symbol, "units": units}, ship=ship,
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
            if not took_effect(before, after, symbol):
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
            if not guard.cooled_down_again(before.cooldown, after.cooldown):
                return None
            got = guard.extraction_yield(before, after)
            assert after.cooldown is not None  # cooled_down_again checked it
            return ExtractResult(got.symbol, got.units, after.cooldown, after.cargo,
                                 recovered=True)

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
            if not guard.cooled_down_again(before.cooldown, after.cooldown):
                return None
            assert after.cooldown is not None
            return SurveyResult((), after.cooldown, recovered=True)

        return await self._act(call, parse, recover)

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
        system = _system_of(waypoint)
        data = await self._get(f"/systems/{system}/waypoints/{waypoint}",
                               "/systems/{system}/waypoints/{waypoint}", priority, container)
        return p.parse_waypoint(data)

    async def get_market(self, waypoint: str, *, priority: Priority = Priority.QUERY,
                         container: str | None = None) -> Market:
        """``GET .../waypoints/{waypoint}/market``; prices only with a ship present."""
        system = _system_of(waypoint)
        data = await self._get(f"/systems/{system}/waypoints/{waypoint}/market",
                               "/systems/{system}/waypoints/{waypoint}/market", priority,
                               container)
        return p.parse_market(data, self.clock.now())

    async def get_shipyard(self, waypoint: str, *, priority: Priority = Priority.QUERY,
                           container: str | None = None) -> Shipyard:
        """``GET .../waypoints/{waypoint}/shipyard``."""
        system = _system_of(waypoint)
        data = await self._get(f"/systems/{system}/waypoints/{waypoint}/shipyard",
                               "/systems/{system}/waypoints/{waypoint}/shipyard", priority,
                               container)
        return p.parse_shipyard(data)

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
            return guard.new_contract(before, after)

        return await self._act(call, parse, recover)

    async def accept_contract(self, contract_id: str, *, priority: Priority = Priority.ACTION,
                              container: str | None = None) -> ContractResult:
        """``POST /my/contracts/{id}/accept``."""
        return await self._contract_step(contract_id, "accept", guard.accepted, priority,
                                         container)

    async def fulfill_contract(self, contract_id: str, *, priority: Priority = Priority.ACTION,
                               container: str | None = None) -> ContractResult:
        """``POST /my/contracts/{id}/fulfill`` (every delivery complete)."""
        return await self._contract_step(contract_id, "fulfill", guard.fulfilled, priority,
                                         container)

    async def _contract_step(self, contract_id: str, verb: str,
                             took_effect: Callable[[Contract], bool], priority: Priority,
                             container: str | None) -> ContractResult:
        call = Call("POST", f"/my/contracts/{contract_id}/{verb}", f"/my/contracts/{{id}}/{verb}",
                    priority, container=container, mutating=True)

        def parse(data: Any) -> ContractResult:
            contract = self._remember_contract(p.parse_contract(data["contract"]))
            return ContractResult(p.parse_agent(data["agent"]), contract)

        async def recover() -> ContractResult | None:
            after = await self.get_contract(contract_id, priority=priority, container=container)
            return ContractResult(None, after, recovered=True) if took_effect(after) else None

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
            if not guard.delivered(before, after, symbol):
                return None
            cargo = await self.get_cargo(ship, priority=priority, container=container)
            return DeliverResult(after, cargo, recovered=True)

        return await self._act(call, parse, recover)


def _data(answer: Answer, endpoint: str) -> Any:
    body = answer.body
    if not isinstance(body, Mapping) or "data" not in body:
        raise UnexpectedResponse(f"{endpoint}: response without 'data'")
    return body["data"]


def _system_of(waypoint: str) -> str:
    sector, system, *_ = waypoint.split("-")
    return f"{sector}-{system}"
