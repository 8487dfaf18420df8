"""One rate limiter per (account, address), shared by every st-run process that uses it.

The server counts requests per account (and per client address), not per process: a watcher
and a one-off run of the same account, or two agents of one account, or two runner machines,
draw on one budget. So the pools of :class:`~runner.api.limiter.WindowPools` (the same
fixed-window model, the one home of its rules) live in the state store, a row per pool,
read and written in one short transaction (:class:`PoolLedger`; ``runner.state.limits``
implements it on SQLite, where the file's write lock serialises the processes of a host, and
on Postgres, where an advisory lock per scope serialises every machine).

A request takes a token from every *scope* it is subject to (``account:NAME`` and, when
configured, ``address:NAME``), or from none. Priorities hold across processes: each process
publishes, per scope, the order key of its best waiter of each class (its *heads*); a
process grants its own waiter only if no other process has a waiter ordered earlier that
could take the token now. So an ACTION in one process goes before a BACKGROUND read in
another, and aging keeps every class moving. A process that dies leaves heads that go stale
after ``stale_s`` and are ignored.

Clock: wall-clock epoch seconds (``time.time``), the one clock all processes of a host
share (machines sharing a database are expected to run NTP; a skew of a few milliseconds
is covered by the limiter's guard).

:func:`serve` is the pure decision (tested as such); :class:`SharedRateLimiter` is the
asyncio shell that runs it through the ledger in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from runner.api.limiter import (
    Grant,
    LimiterConfig,
    Permit,
    PoolState,
    Priority,
    WaiterQueue,
    WindowPools,
)

log = logging.getLogger("runner.api")
T = TypeVar("T")

Heads = Mapping[int, float]
"""A process's best waiter per priority class: ``{Priority value: order key}``."""


@dataclass
class SharedPools:
    """What one ledger transaction hands to :func:`serve`, and takes back.

    ``states``: scope -> pool name -> stored state (missing pools start empty); ``serve``
    replaces them. ``rivals``: the fresh heads of every other process on these scopes.
    ``heads``: set by ``serve``, this process's heads to publish (None: it waits for nothing).
    """

    states: dict[str, dict[str, PoolState]]
    rivals: list[Heads] = field(default_factory=list)
    heads: dict[int, float] | None = None


class PoolLedger(Protocol):
    """Shared pool state in a database (``runner.state.limits.LimitLedger``)."""

    def exchange(self, scopes: Sequence[str], owner: str, now: float,
                 step: Callable[[SharedPools], T]) -> T:
        """In one transaction holding every scope's lock: load the pools and the other
        owners' fresh heads, run ``step``, store the pools and ``owner``'s heads."""
        ...

    def leave(self, owner: str) -> None:
        """Forget ``owner``'s heads (it waits for nothing any more)."""
        ...


@dataclass(frozen=True)
class Queued:
    """A waiter as :func:`serve` sees it."""

    key: float
    seq: int
    priority: Priority


@dataclass(frozen=True)
class Feedback:
    """What the server told this process since the last transaction."""

    answers: tuple[tuple[float, tuple[tuple[str, Grant], ...]], ...] = ()
    """(answered at, the request's grants per scope)"""
    refused: tuple[float, float] | None = None
    """(refused at, retry after) of the latest 429"""
    remaining: tuple[float, int] | None = None
    """(observed at, x-ratelimit-remaining), the lowest since the last transaction"""
    returned: tuple[tuple[tuple[str, Grant], ...], ...] = ()
    """grants resumed too late to send, handed back"""


@dataclass(frozen=True)
class Served:
    """The outcome of :func:`serve`: grants by waiter ``seq``, and when to look again."""

    grants: dict[int, tuple[tuple[str, Grant], ...]]
    next_change: float | None
    send_by: dict[int, float]
    """per granted ``seq``: the latest time its request may be sent (else hand it back)"""
    yielded: bool
    """True when a waiter stood back for another process's earlier waiter."""


