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
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from runner.runtime.journal import LeaseHolder
from runner.state.records import ContainerRecord, Lease, LeaseLost
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


def owner_is_dead(owner: str | None) -> bool:
    """True when a lease owner (``host:pid:random``, see ``runner_id``) is provably gone: it
    ran on this host and no process has its PID. Another host's owner is never provably
    dead (its lease is waited out)."""
    if owner is None:
        return False
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def void_dead_lease(store: Store, record: ContainerRecord) -> bool:
    """Release the lease of ``record`` when its owner is provably dead, fenced by the
    version read (a lease claimed since is left alone); True when it was released."""
    if not owner_is_dead(record.lease_owner) or record.lease_owner is None \
            or record.lease_expires_at is None:
        return False
    store.release(Lease(record.id, record.lease_owner, record.lease_version, 0.0,
                        record.lease_expires_at))
    return True
