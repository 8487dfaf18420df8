"""Cargo reservations in the state store: room in a ship's hold promised to one container's
transfer, seen by every process that shares the store (issue 18, "ships that work
together, with no race").

A reservation is live while its holder container still has the lease it was made under
(same version, unexpired, by the database's clock). So it is released:

- by its holder, when the transfer took effect or failed (``release``);
- when the holder dies: its lease lapses after its time to live (``ST_RUN_LEASE_TTL``) and
  the reservation stops counting; a new claim of the container (a restart, another runner)
  bumps the lease version, which voids it at once, and the resumed executor deletes it.

``reserve`` is one short transaction, serialised per target: on Postgres by a
transaction-level advisory lock on the target's name, on SQLite by the file's write lock
(``BEGIN IMMEDIATE``). It returns the units other holders reserved; the caller then reads
the target from the server and keeps the reservation only if the target's free cargo less
those units covers its own. Of two racing holders the later one sees the earlier one's
units, either still reserved or already in the hold (released only after the transfer
took effect), so the sum of what they send never exceeds the hold.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from runner.state import queries as q
from runner.state.engine import WRITE
from runner.state.models import cargo_reservations, containers
from runner.state.records import Lease

if TYPE_CHECKING:
    from runner.state.store import Store

PG_LOCK_CLASS = 0x43_41_52  # the advisory lock space of cargo reservations ("CAR")


class CargoReservations:
    """One container's reservations, fenced by the lease it holds them under."""

    def __init__(self, store: Store, lease: Lease) -> None:
        self.store = store
        self.lease = lease

    def reserve(self, target: str, units: int) -> int:
        """Reserve ``units`` of ``target``'s hold for this holder (replacing what it held
        there); the units other live holders reserved on it."""
        r = cargo_reservations.c
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    PG_LOCK_CLASS, _key(target))))
            now = self._now(conn)
            others = _live_units(conn, target, now, self.lease.container_id)
            conn.execute(sa.delete(cargo_reservations).where(
                self._mine(), r.target == target))
            conn.execute(sa.insert(cargo_reservations).values(
                target=target, container_id=self.lease.container_id,
                lease_version=self.lease.version, units=units, created_at=now))
        return others

    def reserved_by_others(self, target: str) -> int:
        """The units other live holders reserved on ``target`` now."""
        with self.store.engine.connect() as conn, conn.begin():
            return _live_units(conn, target, self._now(conn), self.lease.container_id)

    def release(self) -> None:
        """Drop this container's reservations (taken effect, failed, or stale ones left by
        a holder that died), except any made by a newer holder of it."""
        with self._write() as conn:
            conn.execute(sa.delete(cargo_reservations).where(self._mine()))

    def _mine(self) -> sa.ColumnElement[bool]:
        """This container's rows made under this lease or an older one: a runner that lost
        the lease (a zombie) never deletes what the container's new holder reserved."""
        r = cargo_reservations.c
        return sa.and_(r.container_id == self.lease.container_id,
                       r.lease_version <= self.lease.version)

    def _now(self, conn: sa.Connection) -> datetime:
        """The lease clock (the database's unless a test gave the store one)."""
        clock = self.store.lease_clock
        return clock() if clock is not None else q.db_now(conn)

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self.store.engine.connect() as conn:
            conn = conn.execution_options(**WRITE)
            with conn.begin():
                yield conn


def _live_units(conn: sa.Connection, target: str, now: datetime, exclude: int) -> int:
    """Units reserved on ``target`` by holders other than ``exclude`` whose lease is still
    the one they reserved under and has not expired."""
    r, c = cargo_reservations.c, containers.c
    total = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(r.units), 0))
        .select_from(cargo_reservations.join(containers, c.id == r.container_id))
        .where(r.target == target, r.container_id != exclude,
               c.lease_version == r.lease_version, c.lease_owner.is_not(None),
               c.lease_expires_at > now)).scalar_one()
    return int(total)


def _key(target: str) -> int:
    """A 32-bit advisory lock key for a ship symbol."""
    return zlib.crc32(target.encode()) & 0x7FFF_FFFF