def serve(shared: SharedPools, now: float, config: LimiterConfig,
          queue: Sequence[Queued], feedback: Feedback) -> Served:
    """Apply ``feedback`` to the shared pools, then grant this process's waiters (in key
    order) while every scope has a token for them and no rival waits with an earlier key
    for a token it could take now. Updates ``shared`` in place."""
    pools: dict[str, WindowPools] = {}
    for scope, states in shared.states.items():
        pools[scope] = WindowPools(config)
        pools[scope].restore(states)
    _apply(pools, feedback)
    rivals = [(key, Priority(p)) for heads in shared.rivals for p, key in heads.items()]
    grants: dict[int, tuple[tuple[str, Grant], ...]] = {}
    send_by: dict[int, float] = {}
    yielded = False
    for waiter in sorted(queue, key=lambda w: (w.key, w.seq)):
        if any(key < waiter.key and _could_take(pools, now, priority)
               for key, priority in rivals):
            yielded = True
            continue
        if not _could_take(pools, now, waiter.priority):
            continue
        taken = []
        for scope, scope_pools in pools.items():
            grant = scope_pools.try_take(now, waiter.priority)
            assert grant is not None  # _could_take said every scope has room
            taken.append((scope, grant))
            by = scope_pools.send_by(grant)
            if by is not None:
                send_by[waiter.seq] = min(send_by.get(waiter.seq, by), by)
        grants[waiter.seq] = tuple(taken)
    left: dict[int, float] = {}
    for waiter in queue:
        if waiter.seq not in grants:
            left[int(waiter.priority)] = min(left.get(int(waiter.priority), waiter.key),
                                             waiter.key)
    shared.heads = left or None
    shared.states = {scope: p.export() for scope, p in pools.items()}
    changes = [t for p in pools.values() if (t := p.next_change(now)) is not None]
    return Served(grants, min(changes) if changes else None, send_by, yielded)


def _could_take(pools: Mapping[str, WindowPools], now: float, priority: Priority) -> bool:
    return all(p.could_take(now, priority) for p in pools.values())


def _apply(pools: Mapping[str, WindowPools], feedback: Feedback) -> None:
    for returned in feedback.returned:
        for scope, grant in returned:
            if scope in pools:
                pools[scope].take_back(grant)
    for at, grants in feedback.answers:
        for scope, grant in grants:
            if scope in pools:
                pools[scope].answered(grant, at)
    if feedback.refused is not None:
        at, retry_after = feedback.refused
        for scope_pools in pools.values():
            scope_pools.refused(at, retry_after)
    if feedback.remaining is not None:
        at, remaining = feedback.remaining
        for scope_pools in pools.values():
            scope_pools.observe_total(remaining, at)


