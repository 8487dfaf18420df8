"""The supervisor: every container of one runner process, as asyncio tasks.

The API other parts drive (``st-run run``, the watcher):

- ``await sup.start(path, overrides=..., fresh=...)`` -> ``ContainerHandle``: load and check
  the playbook, resolve its ship, declare the container, refuse a ship another container
  holds (naming it), claim the lease, and start the task (resuming from its checkpoint);
- ``await sup.stop(name_or_id)``: stop at the next safe point (waits for it);
- ``await sup.replace(name_or_id, path)``: stop at a safe point, then run the new version
  from the same checkpoint;
- ``sup.list()``: the handles of this runner's containers;
- ``await sup.wait()``: wait for every container to end; ``await sup.shutdown(grace)``:
  stop all at safe points, cancel what is still busy after ``grace`` seconds.

A container whose agent token turns out to be from an old reset stops every container of
that agent; ``on_token_expired`` is told (the watcher registers the agent again), else the
message says to register again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from runner.api.errors import TokenFromOldReset
from runner.api.secrets import Token
from runner.domain import cursor as cur
from runner.domain.status import ContainerStatus
from runner.envconfig import LEASE_TTL_ENV, seconds_from_env
from runner.errors import StRunError
from runner.runtime.adapters import AgentDirectory, LoadedPlaybook, Runtime
from runner.runtime.clock import Clock, SystemClock
from runner.runtime.container import LEASE_TTL_S, ContainerTask, Outcome
from runner.runtime.groups import GroupKeeper
from runner.runtime.leases import LeaseKeeper, void_dead_lease
from runner.runtime.outage import DatabaseOutage, RetryPolicy
from runner.runtime.restarts import RestartRule
from runner.runtime.resume_values import decide_values
from runner.runtime.server_outage import ServerOutage, server_retry_from_env
from runner.runtime.view import ContainerView, LogListener
from runner.state.records import ContainerRecord, CorruptState, Lease
from runner.state.store import Store


class ShipTaken(StRunError):
    """Another container holds this ship (one container per ship)."""


class HeldByPeer(ShipTaken):
    """Another live runner holds this container's lease (``wait_for_leases`` off)."""

    def __init__(self, message: str, owner: str | None) -> None:
        super().__init__(message)
        self.owner = owner


class StateUnreadable(StRunError):
    """The container's stored state cannot be read: it is set aside (FAILED), not run."""


class NameTaken(StRunError):
    """The container name belongs to another playbook file or agent (exit 2)."""

    exit_code = 2


def same_file(stored: str, path: Path) -> bool:
    """True when the stored playbook path and ``path`` name the same file (a relative
    stored path, from before paths were stored absolute, is read from the current folder)."""
    return Path(stored).resolve() == path.resolve()


def lease_ttl_from_env() -> float:
    """``ST_RUN_LEASE_TTL`` seconds (tests shorten it), else the default; a value that is
    not a positive number is ``InvalidInput`` (exit 2)."""
    return seconds_from_env(LEASE_TTL_ENV, LEASE_TTL_S)


