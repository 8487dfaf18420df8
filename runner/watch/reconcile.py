"""What the watcher must do to make the running fleet follow the folder: a pure decision.

``reconcile(desired, running)`` compares the playbooks in the folder (path -> content digest
and validity) with the containers the watcher manages (path -> digest it runs) and returns
actions, in the order they should be applied:

- a container whose file is gone, and whose content reappears nowhere valid: ``Stop``;
- a container whose file is gone but whose exact content is now at another, unclaimed path:
  ``Rename`` (same container, same identity; the content is unchanged so nothing reloads);
- a container whose file changed, valid: ``Replace`` at the next safe point;
- a container whose file changed, invalid: ``Reject`` with the located error, and the old
  version keeps running;
- a valid file no container runs: ``Start``; an invalid one: ``Reject`` with no container.

An error already reported for the same path and digest (``known_invalid``) is not reported
again, so an unrelated edit elsewhere does not repeat it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class DesiredFile:
    """A playbook file as found in the folder: its digest and, when invalid, the error."""

    path: str
    digest: str
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Managed:
    """A container the watcher manages: the file path it came from and the digest it runs."""

    container: str
    path: str
    digest: str


@dataclass(frozen=True)
class Stop:
    """Stop ``container`` at its next safe point: its file was deleted."""

    container: str
    path: str


@dataclass(frozen=True)
class Rename:
    """The file of ``container`` moved, content unchanged: keep it running, record the path."""

    container: str
    old_path: str
    new_path: str


@dataclass(frozen=True)
class Replace:
    """Run the new valid version of ``path`` in ``container`` from its next safe point."""

    container: str
    path: str
    old_digest: str
    digest: str


@dataclass(frozen=True)
class Start:
    """Start a new container for the valid playbook at ``path``."""

    path: str
    digest: str


@dataclass(frozen=True)
class Reject:
    """``path`` (at ``digest``) is invalid; ``container``, if any, keeps its old version."""

    path: str
    digest: str
    error: str
    container: str | None = None


Action = Stop | Rename | Replace | Start | Reject


def reconcile(desired: Mapping[str, DesiredFile], running: Mapping[str, Managed],
              known_invalid: Mapping[str, str] | None = None) -> list[Action]:
    """The actions that make ``running`` (by container) follow ``desired`` (by path).

    ``known_invalid`` maps path -> digest of errors already reported. Deterministic: paths
    and containers are considered in sorted order.
    """
    known = known_invalid or {}
    by_path = {m.path: m for m in running.values()}
    orphans = [m for m in sorted(running.values(), key=_key) if m.path not in desired]
    unclaimed = {path: f for path, f in desired.items() if path not in by_path}

    stops: list[Action] = []
    renames: list[Action] = []
    for managed in orphans:
        target = _rename_target(managed, unclaimed)
        if target is None:
            stops.append(Stop(managed.container, managed.path))
        else:
            del unclaimed[target]
            renames.append(Rename(managed.container, managed.path, target))

    changes: list[Action] = []
    for path in sorted(desired):
        file = desired[path]
        current = by_path.get(path)
        if current is not None:
            changes.extend(_follow(current, file, known))
        elif path in unclaimed:
            changes.extend(_start(file, known))
    return stops + renames + changes


def _key(managed: Managed) -> tuple[str, str]:
    return managed.path, managed.container


def _rename_target(managed: Managed, unclaimed: Mapping[str, DesiredFile]) -> str | None:
    """The first unclaimed valid path holding exactly the content ``managed`` runs."""
    for path in sorted(unclaimed):
        file = unclaimed[path]
        if file.valid and file.digest == managed.digest:
            return path
    return None


def _follow(managed: Managed, file: DesiredFile, known: Mapping[str, str]) -> list[Action]:
    if file.digest == managed.digest:
        return []
    if file.valid:
        return [Replace(managed.container, file.path, managed.digest, file.digest)]
    return _reject(file, known, managed.container)


def _start(file: DesiredFile, known: Mapping[str, str]) -> list[Action]:
    if file.valid:
        return [Start(file.path, file.digest)]
    return _reject(file, known, None)


def _reject(file: DesiredFile, known: Mapping[str, str], container: str | None) -> list[Action]:
    if known.get(file.path) == file.digest or file.error is None:
        return []
    return [Reject(file.path, file.digest, file.error, container)]
