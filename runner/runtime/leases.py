"""One heartbeat for every container of a runner: all its leases renewed in one transaction.

A runner with many containers used to renew each lease on its own (one write transaction
per container every third of the lease's time to live); on SQLite, with its single writer,
those writes queue behind and in front of the containers' checkpoints. ``LeaseKeeper``
renews them together with ``Store.heartbeat_many``, still fenced lease by lease: a lease
found lost marks its holder lost and calls that container's ``on_lost`` (which stops it,
exactly as its own heartbeat did).

Each tick also writes the step progress a container noted but no checkpoint carried yet
(``on_tick``), so ``status`` never lags by more than one interval.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from runner.runtime.journal import LeaseHolder
from runner.state.records import LeaseLost
from runner.state.store import Store


@dataclass
class _Kept:
    holder: LeaseHolder
    on_lost: Callable[[], None]
    on_tick: Callable[[], None] | None


class LeaseKeeper:
    """Renews the leases of the holders added to it, every third of the shortest ttl.

    Its task starts with the first holder added (inside a running event loop) and ends as
    the last one is removed; ``writes`` counts its renewal transactions (for the benchmark).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.kept: dict[int, _Kept] = {}  # by id(holder)
        self.writes = 0
        self.task: asyncio.Task[None] | None = None

    def add(self, holder: LeaseHolder, on_lost: Callable[[], None],
            on_tick: Callable[[], None] | None = None) -> None:
        """Keep ``holder``'s lease renewed until ``remove``; ``on_lost`` when it is lost."""
        self.kept[id(holder)] = _Kept(holder, on_lost, on_tick)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="lease-keeper")

    def remove(self, holder: LeaseHolder) -> None:
        """Stop renewing ``holder``'s lease (its container ended); the last one out ends
        the keeper's task (it starts again with the next holder added)."""
        self.kept.pop(id(holder), None)
        if not self.kept and self.task is not None and not self.task.done():
            self.task.cancel()  # it only ever waits in its sleep: nothing is cut short

    def interval_s(self) -> float:
        """A third of the shortest time to live among the kept leases."""
        return min(k.holder.lease.ttl_s for k in self.kept.values()) / 3

    async def _run(self) -> None:
        while self.kept:
            await asyncio.sleep(self.interval_s())
            try:
                self.renew()
            except Exception:  # e.g. the database is briefly unreachable: one task serves
                # every container, so it must outlive that. Two missed ticks still leave a
                # third of the ttl, and a container's own fenced writes fail first if its
                # lease is really gone.
                continue

    def renew(self) -> None:
        """Renew every kept lease now (one transaction); stop the containers that lost theirs.

        Then write each container's pending progress (usually none: checkpoints carry it).
        """
        kept = [k for k in self.kept.values() if not k.holder.lost]
        if not kept:
            return
        self.writes += 1
        results = self.store.heartbeat_many([k.holder.lease for k in kept])
        for k in kept:
            if not k.holder.renewed(results[k.holder.lease.container_id]):
                k.on_lost()
                continue
            if k.on_tick is None:
                continue
            try:
                k.on_tick()
            except LeaseLost:  # taken over since the renewal a moment ago
                k.holder.lost = True
                k.on_lost()
