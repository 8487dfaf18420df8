"""One ``st-run watch DIR`` session: recover, watch, shut down on a signal.

1. Start observing the folder, then recover: every playbook in it and every container the
   database remembers for it gets one "expected vs recovered" line (printed and logged).
2. Follow the folder until SIGTERM or SIGINT; survive a server reset (the agent registers
   again and its playbooks start afresh: ``runner.runtime.resets``). A file whose
   container another live runner runs is left to it (each container runs in exactly one
   runner) and taken over when that runner stops or dies.
3. First signal: stop watching, stop every container at its next safe point within the
   grace period (checkpoints are already committed; leases are released), exit 0.
   Other runners sharing the folder and the database are told (``runner.watch.peers``):
   they take the containers over at once.
   A second signal exits at once: every write is one transaction, so the database is
   consistent, and the next watcher waits out the dead process's leases.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import signal
from collections.abc import Callable, Collection, Coroutine, Mapping
from typing import TYPE_CHECKING

from runner.domain.status import ContainerStatus
from runner.runtime.resets import ResetKeeper
from runner.watch.fleet import PlaybookFile
from runner.watch.folder import Folder
from runner.watch.peers import Peers
from runner.watch.reconcile import Managed, Rename, Start
from runner.watch.recovery import Did, RecoveryPlan, Remembered, ReportLine, plan_recovery
from runner.watch.runtime_fleet import (
    SHUTDOWN_MARKER,
    RuntimeFleet,
    container_id,
    validate_playbook,
)
from runner.watch.watcher import Watcher

if TYPE_CHECKING:
    from runner.runtime.supervisor import Supervisor
    from runner.state.store import Store

DEFAULT_GRACE_S = 30.0
"""Seconds the containers get to reach a safe point after SIGTERM/SIGINT."""

LAPSE_MARGIN_S = 0.5
"""Seconds past a foreign lease's expiry before looking again (its last renewal may be
committing just then)."""

HAND_BACK_POLL_S = 0.5
"""Seconds between looks for the peer that claims a container handed over to it."""

EXIT_AT_ONCE = 130
"""Exit code after a second signal (the shell's code for an interrupted process)."""


class WatchSession:
    """Everything one watcher process does; ``await run()`` returns the exit code."""

    def __init__(self, folder: Folder, supervisor: Supervisor, store: Store, *,
                 echo: Callable[[str], None], grace_s: float = DEFAULT_GRACE_S,
                 fresh_universe: bool = False) -> None:
        """``fresh_universe``: the game world is new (the embedded simulator), so what the
        database remembers cannot be resumed; every playbook starts over."""
        self.folder = folder
        self.supervisor = supervisor
        self.store = store
        self.echo = echo
        self.grace_s = grace_s
        self.fresh_universe = fresh_universe
        self.fleet = RuntimeFleet(supervisor, store, echo, fresh=fresh_universe)
        self.watcher = Watcher(folder, self.fleet, validate_playbook,
                               after_sync=lambda: self.fleet.revive(self.watcher.running))
        self.stop = asyncio.Event()
        self.resets = ResetKeeper(supervisor, self._restart_afresh,
                                  stopped_by_user=self.fleet.stopped_by_user)
        self.signals = 0
        self.takeovers: set[asyncio.Task[None]] = set()
        self.peers = Peers(store, supervisor.owner, supervisor.lease_ttl_s, say=echo)
        self._sharing = asyncio.Lock()  # one hand-over to joining runners at a time
        self._handing: set[str] = set()  # paths handed over, not yet claimed by a peer

    async def run(self) -> int:
        """Recover, follow the folder until a signal, shut down; 0 after a clean stop.

        Other runners may share the folder and the database: each container runs in the
        one that claimed its lease; this one watches the others' (``_take_over``). Its own
        ``runners`` row lives as long as this call; leaving it after the shutdown hands its
        containers over (see ``runner.watch.peers``).
        """
        self._install_signals()
        self.echo(f"watching {self.folder.root} (runner {self.supervisor.owner}, "
                  f"database {self.store.url})")
        async with self.peers:
            self.supervisor.wait_for_leases = False
            self.fleet.on_held = self._held_by_peer
            self.peers.on_join = self._peer_joined
            checks = asyncio.create_task(self.resets.run(self.stop), name="reset-checks")
            try:
                await self.watcher.run(self.stop, first=self.recover)
            finally:
                for task in self.takeovers:
                    task.cancel()
                checks.cancel()
                await self.resets.aclose()
                await self.shutdown()
        return 0

    async def _restart_afresh(self, agent: str, skip: Collection[int]) -> int:
        """After a server reset: start every valid playbook of the folder that runs as
        ``agent`` afresh, managed or not (a resume the reset made fail is not), except the
        containers in ``skip`` (a user stopped them); returns how many started."""
        files, desired = await self.watcher.look()
        by_path = {m.path: c for c, m in self.watcher.running.items()}
        started = 0
        for rel, file in sorted(files.items()):
            if desired[rel].error is not None:
                continue  # the watcher reports it
            held = container_id(by_path[rel]) if rel in by_path else None
            record = self.store.get_container(held) if held is not None else None
            if record is not None and record.id in skip:
                continue
            if not self.fleet.runs_as(file, agent):
                continue
            now_running = await self.fleet.start_afresh(rel, file.path)
            if now_running is None:
                continue
            started += 1
            if rel in by_path and by_path[rel] != now_running:
                del self.watcher.running[by_path[rel]]
            self.watcher.running[now_running] = Managed(now_running, rel, file.digest)
        return started

    async def recover(self) -> RecoveryPlan:
        """Expected vs recovered: resume, start, stop and report, once, at start."""
        files, desired = await self.watcher.look()
        remembered = self.fleet.remembered(self.folder)
        if self.fresh_universe:
            self.echo("--sim: the embedded universe is new, so every playbook starts over")
            for memory in remembered:
                self.echo(f"  {memory.path}: db says {memory.describe()}; starts over")
            remembered = []
        plan = plan_recovery(desired, remembered, self.supervisor.owner, self.store.now())
        owners = {m.path: m.lease_owner for m in remembered}
        for path in plan.foreign:
            self._watch_peer(path, owners.get(path))
        self.watcher.running = dict(plan.managed)
        failed: set[str] = set()  # containers (ids, or a group's key)
        for memory in plan.resume:
            if await self.fleet.resume(memory) is None:
                # Unmanaged again, so the periodic re-scan retries it as a start (which
                # resumes the version it checkpointed, like any start of a known name).
                failed.add(memory.container)
                del self.watcher.running[memory.container]
        self._report(plan, failed, self._taken(plan, files))
        actions = [a for a in plan.actions if getattr(a, "container", None) not in failed]
        await self.watcher.apply(actions, files)
        self.watcher.reloads += 1
        self.peers.joined()  # the others may now hand this runner its share
        if self.peers.registry.notifies and self.peers.live_count() > 1:
            self._background(self._share(None), "share")  # it may hold more than a share
        return plan

    def _held_by_peer(self, path: str, owner: str | None) -> None:
        """Another live runner runs ``path``'s container (its claim won): leave the file to
        it and take the container over when that runner stops or dies."""
        if path in self.watcher.ignored:
            return
        self.echo(f"{path}: runner {owner or '?'} runs it; taking it over if that runner "
                  "stops")
        self._watch_peer(path, owner)

    def _watch_peer(self, path: str, owner: str | None) -> None:
        """Leave ``path`` to the runner ``owner`` and take its container over when that
        runner is gone."""
        self.watcher.ignored.add(path)
        self._background(self._take_over(path, owner), f"take-over:{path}")

    def _background(self, work: Coroutine[object, object, None], name: str) -> None:
        """Run ``work`` as a task that ends with the watcher (cancelled at shutdown)."""
        task = asyncio.create_task(work, name=name)
        self.takeovers.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A background task ended: one that failed says so; a take-over's file is then
        retried as a start by the next re-scan."""
        self.takeovers.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        name = task.get_name()
        if name.startswith("take-over:"):
            self.watcher.ignored.discard(name.removeprefix("take-over:"))
        self.echo(f"error: {name}: {task.exception()!r}")

    def _peer_joined(self, peer: str) -> None:
        if not self.stop.is_set():
            self._background(self._share(peer), f"share-with:{peer}")

    async def _share(self, peer: str | None) -> None:
        """Runner ``peer`` joined (Postgres), or this one just recovered among others:
        hand over the containers beyond this runner's share of the running ones
        (ceil(held by all / live runners)), newest first. Each stops at a safe point
        and is marked like a shutdown's (so a peer resumes it from its checkpoint); the
        peers are told. One that no peer claims within twice the lease ttl runs here
        again (``_hand_back``): nothing is orphaned."""
        async with self._sharing:
            if self._handing:
                # Containers this runner handed over are still on their way to a peer: the
                # runners' counts are in flux (a peer may count some, or not yet), and a
                # share computed now handed one too many. That hand-over splits already.
                return
            mine = [h for h in self.supervisor.list()
                    if not h.done and str(h.id) in self.watcher.running]
            held = sum(info.holds for info in self.peers.registry.list() if info.live)
            share = math.ceil(held / self.peers.live_count())
            excess = {h.id: self.watcher.running[str(h.id)].path for h in mine[share:]}
            if not excess or self.stop.is_set():
                return
            who = f"runner {peer} joined" if peer else \
                f"{self.peers.live_count() - 1} other runner(s) live"
            self.echo(f"{who}: handing {len(excess)} of {len(mine)} container(s) over "
                      f"(a share is {share})")
            for container, path in excess.items():
                self.watcher.ignored.add(path)
                del self.watcher.running[str(container)]
            outcomes = await asyncio.gather(*(self.supervisor.stop(c) for c in excess))
            for (container, path), outcome in zip(excess.items(), outcomes, strict=True):
                if outcome is not None and outcome.status is ContainerStatus.STOPPED:
                    self.store.log(container, "INFO", "watch: handed over to share the "
                                   f"work with {'runner ' + peer if peer else 'the others'}")
                    self.store.log(container, "INFO", SHUTDOWN_MARKER)
                self._handing.add(path)
                self._background(self._hand_back(path), f"take-over:{path}")
            self.peers.handed()

    async def _hand_back(self, path: str) -> None:
        """Wait for a peer to claim the container of ``path`` this runner handed over,
        then watch that peer like any other; unclaimed after twice the lease ttl (the
        peer died, or refused it), run it here again."""
        try:
            await self._follow_handed(path)
        finally:
            self._handing.discard(path)

    async def _follow_handed(self, path: str) -> None:
        deadline = asyncio.get_running_loop().time() + 2 * self.supervisor.lease_ttl_s
        while not self.stop.is_set():
            changed = self.peers.changed()
            memory = next((m for m in self.fleet.remembered(self.folder) if m.path == path),
                          None)
            if memory is None:
                self.watcher.ignored.discard(path)
                return
            if memory.held_by_other(self.supervisor.owner, self.store.now()):
                self._handing.discard(path)  # arrived: the runners' counts hold it again
                await self._take_over(path, memory.lease_owner)
                return
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                await self._adopt(memory, None, why="no runner took it over: running it "
                                  "here again")
                return
            await _first_of(changed, self.stop, timeout=min(HAND_BACK_POLL_S, left))

    async def _take_over(self, path: str, owner: str | None) -> None:
        """Runner ``owner`` holds ``path``'s container: take it over once that runner is gone
        (it handed its containers over, or died and its lease lapsed unrenewed), as
        recovery does with a dead one.

        Wakes when the lease expires on the database's clock, or at once when a peer
        announces a hand-over (``Peers.changed``). A container whose lease was released
        while its runner still lives stays that runner's (it is stopping it at a safe
        point, or it finished). Ends when the watcher stops.
        """
        last_owner = owner
        while not self.stop.is_set():
            changed = self.peers.changed()  # before reading: no hand-over slips between
            memory = next((m for m in self.fleet.remembered(self.folder) if m.path == path),
                          None)
            if memory is None:  # its record is gone: the path is an ordinary file now
                self.watcher.ignored.discard(path)
                return
            now = self.store.now()
            if memory.held_by_other(self.supervisor.owner, now):
                last_owner = memory.lease_owner
                assert memory.lease_expires_at is not None  # held_by_other says so
                wait = (memory.lease_expires_at - now).total_seconds() + LAPSE_MARGIN_S
            elif memory.lease_owner is None and not memory.stopped_by_watcher \
                    and self.peers.alive(last_owner):
                # released while its runner still runs: stopping it at a safe point to hand
                # it over (marked and announced when done), or it finished or a user
                # stopped it: still that runner's
                wait = self.supervisor.lease_ttl_s / 3
            else:
                await self._adopt(memory, last_owner)
                return
            await _first_of(changed, self.stop, timeout=wait)

    async def _adopt(self, memory: Remembered, last_owner: str | None, *,
                     why: str | None = None) -> None:
        """Manage a container whose other runner is gone; resume it if active."""
        from runner.runtime.leases import owner_is_dead

        self.watcher.ignored.discard(memory.path)
        owner = f"runner {last_owner or memory.lease_owner or '?'}"
        self.watcher.running[memory.container] = Managed(memory.container, memory.path,
                                                         memory.digest)
        if not memory.active:
            return
        how = "stopped renewing its lease" if memory.lease_owner is not None else \
            "is gone (no such process on this host)" if owner_is_dead(last_owner) else \
            "handed it over"
        await self.fleet.report(memory.container, "warning", f"{memory.path}: " + (
            why or f"{owner} {how}; taking the container over"))
        async with self.fleet.starting:
            resumed = await self.fleet.resume(memory)
        if resumed is None:
            # unmanaged again: a peer claimed it first (it is watched again), or the next
            # re-scan retries it as a start (which resumes)
            self.watcher.running.pop(memory.container, None)

    async def shutdown(self) -> None:
        """Stop every container at a safe point within the grace period; mark them."""
        running = [h for h in self.supervisor.list() if not h.done]
        if running:
            self.echo(f"stopping {len(running)} container(s) at their next safe point "
                      f"(grace {self.grace_s:g}s; signal again to exit at once)")
        await self.supervisor.shutdown(self.grace_s)
        self.fleet.mark_shutdown({h.id for h in running})
        self.store.log(None, "INFO", f"watch: watcher for {self.folder.root} stopped")
        self.echo("stopped; checkpoints saved, leases released")

    def _taken(self, plan: RecoveryPlan, files: Mapping[str, PlaybookFile]
               ) -> dict[str, ReportLine]:
        """The start lines of new files whose container name another file owns: they say
        what the database holds and that the start is refused."""
        lines = {}
        for action in plan.actions:
            if isinstance(action, Start) and action.path in files:
                owner = self.fleet.name_owner(files[action.path])
                if owner is not None:
                    lines[action.path] = ReportLine(action.path, owner[0], Did.TAKEN, owner[1])
        return lines

    def _report(self, plan: RecoveryPlan, failed: set[str],
                taken: Mapping[str, ReportLine]) -> None:
        """Print the start report and log each line to its container (so ``st-run logs
        NAME`` shows it) or to the watcher's own log (a group's line too)."""
        owners = {m.path: c for c, m in plan.managed.items()}
        owners.update({a.new_path: a.container for a in plan.actions
                       if isinstance(a, Rename)})
        self.echo(f"expected vs recovered ({len(plan.report)} playbook(s)):")
        for line in plan.report:
            line = taken.get(line.path, line)
            if owners.get(line.path) in failed:
                line = dataclasses.replace(line, did=Did.NOT_RECOVERED, reason="see its log; "
                                           "the watcher retries it on its next re-scan")
            self.echo(f"  {line}")
            self.store.log(container_id(owners.get(line.path)),
                           "WARNING" if line.did is Did.NOT_RECOVERED else "INFO",
                           f"watch: start: {line}")

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        self.signals += 1
        if self.signals == 1:
            self.echo(f"{sig.name}: stopping at safe points")
            self.stop.set()
            self.fleet.stopping.set()
            return
        self.echo(f"{sig.name} again: exiting at once (the next watcher resumes from the "
                  "last checkpoints)")
        os._exit(EXIT_AT_ONCE)


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    """Return when any of ``events`` is set, or after ``timeout`` seconds."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=max(0.0, timeout),
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
