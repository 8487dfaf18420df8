"""The watch loop: scan the folder, reconcile with the fleet, apply; again on every batch.

Each batch of events triggers a full re-scan of the folder rather than trusting the event
list: the folder is small, and a re-scan cannot miss an event watchdog merged or dropped.
Identity is the content digest, so a batch that changed nothing (a touch, an editor that
rewrote the same bytes) leads to no action at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from runner.watch.batching import MAX_HOLD_S, QUIET_S
from runner.watch.fleet import Fleet, PlaybookFile, Validation, Validator
from runner.watch.folder import Folder, digest
from runner.watch.observer import observe
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


@dataclass
class Watcher:
    """Keeps ``fleet`` in line with the playbooks in ``folder``.

    ``running`` is the watcher's view of the containers it manages (seeded by recovery).
    """

    folder: Folder
    fleet: Fleet
    validate: Validator
    running: dict[str, Managed] = field(default_factory=dict)
    quiet: float = QUIET_S
    max_hold: float = MAX_HOLD_S
    reloads: int = 0
    _known_invalid: dict[str, str] = field(default_factory=dict)
    _validations: dict[tuple[str, str], Validation] = field(default_factory=dict)
    _warned: set[str] = field(default_factory=set)

    async def run(self, stop: asyncio.Event) -> None:
        """Sync once, then on every batch of events, until ``stop`` is set."""
        with observe(self.folder, quiet=self.quiet, max_hold=self.max_hold) as stream:
            # Observing starts before the first scan, so no change falls between the two.
            await self.sync()
            while not stop.is_set():
                batch = asyncio.ensure_future(stream.next())
                stopping = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait({batch, stopping},
                                             return_when=asyncio.FIRST_COMPLETED)
                if batch not in done:
                    batch.cancel()
                    break
                stopping.cancel()
                await self.sync()

    async def sync(self) -> list[Action]:
        """Scan, decide, apply; returns the actions taken (for tests and the bench)."""
        scan = self.folder.scan()
        for warning in scan.warnings:
            await self._warn_once(warning)
        files = {rel: self._file(rel, content) for rel, content in scan.files.items()}
        desired = {rel: DesiredFile(rel, f.digest, self._check(f).error)
                   for rel, f in files.items()}
        self._forget_fixed(desired)
        actions = reconcile(desired, self.running, self._known_invalid)
        for action in actions:
            await self._apply(action, files)
        self.reloads += 1
        return actions

    def _file(self, rel: str, content: bytes) -> PlaybookFile:
        return PlaybookFile(self.folder.root / rel, rel, content, digest(content))

    def _check(self, file: PlaybookFile) -> Validation:
        """Validate each (path, digest) once: a re-scan re-reads, but does not re-load."""
        key = (file.rel, file.digest)
        if key not in self._validations:
            self._validations[key] = self.validate(file)
        return self._validations[key]

    def _forget_fixed(self, desired: Mapping[str, DesiredFile]) -> None:
        """An error is known only while its file still has that exact bad content."""
        for path, bad_digest in list(self._known_invalid.items()):
            current = desired.get(path)
            if current is None or current.digest != bad_digest:
                del self._known_invalid[path]

    async def _apply(self, action: Action, files: Mapping[str, PlaybookFile]) -> None:
        match action:
            case Stop(container, path):
                await self.fleet.report(container, "info", f"{path} was deleted: stopping")
                await self.fleet.stop(container)
                del self.running[container]
            case Rename(container, old_path, new_path):
                await self.fleet.rename(container, files[new_path])
                await self.fleet.report(container, "info", f"renamed {old_path} -> {new_path}"
                                        " (same content: keeps running)")
                self.running[container] = Managed(container, new_path,
                                                  files[new_path].digest)
            case Replace(container, path, old_digest, _):
                await self._replace(container, files[path], old_digest)
            case Start(path, _):
                await self._start(files[path])
            case Reject(path, bad_digest, error, container):
                self._known_invalid[path] = bad_digest
                kept = "" if container is None else (
                    f"; keeping version {self.running[container].digest[:12]} running")
                await self.fleet.report(container, "error", f"invalid playbook: {error}{kept}")

    async def _start(self, file: PlaybookFile) -> None:
        container = await self.fleet.start(file)
        if container is not None:
            self.running[container] = Managed(container, file.rel, file.digest)

    async def _replace(self, container: str, file: PlaybookFile, old_digest: str) -> None:
        await self.fleet.report(container, "info", f"{file.rel} changed: reloading "
                                f"{old_digest[:12]} -> {file.digest[:12]} at the next safe point")
        if await self.fleet.replace(container, file):
            self.running[container] = Managed(container, file.rel, file.digest)

    async def _warn_once(self, warning: str) -> None:
        if warning not in self._warned:
            self._warned.add(warning)
            await self.fleet.report(None, "warning", warning)
