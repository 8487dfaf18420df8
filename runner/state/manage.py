"""What a user asks of containers from the terminal: start one again, remove finished ones.

Desired state is kept apart from observed state. ``st-run stop`` (``Store.request_stop``)
asks for a container to stop; a stopped container then stays STOPPED, through runner and
watcher restarts, until ``request_start`` below makes it PENDING again: declared and waiting
for a runner (``st-run start``'s own foreground run, or a watcher, which resumes PENDING
containers) to claim it. Each function is one transaction on the store's engine.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from runner.domain.status import TERMINAL_STATUSES, ContainerStatus
from runner.errors import StRunError
from runner.state import queries as q
from runner.state.models import containers
from runner.state.records import ContainerRecord, UnknownContainer
from runner.state.store import Store

START_NOTE = "start requested (st-run start): PENDING until a runner resumes it"
"""The log line ``request_start`` writes to the container it made PENDING."""

RESTARTABLE = frozenset({ContainerStatus.STOPPED, ContainerStatus.FAILED})
"""Statuses ``request_start`` turns back into PENDING (a COMPLETED one runs again from the
top when its playbook is run: the store resets finished progress on upsert)."""


class ContainerActive(StRunError):
    """The container is still active; stop it first."""


def request_start(store: Store, name_or_id: str | int) -> ContainerRecord:
    """Make a STOPPED or FAILED container PENDING again (desired state: running).

    Checkpoints are kept, so the next runner resumes where it stopped. A container in
    another status is returned unchanged. Raises ``UnknownContainer``.
    """
    now = store.clock()
    c = containers.c
    with store._write() as conn:
        found = _find(conn, name_or_id, lock=True)
        if found.status not in RESTARTABLE:
            return found
        conn.execute(sa.update(containers).where(c.id == found.id).values(
            status=ContainerStatus.PENDING.value, stop_requested=False, finished_at=None,
            next_restart_at=None, updated_at=now))
        q.insert_log(conn, found.id, "INFO", START_NOTE, now)
        return q.container(conn, found.id)


def remove(store: Store, name_or_id: str | int) -> ContainerRecord:
    """Delete a finished container with its checkpoints, intents and log lines.

    Raises ``ContainerActive`` for an active one (PENDING, RUNNING, BACKOFF, PARKED) and
    ``UnknownContainer`` for an unknown one. Returns the record as it was.
    """
    with store._write() as conn:
        found = _find(conn, name_or_id, lock=True)
        if found.status.is_active:
            raise ContainerActive(f"{found.name} (id {found.id}) is {found.status.value}: "
                                  f"stop it first with `st-run stop {found.name}`")
        _delete(conn, [found.id])
        return found


def remove_finished(store: Store) -> list[ContainerRecord]:
    """Delete every finished container (COMPLETED, FAILED, STOPPED); returns them."""
    with store._write() as conn:
        done = [s.value for s in TERMINAL_STATUSES]
        rows = conn.execute(sa.select(containers).where(containers.c.status.in_(done))
                            .order_by(containers.c.id).with_for_update()).all()
        finished = [q.record(row) for row in rows]
        _delete(conn, [r.id for r in finished])
        return finished


def _find(conn: sa.Connection, name_or_id: str | int, *, lock: bool = False
          ) -> ContainerRecord:
    """By name, else by id; with ``lock``, the row is locked until the transaction ends
    (Postgres; SQLite's write transaction already excludes other writers)."""
    found = q.find(conn, name_or_id)
    if found is not None and lock:
        conn.execute(sa.select(containers.c.id).where(containers.c.id == found.id)
                     .with_for_update())
        found = q.container(conn, found.id)
    if found is None:
        raise UnknownContainer(f"no container named or numbered {name_or_id!r}")
    return found


def _delete(conn: sa.Connection, ids: Sequence[int]) -> None:
    """Delete containers by id; their checkpoints, intents and logs go with them explicitly
    (SQLite enforces ``ON DELETE CASCADE`` only where foreign keys are on)."""
    from runner.state.models import checkpoints, intents, logs

    if not ids:
        return
    for table in (checkpoints, intents, logs):
        conn.execute(sa.delete(table).where(table.c.container_id.in_(ids)))
    conn.execute(sa.delete(containers).where(containers.c.id.in_(ids)))
