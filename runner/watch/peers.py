"""This watcher among the other runners sharing its database (issue 19: several runners).

Every runner that shares a folder and a database runs each container in exactly one of
them: the lease decides (a claim is atomic and fenced). What this module adds:

- (Postgres) a heartbeat of the runner's own ``runners`` row, so peers and
  ``st-run status --runners`` see it (host, pid, last heartbeat, containers held), and
  a dead runner's row lapses when its leases do;
- ``alive(owner)``: whether the runner that last held a container still runs (a peer that
  stopped cleanly deleted its row; a dead one's row lapsed);
- on Postgres, a ``LISTEN`` connection: a peer that stops cleanly hands its containers
  over (stops them at safe points, releases their leases, deletes its row) and notifies;
  ``changed()`` then wakes everyone waiting to take a container over, at once instead of
  after the lease ttl. Without notifications (SQLite, or the listener reconnecting) those
  waits still end when the leases lapse. A runner that joins announces itself; the others
  then hand it its share (``on_join``).

On SQLite (one machine, no notifications) a watcher behaves as before: no row, no
heartbeat, no sharing; a released lease counts as free and a dead runner's is waited out
(one more writer on its single write lock bought nothing there).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable

from runner.state.runners import CHANNEL, HANDED, JOINED, Runners
from runner.state.store import Store

RECONNECT_S = 1.0
"""Seconds between attempts to reconnect the listener after its connection broke."""


class Peers:
    """The runner ``owner``'s presence in ``store``; use ``async with`` (heartbeat and
    listener run inside), ``changed()`` to wait for a hand-over, ``alive`` to ask."""

    def __init__(self, store: Store, owner: str, ttl_s: float, *,
                 say: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.owner = owner
        self.ttl_s = ttl_s
        self.registry = Runners(store.engine, store.lease_clock)
        self.say = say or (lambda line: None)
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # called when another runner joins (Postgres): the session hands it a share
        self.on_join: Callable[[str], None] | None = None
        self.listening = asyncio.Event()  # set once LISTEN is in place (tests wait on it)
        self.heard = 0  # notifications received (tests)

    async def __aenter__(self) -> Peers:
        if not self.registry.notifies:  # SQLite: one machine, no row (see the docstring)
            return self
        self.beat()
        self._tasks.append(asyncio.create_task(self._beat_forever(), name="runner-heartbeat"))
        self._tasks.append(asyncio.create_task(self._listen(), name="runner-listener"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.registry.notifies:
            self.leave()

    def beat(self) -> None:
        """Renew this runner's row now."""
        self.registry.beat(self.owner, socket.gethostname(), os.getpid(), self.ttl_s)

    def leave(self) -> None:
        """Delete this runner's row and notify the peers (best effort: a database that is
        gone leaves a row that lapses with the ttl)."""
        try:
            self.registry.leave(self.owner)
        except Exception as exc:  # the database is unreachable at exit: peers wait it out
            self.say(f"could not announce the hand-over ({exc.__class__.__name__}); peers "
                     "take the containers over when the leases lapse")

    def joined(self) -> None:
        """Tell the peers this runner is ready for its share (after its recovery, so that
        it already watches every container they hold)."""
        with contextlib.suppress(Exception):  # missed: it keeps what it claims
            self.registry.notify(JOINED + self.owner)

    def handed(self) -> None:
        """Tell the peers this runner released containers for them to take."""
        with contextlib.suppress(Exception):  # missed: they find them within the ttl
            self.registry.notify(HANDED + self.owner)

    def live_count(self) -> int:
        """How many runners are live, this one included."""
        return len(self.registry.live() | {self.owner})

    def alive(self, owner: str | None) -> bool:
        """True while ``owner`` is a live runner other than this one: its row has not
        lapsed, and it is not a process of this host that no longer exists."""
        from runner.runtime.leases import owner_is_dead

        return owner is not None and owner != self.owner and not owner_is_dead(owner) \
            and owner in self.registry.live()

    def changed(self) -> asyncio.Event:
        """An event set at the next hand-over a peer announces (a new one after each)."""
        return self._changed

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            with contextlib.suppress(Exception):  # briefly unreachable: the next beat
                self.beat()

    def _heard(self, payload: str) -> None:
        """One notification: a peer's (not this runner's own) wakes the waits; a join
        also calls ``on_join``."""
        sender = payload.removeprefix(JOINED).removeprefix(HANDED)
        if sender == self.owner:
            return
        self.heard += 1
        self._wake()
        if payload.startswith(JOINED) and self.on_join is not None:
            self.on_join(sender)

    async def _listen(self) -> None:
        """``LISTEN`` on a connection of its own; every notification wakes ``changed()``.

        After a broken connection it reconnects and wakes everyone once (a notification may
        have been missed meanwhile).
        """
        import psycopg

        url = self.store.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self._wake()
                    async for note in conn.notifies():
                        self._heard(note.payload)
            except (OSError, psycopg.Error):
                self.listening.clear()
                await asyncio.sleep(RECONNECT_S)
