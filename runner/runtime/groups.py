"""Group playbooks (``ships:``) at run time: one container per matching ship, like a
Kubernetes DaemonSet, kept in step with the agent's fleet.

One :class:`GroupKeeper` per supervisor (``supervisor.groups``):

- ``await keeper.start(group)``: look at the agent's ships, start a member container
  ``GROUP/SHIP`` per match (each resumes from its own checkpoint, has its own lease, logs
  and restart policy); a group with no match waits for members (said once);
- while a group has live members (or waits for its first), one task per agent looks at its
  ships every ``ST_RUN_FLEET_POLL`` seconds (default 60: one ``GET /my/ships`` per agent
  for all its groups, against a budget of 2 requests/s), and at once after a container of
  that agent bought or scrapped a ship. A new match joins; a member whose ship is gone
  (sold, scrapped) or no longer matches stops with a log line saying why; a member whose
  ``ship.index``/``ship.count`` changed runs again from its safe point with the new values;
- ``await keeper.replace(name, group)``: the file was edited: every member runs the new
  version from its next safe point; ``await keeper.stop(name)``: stop every member;
- ``keeper.close()``: stop looking (shutdown). ``keeper.awaiting()``: a group still waits for
  its first member (``st-run run`` keeps running for it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.domain.ship_group import ShipSlot, group_changes
from runner.domain.status import ContainerStatus
from runner.envconfig import FLEET_POLL_ENV, seconds_from_env
from runner.errors import StRunError

if TYPE_CHECKING:
    from runner.domain.ship import Ship
    from runner.runtime.adapters import LoadedPlaybook
    from runner.runtime.supervisor import ContainerHandle, Supervisor
    from runner.state.records import ContainerRecord

FLEET_POLL_S = 60.0
"""Default seconds between two looks at an agent's ships (``ST_RUN_FLEET_POLL``)."""

Leave = Callable[["ContainerRecord"], bool]
"""Says whether a member's stored container is left as it is instead of started (the
watcher leaves finished ones; ``st-run run`` leaves none)."""


def fleet_poll_from_env() -> float:
    """``ST_RUN_FLEET_POLL`` seconds, else the default; a bad value is exit 2."""
    return seconds_from_env(FLEET_POLL_ENV, FLEET_POLL_S)


@dataclass
class Group:
    """One group playbook and its members (by ship symbol)."""

    loaded: LoadedPlaybook
    fresh: bool = False
    leave: Leave | None = None
    members: dict[str, ContainerHandle] = field(default_factory=dict)
    slots: dict[str, ShipSlot] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)  # ships whose member started here once
    errors: dict[str, str] = field(default_factory=dict)  # ship -> last start error said
    persistent: bool = False  # keep looking for members even when none runs (watch)
    only: frozenset[str] | None = None  # run only these members (by container name)
    said_waiting: bool = False
    synced: bool = False  # its first look is done: later starts are ships that joined
    stopped: bool = False

    @property
    def name(self) -> str:
        return self.loaded.name

    @property
    def agent(self) -> str:
        return self.loaded.agent

    def live(self) -> dict[str, ShipSlot]:
        """The ships whose member runs now, with the slot it runs with."""
        return {s: self.slots[s] for s, h in self.members.items() if not h.done}


