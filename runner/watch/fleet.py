"""What the watcher needs from the runtime, as a protocol: the seam between folder and fleet.

The watcher decides (``reconcile``); a ``Fleet`` carries the decision out. The runtime
adapter (:mod:`runner.watch.runtime_fleet`) implements it on the supervisor and the state
store; unit tests of the watcher use a recording fake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class PlaybookFile:
    """One version of a playbook file: where it is, its bytes and their digest."""

    path: Path
    rel: str
    content: bytes
    digest: str


@dataclass(frozen=True)
class Validation:
    """The outcome of loading a playbook: an error line (``path:line:col: msg``) or None."""

    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None


Validator = Callable[[PlaybookFile], Validation]
"""Checks one playbook version; must not raise for a bad playbook (it returns the error)."""


class Fleet(Protocol):
    """The containers the watcher drives. Every method reports its own failures as log lines
    (``report``) instead of raising, so one bad playbook never stops the watcher."""

    async def start(self, file: PlaybookFile) -> str | None:
        """Start a container for ``file``; its id, or None when it could not start."""
        ...

    async def replace(self, container: str, file: PlaybookFile) -> str | None:
        """Run ``file`` in ``container`` from its next safe point.

        Returns the id of the container now running ``file`` (normally ``container``; another
        one when the new version names a different container), or None when it could not,
        in which case the old version keeps running.
        """
        ...

    async def rename(self, container: str, file: PlaybookFile) -> None:
        """Record that ``container``'s playbook now lives at ``file.path`` (same content)."""
        ...

    async def stop(self, container: str) -> None:
        """Stop ``container`` at its next safe point."""
        ...

    async def mark_invalid(self, container: str, error: str | None) -> None:
        """Show (``error``) or clear (None) that ``container``'s file is invalid while its
        old version runs, where ``status`` shows it."""
        ...

    async def report(self, container: str | None, level: str, message: str) -> None:
        """Record one line for ``status``/``logs`` (``container`` None: the watcher itself)."""
        ...
