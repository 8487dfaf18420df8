"""The state store: containers, leases, the step journal, logs and caches, in one database.

One ``Store`` per process is enough; it is thread-safe (each call takes its own pooled
connection and transaction). All times are aware UTC datetimes from the store's ``clock``.

Contract for a runner driving a container::

    rec = store.upsert_container(name, path, content_hash, ship, agent, source_text=text)
    lease = store.claim(rec.id, owner, ttl_s=30)        # None: another runner holds it
    store.set_status(lease, ContainerStatus.RUNNING)
    store.record_intent(lease, "steps[3]", 0, command, before)   # BEFORE sending
    ... send the request ...
    store.checkpoint(lease, "steps[3]", 0, state, "bought 10 IRON_ORE")  # state + log, atomic
    lease = store.heartbeat(lease)                      # well within ttl_s
    store.release(lease)

Every write that takes a ``Lease`` is fenced by its version in the same transaction; a runner
that lost the lease gets ``LeaseLost`` and nothing is written. ``record_intent`` is the gate
before a request: it also refuses a lease that has expired (heartbeat first).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import sqlalchemy as sa

from runner.domain.galaxy import Galaxy
from runner.domain.ship import Ship
from runner.domain.status import ACTIVE_STATUSES, TERMINAL_STATUSES, ContainerStatus
from runner.domain.universe import Market, System, Waypoint
from runner.errors import StRunError
from runner.state import cache
from runner.state import queries as q
from runner.state.engine import (
    WRITE,
    DatabaseDiskFull,
    StateNotWritable,
    check_same_file,
    create_engine,
    display_url,
    file_identity,
    resolve_url,
    sqlite_path,
)
from runner.state.gitrev import git_revision
from runner.state.migrate import upgrade
from runner.state.models import checkpoints, containers, dead_tokens, intents, logs
from runner.state.records import (
    Checkpoint,
    ContainerBusy,
    ContainerRecord,
    CorruptState,
    Intent,
    Lease,
    LeaseLost,
    LogRecord,
    ShipHeld,
    UnknownContainer,
)

__all__ = [
    "UNSET",
    "Checkpoint",
    "ContainerBusy",
    "ContainerRecord",
    "ContainerStatus",
    "CorruptState",
    "Intent",
    "Lease",
    "LeaseLost",
    "LogRecord",
    "ShipHeld",
    "Store",
    "UnknownContainer",
    "git_revision",
    "utcnow",
]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, aware UTC (the store's default clock)."""
    return datetime.now(UTC)


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET
"""Marks a keyword of ``set_status`` as "leave unchanged" (None means "clear")."""

HEARTBEAT_CHUNK = 250
"""Leases per statement in ``heartbeat_many`` (3 bound parameters each, well within
SQLite's limit)."""

SERIALIZATION_RETRIES = 20
"""Attempts of a claim that Postgres aborted as not serialisable (another claim raced it)."""

DEFAULT_LOG_LIMIT = 1000
"""Rows returned by ``Store.logs`` when no limit is given."""


