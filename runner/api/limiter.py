"""Client-side rate limiting shaped like the SpaceTraders server.

The server keeps two fixed-window pools per account: a *static* pool (2 per 1 s) and a
*burst* pool (30 per 60 s). A request takes from the static pool while it has room, and only
then from the burst pool. A window opens at the first request that uses the pool and the
pool refills completely when the window has passed. No library models this "static, then
burst" pair (pyrate-limiter, limits and aiolimiter all require every rate to hold at once),
so the model here is ours, and small:

* :class:`WindowPools` is pure logic with the clock passed in: which pool a request would
  be charged to, whether a priority class may take it now, and when to look again.
* :class:`RateLimiter` is the asyncio shell: a queue of waiters ordered by priority with
  aging, served by :class:`WindowPools`.

Staying in step with the server without seeing its clock: a window is anchored on the
moment the *answer* to one of its requests came back (the server opened it earlier, when
the first request arrived), so our next window never opens before the server's; and a
window *closes* for sending ``guard`` seconds before the server's window can end at the
earliest (a window after its first request was sent), so nothing we count in one window
can land in the server's next one. Under load both static requests go out as soon as
a window opens, so the guard costs nothing; each window costs one round trip.

Priorities: every waiter is ordered by ``enqueued_at + head_start[class]`` (earliest first),
so a higher class overtakes newer lower-class requests, yet any request that has waited long
enough goes first: nothing starves. On top, a few tokens of each pool are held back for the
privileged classes (actions) until near the window's end, so an action rarely waits for a
whole window behind status polls.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Protocol


class Priority(IntEnum):
    """Request classes, most urgent first (a lower value is served earlier)."""

    ACTION = 0  # changes game state: trade, extract, deliver, refuel, navigate, dock, orbit
    NAVIGATION = 1  # reads that gate a ship's next move: nav, cooldown, arrival checks
    QUERY = 2  # reads a container needs to decide: market, ship, contract, agent
    BACKGROUND = 3  # universe scans, pagination, status polls


DEFAULT_HEAD_START: Mapping[Priority, float] = {
    Priority.ACTION: 0.0, Priority.NAVIGATION: 2.0, Priority.QUERY: 5.0,
    Priority.BACKGROUND: 15.0,
}
"""Aging in seconds: a QUERY waiting 5 s more than an ACTION ranks with it."""


@dataclass(frozen=True)
class PoolSpec:
    """One fixed-window pool: ``limit`` requests per ``window`` seconds.

    ``reserve`` tokens are kept for privileged classes until ``release`` seconds before the
    window closes for sending (then anyone may take them, so nothing is wasted).
    """

    limit: int
    window: float
    reserve: int = 0
    release: float = 0.0


@dataclass(frozen=True)
class LimiterConfig:
    """How the client paces one agent's requests. Defaults match the real server."""

    static: PoolSpec = PoolSpec(2, 1.0, reserve=1, release=0.5)
    burst: PoolSpec | None = PoolSpec(30, 60.0, reserve=8, release=15.0)
    guard: float = 0.05
    """Seconds at the end of a window in which nothing is sent (grows with the round trip)."""
    unconfirmed: float = 2.0
    """Assumed answer delay while a window's first answer is still outstanding, in seconds."""
    privileged: Priority = Priority.ACTION
    """Classes at or above this one may take reserved tokens."""
    head_start: Mapping[Priority, float] = field(default_factory=lambda: dict(DEFAULT_HEAD_START))

    @classmethod
    def unlimited(cls) -> LimiterConfig:
        """No pacing at all (a simulator started without limits)."""
        return cls(static=PoolSpec(1_000_000, 1.0), burst=None)