def runner_id() -> str:
    """A unique lease owner for this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class ContainerHandle:
    """A container this supervisor runs: its identity, live view, task and playbook."""

    id: int
    name: str
    ship: str
    agent: str
    playbook: LoadedPlaybook
    view: ContainerView
    container: ContainerTask
    task: asyncio.Task[Outcome]
    resumed_at: str | None = None  # "step 4/9" when it resumed from a checkpoint
    replaced: bool = field(default=False)

    @property
    def done(self) -> bool:
        return self.task.done()

    @property
    def outcome(self) -> Outcome | None:
        if not self.task.done() or self.task.cancelled() or self.task.exception() is not None:
            return None  # ContainerTask.run reports its own failures; this is a crash
        return self.task.result()


class Supervisor:
    """Runs containers in this process; see the module docstring for the API."""

    def __init__(self, store: Store, agents: AgentDirectory, *, owner: str | None = None,
                 clock: Clock | None = None, lease_ttl_s: float | None = None,
                 on_log: LogListener | None = None, runtime: Runtime | None = None) -> None:
        self.store = store
        self.agents = agents
        self.owner = owner or runner_id()
        self.clock = clock or SystemClock()
        self.lease_ttl_s = lease_ttl_s or lease_ttl_from_env()
        self.db_retry = RetryPolicy.from_env()  # read now: a bad value stops the runner
        self.on_log = on_log
        self.runtime = runtime or Runtime(store, agents)
        self.handles: dict[int, ContainerHandle] = {}
        self.leases = LeaseKeeper(store)  # one heartbeat transaction for all containers
        # False: a container another runner holds is refused at once (``HeldByPeer``)
        # instead of waiting out its lease; runners sharing a folder watch it instead.
        self.wait_for_leases = True
        self.messages: list[str] = []  # runner-level lines ("resuming ...")
        self.on_message: Callable[[str], None] | None = None
        # told of every container that ends FAILED (name, error): the watcher prints it,
        # since nobody watches its containers' logs (the foreground's live view shows them)
        self.on_failed: Callable[[str, str], None] | None = None
        # told of an agent whose token answered 4113 (a server reset), once its containers
        # were asked to stop: the watcher registers it again; without it, a line says to
        self.on_token_expired: Callable[[str], None] | None = None
        # one "database unreachable" / "database back" line for all containers together
        self.outage = DatabaseOutage(self.say, self._live_count)
        # ... and one "game server unreachable" / "back" line; its limit is checked here,
        # before any container starts (a bad ST_RUN_SERVER_OUTAGE_LIMIT is exit 2).
        self.server_retry = server_retry_from_env()
        self.server_outage = ServerOutage(self.say, self._live_count)
        # group playbooks (`ships:`): one container per matching ship, kept in step
        self.groups = GroupKeeper(self)

    def _live_count(self) -> int:
        return sum(not h.done for h in self.handles.values())

    # ---- starting ------------------------------------------------------------------------

    async def start(self, path: str | Path, *, overrides: Mapping[str, Any] | None = None,
                    fresh: bool = False) -> ContainerHandle:
        """Start (or resume) the container for the playbook at ``path``."""
        loaded = self.runtime.load(Path(path), overrides or {})
        return await self.start_loaded(loaded, fresh=fresh)

    async def start_loaded(self, loaded: LoadedPlaybook, *, fresh: bool = False,
                           replace: bool = False) -> ContainerHandle:
        """Start (or resume) a container for an already loaded playbook.

        ``replace``: the playbook takes over a container name another file or agent owns
        (its progress is dropped); without it that is ``NameTaken``.
        """
        stand_in = self.agents.stand_in(getattr(loaded.playbook, "agent", None))
        if stand_in is not None:
            self.say(f"{loaded.name}: {stand_in}")
        previous = self.claimed_by_other(loaded, replace=replace)
        if previous is not None:
            self.say(f"{loaded.name}: --replace: the container now runs {loaded.path} "
                     f"(it ran {previous}); its progress starts over")
            fresh = True
        own = self.store.get_container(loaded.name)
        if own is not None and self.handles.get(own.id) is None \
                and void_dead_lease(self.store, own):  # so --fresh need not wait it out
            self.say(f"{own.name}: its runner {own.lease_owner} is gone (no such process "
                     "on this host); taking it over now")
        loaded = self.resume_values(loaded, fresh=fresh)
        self._refuse_dead_token(loaded.agent)
        ship = await self._resolve_ship(loaded)
        holder = self.store.ship_holder(ship, loaded.agent)
        if holder is not None and holder.name != loaded.name:
            self._take_over_or_refuse(ship, holder)
        record = self.store.upsert_container(
            loaded.name, str(loaded.path.absolute()), loaded.content_hash, ship, loaded.agent,
            git_revision=loaded.git_revision, source_text=loaded.source_text, fresh=fresh,
            overrides=loaded.overrides)
        if record.content_hash != loaded.content_hash and record.source_text:
            self.say(f"{loaded.name}: resuming the version it started with "
                      f"({record.content_hash[:12]}); use --fresh to run the edited file")
            loaded = self.runtime.load_text(record.source_text, loaded)
        lease = await self._claim(record)
        try:
            resumed_at = self._resume_text(record.id, loaded)
        except CorruptState as exc:
            raise self._set_aside(lease, loaded.name, exc) from None
        # a back-off a previous runner reached is kept: no probe before its restart time
        current = self.store.require_container(record.id)
        resume_at = current.next_restart_at \
            if current.status is ContainerStatus.BACKOFF and not fresh else None
        return self._launch(record.id, ship, loaded, lease, current.restarts, resumed_at,
                            resume_at=resume_at)

    async def _resolve_ship(self, loaded: LoadedPlaybook) -> str:
        """The playbook's ship; a 4113 on the way (a selector lists the ships) is a server
        reset: the token is remembered as dead and ``on_token_expired`` told."""
        try:
            return await self.runtime.resolve_ship(loaded)
        except TokenFromOldReset:
            self._token_died(loaded.agent)
            if self.on_token_expired is not None:
                self.on_token_expired(loaded.agent)
            raise

    def _token_died(self, agent: str) -> None:
        """Remember (by digest) that ``agent``'s token is from an old reset."""
        token = self._agent_token(agent)
        if token is not None:
            with contextlib.suppress(Exception):  # best effort: the session refuses too
                self.store.mark_token_dead(token.digest(), "the server answered 4113")

    def _agent_token(self, agent: str) -> Token | None:
        token = getattr(self.agents.client(agent), "token", None)
        return token if isinstance(token, Token) else None

    def _refuse_dead_token(self, agent: str) -> None:
        """A token the server called from an old reset is never sent again, not even by a
        restarted runner: the store remembers it (by digest)."""
        token = self._agent_token(agent)
        dead = None if token is None else self.store.dead_token(token.digest())
        if dead is not None:
            if self.on_token_expired is not None:
                self.on_token_expired(agent)  # registers the agent again, if it can
            reason, noticed = dead
            raise StRunError(f"agent {agent}: its token is from an old server reset "
                             f"({reason}, noticed {noticed:%Y-%m-%d %H:%M} UTC); nothing "
                             "is sent with it: register again (`st-run register`)")

    def claimed_by_other(self, loaded: LoadedPlaybook, *, replace: bool = False
                         ) -> str | None:
        """Identity: a container belongs to one agent and one playbook file.

        None when ``loaded``'s name is free or already its own; when another file or agent
        owns it: ``NameTaken`` (naming both files), or with ``replace`` a short description
        of the previous owner (the caller starts the container over).
        """
        record = self.store.get_container(loaded.name)
        if record is None or (same_file(record.playbook_path, loaded.path)
                              and record.agent == loaded.agent):
            return None
        owner = record.playbook_path if record.agent == loaded.agent else \
            f"{record.playbook_path} as agent {record.agent}"
        if replace:
            return owner
        mine = loaded.path if record.agent == loaded.agent else \
            f"{loaded.path} as agent {loaded.agent}"
        raise NameTaken(f"{loaded.path}: container {loaded.name!r} belongs to {owner} "
                        f"({record.status.value}), not {mine}: rename one of them (`name:`), "
                        f"or give it the name with `st-run run --replace {loaded.path}`")

    def _set_aside(self, lease: Lease, name: str, exc: CorruptState) -> StateUnreadable:
        """A container whose stored state cannot be read: FAILED with the reason (so
        ``status`` shows it), logged, its lease released; the others run on."""
        reason = f"stored state cannot be read: {exc.message}"
        self.store.set_status(lease, ContainerStatus.FAILED, error=reason)
        self.store.log(lease.container_id, "ERROR", f"set aside: {reason}", lease=lease)
        self.store.release(lease)
        return StateUnreadable(f"set aside: {reason}; `--fresh` starts {name} over")

    def resume_values(self, loaded: LoadedPlaybook, *, fresh: bool = False) -> LoadedPlaybook:
        """The playbook with the ``-e`` values its container resumes with: the stored ones
        when it has progress to resume (said once when none were asked); ``ResumeRefused``
        (exit 2) when other values were asked. ``start_loaded`` calls it; a caller may call
        it first to refuse before anything starts."""
        if fresh or not self.resumes(loaded):
            return loaded  # a new run: it runs with (and stores) the values asked
        record = self.store.require_container(loaded.name)
        decision = decide_values(loaded.name, record.overrides or {}, loaded.overrides)
        if decision.note is None:
            return loaded
        self.say(decision.note)
        return self.runtime.load_text(loaded.source_text,
                                      dataclasses.replace(loaded, overrides=decision.values))

    def resumes(self, loaded: LoadedPlaybook) -> bool:
        """True when running ``loaded`` (without ``--fresh``) resumes its container from a
        checkpoint instead of starting from the top."""
        record = self.store.get_container(loaded.name)
        return record is not None and record.status is not ContainerStatus.COMPLETED \
            and self.store.has_checkpoint(record.id)

    def _take_over_or_refuse(self, ship: str, holder: ContainerRecord) -> None:
        """Refuse a ship another live container holds; release it from a dead one.

        A holder whose lease lapsed (or that never ran) has no runner: it is marked STOPPED
        (its checkpoints stay, so running its playbook again resumes it) and the ship is
        free, so a crashed runner never leaves a ship locked.
        """
        mine = self.handles.get(holder.id)
        # Claiming its lease fences the old runner out, should it only have been slow.
        lease = None if mine is not None and not mine.done else self._claim_now(holder.id)
        if lease is None:
            raise ShipTaken(f"ship {ship} is held by container {holder.name!r} "
                            f"(id {holder.id}, {holder.status}, runner {holder.lease_owner});"
                            f" stop it first with `st-run stop {holder.name}`")
        line = (f"ship {ship} released from container {holder.name!r}: its runner is gone; "
                f"it is STOPPED and resumes when its playbook runs again")
        self.store.set_status(lease, ContainerStatus.STOPPED,
                              error="its ship was taken over after its runner died")
        self.store.log(holder.id, "WARNING", line, lease=lease)
        self.store.release(lease)
        self.say(line)

    async def _claim(self, record: ContainerRecord) -> Lease:
        """Claim the container's lease; wait out a lease left by a runner that died.

        A live runner renews its lease every third of its time to live, so a lease that is
        not renewed before it expires belongs to a dead runner and is taken over then.
        """
        lease = self._claim_now(record.id)
        if lease is not None:
            return lease
        current = self.store.require_container(record.id)
        if not self.wait_for_leases:
            raise HeldByPeer(f"container {record.name!r} is run by runner "
                             f"{current.lease_owner}", current.lease_owner)
        expires = current.lease_expires_at
        self.say(f"{record.name}: held by runner {current.lease_owner} until "
                 f"{expires:%H:%M:%SZ}; taking it over if it is not renewed" if expires else
                 f"{record.name}: held by runner {current.lease_owner}")
        while expires is not None:
            # the database's clock judges expiry: this host's may be skewed
            wait = (expires - self.store.now()).total_seconds() + 0.2
            await self.clock.sleep(max(0.05, wait))
            lease = self.store.claim(record.id, self.owner, self.lease_ttl_s)
            if lease is not None:
                return lease
            renewed = self.store.require_container(record.id).lease_expires_at
            if renewed is not None and renewed > expires:
                break  # the other runner is alive and renewed it
            expires = renewed
        raise ShipTaken(f"container {record.name!r} is run by another live runner "
                        f"({current.lease_owner}); stop it there or wait for it to end")

    def _claim_now(self, container_id: int) -> Lease | None:
        """Claim the lease now; a lease whose holder is provably dead (this host, its PID
        gone) is taken over at once instead of waiting out its time to live."""
        lease = self.store.claim(container_id, self.owner, self.lease_ttl_s)
        if lease is not None:
            return lease
        current = self.store.require_container(container_id)
        if not void_dead_lease(self.store, current):
            return None
        self.say(f"{current.name}: its runner {current.lease_owner} is gone (no such "
                 "process on this host); taking it over now")
        return self.store.claim(container_id, self.owner, self.lease_ttl_s)

    def _resume_text(self, container_id: int, loaded: LoadedPlaybook) -> str | None:
        """"step N/M" where the container resumes (None from the top); reads and checks
        its stored state first (``CorruptState`` when it cannot be read)."""
        checkpoint = self.store.last_checkpoint(container_id)
        intent = self.store.pending_intent(container_id)
        where = intent.step_path if intent is not None else \
            checkpoint.step_path if checkpoint is not None else None
        if where is None:
            return None
        try:
            step = cur.top_step(cur.decode(where)) + 1
        except ValueError as exc:
            raise CorruptState(f"its step cursor is unreadable: {exc}") from None
        text = f"step {step}/{len(loaded.steps)}"
        self.say(f"resuming {loaded.name} at {text}")
        return text

    def _launch(self, container_id: int, ship: str, loaded: LoadedPlaybook, lease: Lease,
                restarts: int, resumed_at: str | None, *,
                resume_at: datetime | None = None) -> ContainerHandle:
        from runner.runtime.journal import LeaseHolder

        view = ContainerView(str(container_id), loaded.name, ship=ship,
                             step_total=len(loaded.steps))
        container = ContainerTask(
            store=self.store, holder=LeaseHolder(self.store, lease), view=view,
            agent=loaded.agent, build=lambda task: self.runtime.build_executor(task, loaded, ship),
            rule=RestartRule.from_spec(loaded.restart, clock=self.clock), clock=self.clock,
            restarts=restarts, leases=self.leases, outage=self.outage,
            server_outage=self.server_outage, server_retry=self.server_retry,
            probe=lambda: self.agents.client(loaded.agent).get_ship(ship),
            db_retry=self.db_retry, resume_at=resume_at)
        if self.on_log is not None:
            container.listeners.append(self.on_log)
        task = asyncio.create_task(container.run(), name=f"container:{loaded.name}")
        handle = ContainerHandle(container_id, loaded.name, ship, loaded.agent, loaded, view,
                                 container, task, resumed_at)
        self.handles[container_id] = handle
        task.add_done_callback(lambda t: self._ended(handle))
        return handle

    def _ended(self, handle: ContainerHandle) -> None:
        outcome = handle.outcome
        handled_reset = outcome is not None and outcome.agent_token_expired \
            and self.on_token_expired is not None  # its reset lines tell the story
        if outcome is not None and outcome.status is ContainerStatus.FAILED \
                and self.on_failed is not None and not handled_reset:
            self.on_failed(handle.name, outcome.error or "failed")
        if outcome is not None and outcome.agent_token_expired:
            self._token_died(handle.agent)
            for other in self.handles.values():
                if other.agent == handle.agent and not other.done:
                    other.container.request_stop()
            if self.on_token_expired is not None:
                self.on_token_expired(handle.agent)
                return
            self.say(f"agent {handle.agent}: token is from an old reset; stopped all its "
                      "containers; register again (`st-run register`)")

    # ---- control -------------------------------------------------------------------------

    def find(self, name_or_id: str | int) -> ContainerHandle:
        """The handle of a container this runner runs (by name or id)."""
        for handle in self.handles.values():
            if handle.name == str(name_or_id) or str(handle.id) == str(name_or_id):
                return handle
        raise StRunError(f"this runner does not run a container named {name_or_id!r}")

    def list(self) -> list[ContainerHandle]:
        """This runner's containers, in start order."""
        return list(self.handles.values())

    async def stop(self, name_or_id: str | int) -> Outcome | None:
        """Stop a container at its next safe point and wait for it."""
        handle = self.find(name_or_id)
        handle.container.request_stop()
        return await handle.task

    async def replace(self, name_or_id: str | int, path: str | Path, *,
                      overrides: Mapping[str, Any] | None = None) -> ContainerHandle:
        """Run a new version of a container's playbook from its checkpoint, at a safe point.

        The new file is loaded first (a bad file raises and the old version keeps running).
        """
        loaded = self.runtime.load(Path(path), overrides or {})
        return await self.replace_loaded(name_or_id, loaded)

    async def replace_loaded(self, name_or_id: str | int, loaded: LoadedPlaybook
                             ) -> ContainerHandle:
        """``replace`` with an already loaded playbook (a group's member, say)."""
        handle = self.find(name_or_id)
        handle.container.request_stop()
        await handle.task
        handle.replaced = True
        self.store.set_status(handle.id, ContainerStatus.PENDING)
        lease = self.store.claim(handle.id, self.owner, self.lease_ttl_s)
        if lease is None:
            raise ShipTaken(f"container {handle.name!r} was taken by another runner")
        self._force_snapshot(handle.id, loaded)
        self.say(f"{handle.name}: running the new version ({loaded.content_hash[:12]})")
        restarts = handle.container.restarts
        return self._launch(handle.id, handle.ship, loaded, lease, restarts,
                            self._resume_text(handle.id, loaded))

    def _force_snapshot(self, container_id: int, loaded: LoadedPlaybook) -> None:
        """Record the new version as the one this container runs (checkpoints are kept)."""
        from runner.runtime.adapters import force_snapshot

        force_snapshot(self.store, container_id, loaded)

    async def wait(self) -> dict[str, Outcome | None]:
        """Wait for every container (including ones started meanwhile) to end, and while a
        group waits for its first member."""
        while True:
            pending = [h.task for h in self.handles.values() if not h.task.done()]
            if pending:
                await asyncio.wait(pending, return_when=asyncio.ALL_COMPLETED)
                continue
            if self.groups.awaiting():
                self.groups.changed.clear()
                await self.groups.changed.wait()
                continue
            await self.groups.settle()  # a look at the fleet under way may start one more
            if all(h.task.done() for h in self.handles.values()):
                break
        return {h.name: h.outcome for h in self.handles.values() if not h.replaced}

    async def shutdown(self, grace_s: float = 30.0) -> None:
        """Stop every container at a safe point; cancel any still running after ``grace_s``."""
        self.groups.close()
        for handle in self.handles.values():
            handle.container.request_stop()
        pending = [h.task for h in self.handles.values() if not h.task.done()]
        if not pending:
            return
        _done, late = await asyncio.wait(pending, timeout=grace_s)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def say(self, line: str) -> None:
        """A runner-level message (not a container's log line)."""
        self.messages.append(line)
        if self.on_message is not None:
            self.on_message(line)
