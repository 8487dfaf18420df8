"""The shared rate limiter's pools in the state store (``runner.api.shared_limiter``).

A row per pool (``rate_pools``) and a row per waiting process and scope (``rate_waiters``),
read and written in one short transaction. Processes are serialised per scope: on SQLite by
the file's write lock (``BEGIN IMMEDIATE``: every process of the host queues on it), on
Postgres by a transaction-level advisory lock per scope, taken in sorted order so that two
processes locking the same scopes cannot deadlock.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import TypeVar

import sqlalchemy as sa

from runner.api.limiter import PoolState
from runner.api.shared_limiter import Heads, SharedPools
from runner.state.engine import WRITE
from runner.state.models import rate_pools, rate_waiters

T = TypeVar("T")

PG_LOCK_CLASS = 0x4C_49_4D  # the advisory lock space of rate-limit scopes ("LIM")
"""First key of the two-key advisory locks (the migration lock uses the one-key form)."""

STALE_S = 3.0
"""Seconds after which a waiter row of a process that stopped refreshing it is ignored."""

FORGET_S = 600.0
"""Seconds after which such a row is deleted (housekeeping)."""


class LimitLedger:
    """:class:`~runner.api.shared_limiter.PoolLedger` over a SQLAlchemy engine."""

    def __init__(self, engine: sa.Engine, *, stale_s: float = STALE_S) -> None:
        self.engine = engine
        self.stale_s = stale_s

    def exchange(self, scopes: Sequence[str], owner: str, now: float,
                 step: Callable[[SharedPools], T]) -> T:
        """Load the scopes' pools and rivals, run ``step``, store its result; one transaction."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**WRITE)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    for scope in sorted(set(scopes)):
                        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                            PG_LOCK_CLASS, _scope_key(scope))))
                shared = SharedPools(self._states(conn, scopes),
                                     self._rivals(conn, scopes, owner, now))
                result = step(shared)
                self._store(conn, shared, owner, now)
        return result

    def leave(self, owner: str) -> None:
        """Delete ``owner``'s waiter rows."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**WRITE)
            with conn.begin():
                conn.execute(sa.delete(rate_waiters).where(rate_waiters.c.owner == owner))

    def pools(self) -> dict[str, dict[str, PoolState]]:
        """Every stored pool (for ``st-run health`` and tests)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(rate_pools)).all()
        found: dict[str, dict[str, PoolState]] = {}
        for row in rows:
            found.setdefault(row.scope, {})[row.pool] = _state(row)
        return found

    # -- inside the transaction -------------------------------------------------------------
    @staticmethod
    def _states(conn: sa.Connection, scopes: Sequence[str]) -> dict[str, dict[str, PoolState]]:
        states: dict[str, dict[str, PoolState]] = {scope: {} for scope in scopes}
        rows = conn.execute(sa.select(rate_pools).where(rate_pools.c.scope.in_(scopes))).all()
        for row in rows:
            states[row.scope][row.pool] = _state(row)
        return states

    def _rivals(self, conn: sa.Connection, scopes: Sequence[str], owner: str,
                now: float) -> list[Heads]:
        c = rate_waiters.c
        rows = conn.execute(sa.select(c.heads).where(
            c.scope.in_(scopes), c.owner != owner, c.seen_at >= now - self.stale_s)).all()
        return [{int(p): float(k) for p, k in row.heads.items()} for row in rows]

    @staticmethod
    def _store(conn: sa.Connection, shared: SharedPools, owner: str, now: float) -> None:
        for scope, states in shared.states.items():
            for pool, state in states.items():
                values = {"used": state.used, "number": state.number,
                          "sent_at": state.sent_at, "answered_at": state.answered_at,
                          "blocked_until": state.blocked_until,
                          "round_trip": state.round_trip}
                updated = conn.execute(sa.update(rate_pools).where(
                    rate_pools.c.scope == scope, rate_pools.c.pool == pool).values(**values))
                if updated.rowcount == 0:  # the scope's lock is held: no one inserts meanwhile
                    conn.execute(sa.insert(rate_pools).values(scope=scope, pool=pool, **values))
        c = rate_waiters.c
        conn.execute(sa.delete(rate_waiters).where(
            sa.or_(c.owner == owner, c.seen_at < now - FORGET_S),
            c.scope.in_(list(shared.states))))
        if shared.heads:
            heads = {str(p): k for p, k in shared.heads.items()}
            conn.execute(sa.insert(rate_waiters), [
                {"scope": scope, "owner": owner, "heads": heads, "seen_at": now}
                for scope in shared.states])


def _state(row: sa.Row[tuple[object, ...]]) -> PoolState:
    return PoolState(int(row.used), int(row.number), row.sent_at, row.answered_at,
                     float(row.blocked_until), float(row.round_trip))


def _scope_key(scope: str) -> int:
    """A stable signed 32-bit key for a scope's advisory lock."""
    value = zlib.crc32(scope.encode("utf-8"))
    return value - (1 << 32) if value >= 1 << 31 else value