@dataclass
class _Window:
    """The state of one pool: its open window, if any."""

    spec: PoolSpec
    used: int = 0
    number: int = 0  # increments with each window; grants remember theirs
    sent_at: float | None = None  # when the window's first request left
    answered_at: float | None = None  # earliest answer to a request of this window
    blocked_until: float = 0.0

    def expires_at(self, unconfirmed: float) -> float | None:
        if self.sent_at is None:
            return None
        anchor = self.answered_at if self.answered_at is not None else self.sent_at + unconfirmed
        return anchor + self.spec.window

    def roll(self, now: float, unconfirmed: float) -> None:
        expires = self.expires_at(unconfirmed)
        if expires is not None and now >= expires:
            self.used, self.sent_at, self.answered_at = 0, None, None

    def remaining(self) -> int:
        return self.spec.limit - self.used


@dataclass(frozen=True)
class Grant:
    """Permission to send one request, charged to ``pool`` (``"static"`` or ``"burst"``)."""

    pool: str
    window: int
    sent_at: float


class WindowPools:
    """The static and burst pools, as pure logic: every method takes ``now`` (seconds)."""

    def __init__(self, config: LimiterConfig) -> None:
        self.config = config
        self._pools: dict[str, _Window] = {"static": _Window(config.static)}
        if config.burst is not None:
            self._pools["burst"] = _Window(config.burst)
        self.round_trip = 0.0  # moving average of answer delays, widens the guard

    # -- decisions ------------------------------------------------------------------------
    def try_take(self, now: float, priority: Priority) -> Grant | None:
        """Charge one request sent at ``now`` and return its grant, or None if it must wait."""
        name = self._charged_pool(now)
        if name is None or not self._may_take(name, now, priority):
            return None
        pool = self._pools[name]
        if pool.sent_at is None:
            pool.number += 1
            pool.sent_at = now
        pool.used += 1
        return Grant(name, pool.number, now)

    def on_time(self, grant: Grant, now: float) -> bool:
        """True when a request granted by ``grant`` may still be sent at ``now``: its window
        has not reached its guard. A grant resumed later than that (a busy event loop) can
        land in the server's next window on top of that window's quota (the 429s of
        bench/load.py with the runner's CPU saturated): hand it back instead."""
        pool = self._pools[grant.pool]
        if pool.number != grant.window:
            return False  # a later window opened meanwhile
        closes = self._closes_at(pool)
        return closes is None or now < closes

    def send_by(self, grant: Grant) -> float | None:
        """The latest time at which ``grant``'s request may be sent (see :meth:`on_time`)."""
        return self._closes_at(self._pools[grant.pool])

    def take_back(self, grant: Grant) -> None:
        """Un-charge a grant that was not sent (see :meth:`on_time`)."""
        pool = self._pools[grant.pool]
        if pool.number == grant.window and pool.used > 0:
            pool.used -= 1

    def could_take(self, now: float, priority: Priority) -> bool:
        """True when :meth:`try_take` would grant a request of ``priority`` at ``now``."""
        name = self._charged_pool(now)
        return name is not None and self._may_take(name, now, priority)

    def next_change(self, now: float) -> float | None:
        """The earliest time after ``now`` at which :meth:`try_take` may answer differently."""
        times: list[float] = []
        for pool in self._pools.values():
            expires = pool.expires_at(self.config.unconfirmed)
            if pool.blocked_until > now:
                times.append(pool.blocked_until)
            if expires is not None:
                times.append(expires)
                times.append(self._closes_at(pool) or expires)
                times.append((self._closes_at(pool) or expires) - pool.spec.release)
        later = [t for t in times if t > now]
        return min(later) if later else None

    def _charged_pool(self, now: float) -> str | None:
        """Which pool the server would charge a request arriving now; None: wait."""
        for pool in self._pools.values():
            pool.roll(now, self.config.unconfirmed)
        for name, pool in self._pools.items():
            if pool.blocked_until > now or self._in_guard(pool, now):
                return None  # a request now could land in the server's next window
            if pool.remaining() > 0:
                return name
        return None

    def _may_take(self, name: str, now: float, priority: Priority) -> bool:
        pool = self._pools[name]
        if priority <= self.config.privileged or pool.remaining() > pool.spec.reserve:
            return True
        closes = self._closes_at(pool)
        return closes is not None and closes - now <= pool.spec.release

    def _guard(self, pool: _Window) -> float:
        # Two round trips cover the request's way in plus our late anchor; capped so that
        # one very slow answer cannot close most of a window.
        return min(max(self.config.guard, 2 * self.round_trip), pool.spec.window / 4)

    def _closes_at(self, pool: _Window) -> float | None:
        """The latest time a request may go out and still be counted in ``pool``'s open
        window. The server opened that window when the first of its requests arrived, after
        we sent it (``sent_at``): the server's window ends at ``sent_at + window`` at the
        earliest, whereas ours (anchored on the first answer, so that the next one never
        opens early) ends later by a round trip plus our event loop's lag. A request sent
        in between lands in the server's next window on top of that window's quota (the
        429s of bench/load.py with the runner's CPU saturated); so a window closes at the
        server's earliest end, less the guard for the request's way in."""
        expires = pool.expires_at(self.config.unconfirmed)
        if expires is None or pool.sent_at is None:
            return None
        return min(expires, pool.sent_at + pool.spec.window) - self._guard(pool)

    def _in_guard(self, pool: _Window, now: float) -> bool:
        """Between the window's close and its end: nothing may go out (see
        :meth:`_closes_at`)."""
        closes = self._closes_at(pool)
        expires = pool.expires_at(self.config.unconfirmed)
        return closes is not None and expires is not None and closes <= now < expires

    # -- feedback -------------------------------------------------------------------------
    def answered(self, grant: Grant, now: float) -> None:
        """The request of ``grant`` got an answer (or failed) at ``now``: anchor its window."""
        self.round_trip = 0.8 * self.round_trip + 0.2 * max(0.0, now - grant.sent_at)
        pool = self._pools[grant.pool]
        same_window = pool.number == grant.window and pool.sent_at is not None
        if same_window and (pool.answered_at is None or now < pool.answered_at):
            pool.answered_at = now

    def refused(self, now: float, retry_after: float) -> None:
        """The server answered 429 at ``now``: our count was off. Every pool is empty; the
        static one refills after ``retry_after`` (the server's figure), the burst one when
        its window ends (or, unknown, a full window from now)."""
        for name, pool in self._pools.items():
            pool.roll(now, self.config.unconfirmed)
            pool.used = pool.spec.limit
            pool.blocked_until = max(pool.blocked_until, now + retry_after)
            if name == "static" or pool.sent_at is None:
                pool.number += 1
                ends = now + (retry_after if name == "static" else pool.spec.window)
                pool.sent_at = now
                pool.answered_at = ends - pool.spec.window

    def observe_remaining(self, pool_name: str, remaining: int, now: float) -> None:
        """The server says ``pool_name`` has ``remaining`` tokens: only ever lower our count
        (requests in flight make a higher figure stale)."""
        pool = self._pools.get(pool_name)
        if pool is None:
            return
        pool.roll(now, self.config.unconfirmed)
        if remaining < pool.remaining():
            if pool.sent_at is None:
                pool.number += 1
                pool.sent_at = now
            pool.used = pool.spec.limit - max(0, remaining)

    def observe_total(self, remaining: int, now: float) -> None:
        """The server's ``x-ratelimit-remaining`` on an answer: requests left in both pools
        together. A figure below ours means another consumer (a second process, another
        machine) draws on the same account; lower our counts, attributing what is left to
        the static pool first (the conservative reading for the burst pool). Never raises
        a count: requests of ours still in flight make the server's figure stale."""
        left = max(0, remaining)
        for pool in self._pools.values():
            pool.roll(now, self.config.unconfirmed)
            if left < pool.remaining():
                if pool.sent_at is None:
                    pool.number += 1
                    pool.sent_at = now
                pool.used = pool.spec.limit - left
            left = max(0, left - pool.remaining())

    def remaining(self, now: float) -> dict[str, int]:
        """Tokens left per pool at ``now`` (for health checks and tests)."""
        for pool in self._pools.values():
            pool.roll(now, self.config.unconfirmed)
        return {name: pool.remaining() for name, pool in self._pools.items()}

    # -- persistence (the shared limiter keeps this state in the state store) ---------------
    def export(self) -> dict[str, PoolState]:
        """The state of every pool, to be stored (see :meth:`restore`)."""
        return {name: PoolState(pool.used, pool.number, pool.sent_at, pool.answered_at,
                                pool.blocked_until, self.round_trip)
                for name, pool in self._pools.items()}

    def restore(self, states: Mapping[str, PoolState]) -> None:
        """Take over stored pool states (pools not in ``states`` keep theirs)."""
        for name, state in states.items():
            pool = self._pools.get(name)
            if pool is None:
                continue
            pool.used, pool.number = state.used, state.number
            pool.sent_at, pool.answered_at = state.sent_at, state.answered_at
            pool.blocked_until = state.blocked_until
            self.round_trip = state.round_trip


