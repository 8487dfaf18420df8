"""The watch loop: scan the folder, reconcile with the fleet, apply; again on every batch.

Each batch of events triggers a full re-scan of the folder rather than trusting the event
list: the folder is small, and a re-scan cannot miss an event watchdog merged or dropped.
Identity is the content digest, so a batch that changed nothing (a touch, an editor that
rewrote the same bytes) leads to no action at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
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

RESYNC_S = 30.0
"""Seconds between re-scans when no event came: retries starts that were refused (a ship
still held) and catches anything the OS did not report (an inotify queue overflow)."""


DELETE_GRACE_S = 0.5
"""Seconds a vanished file has to reappear before its container is stopped."""


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
    resync_s: float | None = RESYNC_S
    delete_grace_s: float = DELETE_GRACE_S
    reloads: int = 0
    ignored: set[str] = field(default_factory=set)
    """Paths left alone (another runner holds their container)."""
    known_invalid: dict[str, str] = field(default_factory=dict)
    after_sync: Callable[[], Awaitable[object]] | None = None
    """Called after every sync (the start's recovery excepted): e.g. resume containers a
    user asked to run again."""
    _validations: dict[tuple[str, str], Validation] = field(default_factory=dict)
    _warned: set[str] = field(default_factory=set)

    async def run(self, stop: asyncio.Event,
                  first: Callable[[], Awaitable[object]] | None = None) -> None:
        """Run ``first`` (default: one sync), then sync on every batch, until ``stop``."""
        with observe(self.folder, quiet=self.quiet, max_hold=self.max_hold) as stream:
            # Observing starts before the first scan, so no change falls between the two.
            await (first or self.sync)()
            batch: asyncio.Future[object] | None = None
            while not stop.is_set():
                batch = batch or asyncio.ensure_future(stream.next())
                stopping: asyncio.Future[object] = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait({batch, stopping}, timeout=self.resync_s,
                                             return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if stop.is_set():
                    batch.cancel()
                    break
                if batch in done:
                    batch = None
                await self.sync()  # after a batch, or the periodic re-scan

    async def sync(self) -> list[Action]:
        """Scan, decide, apply; returns the actions taken (for tests and the bench)."""
        files, desired = await self.look()
        stops = any(isinstance(a, Stop) for a in reconcile(desired, self.running))
        if stops and self.delete_grace_s > 0:
            # Some editors and tools delete a file and write it again a moment later;
            # stopping a ship for that would be wrong, so a deletion is confirmed once.
            await asyncio.sleep(self.delete_grace_s)
            files, desired = await self.look()
        await self._forget_fixed(desired)
        actions = reconcile(desired, self.running, self.known_invalid)
        await self.apply(actions, files)
        self.reloads += 1
        if self.after_sync is not None:
            await self.after_sync()
        return actions

    async def look(self) -> tuple[dict[str, PlaybookFile], dict[str, DesiredFile]]:
        """Scan the folder: the playbook files and their validity (ignored paths left out)."""
        scan = self.folder.scan()
        for warning in scan.warnings:
            await self._warn_once(warning)
        files = {rel: self._file(rel, content) for rel, content in scan.files.items()
                 if rel not in self.ignored}
        desired = {rel: DesiredFile(rel, f.digest, self._check(f).error)
                   for rel, f in files.items()}
        return files, desired

    async def apply(self, actions: list[Action] | tuple[Action, ...],
                    files: Mapping[str, PlaybookFile]) -> None:
        """Carry out ``actions`` on the fleet, keeping ``running`` up to date.

        Stops, then renames, then reloads, then starts and rejections: a ship freed by a
        deleted file can be taken by a new one in the same batch. Stops and reloads of
        different containers each wait for a safe point, so they run concurrently (a
        ``git pull`` touching ten files waits for the slowest, not the sum); starts run one
        at a time, as the one-container-per-ship check needs.
        """
        def of(*kinds: type) -> list[Action]:
            return [a for a in actions if isinstance(a, kinds)]

        await asyncio.gather(*(self._apply(a, files) for a in of(Stop)))
        for action in of(Rename):
            await self._apply(action, files)
        await asyncio.gather(*(self._apply(a, files) for a in of(Replace)))
        for action in of(Start, Reject):
            await self._apply(action, files)

    def _file(self, rel: str, content: bytes) -> PlaybookFile:
        return PlaybookFile(self.folder.root / rel, rel, content, digest(content))

    def _check(self, file: PlaybookFile) -> Validation:
        """Validate each (path, digest) once: a re-scan re-reads, but does not re-load."""
        key = (file.rel, file.digest)
        if key not in self._validations:
            self._validations[key] = self.validate(file)
        return self._validations[key]

    async def _forget_fixed(self, desired: Mapping[str, DesiredFile]) -> None:
        """An error is known only while its file still has that exact bad content."""
        for path, bad_digest in list(self.known_invalid.items()):
            current = desired.get(path)
            if current is None or current.digest != bad_digest:
                del self.known_invalid[path]
                for managed in self.running.values():
                    if managed.path == path:
                        await self.fleet.mark_invalid(managed.container, None)

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
                self.known_invalid[path] = bad_digest
                kept = "" if container is None else (
                    f"; keeping version {self.running[container].digest[:12]} running")
                await self.fleet.report(container, "error", f"invalid playbook: {error}{kept}")
                if container is not None:
                    await self.fleet.mark_invalid(container, error)

    async def _start(self, file: PlaybookFile) -> None:
        container = await self.fleet.start(file)
        if container is not None:
            self.running[container] = Managed(container, file.rel, file.digest)

    async def _replace(self, container: str, file: PlaybookFile, old_digest: str) -> None:
        await self.fleet.report(container, "info", f"{file.rel} changed: reloading "
                                f"{old_digest[:12]} -> {file.digest[:12]} at the next safe point")
        now_running = await self.fleet.replace(container, file)
        if now_running is None:
            return
        if now_running != container:
            del self.running[container]
        self.running[now_running] = Managed(now_running, file.rel, file.digest)

    async def _warn_once(self, warning: str) -> None:
        if warning not in self._warned:
            self._warned.add(warning)
            await self.fleet.report(None, "warning", warning)
