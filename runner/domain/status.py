"""The lifecycle of a supervised container, as stored and shown by ``st-run status``."""

from __future__ import annotations

from enum import StrEnum


class ContainerStatus(StrEnum):
    """Where a container is in its life.

    PENDING: declared, not started yet (or waiting for a runner to claim it).
    RUNNING: a runner holds its lease and drives its ship.
    BACKOFF: it failed and waits for ``next_restart_at`` before the supervisor restarts it.
    PARKED: it waits for a condition outside st-run (e.g. credits, error 4600).
    COMPLETED, FAILED, STOPPED: finished; a terminal status is never left without a new run.
    """

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    BACKOFF = "BACKOFF"
    PARKED = "PARKED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"

    @property
    def is_active(self) -> bool:
        """True while the container still holds (or will hold) its ship."""
        return self in ACTIVE_STATUSES

    @property
    def is_terminal(self) -> bool:
        """True once the container finished: completed, failed for good, or stopped."""
        return not self.is_active


ACTIVE_STATUSES: frozenset[ContainerStatus] = frozenset(
    {ContainerStatus.PENDING, ContainerStatus.RUNNING, ContainerStatus.BACKOFF,
     ContainerStatus.PARKED}
)
"""Statuses listed by ``st-run status`` without ``--all``; such a container holds its ship."""

TERMINAL_STATUSES: frozenset[ContainerStatus] = frozenset(ContainerStatus) - ACTIVE_STATUSES
"""Statuses of finished containers."""