@dataclass(frozen=True)
class PoolState:
    """One pool's window as stored in the state store (times in the limiter's clock: for a
    shared limiter, wall-clock epoch seconds, the one clock every process on a host has)."""

    used: int = 0
    number: int = 0
    sent_at: float | None = None
    answered_at: float | None = None
    blocked_until: float = 0.0
    round_trip: float = 0.0


def order_key(priority: Priority, enqueued_at: float,
              head_start: Mapping[Priority, float]) -> float:
    """Aging: waiters are served by ``enqueued_at + head_start[priority]``, earliest first."""
    return enqueued_at + head_start.get(priority, 0.0)


@dataclass(order=True)
class Waiter:
    """One queued request: served by ``key`` (see :func:`order_key`), then arrival."""

    key: float
    seq: int
    priority: Priority = field(compare=False)
    enqueued_at: float = field(compare=False)
    future: asyncio.Future[Permit] = field(compare=False)


@dataclass(frozen=True)
class Permit:
    """A granted request slot; hand it back with the limiter's ``answered``.

    ``scopes``: a shared limiter's grant per scope (``grant`` is the first of them);
    ``send_by``: the latest time the request may be sent, when known at grant time.
    """

    grant: Grant
    priority: Priority
    waited: float
    scopes: tuple[tuple[str, Grant], ...] = ()
    send_by: float | None = None


