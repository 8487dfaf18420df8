"""Expected vs recovered: what the watcher does at start with what the database remembers.

A pure decision over two lists: the playbooks in the folder (expected) and the containers
the database holds for paths in that folder (remembered). Every playbook and every
remembered container gets one report line saying what the database says and what the
watcher did, so nothing dies silently:

- an active container (PENDING, RUNNING, BACKOFF, PARKED) whose lease is free or expired is
  resumed from its checkpoint (or restarted from the top when it has none), running the
  version it checkpointed; a changed file then replaces it at a safe point, like any edit;
- a finished one (COMPLETED, STOPPED, FAILED) is left as it is, unless its file changed;
- one whose lease another runner holds is left to that runner: could not recover;
- a playbook with no container is started; an invalid one is reported with its error;
- a container whose file is gone is stopped (its content at a new path: renamed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from runner.domain.reset import OLD_UNIVERSE_NOTE
from runner.domain.status import ContainerStatus
from runner.watch.reconcile import (
    Action,
    DesiredFile,
    Managed,
    Reject,
    Rename,
    Replace,
    Start,
    Stop,
    reconcile,
)


@dataclass(frozen=True)
class Remembered:
    """A container as the database has it, for a playbook path inside the folder."""

    container: str
    name: str
    path: str
    digest: str
    status: ContainerStatus
    step: str | None = None
    checkpointed: bool = False
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    last_error: str | None = None
    stopped_by_watcher: bool = False
    """STOPPED by a watcher's shutdown or a server reset, not by a user: resumed like an
    active one."""

    @property
    def active(self) -> bool:
        """True when the container should run: an active status, or stopped by shutdown."""
        return self.status.is_active or self.stopped_by_watcher

    def held_by_other(self, me: str, now: datetime) -> bool:
        """True while another runner's unexpired lease covers this container."""
        return (self.lease_owner is not None and self.lease_owner != me
                and self.lease_expires_at is not None and self.lease_expires_at > now)

    def describe(self) -> str:
        """What the database says, in a few words."""
        where = f" at {self.step}" if self.step else ""
        error = f" ({self.last_error})" if self.last_error and not self.active else ""
        by = "" if not self.stopped_by_watcher else " by a server reset" \
            if (self.last_error or "").startswith(OLD_UNIVERSE_NOTE) else \
            " by the watcher's shutdown"
        return f"{self.name}: {self.status.value}{by}{where}, version {self.digest[:12]}{error}"


class Did(StrEnum):
    """What the watcher did about one playbook or container at start."""

    RESUMED = "resumed from checkpoint"
    RESTARTED = "restarted (no checkpoint)"
    STARTED = "started"
    LEFT = "left as it is"
    RELOAD = "will reload the new version at a safe point"
    RENAMED = "renamed: same container"
    STOPPED = "stopped: its file is gone"
    NOT_RECOVERED = "could not recover"
    INVALID = "not started: invalid"
    TAKEN = "not started: its container name belongs to another file"


@dataclass(frozen=True)
class ReportLine:
    """One line of the start report: a playbook (or a remembered container) and its fate."""

    path: str
    database: str
    did: Did
    reason: str = ""

    def __str__(self) -> str:
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.path}: db says {self.database}; {self.did.value}{reason}"


@dataclass(frozen=True)
class RecoveryPlan:
    """What to do at start: containers to resume, then actions, and the report."""

    resume: tuple[Remembered, ...]
    managed: dict[str, Managed]
    """Every remembered container the watcher now manages (resumed or left), by container."""
    actions: tuple[Action, ...]
    report: tuple[ReportLine, ...]
    foreign: frozenset[str]
    """Paths whose container another runner holds: the watcher keeps its hands off them."""


def plan_recovery(desired: Mapping[str, DesiredFile], remembered: Sequence[Remembered],
                  me: str, now: datetime) -> RecoveryPlan:
    """Decide, for every playbook and remembered container, what the watcher does at start."""
    foreign = [r for r in remembered if r.held_by_other(me, now)]
    mine = [r for r in remembered if not r.held_by_other(me, now)]
    foreign_paths = frozenset(r.path for r in foreign)
    wanted = {p: f for p, f in desired.items() if p not in foreign_paths}
    managed = {r.container: Managed(r.container, r.path, r.digest) for r in mine}
    actions = reconcile(wanted, managed)
    resume = tuple(r for r in mine if r.active and not _stopped(r, actions))
    report = _report(desired, mine, foreign, actions)
    return RecoveryPlan(resume, managed, tuple(actions), report, foreign_paths)


def _stopped(record: Remembered, actions: Sequence[Action]) -> bool:
    return any(isinstance(a, Stop) and a.container == record.container for a in actions)


def _report(desired: Mapping[str, DesiredFile], mine: Sequence[Remembered],
            foreign: Sequence[Remembered], actions: Sequence[Action]) -> tuple[ReportLine, ...]:
    lines = [_foreign_line(r) for r in foreign]
    by_container = {r.container: r for r in mine}
    touched: set[str] = {r.path for r in foreign}
    for action in actions:
        line = _action_line(action, by_container)
        touched.add(line.path)
        lines.append(line)
    for record in mine:
        if record.path not in touched and record.path in desired:
            touched.add(record.path)
            lines.append(_kept_line(record))
    for path in desired:
        if path not in touched:  # an invalid file already reported: cannot happen at start
            lines.append(ReportLine(path, "nothing", Did.LEFT))
    return tuple(sorted(lines, key=lambda line: line.path))


def _foreign_line(record: Remembered) -> ReportLine:
    until = f"{record.lease_expires_at:%Y-%m-%dT%H:%M:%SZ}" if record.lease_expires_at else "?"
    return ReportLine(record.path, record.describe(), Did.NOT_RECOVERED,
                      f"runner {record.lease_owner} holds its lease until {until}; "
                      "taken over if it is not renewed by then")


def _kept_line(record: Remembered) -> ReportLine:
    if not record.active:
        return ReportLine(record.path, record.describe(), Did.LEFT)
    did = Did.RESUMED if record.checkpointed else Did.RESTARTED
    return ReportLine(record.path, record.describe(), did)


def _action_line(action: Action, by_container: Mapping[str, Remembered]) -> ReportLine:
    match action:
        case Stop(container, path):
            record = by_container[container]
            if not record.active:
                return ReportLine(path, record.describe(), Did.LEFT, "its file is gone")
            return ReportLine(path, record.describe(), Did.STOPPED)
        case Rename(container, old_path, new_path):
            return ReportLine(new_path, by_container[container].describe(), Did.RENAMED,
                              f"was {old_path}")
        case Replace(container, path, _, digest):
            record = by_container[container]
            kept = _kept_line(record)
            return ReportLine(path, record.describe(), Did.RELOAD,
                              f"{kept.did.value} first; file is now version {digest[:12]}")
        case Start(path, _):
            return ReportLine(path, "nothing", Did.STARTED)
        case Reject(path, _, error, container):
            if container is None:
                return ReportLine(path, "nothing", Did.INVALID, error)
            record = by_container[container]
            kept = _kept_line(record)
            return ReportLine(path, record.describe(), kept.did,
                              f"file is invalid, running version {record.digest[:12]}: {error}")
    raise AssertionError(action)  # pragma: no cover