class Store:
    """st-run's state in SQLite or Postgres; open it with ``Store.open``."""

    def __init__(self, engine: sa.Engine, *, clock: Clock = utcnow,
                 lease_clock: Clock | None = None) -> None:
        """Wrap an engine whose schema is already at head (``Store.open`` ensures that).

        ``clock`` stamps what is only shown (log lines, checkpoints, caches). Lease times
        (claims, renewals, expiry, the gate before a request) come from ``lease_clock``,
        which defaults to the database's own clock: runners on hosts whose clocks disagree
        still agree on who holds a lease. A test may pass a controllable ``lease_clock``.
        """
        self.engine = engine
        self.clock = clock
        self.lease_clock = lease_clock
        self.file = sqlite_path(engine.url)
        self.file_identity = None if self.file is None else file_identity(self.file)

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, clock: Clock = utcnow,
             lease_clock: Clock | None = None) -> Store:
        """Open (and create or migrate) the store.

        ``url`` wins, else ``$ST_RUN_DB``, else SQLite at ``$XDG_STATE_HOME/st-run/state.db``.
        A value without ``://`` is a SQLite file path. Migrations are applied automatically
        and safely when several processes open the same database at once.
        """
        engine = create_engine(resolve_url(url))
        try:
            upgrade(engine)
        except sa.exc.DatabaseError as exc:  # unreachable, locked, or not a database at all
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StRunError(f"cannot open the state database {display_url(str(engine.url))}: "
                             f"{reason}") from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock, lease_clock=lease_clock)

    @property
    def url(self) -> str:
        """The database URL, password hidden (for messages)."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close every pooled connection; the store is unusable afterwards."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A connection in a write transaction, committed on success, rolled back on error.

        On SQLite the file must still be the one opened (``DatabaseFileGone``), and a full
        disk is ``DatabaseDiskFull`` naming the file: both hold a container like an outage.
        """
        self._check_file()
        with self._disk_full_named(), self.engine.connect() as conn:
            conn = conn.execution_options(**WRITE)
            with conn.begin():
                yield conn

    def _check_file(self) -> None:
        if self.file is not None and self.file_identity is not None:
            check_same_file(self.file, self.file_identity)

    @contextmanager
    def _disk_full_named(self) -> Iterator[None]:
        """A full disk or a read-only database, named by its file (see ``_write``)."""
        try:
            yield
        except sa.exc.OperationalError as exc:
            reason = str(exc.orig).lower()
            where = self.file or display_url(self.url)
            if "disk is full" in reason:
                raise DatabaseDiskFull(f"the disk holding the state database {where} is "
                                       "full (free some space: the runner holds until "
                                       "then)") from exc
            if "readonly database" in reason:
                raise StateNotWritable(f"the state database {where} is read-only "
                                       f"({exc.orig})") from None
            raise

    @contextmanager
    def _serializable(self) -> Iterator[sa.Connection]:
        """A write transaction that no concurrent one can interleave with (see ``claim``)."""
        self._check_file()
        with self._disk_full_named(), self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="SERIALIZABLE")
            conn = conn.execution_options(**WRITE)
            with conn.begin():
                yield conn

    def _lease_now(self, conn: sa.Connection) -> datetime:
        """The time leases are judged by, read in the caller's transaction."""
        return self.lease_clock() if self.lease_clock is not None else q.db_now(conn)

    def now(self) -> datetime:
        """The lease clock's current time (the database's unless a test gave one): compare
        a record's ``lease_expires_at`` with this, never with this process's clock."""
        if self.lease_clock is not None:
            return self.lease_clock()
        with self._read() as conn:
            return q.db_now(conn)

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """A connection in a read transaction (one consistent snapshot)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- containers --------------------------------------------------------------------------

    def upsert_container(self, name: str, playbook_path: str, content_hash: str, ship: str,
                         agent: str, *, git_revision: str | None = None,
                         source_text: str | None = None, fresh: bool = False,
                         overrides: Mapping[str, Any] | None = None) -> ContainerRecord:
        """Declare container ``name`` (creating it PENDING) and return it as committed.

        For an existing container the path, ship and agent are updated. Its snapshot (what it
        runs: ``content_hash``, ``git_revision``, ``source_text`` and the ``-e`` values
        ``overrides``) is replaced only when it has no checkpoint yet, so that a resumed
        container runs the version it started with; compare the returned snapshot with yours
        to tell the user. With ``fresh=True``, or when
        the container had COMPLETED, its progress is reset first (see ``reset_progress``) and
        the snapshot replaced: running a finished playbook again starts it over. A reset
        while another runner holds a live lease raises ``ContainerBusy``.
        """
        snapshot = {"content_hash": content_hash, "git_revision": git_revision,
                    "source_text": source_text,
                    "overrides": dict(overrides) if overrides else None}
        declared = {"playbook_path": playbook_path, "ship": ship, "agent": agent}
        try:
            return self._upsert(name, declared, snapshot, fresh)
        except sa.exc.IntegrityError:
            # Postgres: another process created the same name between our SELECT and INSERT.
            return self._upsert(name, declared, snapshot, fresh)

    def _upsert(self, name: str, declared: dict[str, Any], snapshot: dict[str, Any],
                fresh: bool) -> ContainerRecord:
        now = self.clock()
        with self._write() as conn:
            row = conn.execute(sa.select(containers).where(containers.c.name == name)
                               .with_for_update()).first()
            if row is None:
                conn.execute(sa.insert(containers).values(
                    name=name, status=ContainerStatus.PENDING.value, restarts=0,
                    lease_version=0, iterations=0, stop_requested=False, created_at=now,
                    updated_at=now, **declared, **snapshot))
            else:
                values: dict[str, Any] = {**declared, "updated_at": now}
                if fresh or row.status == ContainerStatus.COMPLETED.value:
                    q.refuse_if_held(row, self._lease_now(conn))
                    q.reset_progress(conn, row.id, now)
                    # Fence off any stalled holder: its checkpoints belong to the old run.
                    values.update(lease_owner=None, lease_expires_at=None,
                                  lease_version=containers.c.lease_version + 1)
                if not q.has_checkpoint(conn, row.id):
                    values.update(snapshot)
                conn.execute(sa.update(containers).where(containers.c.id == row.id)
                             .values(**values))
            row = conn.execute(sa.select(containers).where(containers.c.name == name)).one()
            return q.record(row)

    def get_container(self, name_or_id: str | int) -> ContainerRecord | None:
        """The container named ``name_or_id``, else the one with that numeric id, else None."""
        with self._read() as conn:
            return q.find(conn, name_or_id)

    def require_container(self, name_or_id: str | int) -> ContainerRecord:
        """Like ``get_container`` but raises ``UnknownContainer`` (a one-line user error)."""
        found = self.get_container(name_or_id)
        if found is None:
            raise UnknownContainer(f"no container named or numbered {name_or_id!r}")
        return found

    def list_containers(self, all: bool = False) -> list[ContainerRecord]:
        """Containers by id; only active ones (PENDING, RUNNING, BACKOFF, PARKED) unless
        ``all``."""
        query = sa.select(containers).order_by(containers.c.id)
        if not all:
            query = query.where(containers.c.status.in_([s.value for s in ACTIVE_STATUSES]))
        with self._read() as conn:
            return [q.record(row) for row in conn.execute(query)]

    def ship_holder(self, ship: str, agent: str) -> ContainerRecord | None:
        """The active container that holds ``ship`` of ``agent`` (one container per ship)."""
        query = (sa.select(containers)
                 .where(containers.c.ship == ship, containers.c.agent == agent,
                        containers.c.status.in_([s.value for s in ACTIVE_STATUSES]))
                 .order_by(containers.c.id).limit(1))
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else q.record(row)

    # -- leases ------------------------------------------------------------------------------

    def claim(self, container_id: int, owner: str, ttl_s: float) -> Lease | None:
        """Take the container's lease for ``ttl_s`` seconds; None when another owner holds it.

        Succeeds when the lease is free, expired, or already ``owner``'s; each success bumps
        the version, so any older ``Lease`` of this container is fenced off. Raises
        ``ShipHeld`` when another active container of the same ship and agent holds a live
        lease (one container per ship); other active containers of the ship whose lease
        expired are released from it (STOPPED, fenced) in the same transaction.

        Atomic whatever the timing: on SQLite the transaction holds the write lock from its
        first statement; on Postgres it is SERIALIZABLE and retried on a serialisation
        failure, so two claimers of one ship (same container or not) never both succeed.
        Expiry is judged and stamped by the database's clock, never this process's.
        """
        for attempt in range(SERIALIZATION_RETRIES):
            try:
                return self._claim_once(container_id, owner, ttl_s)
            except sa.exc.OperationalError as exc:
                if not _serialization_failure(exc) or attempt == SERIALIZATION_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _claim_once(self, container_id: int, owner: str, ttl_s: float) -> Lease | None:
        c = containers.c
        with self._serializable() as conn:
            now = self._lease_now(conn)
            expires = now + timedelta(seconds=ttl_s)
            holder = q.ship_held_elsewhere(conn, container_id, now)
            if holder is not None:
                raise ShipHeld(
                    f"ship {holder.ship} is held by container {holder.name!r} (id {holder.id}, "
                    f"runner {holder.lease_owner}, lease until "
                    f"{holder.lease_expires_at:%Y-%m-%d %H:%M:%S} UTC); stop it first with "
                    f"`st-run stop {holder.name}`")
            free = sa.or_(c.lease_owner.is_(None), c.lease_expires_at < now,
                          c.lease_owner == owner)
            version = conn.execute(
                sa.update(containers).where(c.id == container_id, free)
                .values(lease_owner=owner, lease_expires_at=expires,
                        lease_version=c.lease_version + 1, updated_at=now)
                .returning(c.lease_version)).scalar()
            if version is not None:
                q.fence_dead_holders(conn, container_id, now)
        if version is None:
            return None
        return Lease(container_id, owner, version, ttl_s, expires)

    def heartbeat(self, lease: Lease) -> Lease:
        """Extend the lease by its ttl from now; raises ``LeaseLost`` if it was taken over.

        An expired lease that nobody claimed meanwhile is still ours (its version is intact).
        """
        with self._write() as conn:
            now = self._lease_now(conn)
            expires = now + timedelta(seconds=lease.ttl_s)
            q.fence(conn, lease, now, lease_expires_at=expires)
        return Lease(lease.container_id, lease.owner, lease.version, lease.ttl_s, expires)

    def heartbeat_many(self, leases: Sequence[Lease]) -> dict[int, Lease | LeaseLost]:
        """Renew many leases in ONE transaction; by container id, the renewed ``Lease`` or
        ``LeaseLost`` for one taken over (its row is left untouched).

        Each lease is fenced by its own owner and version, as ``heartbeat`` does; a runner
        holding many containers renews them all with one write instead of one each (SQLite
        has a single writer). Leases are renewed by one ``UPDATE ... RETURNING`` per ttl.
        """
        if not leases:
            return {}
        renewed: dict[int, Lease | LeaseLost] = {}
        by_ttl: dict[float, list[Lease]] = {}
        for lease in leases:
            by_ttl.setdefault(lease.ttl_s, []).append(lease)
        c = containers.c
        with self._write() as conn:
            now = self._lease_now(conn)
            for ttl_s, group in by_ttl.items():
                expires = now + timedelta(seconds=ttl_s)
                for start in range(0, len(group), HEARTBEAT_CHUNK):
                    chunk = group[start:start + HEARTBEAT_CHUNK]
                    held = sa.tuple_(c.id, c.lease_version, c.lease_owner).in_(
                        [(lease.container_id, lease.version, lease.owner) for lease in chunk])
                    ids = set(conn.execute(
                        sa.update(containers).where(held)
                        .values(lease_expires_at=expires, updated_at=now)
                        .returning(c.id)).scalars())
                    for lease in chunk:
                        renewed[lease.container_id] = (
                            Lease(lease.container_id, lease.owner, lease.version, ttl_s,
                                  expires) if lease.container_id in ids else
                            LeaseLost(f"lost the lease on container {lease.container_id} "
                                      f"(owner {lease.owner}, version {lease.version})"))
        return renewed

    def release(self, lease: Lease) -> None:
        """Give the lease up (a no-op when it was already lost)."""
        c = containers.c
        with self._write() as conn:
            conn.execute(sa.update(containers)
                         .where(c.id == lease.container_id, c.lease_version == lease.version,
                                c.lease_owner == lease.owner)
                         .values(lease_owner=None, lease_expires_at=None,
                                 updated_at=self.clock()))

    # -- journal -----------------------------------------------------------------------------

    def record_intent(self, lease: Lease, step_path: str, command_index: int,
                      command: dict[str, Any], before: dict[str, Any]) -> None:
        """Journal a state-changing command BEFORE it is sent, with the state seen before it.

        This is the gate before a request: besides the version, the lease must not have
        expired (heartbeat first), else ``LeaseLost``. A newer intent supersedes older
        unresolved ones (``pending_intent`` returns the newest; a checkpoint resolves all).
        """
        with self._write() as conn:
            now = self._lease_now(conn)
            q.fence(conn, lease, now, require_unexpired=True)
            conn.execute(sa.insert(intents).values(
                container_id=lease.container_id, step_path=step_path,
                command_index=command_index, command=command, before=before, created_at=now))

    def checkpoint(self, lease: Lease, step_path: str, command_index: int,
                   state: dict[str, Any], log: str | None = None, level: str = "INFO", *,
                   iterations: int | None = None) -> None:
        """Commit progress after a command, with its log line, in ONE fenced transaction.

        Resolves the pending intent and sets the container's ``step_path`` (and its
        ``iterations`` count when given, so progress for ``status`` needs no write of its
        own). A lost lease raises ``LeaseLost`` and writes nothing.
        """
        now = self.clock()
        progress: dict[str, Any] = {"step_path": step_path}
        if iterations is not None:
            progress["iterations"] = iterations
        with self._write() as conn:
            q.fence(conn, lease, now, **progress)
            q.resolve_intents(conn, lease.container_id, now)
            conn.execute(sa.insert(checkpoints).values(
                container_id=lease.container_id, step_path=step_path,
                command_index=command_index, state=state, created_at=now))
            if log is not None:
                q.insert_log(conn, lease.container_id, level, log, now)

    def record_progress(self, lease: Lease, step_path: str, iterations: int) -> None:
        """Set the container's current step and iteration count (for ``status``), fenced;
        the status is left as it is."""
        with self._write() as conn:
            q.fence(conn, lease, self.clock(), step_path=step_path, iterations=iterations)

    def discard_intent(self, lease: Lease) -> None:
        """Resolve the pending intent without a checkpoint (resume found it never applied)."""
        now = self.clock()
        with self._write() as conn:
            q.fence(conn, lease, now)
            q.resolve_intents(conn, lease.container_id, now)

    def last_checkpoint(self, container_id: int) -> Checkpoint | None:
        """The newest checkpoint of the container, or None when it has made no progress.

        Raises ``CorruptState`` when the stored state cannot be read."""
        with self._read() as conn:
            return q.last_checkpoint_row(conn, container_id)

    def has_checkpoint(self, container_id: int) -> bool:
        """True when the container has a checkpoint (read or not: nothing is decoded)."""
        with self._read() as conn:
            return q.has_checkpoint(conn, container_id)

    def pending_intent(self, container_id: int) -> Intent | None:
        """The intent written but not followed by a checkpoint (a crash mid-command), or None.

        Raises ``CorruptState`` when it cannot be read."""
        with self._read() as conn:
            return q.pending_intent_row(conn, container_id)

    def reset_progress(self, lease_or_id: Lease | int) -> None:
        """Start over (``--fresh``): drop checkpoints and intents, zero counters, PENDING.

        Logs are kept. With a ``Lease`` the write is fenced.
        """
        now = self.clock()
        with self._write() as conn:
            container_id = q.target(conn, lease_or_id, now)
            q.reset_progress(conn, container_id, now)

    # -- status ------------------------------------------------------------------------------

    def set_status(self, lease_or_id: Lease | int, status: ContainerStatus, *,
                   error: str | _Unset | None = UNSET,
                   next_restart_at: datetime | _Unset | None = UNSET,
                   restarts: int | _Unset = UNSET, step_path: str | _Unset | None = UNSET,
                   iterations: int | _Unset = UNSET) -> ContainerRecord:
        """Set the status and the given fields (omitted ones stay; None clears).

        Entering RUNNING stamps ``started_at`` and clears ``finished_at`` and
        ``next_restart_at``; a terminal status stamps ``finished_at``; STOPPED also clears
        ``stop_requested`` (the request was honoured). Fenced when given a ``Lease``.
        """
        now = self.clock()
        given = {"last_error": error, "next_restart_at": next_restart_at, "restarts": restarts,
                 "step_path": step_path, "iterations": iterations}
        values: dict[str, Any] = {k: v for k, v in given.items() if v is not UNSET}
        values.update(status=status.value, updated_at=now)
        with self._write() as conn:
            container_id = q.target(conn, lease_or_id, now)
            current = conn.execute(sa.select(containers.c.status)
                                   .where(containers.c.id == container_id)).scalar_one()
            if status is ContainerStatus.RUNNING and current != status.value:
                values.update(started_at=now, finished_at=None, next_restart_at=None)
            if status in TERMINAL_STATUSES:
                values["finished_at"] = now
            if status is ContainerStatus.STOPPED:
                values["stop_requested"] = False
            conn.execute(sa.update(containers).where(containers.c.id == container_id)
                         .values(**values))
            return q.container(conn, container_id)

    def request_stop(self, name_or_id: str | int) -> ContainerRecord:
        """Ask the runner holding the container to stop at its next safe point.

        A container no runner holds (no lease, or an expired one: its runner died) is marked
        STOPPED at once, and its lease version bumped so a late runner is fenced off. A
        container that is not active is returned unchanged. Raises ``UnknownContainer``.
        """
        c = containers.c
        with self._write() as conn:
            now = self._lease_now(conn)
            found = q.find(conn, name_or_id)
            if found is None:
                raise UnknownContainer(f"no container named or numbered {name_or_id!r}")
            if not found.status.is_active:
                return found
            orphaned = conn.execute(
                sa.update(containers)
                .where(c.id == found.id,
                       sa.or_(c.lease_owner.is_(None), c.lease_expires_at < now))
                .values(status=ContainerStatus.STOPPED.value, stop_requested=False,
                        finished_at=now, next_restart_at=None, lease_owner=None,
                        lease_expires_at=None, lease_version=c.lease_version + 1,
                        updated_at=now)).rowcount
            if not orphaned:
                conn.execute(sa.update(containers).where(c.id == found.id)
                             .values(stop_requested=True, updated_at=now))
            return q.container(conn, found.id)

    def replace_snapshot(self, lease_or_id: Lease | int, content_hash: str,
                         source_text: str | None, git_revision: str | None = None,
                         playbook_path: str | None = None) -> ContainerRecord:
        """Make a new playbook version the one the container runs, keeping its checkpoints.

        For a deliberate reload at a safe point (``upsert_container`` keeps the started
        version once there is a checkpoint). Fenced when given a ``Lease``.
        """
        now = self.clock()
        values: dict[str, Any] = {"content_hash": content_hash, "source_text": source_text,
                                  "git_revision": git_revision, "updated_at": now}
        if playbook_path is not None:
            values["playbook_path"] = playbook_path
        with self._write() as conn:
            container_id = q.target(conn, lease_or_id, now)
            conn.execute(sa.update(containers).where(containers.c.id == container_id)
                         .values(**values))
            return q.container(conn, container_id)

    def stop_requested(self, container_id: int) -> bool:
        """True when ``st-run stop`` asked for this container to stop."""
        with self._read() as conn:
            return bool(conn.execute(sa.select(containers.c.stop_requested)
                                     .where(containers.c.id == container_id)).scalar())

    # -- logs --------------------------------------------------------------------------------

    def log(self, container_id: int | None, level: str, message: str, *,
            lease: Lease | None = None) -> LogRecord:
        """Append a log line (fenced by ``lease`` when given); returns it as committed."""
        now = self.clock()
        with self._write() as conn:
            if lease is not None:
                q.fence(conn, lease, now)
            log_id = q.insert_log(conn, container_id, level, message, now)
            name = None if container_id is None else conn.execute(
                sa.select(containers.c.name).where(containers.c.id == container_id)).scalar()
        return LogRecord(log_id, container_id, name, now, level.upper(), message)

    def logs(self, container: str | int | None = None, since: datetime | None = None,
             after_id: int | None = None, limit: int | None = DEFAULT_LOG_LIMIT,
             container_ids: Sequence[int] | None = None) -> list[LogRecord]:
        """Log lines in commit order (ascending id), optionally of one container (or of the
        containers ``container_ids``: a group's members).

        With ``after_id`` (``logs -f`` polling): the first ``limit`` lines after that id.
        Otherwise: the newest ``limit`` lines (at or after ``since``), oldest first.
        Raises ``UnknownContainer`` for an unknown container.
        """
        query = (sa.select(logs, containers.c.name)
                 .join(containers, containers.c.id == logs.c.container_id, isouter=True))
        with self._read() as conn:
            if container is not None:
                found = q.find(conn, container)
                if found is None:
                    raise UnknownContainer(f"no container named or numbered {container!r}")
                query = query.where(logs.c.container_id == found.id)
            if container_ids is not None:
                query = query.where(logs.c.container_id.in_(list(container_ids)))
            if since is not None:
                query = query.where(logs.c.time >= since)
            if after_id is not None:
                query = query.where(logs.c.id > after_id).order_by(logs.c.id)
            else:
                query = query.order_by(logs.c.id.desc())
            if limit is not None:
                query = query.limit(limit)
            rows = [q.log_record(row) for row in conn.execute(query)]
        return rows if after_id is not None else rows[::-1]

    def latest_logs(self, container_ids: Sequence[int]) -> dict[int, LogRecord]:
        """The newest log line of each given container (missing when it has none)."""
        if not container_ids:
            return {}
        newest = (sa.select(sa.func.max(logs.c.id))
                  .where(logs.c.container_id.in_(container_ids))
                  .group_by(logs.c.container_id))
        query = (sa.select(logs, containers.c.name)
                 .join(containers, containers.c.id == logs.c.container_id)
                 .where(logs.c.id.in_(newest)))
        with self._read() as conn:
            found = [q.log_record(row) for row in conn.execute(query)]
        return {r.container_id: r for r in found if r.container_id is not None}

    # -- caches (shared knowledge, not fenced) -----------------------------------------------

    def cache_system(self, system: System, fetched_at: datetime | None = None) -> None:
        """Store a system and its waypoints (replacing the cached ones)."""
        with self._write() as conn:
            cache.put_system(conn, system, fetched_at or self.clock())

    def cached_system(self, symbol: str) -> tuple[System, datetime] | None:
        """The cached system with its fetch time, or None."""
        with self._read() as conn:
            return cache.get_system(conn, symbol)

    def cached_waypoint(self, symbol: str) -> tuple[Waypoint, datetime] | None:
        """One waypoint of a cached system, with its fetch time, or None."""
        with self._read() as conn:
            return cache.get_waypoint(conn, symbol)

    def cache_market(self, market: Market, fetched_at: datetime | None = None) -> bool:
        """Record an observation of a market (its time: the argument, else
        ``market.fetched_at``, else now); True when it is now the stored one. The market
        store is shared by every container and process on this database: the newest
        observation wins, and a market read without prices never hides one with prices
        (``runner.state.cache.put_market``)."""
        with self._write() as conn:
            return cache.put_market(conn, market,
                                    fetched_at or market.fetched_at or self.clock())

    def cached_market(self, symbol: str) -> tuple[Market, datetime] | None:
        """The cached market with its fetch time, or None."""
        with self._read() as conn:
            return cache.get_market(conn, symbol)

    def market_times(self, symbols: Iterable[str]) -> dict[str, datetime]:
        """When each stored market of ``symbols`` was observed (a cheap freshness check)."""
        with self._read() as conn:
            return cache.market_times(conn, symbols)

    def cached_markets(self, symbols: Iterable[str]) -> dict[str, tuple[Market, datetime]]:
        """The stored markets of ``symbols``, each with its observation time."""
        with self._read() as conn:
            return cache.get_markets(conn, symbols)

    def cache_galaxy(self, galaxy: Galaxy) -> None:
        """Store the galaxy (gates, links, construction), stamped with its fetch time."""
        with self._write() as conn:
            cache.put_galaxy(conn, galaxy, galaxy.fetched_at or self.clock())

    def cached_galaxy(self) -> Galaxy | None:
        """The cached galaxy (``fetched_at`` = when it was fetched), or None."""
        with self._read() as conn:
            return cache.get_galaxy(conn)

    def cache_ship(self, ship: Ship, fetched_at: datetime | None = None) -> None:
        """Store a ship as last seen (never trust its cargo on resume: re-read the ship)."""
        with self._write() as conn:
            cache.put_ship(conn, ship, fetched_at or self.clock())

    def cached_ship(self, symbol: str) -> tuple[Ship, datetime] | None:
        """The cached ship with its fetch time, or None."""
        with self._read() as conn:
            return cache.get_ship(conn, symbol)

    def forget_universe(self) -> None:
        """Empty the cache of systems, waypoints, markets, ships and gates: after a server
        reset the galaxy is a new one."""
        with self._write() as conn:
            cache.clear(conn)

    def end_universe(self, container_id: int, note: str) -> bool:
        """Mark a container's run as belonging to a universe a server reset wiped: its
        progress is dropped (nothing resumes it in the new universe), it is STOPPED with
        ``note`` as its last error, and ``note`` is logged. False (nothing changed) while
        another runner holds a live lease on it."""
        now = self.clock()
        with self._write() as conn:
            row = conn.execute(sa.select(containers).where(containers.c.id == container_id)
                               .with_for_update()).first()
            if row is None:
                return False
            try:
                q.refuse_if_held(row, self._lease_now(conn))
            except ContainerBusy:
                return False
            q.reset_progress(conn, row.id, now)
            conn.execute(sa.update(containers).where(containers.c.id == row.id).values(
                status=ContainerStatus.STOPPED.value, last_error=note, finished_at=now,
                lease_owner=None, lease_expires_at=None,
                lease_version=containers.c.lease_version + 1))
            q.insert_log(conn, row.id, "WARNING", note, now)
        return True

    # -- tokens a server reset made useless --------------------------------------------------

    def mark_token_dead(self, digest: str, reason: str) -> None:
        """Remember that the token with this digest is from an old reset (4113)."""
        with self._write() as conn:
            known = conn.execute(sa.select(dead_tokens.c.digest)
                                 .where(dead_tokens.c.digest == digest)).first()
            if known is None:
                conn.execute(sa.insert(dead_tokens).values(
                    digest=digest, reason=reason, noticed_at=self.clock()))

    def dead_token(self, digest: str) -> tuple[str, datetime] | None:
        """Why and when the token with this digest was found dead, or None."""
        with self._read() as conn:
            row = conn.execute(sa.select(dead_tokens.c.reason, dead_tokens.c.noticed_at)
                               .where(dead_tokens.c.digest == digest)).first()
        return None if row is None else (row.reason, row.noticed_at)

def _serialization_failure(exc: sa.exc.OperationalError) -> bool:
    """Postgres aborted the transaction to keep it serialisable (or broke a deadlock)."""
    return getattr(exc.orig, "sqlstate", None) in ("40001", "40P01")