class Limiter(Protocol):
    """What the client needs of a limiter: this process's :class:`RateLimiter`, or the
    limiter shared through the state store (``runner.api.shared_limiter``)."""

    config: LimiterConfig

    async def acquire(self, priority: Priority = Priority.QUERY) -> Permit:
        """Wait until a request of class ``priority`` may be sent."""
        ...

    def answered(self, permit: Permit) -> None:
        """The permit's request was answered or failed."""
        ...

    def refused(self, retry_after: float) -> None:
        """The server answered 429 (with ``x-ratelimit-*`` headers)."""
        ...

    def observe_total(self, remaining: int) -> None:
        """An answer's ``x-ratelimit-remaining``."""
        ...

    @property
    def waiting(self) -> int:
        """Requests queued right now."""
        ...

    async def aclose(self) -> None:
        """Release what the limiter holds."""
        ...


class WaiterQueue(ABC):
    """The queue of one process's waiting requests and the acquire loop, shared by
    :class:`RateLimiter` (pools in this process) and the shared limiter (pools in the
    state store), which differ only in how grants are decided and handed back.

    ``acquire`` queues a waiter, asks the limiter to serve (:meth:`_serve_soon`) and waits
    for a :meth:`_grant`. A grant this coroutine resumes on too late to send (the event loop
    was busy past the grant's window guard, see :meth:`WindowPools.on_time`) could land in
    the server's next window on top of that window's quota: it is handed back
    (:meth:`_hand_back`) and the request queues again in its place, its order key kept.
    """

    def __init__(self, config: LimiterConfig | None, clock: Callable[[], float]) -> None:
        self.config = config or LimiterConfig()
        self._clock = clock
        self._waiters: list[Waiter] = []
        self._seq = itertools.count()
        self.late = 0  # grants handed back because they were resumed too late to send

    async def acquire(self, priority: Priority = Priority.QUERY) -> Permit:
        """Wait until a request of class ``priority`` may be sent; returns its permit."""
        enqueued = self._clock()
        key = order_key(priority, enqueued, self.config.head_start)
        while True:
            future: asyncio.Future[Permit] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters,
                           Waiter(key, next(self._seq), priority, enqueued, future))
            self._serve_soon()
            try:
                permit = await future
            except asyncio.CancelledError:
                self._forget(future)
                raise
            now = self._clock()
            if self._on_time(permit, now):
                return replace(permit, waited=now - enqueued)
            self._hand_back(permit)
            self.late += 1

    @abstractmethod
    def answered(self, permit: Permit) -> None:
        """The permit's request was answered or failed: anchor its window(s)."""

    @property
    def waiting(self) -> int:
        """Requests queued right now."""
        return sum(1 for w in self._waiters if not w.future.done())

    def _queued(self) -> list[Waiter]:
        """The waiters still waiting, in the order they are served."""
        return sorted(w for w in self._waiters if not w.future.done())

    def _keep(self, waiters: list[Waiter]) -> None:
        """Replace the queue by ``waiters`` (those not granted)."""
        self._waiters = waiters
        heapq.heapify(self._waiters)

    def _grant(self, waiter: Waiter, permit: Permit) -> None:
        waiter.future.set_result(permit)

    def _forget(self, future: asyncio.Future[Permit]) -> None:
        self._keep([w for w in self._waiters if w.future is not future])
        if future.done() and not future.cancelled():
            self.answered(future.result())  # granted just as it was cancelled: spent

    @abstractmethod
    def _serve_soon(self) -> None:
        """Grant the waiters that may go now (at once or shortly), in queue order."""

    @abstractmethod
    def _on_time(self, permit: Permit, now: float) -> bool:
        """True when ``permit``'s request may still be sent at ``now``."""

    @abstractmethod
    def _hand_back(self, permit: Permit) -> None:
        """Un-charge a permit that was not sent."""