class SharedRateLimiter(WaiterQueue):
    """A :class:`~runner.api.limiter.Limiter` whose pools live in a :class:`PoolLedger`.

    ``scopes``: the pools every request draws on (``account:NAME``, ``address:NAME``);
    ``owner``: this process's name in the ledger (unique per process). While requests wait,
    the limiter looks again at the next window change, and every ``poll_s`` while it stands
    back for another process (which takes the token meanwhile) or to keep its heads fresh.
    Each permit carries its grant per scope and the time by which it must be sent; one
    resumed later than that is handed back in the next transaction.
    """

    def __init__(self, ledger: PoolLedger, scopes: Sequence[str], owner: str,
                 config: LimiterConfig | None = None, *,
                 clock: Callable[[], float] = time.time, poll_s: float = 0.05,
                 refresh_s: float = 0.25) -> None:
        super().__init__(config, clock)
        self.ledger = ledger
        self.scopes = tuple(scopes)
        self.owner = owner
        self.poll_s = poll_s
        self.refresh_s = refresh_s
        self._answers: list[tuple[float, tuple[tuple[str, Grant], ...]]] = []
        self._refused: tuple[float, float] | None = None
        self._remaining: tuple[float, int] | None = None
        self._returned: list[tuple[tuple[str, Grant], ...]] = []
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._closed = False
        self._timer: asyncio.TimerHandle | None = None
        self.transactions = 0  # for benches

    # -- Limiter ------------------------------------------------------------------------------
    def answered(self, permit: Permit) -> None:
        """The permit's request was answered: anchor its windows in the shared pools."""
        if permit.scopes:
            self._answers.append((self._clock(), permit.scopes))
            self._kick()

    def refused(self, retry_after: float) -> None:
        """The server answered 429: every process of these scopes pauses."""
        self._refused = (self._clock(), retry_after)
        self._kick()

    def observe_total(self, remaining: int) -> None:
        """An answer's ``x-ratelimit-remaining``: lowers the shared count when below it."""
        if self._remaining is None or remaining < self._remaining[1]:
            self._remaining = (self._clock(), remaining)

    async def aclose(self) -> None:
        """Flush pending feedback and leave the ledger's queue (for good)."""
        self._closed = True
        if self._task is not None:
            self._again = False
            await asyncio.shield(self._task)
        if self._timer is not None:
            self._timer.cancel()
        if self._answers or self._refused or self._remaining or self._returned:
            await self._exchange()
        await asyncio.to_thread(self.ledger.leave, self.owner)

    # -- the cycle ------------------------------------------------------------------------------
    def _kick(self) -> None:
        if self._closed:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._cycle())

    async def _cycle(self) -> None:
        while True:
            self._again = False
            try:
                served = await self._exchange()
            except Exception as exc:  # the database is away: look again shortly
                log.warning("event=shared_limiter_unavailable error=%s",
                            f"{type(exc).__name__}: {exc}".splitlines()[0])
                self._arm(self._clock() + 1.0)
                return
            if not self._again:
                self._arm(self._next_look(served))
                return

    async def _exchange(self) -> Served:
        queue = [Queued(w.key, w.seq, w.priority) for w in self._queued()]
        feedback = Feedback(tuple(self._answers), self._refused, self._remaining,
                            tuple(self._returned))
        self._answers, self._refused, self._remaining = [], None, None
        self._returned = []
        now = self._clock()
        try:
            served = await asyncio.to_thread(
                self.ledger.exchange, self.scopes, self.owner, now,
                lambda shared: serve(shared, now, self.config, queue, feedback))
        except BaseException:
            self._answers = list(feedback.answers) + self._answers  # not lost: next time
            self._returned = list(feedback.returned) + self._returned
            raise
        self.transactions += 1
        self._hand_out(served, now)
        return served

    def _hand_out(self, served: Served, now: float) -> None:
        waiters = {w.seq: w for w in self._waiters}
        for seq, grants in served.grants.items():
            waiter = waiters.get(seq)
            if waiter is None or waiter.future.done():  # cancelled meanwhile: spent, anchor
                self._answers.append((self._clock(), grants))
                continue
            self._grant(waiter, Permit(grants[0][1], waiter.priority, now - waiter.enqueued_at,
                                       grants, served.send_by.get(seq)))
        self._keep([w for w in self._waiters
                    if w.seq not in served.grants and not w.future.done()])

    # -- WaiterQueue ----------------------------------------------------------------------------
    def _serve_soon(self) -> None:
        self._kick()

    def _on_time(self, permit: Permit, now: float) -> bool:
        return permit.send_by is None or now < permit.send_by

    def _hand_back(self, permit: Permit) -> None:
        self._returned.append(permit.scopes)  # un-charged in the next transaction

    def _next_look(self, served: Served) -> float | None:
        if not self._waiters:
            return None
        now = self._clock()
        at = now + self.refresh_s  # keep this process's heads fresh for the others
        if served.yielded:
            at = now + self.poll_s
        if served.next_change is not None:
            at = min(at, served.next_change + 0.001)
        return at

    def _arm(self, at: float | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if at is None:
            return
        delay = max(0.0, at - self._clock())
        self._timer = asyncio.get_running_loop().call_later(delay, self._kick)
