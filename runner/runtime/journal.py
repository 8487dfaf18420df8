"""The executor's journal on the state store, fenced by the container's lease.

``LeaseHolder`` keeps the container's current lease and renews it (heartbeat); every write
here goes through the store's fenced calls, so a runner that lost the lease gets
``LeaseLost`` before it can record progress or send another state-changing request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from runner.domain.status import ContainerStatus
from runner.runtime.outage import is_transient
from runner.state.records import Checkpoint, Intent, Lease, LeaseLost
from runner.state.reservations import CargoReservations
from runner.state.store import Store

#: Called with each log line this container writes (for the live view).
LineSink = Callable[[str, str], None]


class LeaseHolder:
    """The current lease of one container, renewed by heartbeats; ``lost`` once fenced off."""

    def __init__(self, store: Store, lease: Lease) -> None:
        self.store = store
        self.lease = lease
        self.lost = False
        self.proven_at = time.monotonic()  # when the database last confirmed the lease

    def heartbeat(self) -> bool:
        """Renew the lease; False (and ``lost``) when another runner took it."""
        if self.lost:
            return False
        try:
            self.lease = self.store.heartbeat(self.lease)
            self.proven_at = time.monotonic()
        except LeaseLost:
            self.lost = True
        return not self.lost

    def confirm(self) -> None:
        """Raise ``LeaseLost`` unless the lease is provably still this holder's: proven
        within a third of its ttl (the heartbeat's own interval), else renewed now.

        A process paused for longer than its lease (SIGSTOP, a frozen VM) finds it gone here,
        before it sends a command the runner that took over may already have re-sent."""
        if self.lost:
            raise LeaseLost(f"container {self.lease.container_id}: lease lost")
        if time.monotonic() - self.proven_at <= self.lease.ttl_s / 3:
            return
        if not self.heartbeat():
            raise LeaseLost(f"container {self.lease.container_id}: taken over by another "
                            "runner while this one was paused")

    def renewed(self, result: Lease | LeaseLost) -> bool:
        """Take the outcome of a batched renewal (``Store.heartbeat_many``); as ``heartbeat``.

        A renewal of a lease this holder no longer has (replaced meanwhile) is ignored.
        """
        if isinstance(result, LeaseLost):
            self.lost = True
        elif result.version == self.lease.version and result.owner == self.lease.owner:
            self.lease = result
            self.proven_at = time.monotonic()
        return not self.lost

    def release(self) -> None:
        """Give the lease up (no-op when lost)."""
        if not self.lost:
            self.store.release(self.lease)


class StoreJournal:
    """:class:`runner.runtime.ports.Journal` over the state store."""

    def __init__(self, store: Store, holder: LeaseHolder, sink: LineSink | None = None) -> None:
        self.store = store
        self.holder = holder
        self.sink = sink
        self.writes = 0  # database writes, for the benchmark
        # Step and iteration count not yet written: they ride in the next checkpoint's
        # transaction (or a status change), so progress costs no write of its own.
        self._progress: tuple[str, int] | None = None
        # A checkpoint whose write failed while the database was unreachable: its command
        # was already applied, so the container retries this write (never the command).
        self.unwritten: Callable[[], None] | None = None

    @property
    def container_id(self) -> int:
        return self.holder.lease.container_id

    def record_intent(self, step_path: str, command_index: int, command: dict[str, Any],
                      before: dict[str, Any]) -> None:
        self.writes += 1
        try:
            self.store.record_intent(self.holder.lease, step_path, command_index, command,
                                     before)
            self.holder.proven_at = time.monotonic()  # a fenced write proves the lease
        except LeaseLost:
            # A late heartbeat lets the lease lapse without anyone taking it: renew and retry
            # once; if another runner took it, the heartbeat fails and we stop.
            if not self.holder.heartbeat():
                raise
            self._fenced(lambda lease: self.store.record_intent(lease, step_path,
                                                                command_index, command, before))

    def checkpoint(self, step_path: str, command_index: int, state: dict[str, Any],
                   log: str) -> None:
        self.writes += 1
        iterations = None if self._progress is None else self._progress[1]

        def write() -> None:
            self._fenced(lambda lease: self.store.checkpoint(lease, step_path, command_index,
                                                             state, log, iterations=iterations))
            self.unwritten = None
            self._emit("INFO", log)

        self.unwritten = write
        try:
            write()
        except Exception as exc:
            if not is_transient(exc):  # only an outage keeps it for a retry
                self.unwritten = None
            raise
        self._progress = None  # the checkpoint's own step is the newer one

    def confirm_lease(self) -> None:
        self.holder.confirm()

    def last_checkpoint(self) -> Checkpoint | None:
        return self.store.last_checkpoint(self.container_id)

    def pending_intent(self) -> Intent | None:
        return self.store.pending_intent(self.container_id)

    def log(self, message: str, level: str = "info") -> None:
        self.writes += 1
        self._fenced(lambda lease: self.store.log(self.container_id, level.upper(), message,
                                                  lease=lease))
        self._emit(level.upper(), message)

    def set_parked(self, parked: bool, reason: str | None = None) -> None:
        self.writes += 1
        status = ContainerStatus.PARKED if parked else ContainerStatus.RUNNING
        if reason is not None:
            self._fenced(lambda lease: self.store.log(self.container_id, "WARNING", reason,
                                                      lease=lease))
            self._emit("WARNING", reason)
        progress = self.take_progress()
        self._fenced(lambda lease: self.store.set_status(lease, status, **progress))

    def set_progress(self, step_path: str, iterations: int) -> None:
        """Noted here; written with the next checkpoint or status change, or by
        ``flush_progress`` (the runner's lease keeper calls it every heartbeat interval)."""
        self._progress = (step_path, iterations)

    def take_progress(self) -> dict[str, Any]:
        """The unwritten progress as ``Store.set_status`` keywords (forgotten here: the
        caller writes it)."""
        if self._progress is None:
            return {}
        step_path, iterations = self._progress
        self._progress = None
        return {"step_path": step_path, "iterations": iterations}

    def flush_progress(self) -> None:
        """Write progress no checkpoint carried yet (a long wait, a loop of skipped steps)."""
        if self._progress is None or self.holder.lost:
            return
        step_path, iterations = self._progress
        self._progress = None
        self.writes += 1
        self._fenced(lambda lease: self.store.record_progress(lease, step_path, iterations))

    def stop_requested(self) -> bool:
        return self.store.stop_requested(self.container_id)

    def _fenced(self, write: Callable[[Lease], object]) -> None:
        try:
            write(self.holder.lease)
        except LeaseLost:
            self.holder.lost = True
            raise

    def _emit(self, level: str, message: str) -> None:
        if self.sink is not None:
            self.sink(level, message)


class HeldRoom:
    """:class:`runner.runtime.ports.CargoRoom` over the state store, under the container's
    current lease (so a reservation lapses with it: ``runner.state.reservations``)."""

    def __init__(self, store: Store, holder: LeaseHolder) -> None:
        self.store = store
        self.holder = holder

    def reserve(self, target: str, units: int) -> int:
        return CargoReservations(self.store, self.holder.lease).reserve(target, units)

    def release(self) -> None:
        CargoReservations(self.store, self.holder.lease).release()

    def incoming(self, target: str) -> int:
        return CargoReservations(self.store, self.holder.lease).reserved_by_others(target)
