"""The watcher's adapter onto the runtime: a :class:`~runner.watch.fleet.Fleet` over the
supervisor and the state store, plus what recovery needs from the database.

Thin by intent: the supervisor starts, stops and replaces containers; this module only
maps the watcher's decisions onto those calls, turns their errors into log lines (a bad
playbook never stops the watcher), and reads the store for the start report.

Things the supervisor does not do and this adapter adds:

- refuse a second live container under the same name (two files naming the same container,
  or a copied file): the supervisor would claim the same lease twice;
- a reload of a container that already ended (completed, stopped, failed) starts the new
  version instead of resuming the old run;
- a rename updates the container's playbook path without touching its progress;
- at shutdown, a "stopped by the watcher" marker, so the next watcher resumes those
  containers but leaves the ones a user stopped with ``st-run stop``;
- on every re-scan, resume the managed containers ``st-run start -d`` made PENDING;
- a group playbook (``ships:``) is one managed entry, keyed ``group:NAME``, for all its
  member containers (``runner.runtime.groups`` keeps them in step with the fleet): an edit
  reloads every member at its safe point, a deleted file stops them all, and at start the
  members the database remembers count as one container (resumed together).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from runner.domain.ship_group import group_of
from runner.domain.status import ContainerStatus
from runner.errors import StRunError
from runner.watch.fleet import PlaybookFile, Validation
from runner.watch.folder import Folder
from runner.watch.reconcile import Managed
from runner.watch.recovery import Remembered

if TYPE_CHECKING:
    from runner.runtime.adapters import LoadedPlaybook
    from runner.runtime.supervisor import ContainerHandle, Supervisor
    from runner.state.records import ContainerRecord
    from runner.state.store import Store

SHUTDOWN_MARKER = "watch: stopped by the watcher's shutdown; resumes when it restarts"
"""The last log line of a container the watcher stopped on SIGTERM/SIGINT."""

INVALID_NOTE = "watch: playbook file is invalid, the container keeps its previous version: "
"""Prefix of the ``last_error`` the watcher sets while a container's file is invalid."""

Echo = Callable[[str], None]

GROUP_KEY = "group:"
"""Prefix of the key the watcher manages a group playbook under (``group:miners``)."""


def container_id(container: str | None) -> int | None:
    """The database id behind a managed key; None for a group's key (or no container)."""
    if container is None or container.startswith(GROUP_KEY):
        return None
    return int(container)


def _group_name(container: str) -> str | None:
    return container.removeprefix(GROUP_KEY) if container.startswith(GROUP_KEY) else None


def validate_playbook(file: PlaybookFile) -> Validation:
    """Load one playbook version from its bytes with the playbook language."""
    from runner.playbook.model import load_playbook_text

    try:
        text = file.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Validation(f"{file.path}:1:1: not UTF-8 text ({exc.reason})")
    try:
        load_playbook_text(text, str(file.path), None)
    except StRunError as exc:
        return Validation(exc.message)
    return Validation()


def text_digest(source_text: str) -> str:
    """The watcher's digest of a stored version (the store keeps its text, not its bytes)."""
    return hashlib.sha256(source_text.encode("utf-8")).hexdigest()


