"""The values the state store hands out: immutable snapshots of rows, never live ORM objects.

Every ``datetime`` here is timezone-aware UTC, whatever the backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runner.domain.status import ContainerStatus
from runner.errors import StRunError


class LeaseLost(StRunError):
    """This runner no longer holds the container's lease; it must stop driving its ship."""


class UnknownContainer(StRunError):
    """No container has this name or id."""


class ContainerBusy(StRunError):
    """Another runner holds this container's lease; it cannot be reset now."""


class CorruptState(StRunError):
    """A container's stored checkpoint or intent cannot be read (not JSON, wrong shape)."""


class ShipHeld(ContainerBusy):
    """Another active container holds a live lease on this ship (one container per ship)."""


@dataclass(frozen=True)
class ContainerRecord:
    """One supervised container (one playbook driving one ship) as last committed."""

    id: int
    name: str
    playbook_path: str
    content_hash: str
    git_revision: str | None
    ship: str
    agent: str
    status: ContainerStatus
    restarts: int
    next_restart_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    lease_version: int
    step_path: str | None
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str | None
    iterations: int
    stop_requested: bool
    source_text: str | None
    """The playbook/plan text this container started with; a resume runs this version."""
    created_at: datetime
    updated_at: datetime
    overrides: dict[str, Any] | None = None
    """The ``-e`` values this container started with; a resume runs with these."""


@dataclass(frozen=True)
class Lease:
    """Proof that ``owner`` drives container ``container_id``, fenced by ``version``.

    ``version`` is the fencing token: it grows on every successful claim, and every write on
    behalf of a running container checks it in the same transaction.
    """

    container_id: int
    owner: str
    version: int
    ttl_s: float
    expires_at: datetime


@dataclass(frozen=True)
class Checkpoint:
    """Progress committed after a state-changing command: where, and the state after it."""

    id: int
    container_id: int
    step_path: str
    command_index: int
    state: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Intent:
    """A state-changing command about to be sent, with the ship state seen before it.

    An intent with no checkpoint after it means the runner died between sending and
    committing: on resume, compare ``before`` with the real ship to learn whether it applied.
    """

    id: int
    container_id: int
    step_path: str
    command_index: int
    command: dict[str, Any]
    before: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class LogRecord:
    """One log line; ``container`` is the container's name (None for runner-wide lines)."""

    id: int
    container_id: int | None
    container: str | None
    time: datetime
    level: str
    message: str
