"""The plumbing under :class:`~runner.api.client.SpaceTradersClient`: the session, paging,
the lost-answer loop and the last-known ship and contract state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from runner.api.clock import ServerClock
from runner.api.errors import ResponseLost, UnexpectedResponse
from runner.api.limiter import Limiter, LimiterConfig, Priority, RateLimiter
from runner.api.metrics import Metrics
from runner.api.retry import Failure, FailureKind, RetryPolicy
from runner.api.secrets import Token
from runner.api.transport import (
    DEFAULT_TIMEOUT,
    Answer,
    ApiSession,
    Call,
    OutcomeUnknown,
    log_event,
)
from runner.domain.contract import Contract
from runner.domain.ship import Cargo, Cooldown, Fuel, Nav, Ship

PAGE_LIMIT = 20
R = TypeVar("R")
Json = Mapping[str, Any]


class ClientCore:
    """Session, caches and helpers shared by the read and action methods."""

    def __init__(self, base_url: str, token: Token | None, *,
                 limiter: Limiter | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 retry: RetryPolicy | None = None, metrics: Metrics | None = None,
                 clock: ServerClock | None = None,
                 timeout: httpx.Timeout | float | None = None) -> None:
        self.metrics = metrics or Metrics()
        self.limiter: Limiter = limiter or RateLimiter(LimiterConfig())
        self.clock = clock or ServerClock()
        self.retry = retry or RetryPolicy()
        timeouts = DEFAULT_TIMEOUT if timeout is None else timeout \
            if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._session = ApiSession(base_url, token, limiter=self.limiter, retry=self.retry,
                                   metrics=self.metrics, clock=self.clock,
                                   transport=transport, timeout=timeouts)
        self._ships: dict[str, Ship] = {}
        self._contracts: dict[str, Contract] = {}

    # -- lifecycle ------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool and give up the limiter's place."""
        await self._session.aclose()
        await self.limiter.aclose()

    @property
    def token(self) -> Token | None:
        """The agent token this client sends (redacted when printed)."""
        return self._session.token

    def use_token(self, token: Token) -> None:
        """Send ``token`` from now on (the agent registered again after a server reset);
        what was known of its ships and contracts belongs to the old universe."""
        self._session.token = token
        self._ships.clear()
        self._contracts.clear()

    @property
    def base_url(self) -> str:
        """The API root this client talks to (ends in ``/v2``)."""
        return self._session.base_url

    def server_time(self) -> datetime:
        """The server's current time (a lower bound), as an aware datetime."""
        return self.clock.now()

    def known_ship(self, symbol: str) -> Ship | None:
        """The last-known state of a ship, kept from every response (None if never seen)."""
        return self._ships.get(symbol)

    def known_ships(self) -> list[Ship]:
        """Every ship seen in a response so far, as last seen (no request)."""
        return list(self._ships.values())

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
        return payload(answer, endpoint)

    async def _pages(self, path: str, endpoint: str, priority: Priority,
                     container: str | None, params: Json | None = None) -> list[Json]:
        """Every item of a paged list, fetched once, ``PAGE_LIMIT`` per request."""
        items: list[Json] = []
        page = 1
        while True:
            answer = await self._send("GET", path, endpoint, priority, container,
                                      params={**(params or {}), "page": page,
                                              "limit": PAGE_LIMIT})
            batch = payload(answer, endpoint)
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
                return parse(payload(answer, call.endpoint))
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

    def _remember_contract(self, contract: Contract) -> Contract:
        self._contracts[contract.id] = contract
        return contract


def payload(answer: Answer, endpoint: str) -> Any:
    """The ``data`` member of a JSON answer; UnexpectedResponse when it has none."""
    body = answer.body
    if not isinstance(body, Mapping) or "data" not in body:
        raise UnexpectedResponse(f"{endpoint}: response without 'data'")
    return body["data"]