class RuntimeFleet:
    """Carries out the watcher's actions with a :class:`Supervisor`."""

    def __init__(self, supervisor: Supervisor, store: Store, echo: Echo | None = None, *,
                 fresh: bool = False) -> None:
        """``fresh``: the first start of each container in this session drops its old
        progress (a new universe, e.g. the embedded simulator)."""
        self.supervisor = supervisor
        self.store = store
        self.echo = echo or (lambda line: None)
        self.fresh = fresh
        self._started: set[str] = set()
        self._start_errors: dict[str, str] = {}  # path -> last error (reported once)
        self.stopping = asyncio.Event()  # set on shutdown: long waits give up
        # One start at a time: the supervisor's one-container-per-ship check is a read then
        # a write, and reloads that swap containers run concurrently.
        self._starting = asyncio.Lock()
        # Told (path, owner) when another live runner already runs a file's container: the
        # session leaves the file to it and takes the container over when it stops.
        self.on_held: Callable[[str, str | None], None] | None = None

    @property
    def starting(self) -> asyncio.Lock:
        """Held while a container starts (one at a time; see ``__init__``)."""
        return self._starting

    # ---- Fleet ---------------------------------------------------------------------------

    async def start(self, file: PlaybookFile) -> str | None:
        async with self._starting:
            return await self._start(file)

    async def _start(self, file: PlaybookFile) -> str | None:
        try:
            loaded = self.supervisor.runtime.load(file.path, {})
            self._refuse_duplicate(loaded, file)
            if loaded.is_group:
                return await self._start_group(loaded, file)
            self.supervisor.claimed_by_other(loaded)  # another file's name: NameTaken
            self._adopt_version(loaded)
            fresh = self.fresh and loaded.name not in self._started
            handle = await self.supervisor.start_loaded(loaded, fresh=fresh)
            self._started.add(loaded.name)
        except StRunError as exc:
            if self._held(exc, file.rel):
                return None
            # The watcher retries on every re-scan (the ship may be free by then); say it once.
            if self._start_errors.get(file.rel) != exc.message:
                self._start_errors[file.rel] = exc.message
                await self.report(None, "error", f"{file.rel}: not started: {exc.message}")
            return None
        self._start_errors.pop(file.rel, None)
        await self.report(str(handle.id), "info", f"{file.rel}: started {handle.name} "
                          f"(version {file.digest[:12]}, ship {handle.ship})")
        return str(handle.id)

    def stopped_by_user(self, agent: str) -> set[int]:
        """The ids of ``agent``'s containers a user stopped (not this watcher: not at its
        shutdown, not at a reset, and not running here)."""
        running = {h.id for h in self.supervisor.list() if h.agent == agent}
        return {r.id for r in self.store.list_containers(all=True)
                if r.agent == agent and r.status is ContainerStatus.STOPPED
                and r.id not in running and not self._stopped_by_watcher(r.id)}

    def runs_as(self, file: PlaybookFile, agent: str) -> bool:
        """True when the playbook in ``file`` runs as ``agent`` (False when it cannot load)."""
        try:
            return self.supervisor.runtime.load(file.path, {}).agent == agent
        except StRunError:
            return False

    async def start_afresh(self, rel: str, path: Path) -> str | None:
        """Start the playbook at ``path`` from the top (a server reset made a new universe);
        the id of the container it runs, or None (the error is reported)."""
        async with self._starting:
            try:
                loaded = self.supervisor.runtime.load(path, {})
                if loaded.is_group:  # the old universe's members go; the new ones join
                    await self.supervisor.groups.start_afresh(loaded, persistent=True)
                    key = f"{GROUP_KEY}{loaded.name}"
                    await self.report(key, "info", f"{rel}: started group {loaded.name} "
                                      "afresh in the new universe")
                    return key
                handle = await self.supervisor.start_loaded(loaded, fresh=True)
            except StRunError as exc:
                await self.report(None, "error", f"{rel}: not started afresh: {exc.message}")
                return None
        await self.report(str(handle.id), "info", f"{rel}: started {handle.name} "
                          f"afresh in the new universe (ship {handle.ship})")
        return str(handle.id)

    async def replace(self, container: str, file: PlaybookFile) -> str | None:
        if _group_name(container) is not None:
            return await self._replace_group(container, file)
        handle = self.supervisor.handles.get(int(container))
        try:
            loaded = self.supervisor.runtime.load(file.path, {})
            if handle is None or not _same_container(loaded, handle, file):
                return await self._swap(container, handle, file)
            if handle.done:  # it ended (completed, failed, stopped): run the new version
                loaded = dataclasses.replace(loaded, name=handle.name)
                async with self._starting:
                    self._adopt_version(loaded)
                    new = await self.supervisor.start_loaded(loaded)
            else:
                new = await self.supervisor.replace(handle.id, file.path)
        except StRunError as exc:
            await self.report(container, "error", f"{file.rel}: reload failed, the old "
                              f"version keeps running: {exc.message}")
            return None
        await self.report(container, "info", f"{file.rel}: now running version "
                          f"{file.digest[:12]}")
        return str(new.id)

    async def rename(self, container: str, file: PlaybookFile) -> None:
        for record in self._records(container):
            # The container follows its file (it belongs to one file: identity); only the
            # path changes, so a COMPLETED container is not made to run again.
            self.store.replace_snapshot(record.id, record.content_hash, record.source_text,
                                        record.git_revision, str(file.path))

    async def stop(self, container: str) -> None:
        group = _group_name(container)
        if group is not None:
            await self.supervisor.groups.stop(group)
            for member in self._records(container):  # members that were not running here
                await self.stop(str(member.id))
            return
        handle = self.supervisor.handles.get(int(container))
        if handle is not None and not handle.done:
            await self.supervisor.stop(handle.id)
            return
        record = self.store.get_container(int(container))
        if record is not None and record.status.is_active \
                and _live_owner(record) in (None, self.supervisor.owner):
            self.store.set_status(record.id, ContainerStatus.STOPPED)

    async def mark_invalid(self, container: str, error: str | None) -> None:
        # The store has no call for this: one guarded UPDATE of ``last_error`` (which
        # ``status --json`` shows). Clearing only removes the watcher's own note, never an
        # error the runtime recorded.
        from runner.state.models import containers

        c = containers.c
        ids = [r.id for r in self._records(container)]
        with self.store.engine.begin() as conn:
            if error is None:
                conn.execute(sa.update(containers).where(
                    c.id.in_(ids), c.last_error.startswith(INVALID_NOTE))
                    .values(last_error=None))
            else:
                conn.execute(sa.update(containers).where(c.id.in_(ids))
                             .values(last_error=f"{INVALID_NOTE}{error}"))

    def name_owner(self, file: PlaybookFile) -> tuple[str, str] | None:
        """When ``file``'s container name belongs to another file or agent: what the
        database says about that container and the refusal; else None (the start report
        must not say "db says nothing; started" about a name that is taken)."""
        from runner.runtime.supervisor import NameTaken

        try:
            loaded = self.supervisor.runtime.load(file.path, {})
            self.supervisor.claimed_by_other(loaded)
        except NameTaken as exc:
            record = self.store.get_container(loaded.name)
            said = "nothing" if record is None else \
                f"{record.name}: {record.status.value} from {record.playbook_path}"
            return said, exc.message
        except StRunError:
            return None  # invalid: the start reports it
        return None

    async def report(self, container: str | None, level: str, message: str) -> None:
        group = None if container is None else _group_name(container)
        if group is not None:
            self.store.log(None, level.upper(), f"watch: [{group}] {message}")
            self.echo(f"{level}: [{group}] {message}")
            return
        db_id = container_id(container)
        self.store.log(db_id, level.upper(), f"watch: {message}")
        name = "" if container is None else f"[{self._name(db_id)}] "
        self.echo(f"{level}: {name}{message}")

    # ---- recovery ------------------------------------------------------------------------

    def remembered(self, folder: Folder) -> list[Remembered]:
        """The containers the database holds for playbooks inside ``folder``."""
        found = []
        members: dict[str, list[Remembered]] = {}
        for record in self.store.list_containers(all=True):
            rel = folder.relative(record.playbook_path)
            if rel is None or not Path(record.playbook_path).is_absolute():
                continue
            memory = self._remembered(record, str(rel))
            group = group_of(record.name)
            if group is None:
                found.append(memory)
            else:
                members.setdefault(group, []).append(memory)
        return found + [_as_group(name, held) for name, held in sorted(members.items())]

    async def resume(self, memory: Remembered) -> str | None:
        """Resume a remembered container, running the version it checkpointed (a group:
        its members, each from its own checkpoint; finished members stay finished)."""
        if _group_name(memory.container) is not None:
            async with self._starting:
                return await self._resume_group(memory.container)
        record = self.store.get_container(int(memory.container))
        if record is None or not record.source_text:
            await self.report(memory.container, "error", "cannot resume: no stored version")
            return None
        if not await self._await_dead_lease(record):
            await self.report(memory.container, "warning", "not resumed: the watcher is "
                              "stopping")
            return None
        # The stored path, not the file's new one: a playbook named after its file keeps its
        # name (and so its container); a rename action records the new path afterwards.
        path = Path(record.playbook_path)
        try:
            like = self.supervisor.runtime.load_text(record.source_text, _stub(path))
            # A name taken from the file's name would change with a rename: keep the stored one.
            like = dataclasses.replace(like, name=record.name)
            handle = await self.supervisor.start_loaded(like)
        except StRunError as exc:
            if self._held(exc, memory.path):
                return None
            await self.report(memory.container, "error", f"could not resume: {exc.message}")
            return None
        return str(handle.id)

    async def _await_dead_lease(self, record: ContainerRecord) -> bool:
        """A runner died holding the lease: wait for it to expire (<= its ttl), unless it
        is provably dead (this host, its PID gone): the supervisor takes that over at once.

        False when the watcher began stopping meanwhile.
        """
        from runner.runtime.leases import owner_is_dead

        if record.lease_owner in (None, self.supervisor.owner) or record.lease_expires_at is None \
                or owner_is_dead(record.lease_owner):
            return not self.stopping.is_set()
        left = (record.lease_expires_at - self.store.now()).total_seconds()
        if left > 0:
            await self.report(str(record.id), "info", f"waiting {left:.0f}s for the lease of "
                              f"dead runner {record.lease_owner} to expire")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), left + 0.05)
        return not self.stopping.is_set()

    def mark_shutdown(self, running: Collection[int]) -> None:
        """Mark the containers this watcher's shutdown stopped, for the next watcher.

        ``running``: the ids that still ran when the shutdown began. One a user stopped
        earlier (``st-run stop``) is not among them and stays stopped (desired state).
        """
        for handle in self.supervisor.list():
            outcome = handle.outcome
            if outcome is not None and outcome.status is ContainerStatus.STOPPED \
                    and not handle.replaced and handle.id in running:
                self.store.log(handle.id, "INFO", SHUTDOWN_MARKER)

    async def revive(self, managed: Mapping[str, Managed]) -> None:
        """Resume the managed containers a user asked to run again (``st-run start -d``
        made them PENDING) that no runner drives."""
        now = self.store.clock()
        for container in list(managed):
            if _group_name(container) is not None:
                await self._revive_group(container)  # its own looks resume PENDING members
                continue
            handle = self.supervisor.handles.get(int(container))
            if handle is not None and not handle.done:
                continue
            record = self.store.get_container(int(container))
            if record is None or record.status is not ContainerStatus.PENDING:
                continue
            owner = _live_owner(record)
            if owner not in (None, self.supervisor.owner) and record.lease_expires_at \
                    is not None and record.lease_expires_at > now:
                continue  # another runner (e.g. `st-run start` in a terminal) has it
            await self.report(container, "info", f"{record.name} is PENDING again "
                              "(st-run start): resuming it")
            async with self._starting:
                await self.resume(Remembered(container, record.name, record.playbook_path,
                                             record.content_hash, record.status))

    # ---- helpers -------------------------------------------------------------------------

    def _held(self, exc: StRunError, path: str) -> bool:
        """True when ``exc`` says another live runner runs the container (and the session
        was told, ``on_held``): not an error, the file is that runner's."""
        from runner.runtime.supervisor import HeldByPeer

        if not isinstance(exc, HeldByPeer) or self.on_held is None:
            return False
        self.on_held(path, exc.owner)
        return True

    def _remembered(self, record: ContainerRecord, rel: str) -> Remembered:
        by_watcher = record.status is ContainerStatus.STOPPED and \
            self._stopped_by_watcher(record.id)
        digest = text_digest(record.source_text) if record.source_text else record.content_hash
        # Not decoded: one container's unreadable checkpoint must not stop the recovery.
        return Remembered(str(record.id), record.name, rel, digest, record.status,
                          step=record.step_path, checkpointed=self.store.has_checkpoint(
                              record.id),
                          lease_owner=_live_owner(record), lease_expires_at=
                          record.lease_expires_at, last_error=record.last_error,
                          stopped_by_watcher=by_watcher)

    def _stopped_by_watcher(self, container_id: int) -> bool:
        """True when the watcher stopped it: at its shutdown, or at a server reset (its
        progress was dropped, so it starts afresh; a user did not ask it to stay stopped)."""
        from runner.domain.reset import OLD_UNIVERSE_NOTE

        last = self.store.logs(container_id, limit=1)
        return bool(last) and (last[-1].message == SHUTDOWN_MARKER
                               or last[-1].message.startswith(OLD_UNIVERSE_NOTE))

    async def _swap(self, container: str, handle: ContainerHandle | None,
                    file: PlaybookFile) -> str | None:
        """A reload that cannot reuse the running task: stop the old, start the new."""
        if handle is not None and not handle.done:
            await self.supervisor.stop(handle.id)
            await self.report(container, "info", f"{file.rel} now names another container "
                              "or ship; stopped this one")
        return await self.start(file)

    def _refuse_duplicate(self, loaded: LoadedPlaybook, file: PlaybookFile) -> None:
        group = self.supervisor.groups.find(loaded.name)
        if group is not None:
            raise StRunError(f"group {loaded.name!r} already runs {group.loaded.path}; give "
                             "this playbook another name")
        for handle in self.supervisor.list():
            if handle.name == loaded.name and not handle.done:
                raise StRunError(f"container {loaded.name!r} already runs "
                                 f"{handle.playbook.path}; give this playbook another name")

    def _adopt_version(self, loaded: LoadedPlaybook) -> None:
        """Make an existing, finished container run ``loaded`` (the store would keep the
        version it checkpointed, which is right for a resume but not for a new file)."""
        from runner.runtime.adapters import force_snapshot

        record = self.store.get_container(loaded.name)
        if record is not None and not record.status.is_active \
                and record.content_hash != loaded.content_hash:
            force_snapshot(self.store, record.id, loaded)

    async def _start_group(self, loaded: LoadedPlaybook, file: PlaybookFile) -> str:
        """Start a group playbook's members; the watcher manages the group as one key."""
        await self.supervisor.groups.start(loaded, fresh=self.fresh, persistent=True)
        key = f"{GROUP_KEY}{loaded.name}"
        self._start_errors.pop(file.rel, None)
        what = loaded.ships.describe() if loaded.ships is not None else "no ships"
        await self.report(key, "info", f"{file.rel}: started group {loaded.name} "
                          f"(version {file.digest[:12]}, {what})")
        return key

    async def _revive_group(self, container: str) -> None:
        """A managed group that does not run here (its members had all finished when the
        watcher started): run it, so ships that match later join; finished members stay
        finished. Said once when it cannot."""
        name = _group_name(container)
        if name is None or self.supervisor.groups.find(name) is not None \
                or self.stopping.is_set() or container in self._start_errors:
            return
        async with self._starting:
            if await self._resume_group(container) is None:
                self._start_errors[container] = "not revived"

    async def _resume_group(self, container: str) -> str | None:
        """Start a remembered group again from the version its members checkpointed."""
        records = self._records(container)
        source = next((r for r in records if r.source_text), None)
        if source is None:
            await self.report(container, "error", "cannot resume: no stored version")
            return None
        try:
            loaded = self.supervisor.runtime.load_text(source.source_text or "",
                                                       _stub(Path(source.playbook_path)))
            if not loaded.is_group or f"{GROUP_KEY}{loaded.name}" != container:
                raise StRunError("its stored version is not this group's playbook")
            await self.supervisor.groups.start(loaded, leave=self._stays_finished,
                                               persistent=True)
        except StRunError as exc:
            await self.report(container, "error", f"could not resume: {exc.message}")
            return None
        return container

    async def _replace_group(self, container: str, file: PlaybookFile) -> str | None:
        """An edited group file: every member runs the new version from its safe point (a
        file that now names another container stops the group and starts that one)."""
        name = _group_name(container)
        assert name is not None
        try:
            loaded = self.supervisor.runtime.load(file.path, {})
            group = self.supervisor.groups.find(name)
            if not loaded.is_group or loaded.name != name or group is None \
                    or loaded.agent != group.agent:
                await self.supervisor.groups.stop(name)
                await self.report(container, "info", f"{file.rel} now names another "
                                  "container or ship; stopped this group")
                return await self.start(file)
            async with self._starting:
                await self.supervisor.groups.replace(name, loaded)
        except StRunError as exc:
            await self.report(container, "error", f"{file.rel}: reload failed, the old "
                              f"version keeps running: {exc.message}")
            return None
        await self.report(container, "info", f"{file.rel}: every member now runs version "
                          f"{file.digest[:12]}")
        return container

    def _stays_finished(self, record: ContainerRecord) -> bool:
        """A remembered member is left as it is when it finished (completed, failed, or
        stopped by a user, not by a watcher's shutdown)."""
        if record.status.is_active:
            return False
        return not (record.status is ContainerStatus.STOPPED
                    and self._stopped_by_watcher(record.id))

    def _records(self, container: str) -> list[ContainerRecord]:
        """The stored containers behind a managed key: one, or a group's members."""
        group = _group_name(container)
        if group is None:
            record = self.store.get_container(int(container))
            return [] if record is None else [record]
        return [r for r in self.store.list_containers(all=True) if group_of(r.name) == group]

    def _name(self, container_id: int | None) -> str:
        handle = None if container_id is None else self.supervisor.handles.get(container_id)
        return handle.name if handle is not None else str(container_id)


