"""watchdog wiring: file-system events under a folder, delivered to asyncio as batches.

watchdog calls its handler on its own thread; the handler only filters the event and hands
the path to the event loop (``call_soon_threadsafe``). ``EventStream.next()`` then groups
paths with :class:`~runner.watch.batching.EventBatcher` on the loop's monotonic clock.

Events that cannot change a playbook's bytes or the set of files (opened, closed without
writing, attribute changes, a directory's own mtime) are dropped here: the watcher reads
every file on each batch, and reacting to its own reads would loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from runner.errors import StRunError
from runner.watch.batching import MAX_HOLD_S, QUIET_S, EventBatcher
from runner.watch.folder import Folder

_RELEVANT = frozenset({"created", "modified", "moved", "deleted", "closed"})


def _as_str(path: bytes | str) -> str:
    return os.fsdecode(path)


class _Forward(FileSystemEventHandler):
    """Hands the relevant paths of each event to the event loop's queue."""

    def __init__(self, folder: Folder, loop: asyncio.AbstractEventLoop,
                 queue: asyncio.Queue[str]) -> None:
        self._folder = folder
        self._loop = loop
        self._queue = queue

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _RELEVANT:
            return
        if event.is_directory and event.event_type == "modified":
            return
        paths = [_as_str(event.src_path)]
        if event.event_type == "moved":
            paths.append(_as_str(event.dest_path))
        for path in paths:
            if self._folder.concerns(path, is_directory=event.is_directory):
                self._loop.call_soon_threadsafe(self._queue.put_nowait, path)


class EventStream:
    """Batches of changed paths under a folder, with watchfiles' timing."""

    def __init__(self, queue: asyncio.Queue[str], quiet: float, max_hold: float) -> None:
        self._queue = queue
        self._batcher: EventBatcher[str] = EventBatcher(quiet=quiet, max_hold=max_hold)

    async def next(self) -> tuple[str, ...]:
        """Wait for the next batch: 50 ms of quiet after its last event, 1.6 s at most."""
        loop = asyncio.get_running_loop()
        while True:
            deadline = self._batcher.deadline()
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                path = await asyncio.wait_for(self._queue.get(), timeout)
            except TimeoutError:
                batch = self._batcher.take(loop.time())
                if batch:
                    return batch
            else:
                self._batcher.add(path, loop.time())


@contextmanager
def observe(folder: Folder, *, quiet: float = QUIET_S,
            max_hold: float = MAX_HOLD_S) -> Iterator[EventStream]:
    """Watch ``folder`` recursively while the block runs (call from the event loop)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()
    observer = Observer()
    observer.schedule(_Forward(folder, loop, queue), str(folder.root), recursive=True)
    observer.daemon = True
    try:
        observer.start()
    except OSError as exc:  # e.g. the inotify watch limit
        raise StRunError(f"cannot watch {folder.root}: {exc.strerror or exc} (on Linux, "
                         "raise fs.inotify.max_user_watches)") from None
    try:
        yield EventStream(queue, quiet, max_hold)
    finally:
        observer.stop()
        observer.join(timeout=5)