class GroupKeeper:
    """The group playbooks of one supervisor; see the module docstring."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.groups: dict[str, Group] = {}
        self.on_member: Callable[[ContainerHandle], None] | None = None  # a member started
        self.changed = asyncio.Event()  # a member started, or the keeper closed
        self.closed = False
        self._pollers: dict[str, asyncio.Task[None]] = {}
        self._kicks: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()  # one sync at a time (starts read then write the store)
        self._poll_s: float | None = None
        supervisor.runtime.on_fleet_change = self.kick

    # ---- the API -------------------------------------------------------------------------

    async def start(self, loaded: LoadedPlaybook, *, fresh: bool = False,
                    leave: Leave | None = None, persistent: bool = False,
                    only: frozenset[str] | None = None) -> Group:
        """Start the members of group playbook ``loaded`` and keep them in step
        (``persistent``: also while no member runs, as the watcher does; ``only``: run
        just these members, as ``st-run start GROUP/SHIP`` asks)."""
        running = self.find(loaded.name)
        if running is not None:
            raise StRunError(f"group {loaded.name!r} already runs {running.loaded.path}; "
                             "give this playbook another name")
        group = Group(loaded, fresh=fresh, leave=leave, persistent=persistent, only=only)
        self.groups[loaded.name] = group
        await self.sync_agent(loaded.agent)
        self._poll(loaded.agent)
        return group

    async def start_afresh(self, loaded: LoadedPlaybook, *, persistent: bool = False) -> Group:
        """After a server reset: forget the group's members of the old universe and start
        it again from the top; the new universe's ships join as they match."""
        await self.stop(loaded.name)
        return await self.start(loaded, fresh=True, persistent=persistent)

    async def replace(self, name: str, loaded: LoadedPlaybook) -> None:
        """Every member runs ``loaded`` (the edited group) from its next safe point; members
        that ended run the new version again; then the fleet is looked at anew."""
        group = self.groups[name]
        async with self._lock:  # not while a look at the fleet replaces members too
            group.loaded = loaded
            group.leave = None  # an edit runs every matching member again
            live = [(s, h) for s, h in group.members.items() if not h.done]
            group.members = {s: h for s, h in group.members.items() if not h.done}
            await asyncio.gather(*(self._replace_member(group, s, h, group.slots[s])
                                   for s, h in live))
        await self.sync_agent(loaded.agent)

    async def stop(self, name: str) -> None:
        """Stop every member of group ``name`` at its safe point; the group is forgotten."""
        group = self.groups.pop(name, None)
        if group is None:
            return
        group.stopped = True
        live = [h for h in group.members.values() if not h.done]
        for handle in live:
            handle.container.request_stop()
        await asyncio.gather(*(h.task for h in live), return_exceptions=True)
        self.changed.set()

    def find(self, name: str) -> Group | None:
        """The running group called ``name``."""
        group = self.groups.get(name)
        return group if group is not None and not group.stopped else None

    def awaiting(self) -> bool:
        """True while a group has never had a member (a `run` keeps waiting for it)."""
        return not self.closed and any(not g.stopped and not g.members
                                       for g in self.groups.values())

    def kick(self, agent: str) -> None:
        """Look at ``agent``'s ships now (a container bought or scrapped one)."""
        event = self._kicks.get(agent)
        if event is not None:
            event.set()

    async def settle(self) -> None:
        """Stop looking at fleets and let a look under way finish (its starts included)."""
        self.close()
        async with self._lock:
            pass

    def close(self) -> None:
        """Stop looking at fleets (shutdown): no member starts any more."""
        self.closed = True
        for kick in self._kicks.values():  # a waiting poller wakes and ends; one that is
            kick.set()                     # looking ends after (a sync starts nothing now)
        self.changed.set()

    # ---- keeping in step -----------------------------------------------------------------

    async def sync_agent(self, agent: str) -> None:
        """Look at ``agent``'s ships once and bring each of its groups in step."""
        groups = [g for g in self.groups.values() if g.agent == agent and not g.stopped]
        if not groups or self.closed:
            return
        ships = list(await self.supervisor.agents.client(agent).list_ships())
        async with self._lock:
            for group in groups:
                if not group.stopped and not self.closed:
                    await self.sync(group, ships)

    async def sync(self, group: Group, ships: list[Ship]) -> None:
        """Bring ``group``'s members in step with ``ships`` (see the module docstring)."""
        assert group.loaded.ships is not None
        desired = {s.symbol: slot for s, slot in group.loaded.ships.members(ships)}
        changes = group_changes(group.live(), desired, {s.symbol for s in ships})
        for ship in changes.gone:
            self._leave(group, ship, "no longer exists (sold or scrapped)")
        for ship in changes.unmatched:
            self._leave(group, ship, f"no longer matches the group "
                        f"({group.loaded.ships.describe()})")
        moved = [(s, group.members[s], slot) for s, slot in changes.moved]
        await asyncio.gather(*(self._replace_member(group, s, h, slot) for s, h, slot in moved))
        for ship, slot in changes.join:
            await self._join(group, ship, slot)
        self._say_waiting(group, desired)
        group.synced = True

    def _say_waiting(self, group: Group, desired: dict[str, ShipSlot]) -> None:
        if desired or group.said_waiting:
            return
        group.said_waiting = True
        assert group.loaded.ships is not None
        self.supervisor.say(f"{group.name}: no ship matches {group.loaded.ships.describe()}"
                            " yet; waiting for members (a ship that joins the fleet starts "
                            "one)")

    async def _join(self, group: Group, ship: str, slot: ShipSlot) -> None:
        """Start (or resume) the member for ``ship``, unless it ended and stays ended."""
        member = self.supervisor.runtime.member(group.loaded, ship, slot)
        if group.stopped or self.closed or (group.only is not None
                                            and member.name not in group.only):
            return
        old = group.members.get(ship)
        record = self.supervisor.store.get_container(member.name)
        if old is not None and (record is None or record.status is not ContainerStatus.PENDING):
            return  # it ran here and ended; only `st-run start` (PENDING) runs it again
        if old is None and record is not None and group.leave is not None \
                and group.leave(record):
            return
        fresh = group.fresh and ship not in group.started
        try:
            handle = await self.supervisor.start_loaded(member, fresh=fresh)
        except StRunError as exc:
            if group.errors.get(ship) != exc.message:
                group.errors[ship] = exc.message
                self.supervisor.say(f"{member.name}: not started: {exc.message}")
            return
        group.errors.pop(ship, None)
        group.members[ship], group.slots[ship] = handle, slot
        group.started.add(ship)
        joined = " (it joined the fleet)" if group.synced and old is None else ""
        self.supervisor.say(f"{group.name}: started {handle.name} (ship.index {slot.index} "
                            f"of {slot.count}){joined}")
        if self.on_member is not None:
            self.on_member(handle)
        self.changed.set()

    def _leave(self, group: Group, ship: str, why: str) -> None:
        handle = group.members[ship]
        line = f"ship {ship} {why}: stopping {handle.name} at its next safe point"
        self.supervisor.store.log(handle.id, "WARNING", line)
        self.supervisor.say(f"{group.name}: {line}")
        handle.container.request_stop()

    async def _replace_member(self, group: Group, ship: str, handle: ContainerHandle,
                              slot: ShipSlot) -> None:
        if self.closed or group.stopped:
            return  # shutting down: the member stops, it does not run again
        member = self.supervisor.runtime.member(group.loaded, ship, slot)
        try:
            new = await self.supervisor.replace_loaded(handle.id, member)
        except StRunError as exc:
            self.supervisor.say(f"{member.name}: reload failed: {exc.message}")
            return
        group.members[ship], group.slots[ship] = new, slot
        if slot != handle.playbook.slot:
            self.supervisor.say(f"{new.name}: now ship.index {slot.index} of {slot.count}")
        if self.on_member is not None:
            self.on_member(new)

    # ---- polling -------------------------------------------------------------------------

    def _poll(self, agent: str) -> None:
        if agent in self._pollers and not self._pollers[agent].done():
            return
        if self._poll_s is None:
            self._poll_s = fleet_poll_from_env()
        self._kicks[agent] = asyncio.Event()
        self._pollers[agent] = asyncio.create_task(self._polling(agent),
                                                   name=f"fleet-poll:{agent}")

    async def _polling(self, agent: str) -> None:
        """Look at ``agent``'s ships every poll interval (or when kicked) while it has a
        group that runs or waits for members."""
        kick = self._kicks[agent]
        assert self._poll_s is not None
        while not self.closed and self._wanted(agent):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(kick.wait(), self._poll_s)
            kick.clear()
            if self.closed:
                return
            try:
                await self.sync_agent(agent)
            except StRunError as exc:  # the server or database is out: look again later
                self.supervisor.say(f"agent {agent}: could not look at its ships: "
                                    f"{exc.message}")

    def _wanted(self, agent: str) -> bool:
        """True while a group of ``agent`` has a live member or waits for its first."""
        return any(g.agent == agent and not g.stopped
                   and (g.persistent or not g.members
                        or any(not h.done for h in g.members.values()))
                   for g in self.groups.values())