def _same_container(loaded: LoadedPlaybook, handle: ContainerHandle,
                    file: PlaybookFile) -> bool:
    """True when a new version can replace ``handle``'s in place: same agent and ship, and
    same name (or a name taken from the file's own name, which a rename changed)."""
    same_name = loaded.name in (handle.name, file.path.stem)
    return same_name and loaded.agent == handle.agent and \
        loaded.ship_selector == handle.playbook.ship_selector


def _as_group(name: str, members: list[Remembered]) -> Remembered:
    """A group's members as one remembered container (key ``group:NAME``): active when one
    is; held by another runner when one is; its version the newest member's."""
    active = [m for m in members if m.active]
    held = [m for m in members if m.lease_owner is not None]
    first = (active or members)[0]
    owner = held[0] if held else first
    return Remembered(f"{GROUP_KEY}{name}", name, first.path, first.digest,
                      ContainerStatus.RUNNING if active else first.status,
                      checkpointed=any(m.checkpointed for m in members),
                      lease_owner=owner.lease_owner, lease_expires_at=owner.lease_expires_at,
                      last_error=first.last_error)


def _stub(path: Path) -> LoadedPlaybook:
    """A placeholder ``like`` for ``Runtime.load_text``, which only reads path and overrides."""
    from runner.runtime.adapters import LoadedPlaybook

    return LoadedPlaybook(path=path, name="", ship_selector=None, agent="", steps=(),
                          restart=None, content_hash="", source_text="")


def _live_owner(record: ContainerRecord) -> str | None:
    """The lease owner, unless it is a dead process on this host (its lease is void)."""
    from runner.runtime.leases import owner_is_dead

    return None if owner_is_dead(record.lease_owner) else record.lease_owner