class RateLimiter(WaiterQueue):
    """Paces one agent's requests across every container that shares the client.

    ``await acquire(priority)`` waits for a slot; after the request, call
    ``answered(permit)`` (also on failure) so the window is anchored on the answer.
    """

    def __init__(self, config: LimiterConfig | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(config, clock)
        self.pools = WindowPools(self.config)
        self._timer: asyncio.TimerHandle | None = None

    def answered(self, permit: Permit) -> None:
        """The permit's request was answered or failed; may open the next window sooner."""
        self.pools.answered(permit.grant, self._clock())
        self._pump()

    def refused(self, retry_after: float) -> None:
        """The server answered 429: pause everyone for ``retry_after`` seconds."""
        self.pools.refused(self._clock(), retry_after)
        self._pump()

    def observe_remaining(self, pool: str, remaining: int) -> None:
        """Feed the server's view of a pool (from ``x-ratelimit-*`` headers)."""
        self.pools.observe_remaining(pool, remaining, self._clock())

    def observe_total(self, remaining: int) -> None:
        """Feed ``x-ratelimit-remaining`` of an answer (both pools together)."""
        self.pools.observe_total(remaining, self._clock())
        self._pump()

    async def aclose(self) -> None:
        """Nothing to release (a shared limiter gives up its place in the queue)."""

    def _serve_soon(self) -> None:
        self._pump()

    def _on_time(self, permit: Permit, now: float) -> bool:
        return self.pools.on_time(permit.grant, now)

    def _hand_back(self, permit: Permit) -> None:
        self.pools.take_back(permit.grant)

    def _pump(self) -> None:
        """Grant every waiter that may go now, in order; arm a timer for the next change."""
        now = self._clock()
        kept: list[Waiter] = []
        for waiter in self._queued():
            grant = self.pools.try_take(now, waiter.priority)
            if grant is None:
                kept.append(waiter)
                continue
            self._grant(waiter, Permit(grant, waiter.priority, now - waiter.enqueued_at))
        self._keep(kept)
        self._arm(now)

    def _arm(self, now: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._waiters:
            return
        at = self.pools.next_change(now)
        delay = 0.01 if at is None else max(0.0, at - now)
        self._timer = asyncio.get_running_loop().call_later(delay + 0.001, self._pump)
