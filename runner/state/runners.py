"""Runners sharing one database see each other: a ``runners`` row per process, renewed by
its heartbeat, and (on Postgres) a ``NOTIFY`` when a runner hands its containers over.

A runner is named by its lease owner (``host:pid:random``, see
``runner.runtime.supervisor.runner_id``). Its row is live while ``expires_at`` (last
heartbeat plus its lease ttl, on the database's clock) is ahead: a runner that died
leaves a row that lapses exactly when its leases do. A runner that stops cleanly deletes
its row and, on Postgres, notifies ``CHANNEL`` in the same transaction, so its peers
take its containers over at once instead of after the ttl. SQLite (one machine) has no
notifications: its peers wait for the leases as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from runner.state import queries as q
from runner.state.engine import WRITE
from runner.state.models import containers, runners

CHANNEL = "st_run_runners"
"""The Postgres notification channel. Payloads: ``OWNER`` (it left: its containers are
free), ``joined OWNER`` (a new runner: the others hand it a share), ``handed OWNER`` (it
released some of its containers for the others to take)."""

JOINED = "joined "
HANDED = "handed "

FORGET_AFTER = timedelta(hours=1)
"""A dead runner's row is deleted this long after it lapsed (``status --runners`` shows it
as lapsed until then)."""


@dataclass(frozen=True)
class RunnerInfo:
    """One runner as the database knows it."""

    owner: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    expires_at: datetime
    holds: int
    """Containers whose unexpired lease it holds."""
    live: bool


class Runners:
    """The ``runners`` table of a database (``engine``); times by the database's clock
    unless ``clock`` is given (tests)."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] | None = None
                 ) -> None:
        self.engine = engine
        self.clock = clock

    @property
    def notifies(self) -> bool:
        """True when the database delivers notifications (Postgres)."""
        return self.engine.dialect.name == "postgresql"

    def _now(self, conn: sa.Connection) -> datetime:
        return self.clock() if self.clock is not None else q.db_now(conn)

    def beat(self, owner: str, host: str, pid: int, ttl_s: float) -> None:
        """Record ``owner`` as live for ``ttl_s`` more seconds (inserting its row the first
        time); rows of runners that lapsed more than ``FORGET_AFTER`` ago are deleted."""
        r = runners.c
        with self.engine.connect() as conn:
            conn = conn.execution_options(**WRITE)
            with conn.begin():
                now = self._now(conn)
                values = {"heartbeat_at": now, "expires_at": now + timedelta(seconds=ttl_s)}
                updated = conn.execute(sa.update(runners).where(r.owner == owner)
                                       .values(**values)).rowcount
                if not updated:
                    conn.execute(sa.insert(runners).values(owner=owner, host=host, pid=pid,
                                                           started_at=now, **values))
                conn.execute(sa.delete(runners).where(r.expires_at < now - FORGET_AFTER))

    def leave(self, owner: str) -> None:
        """Delete ``owner``'s row and notify its peers (Postgres), in one transaction: a
        peer that hears the notification reads the row already gone."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**WRITE)
            with conn.begin():
                conn.execute(sa.delete(runners).where(runners.c.owner == owner))
                if self.notifies:
                    conn.execute(sa.select(sa.func.pg_notify(CHANNEL, owner)))

    def notify(self, payload: str) -> None:
        """Notify the peers (Postgres; nothing elsewhere)."""
        if not self.notifies:
            return
        with self.engine.connect() as conn, conn.begin():
            conn.execute(sa.select(sa.func.pg_notify(CHANNEL, payload)))

    def live(self) -> set[str]:
        """The owners whose row has not lapsed."""
        with self.engine.connect() as conn, conn.begin():
            now = self._now(conn)
            return set(conn.execute(sa.select(runners.c.owner)
                                    .where(runners.c.expires_at > now)).scalars())

    def list(self) -> list[RunnerInfo]:
        """Every runner row (live or lapsed), with how many containers each holds, by
        start time."""
        r, c = runners.c, containers.c
        with self.engine.connect() as conn, conn.begin():
            now = self._now(conn)
            holds = {str(owner): int(count) for owner, count in conn.execute(
                sa.select(c.lease_owner, sa.func.count())
                .where(c.lease_owner.is_not(None), c.lease_expires_at > now)
                .group_by(c.lease_owner))}
            rows = conn.execute(sa.select(runners).order_by(r.started_at, r.owner)).all()
        return [RunnerInfo(row.owner, row.host, row.pid, row.started_at, row.heartbeat_at,
                           row.expires_at, int(holds.get(row.owner, 0)),
                           row.expires_at > now) for row in rows]
