"""Statements on a connection inside the caller's transaction: fencing, lookups, row mapping.

``Store`` composes these into its public, one-transaction-per-call methods.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from runner.domain.status import ACTIVE_STATUSES, ContainerStatus
from runner.state.models import checkpoints, containers, intents, logs
from runner.state.records import (
    Checkpoint,
    ContainerBusy,
    ContainerRecord,
    CorruptState,
    Intent,
    Lease,
    LeaseLost,
    LogRecord,
    UnknownContainer,
)


def fence(conn: sa.Connection, lease: Lease, now: datetime, *, require_unexpired: bool = False,
           **values: Any) -> None:
    """Check the lease in this transaction (and apply ``values``); else raise LeaseLost."""
    c = containers.c
    query = sa.update(containers).where(c.id == lease.container_id,
                                        c.lease_version == lease.version,
                                        c.lease_owner == lease.owner)
    if require_unexpired:
        query = query.where(c.lease_expires_at >= now)
    if conn.execute(query.values(updated_at=now, **values)).rowcount != 1:
        raise LeaseLost(f"lost the lease on container {lease.container_id} "
                        f"(owner {lease.owner}, version {lease.version})")


def target(conn: sa.Connection, lease_or_id: Lease | int, now: datetime) -> int:
    """The container id of a fenced (Lease) or unfenced (id) write."""
    if isinstance(lease_or_id, Lease):
        fence(conn, lease_or_id, now)
        return lease_or_id.container_id
    return lease_or_id


def resolve_intents(conn: sa.Connection, container_id: int, now: datetime) -> None:
    conn.execute(sa.update(intents)
                 .where(intents.c.container_id == container_id, intents.c.resolved_at.is_(None))
                 .values(resolved_at=now))


def refuse_if_held(row: sa.Row[Any], now: datetime) -> None:
    """A live lease on an active container means a runner drives it: do not reset it."""
    if not ContainerStatus(row.status).is_active:
        return
    if row.lease_owner is not None and row.lease_expires_at is not None \
            and row.lease_expires_at >= now:
        raise ContainerBusy(f"container {row.name!r} is run by {row.lease_owner} (lease until "
                            f"{row.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC); stop it first "
                            f"with `st-run stop {row.name}`")


def reset_progress(conn: sa.Connection, container_id: int, now: datetime) -> None:
    conn.execute(sa.delete(checkpoints).where(checkpoints.c.container_id == container_id))
    conn.execute(sa.delete(intents).where(intents.c.container_id == container_id))
    conn.execute(sa.update(containers).where(containers.c.id == container_id).values(
        status=ContainerStatus.PENDING.value, restarts=0, next_restart_at=None, step_path=None,
        started_at=None, finished_at=None, last_error=None, iterations=0,
        stop_requested=False, updated_at=now))


def last_checkpoint_row(conn: sa.Connection, container_id: int) -> Checkpoint | None:
    """The newest checkpoint; ``CorruptState`` when its stored state cannot be read."""
    query = (sa.select(checkpoints).where(checkpoints.c.container_id == container_id)
             .order_by(checkpoints.c.id.desc()).limit(1))
    row = _decoded_row(conn, query, f"the checkpoint of container {container_id}")
    if row is None:
        return None
    _require_object(row.state, f"the checkpoint of container {container_id}")
    return Checkpoint(row.id, row.container_id, row.step_path, row.command_index, row.state,
                      row.created_at)


def has_checkpoint(conn: sa.Connection, container_id: int) -> bool:
    """True when the container has made progress (its checkpoints are not decoded)."""
    return conn.execute(sa.select(checkpoints.c.id)
                        .where(checkpoints.c.container_id == container_id).limit(1)
                        ).first() is not None


def pending_intent_row(conn: sa.Connection, container_id: int) -> Intent | None:
    """The newest unresolved intent; ``CorruptState`` when it cannot be read."""
    query = (sa.select(intents)
             .where(intents.c.container_id == container_id, intents.c.resolved_at.is_(None))
             .order_by(intents.c.id.desc()).limit(1))
    what = f"the pending intent of container {container_id}"
    row = _decoded_row(conn, query, what)
    if row is None:
        return None
    _require_object(row.command, what)
    _require_object(row.before, what)
    return Intent(row.id, row.container_id, row.step_path, row.command_index, row.command,
                  row.before, row.created_at)


def _decoded_row(conn: sa.Connection, query: sa.Select[Any], what: str) -> sa.Row[Any] | None:
    """The first row of ``query``, its JSON columns decoded; text that is not JSON (a
    damaged file, a hand edit) is ``CorruptState`` naming ``what``, not a driver error."""
    try:
        return conn.execute(query).first()
    except ValueError as exc:  # json.JSONDecodeError from the JSON column's decoder
        raise CorruptState(f"{what} is not valid JSON ({exc})") from None


def _require_object(value: Any, what: str) -> None:
    if not isinstance(value, dict):
        raise CorruptState(f"{what} is not a JSON object (found {type(value).__name__})")


def insert_log(conn: sa.Connection, container_id: int | None, level: str, message: str,
                now: datetime) -> int:
    return int(conn.execute(sa.insert(logs).values(
        container_id=container_id, time=now, level=level.upper(), message=message)
        .returning(logs.c.id)).scalar_one())


def find(conn: sa.Connection, name_or_id: str | int) -> ContainerRecord | None:
    """By exact name first, then by numeric id."""
    row = conn.execute(sa.select(containers)
                       .where(containers.c.name == str(name_or_id))).first()
    if row is None and str(name_or_id).isdigit():
        row = conn.execute(sa.select(containers)
                           .where(containers.c.id == int(name_or_id))).first()
    return None if row is None else record(row)


def container(conn: sa.Connection, container_id: int) -> ContainerRecord:
    row = conn.execute(sa.select(containers).where(containers.c.id == container_id)).first()
    if row is None:
        raise UnknownContainer(f"no container with id {container_id}")
    return record(row)


def record(row: sa.Row[Any]) -> ContainerRecord:
    values = dict(row._mapping)
    values["status"] = ContainerStatus(values["status"])
    values["stop_requested"] = bool(values["stop_requested"])
    return ContainerRecord(**values)


def log_record(row: sa.Row[Any]) -> LogRecord:
    return LogRecord(row.id, row.container_id, row.name, row.time, row.level, row.message)


def db_now(conn: sa.Connection) -> datetime:
    """The database server's current time, aware UTC: the one clock every lease is timed by.

    Postgres: ``now()`` (this transaction's start; callers ask first thing in the
    transaction). SQLite: its own ``strftime('%f', 'now')`` (milliseconds). Never the
    runner's clock, which may be skewed on another host.
    """
    if conn.dialect.name == "sqlite":
        text = conn.execute(sa.select(sa.func.strftime("%Y-%m-%d %H:%M:%f", "now"))).scalar_one()
        return datetime.fromisoformat(str(text)).replace(tzinfo=UTC)
    value = conn.execute(sa.select(sa.func.now())).scalar_one()
    if not isinstance(value, datetime):
        raise TypeError(f"now() returned {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ship_held_elsewhere(conn: sa.Connection, container_id: int, now: datetime
                        ) -> sa.Row[Any] | None:
    """Another active container of the same ship and agent with a live lease, or None."""
    mine = containers.alias("mine")
    c = containers.c
    return conn.execute(
        sa.select(containers)
        .join(mine, sa.and_(mine.c.ship == c.ship, mine.c.agent == c.agent))
        .where(mine.c.id == container_id, c.id != container_id,
               c.status.in_([s.value for s in ACTIVE_STATUSES]),
               c.lease_owner.is_not(None), c.lease_expires_at >= now)
        .order_by(c.id).limit(1)).first()


def fence_dead_holders(conn: sa.Connection, container_id: int, now: datetime) -> list[str]:
    """Release the ship of ``container_id`` from other active containers whose runner is gone.

    Such a container (same ship and agent, a lease that expired) is marked STOPPED with its
    lease cleared and its version bumped, so its runner, should it only have been slow, is
    fenced off and cannot revive its lease with a heartbeat. Returns their names.
    """
    mine = sa.select(containers.c.ship, containers.c.agent).where(
        containers.c.id == container_id).subquery()
    c = containers.c
    rows = conn.execute(
        sa.update(containers)
        .where(c.ship == sa.select(mine.c.ship).scalar_subquery(),
               c.agent == sa.select(mine.c.agent).scalar_subquery(),
               c.id != container_id,
               c.status.in_([s.value for s in ACTIVE_STATUSES]),
               c.lease_owner.is_not(None), c.lease_expires_at < now)
        .values(status=ContainerStatus.STOPPED.value, stop_requested=False, finished_at=now,
                next_restart_at=None, lease_owner=None, lease_expires_at=None,
                lease_version=c.lease_version + 1, updated_at=now,
                last_error="its ship was taken over after its runner died")
        .returning(c.name)).scalars()
    return list(rows)
