"""The executor: the real world of the step interpreter, for one ship against the game.

The walk of the step tree (order, ``when``, loops, retries, ``until``, ``timeout``,
``ignore_errors``, ``register``, loop frames, where a resume continues) is the one
interpreter's (``runner.playbook.interpreter``), the same one ``plan`` runs over the
predicted world. This module is what a step *does* in the real game.

Contract:
- it starts from the ship's real state (one GET), waits out a flight in progress, and
  continues from the last checkpoint; a pending intent is resolved by comparing the ship
  before and after, so a finished purchase, sale, delivery or jettison is never sent again;
- each step is expanded from the ship's real state; before each command its preconditions
  are checked (nav state, cooldown, fuel for the leg, cargo) and fixed or re-planned, after it
  the ship is updated from the response;
- a checkpoint (with its log line) is committed after every state-changing command, and an
  intent recorded before it;
- waits (arrival, cooldown, ``wait``) sleep until the server-reported time on the server's
  clock; a stop request is honoured at the next safe point (between commands, or while
  waiting), by raising :class:`StopAtSafePoint`;
- a transfer reserves room in the other ship's hold first (``CargoRoom``, shared by every
  process on the state store) and sends only when the room, fresh from the server, less
  what other ships reserved, holds it; ``AwaitShip`` waits (a checkpointed deadline, like
  ``wait``) for a ship with such room, and ``WaitUntil`` re-reads the ship until an
  expression holds (or its deadline passed) and no other ship's reserved load is still on
  its way aboard. The step's reservations are dropped when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from runner.api.errors import ApiError, TokenFromOldReset
from runner.api.transport import SEND_GUARD
from runner.domain import commands as c
from runner.domain import cursor as cur
from runner.domain.plan import Step
from runner.domain.ship import Nav, NavStatus, Ship
from runner.domain.snapshot import ShipSnapshot
from runner.errors import StRunError
from runner.playbook.interpreter import Interpreter, Progress, ResumePoint, StepFailed
from runner.runtime.clock import wall_seconds_until
from runner.runtime.idle import IdleGuard, IterationActivity
from runner.runtime.ports import CargoRoom, Journal, Loop, ShipApi, StepLanguage
from runner.runtime.reactions import MAX_FIXUPS_PER_COMMAND, Reaction, reaction_for
from runner.runtime.view import ContainerView, Countdown, Transit

if TYPE_CHECKING:
    from runner.playbook.context import StepContext

T = TypeVar("T")

#: How often a parked container checks the agent's credits (wall seconds): one GET each,
#: cheap against the rate limit even for many parked containers.
PARK_POLL_S = 15.0
#: How often the database is asked whether ``st-run stop`` was requested (wall seconds).
STOP_POLL_S = 1.0
#: Longest single sleep, so a stop request is noticed while waiting (wall seconds).
WAIT_SLICE_S = 1.0
#: Steps whose expansion depends on cargo: the ship is re-read before them (never trust it).
#: How often ``AwaitShip`` and ``WaitUntil`` read the game again (game seconds): one or two
#: GETs per read, well inside the 2 requests/s an account's fleet shares.
FLEET_POLL_S = 15.0
#: ... and never more often than this (wall seconds), however fast the server's clock.
FLEET_POLL_MIN_WALL_S = 0.2
CARGO_ACTIONS = frozenset({"sell", "jettison", "deliver", "fulfill_contract", "transfer",
                           "supply_construction"})


class StopAtSafePoint(Exception):
    """The container was asked to stop; raised at a safe point (nothing half-done)."""


class ShipGone(Exception):
    """The ship was scrapped (a command with ``ends_ship``): the run ends there."""


class AgentTokenExpired(StRunError):
    """The agent's token is from an old reset: every container of that agent must stop."""


class Executor:
    """Runs one playbook's steps for one ship; :meth:`run` returns when the playbook ends.

    It is the interpreter's real :class:`~runner.playbook.interpreter.World`.
    """

    def __init__(self, *, ship: str, steps: Sequence[Step], api: ShipApi,
                 language: StepLanguage, journal: Journal, view: ContainerView,
                 stop: asyncio.Event | None = None, room: CargoRoom | None = None) -> None:
        """``room``: where transfers reserve the other ship's hold (None: they do not)."""
        self.symbol = ship
        self.steps = tuple(steps)
        self.api = api
        self.language = language
        self.journal = journal
        self.view = view
        self.stop = stop or asyncio.Event()
        self.ship: Ship | None = None
        self.interpreter = Interpreter(self.steps, self)
        self.activity = IterationActivity()
        self.parked = False
        self._ships_now: int | None = None  # the agent's ship count, read for a fleet intent
        self._applied: c.Command | None = None  # the pending intent found applied on resume
        self._recovered: Any = None  # its result rebuilt from the game, for ``register``
        self.park_poll_s = PARK_POLL_S
        self._stop_checked_at = -STOP_POLL_S
        self._guards: dict[tuple[int, ...], IdleGuard] = {}
        self.room = room
        self._partner: str | None = None  # the ship an AwaitShip found (its room reserved)
        self._holding = False  # this container may hold a reservation

    @property
    def progress(self) -> Progress:
        """The interpreter's progress (what each checkpoint stores)."""
        return self.interpreter.progress

    # ---- entry ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Run to the end of the playbook from wherever the journal says we are (or until
        the ship is scrapped)."""
        try:
            self.ship = await self._read_ship()
        except ApiError as exc:
            if exc.status == 404 and self._scrapped_before_restart():
                return
            raise
        await self._settle_transit()
        await self._read_fleet_for_intent()
        self._holding = True  # a reservation left by this container's previous holder:
        self._release_room()  # void already (its lease version), deleted here
        point = self.resume_point()
        if self._applied is not None and self._recovered is None:  # its answer was lost
            self._recovered = await self.api.recovered_result(self._applied)
        self.interpreter.progress = point.progress
        self.view.iterations = self.progress.iterations
        if point.cursor:
            self._say(f"resuming at step {cur.top_step(point.cursor) + 1}/{len(self.steps)}")
        try:
            await self.interpreter.run(point if point.cursor else None)
        except StepFailed:
            self._say_cargo_left()
            raise
        except ShipGone:
            self._say(f"{self.symbol} was scrapped: the playbook ends here")

    def _say_cargo_left(self) -> None:
        """A failed run says what it bought that is still aboard (credits tied up in it)."""
        if self.ship is None:
            return
        left = {good: min(units, self.ship.cargo.count(good))
                for good, units in sorted(self.progress.bought.items())}
        left = {good: units for good, units in left.items() if units > 0}
        if left:
            goods = ", ".join(f"{units} {good}" for good, units in left.items())
            self._say(f"failed with cargo this container bought still aboard {self.symbol} "
                      f"at {self.ship.nav.waypoint}: {goods}")

    def _count_bought(self, command: c.Command) -> None:
        """Keep, in the checkpoints, the goods this container bought and has not unloaded."""
        bought = self.progress.bought
        if isinstance(command, c.Purchase):
            bought[command.symbol] = bought.get(command.symbol, 0) + command.units
        elif isinstance(command, c.Sell | c.Jettison | c.Deliver) and command.symbol in bought:
            bought[command.symbol] = max(0, bought[command.symbol] - command.units)
            if not bought[command.symbol]:
                del bought[command.symbol]

    def _scrapped_before_restart(self) -> bool:
        """The ship is unknown to the server: a pending scrap applied (checkpoint it)."""
        intent = self.journal.pending_intent()
        if intent is None or not c.command_from_dict(intent.command).ends_ship:
            return False
        progress = Progress.from_state(intent.before.get("state", {}))
        self.journal.checkpoint(intent.step_path, intent.command_index, progress.to_state(),
                                f"{self.symbol} had been scrapped before the restart; the "
                                "playbook ends here")
        return True

    def resume_point(self) -> ResumePoint:
        """Where the journal says to continue; resolves a pending intent against the ship."""
        checkpoint = self.journal.last_checkpoint()
        intent = self.journal.pending_intent()
        if intent is not None:
            return self._resolve_intent(intent.step_path, intent.command_index, intent.command,
                                        intent.before)
        if checkpoint is None:
            return ResumePoint((), 0, Progress())
        return ResumePoint(cur.decode(checkpoint.step_path), checkpoint.command_index + 1,
                           Progress.from_state(checkpoint.state))

    async def _read_fleet_for_intent(self) -> None:
        """A pending fleet command (``watches_fleet``) is judged on the agent's ship count:
        read it now, before :meth:`resume_point` (one GET, only then)."""
        intent = self.journal.pending_intent()
        if intent is not None and c.command_from_dict(intent.command).watches_fleet:
            self._ships_now = await self.api.ship_count()

    def _resolve_intent(self, path: str, index: int, command_data: Mapping[str, Any],
                        before: Mapping[str, Any]) -> ResumePoint:
        assert self.ship is not None
        progress = Progress.from_state(before.get("state", {}))
        command = c.command_from_dict(command_data)
        snapshot = ShipSnapshot.from_dict(before.get("ship", {}))
        if command.watches_fleet and self._ships_now is not None:
            applied = command.fleet_took_effect(snapshot, self._ships_now)
        else:
            applied = command.took_effect(snapshot, self.ship)
        if applied:
            self._applied = command
            self._recovered = command.result_after(snapshot, self.ship)
            self.journal.checkpoint(path, index, progress.to_state(),
                                    f"{_describe(command)} had been applied before the "
                                    "restart; not sending it again")
            return ResumePoint(cur.decode(path), index + 1, progress)
        return ResumePoint(cur.decode(path), index, progress)

    # ---- the interpreter's questions -------------------------------------------------------

    async def holds(self, keyword: str, expression: str, step: Step, loop: Loop | None,
                    progress: Progress) -> bool:
        ctx = await self._ctx(loop)
        return bool(self._ask(step, lambda: self.language.holds(expression, ctx)))

    async def length(self, step: Step, loop: Loop | None, progress: Progress) -> int | None:
        ctx = await self._ctx(loop)
        return self._ask(step, lambda: self.language.length(step, ctx))

    async def stops(self, step: Step, loop: Loop | None, progress: Progress) -> list[Any]:
        ctx = await self._ctx(loop)
        return list(self._ask(step, lambda: self.language.stops(step, ctx)))

    def iteration_cap(self, step: Step, length: int | None) -> int | None:
        return None  # the real game walks every iteration

    def deadline(self, game_seconds: float | None) -> Any:
        return _timeout(None if game_seconds is None
                        else game_seconds / max(self.api.speed(), 1e-9))

    async def sleep(self, game_seconds: float) -> None:
        await self._sleep_game(game_seconds, "delay")

    # ---- the interpreter's events ------------------------------------------------------------

    def entered(self, step: Step, path: cur.Cursor) -> None:
        if len(path) == 1:
            self.view.step_index, self.view.step_total = path[0] + 1, len(self.steps)
            self.view.step_label = step.title
            # A label or an iteration count from the step before must not linger.
            self.view.sub_label, self.view.iterations = "", 0
            self.view.step_started, self.view.speed = time.monotonic(), self.api.speed()
            self.journal.set_progress(cur.encode(path), self.progress.iterations)
        else:
            self.view.sub_label = step.title

    def skipped(self, step: Step, reason: str) -> None:
        return None

    def left(self, step: Step) -> None:
        return None

    def said(self, line: str) -> None:
        self._say(line)

    def carry_on(self, step: Step, error: StepFailed) -> bool:
        return False  # a failed step ends the run (the restart policy decides what next)

    def loop_started(self, step: Step, length: int | None, stops: Sequence[Any] | None
                     ) -> None:
        self.activity = IterationActivity()
        # Only loops without an end can spin; a finite loop of cheap steps runs at full speed.
        if length is None:
            self._guards[step.path] = IdleGuard()

    async def iteration_ended(self, step: Step, path: cur.Cursor, index: int,
                              bounded: bool) -> None:
        if len(path) == 1:
            self.view.iterations = self.progress.iterations
            self.journal.set_progress(cur.encode(path), self.progress.iterations)
        guard = self._guards.get(step.path)
        if guard is not None:
            pause, announce = guard.after_iteration(self.activity)
            if announce:
                self._say("idle: the loop sent no request and waited for nothing; slowing down")
            if pause:
                await self._sleep_wall(pause)
        self.activity = IterationActivity()

    def loop_ended(self, step: Step, iterations: int, length: int | None) -> None:
        self._guards.pop(step.path, None)

    # ---- a leaf ----------------------------------------------------------------------------

    async def leaf(self, step: Step, path: cur.Cursor, loop: Loop | None, progress: Progress,
                   resume: ResumePoint | None) -> Any:
        """Expand ``step`` from the real ship (or take the resumed expansion) and carry out
        its commands from the resumed index; the last result, for ``register``."""
        assert self.ship is not None
        if resume is not None:
            commands = [c.command_from_dict(d) for d in resume.progress.commands]
            first = resume.next_command
            last: Any = self._recovered  # the result of the command applied before a crash
            self._recovered = None
            if last is not None and step.register:
                self.progress.registered[step.register] = last
            if first >= len(commands):
                return last
        else:
            if step.action in CARGO_ACTIONS:
                self.ship = await self._read_ship()
            commands = self._expand(step, await self._ctx(loop, step))
            first = 0
            last = None
        self.progress.commands = [c.command_to_dict(cmd) for cmd in commands]
        try:
            return await self._carry_out(step, path, loop, commands, first, last)
        finally:
            self._release_room()

    async def _carry_out(self, step: Step, path: cur.Cursor, loop: Loop | None,
                         commands: list[c.Command], first: int, last: Any) -> Any:
        """The leaf's commands from ``first``; the last result."""
        assert self.ship is not None
        index = first
        expected_at = self.ship.nav.waypoint
        while index < len(commands):
            command = commands[index]
            if isinstance(command, c.AwaitShip):
                partner = await self._await_ship(command, path, index)
                commands = commands[:index + 1] + bind_partner(commands[index + 1:], partner)
                self.progress.commands = [c.command_to_dict(cmd) for cmd in commands]
                index += 1
                continue
            if isinstance(command, c.WaitUntil):
                await self._wait_for(step, command, path, index, loop)
                index += 1
                continue
            if isinstance(command, c.Navigate) and self._needs_replan(command, expected_at):
                commands = commands[:index] + await self._replan(step, command, loop)
                self.progress.commands = [c.command_to_dict(cmd) for cmd in commands]
                continue
            result = await self._execute(command, path, index)
            if isinstance(command, c.Navigate | c.Jump | c.Warp):
                expected_at = command.destination
            if result is not None:
                last = result
                if step.register:  # in the next checkpoint already, not only after the step
                    self.progress.registered[step.register] = result
            index += 1
        return last

    def _needs_replan(self, command: c.Navigate, expected_at: str) -> bool:
        assert self.ship is not None
        if self.ship.nav.waypoint != expected_at:
            return True
        fuel = self.ship.fuel
        return fuel.capacity > 0 and fuel.current < command.fuel_used

    async def _replan(self, step: Step, command: c.Navigate, loop: Loop | None
                      ) -> list[c.Command]:
        """Re-expand ``step`` from the real ship; refuse a first leg the tank cannot fly."""
        assert self.ship is not None
        self._say(f"re-planning {step.title} from the real state: at {self.ship.nav.waypoint} "
                  f"with fuel {self.ship.fuel.current}/{self.ship.fuel.capacity}")
        fresh = self._expand(step, await self._ctx(loop, step))
        leg = next((cmd for cmd in fresh if isinstance(cmd, c.Navigate)), None)
        before_leg = fresh[: fresh.index(leg)] if leg is not None else fresh
        refuels = any(isinstance(cmd, c.Refuel) for cmd in before_leg)
        fuel = self.ship.fuel
        if leg is not None and not refuels and fuel.capacity > 0 and fuel.current < leg.fuel_used:
            raise StepFailed(f"cannot fly to {leg.destination}: the leg needs {leg.fuel_used} "
                             f"fuel, the ship has {fuel.current} (not sent)")
        return fresh

    # ---- one command -----------------------------------------------------------------

    async def _execute(self, command: c.Command, path: cur.Cursor, index: int) -> Any:
        """Carry out one command with its preconditions; checkpoint it when it mutates."""
        if isinstance(command, c.Log):
            self.journal.log(command.message, command.level)
            return None
        if isinstance(command, c.Wait):
            await self._wait(command, path, index)
            return None
        for _ in range(MAX_FIXUPS_PER_COMMAND + 1):
            await self._at_safe_point()
            await self._ensure_preconditions(command)
            if self._already_true(command):
                return None
            if isinstance(command, c.Transfer) and command.to != self._partner:
                await self._reserve_for(command)
            try:
                return await self._send(command, path, index)
            except TokenFromOldReset as exc:
                raise AgentTokenExpired(
                    f"the agent's token is from an old server reset ({exc.code} "
                    f"{exc.name}: {exc.server_message}); register again") from exc
            except ApiError as exc:
                if not await self._react(command, exc, path, index):
                    raise StepFailed(f"{_describe(command)} failed: {exc.code} {exc.name}: "
                                     f"{exc.server_message}") from exc
                if reaction_for(exc.code) is Reaction.ALREADY_DONE:
                    return None
        raise StepFailed(f"{_describe(command)} kept failing after "
                         f"{MAX_FIXUPS_PER_COMMAND} fixes")

    async def _send(self, command: c.Command, path: cur.Cursor, index: int) -> Any:
        assert self.ship is not None
        step_path = cur.encode(path)
        if command.mutates and not command.idempotent:
            ships = await self.api.ship_count() if command.watches_fleet else None
            self.journal.record_intent(step_path, index, c.command_to_dict(command),
                                       {"ship": ShipSnapshot.of(self.ship, ships=ships).to_dict(),
                                        "state": self.progress.to_state()})
        self.activity.requests += 1
        guard = SEND_GUARD.set(self.journal.confirm_lease)
        try:
            sent = await self.api.send(self.ship, command)
        finally:
            SEND_GUARD.reset(guard)
        self.ship = sent.ship
        self._count_bought(command)
        if command.mutates:
            self.journal.checkpoint(step_path, index, self.progress.to_state(),
                                    _describe(command, sent.credits))
        else:
            self._view_log(_describe(command, sent.credits))
        if command.ends_ship:
            raise ShipGone()
        if isinstance(command, c.Navigate | c.Warp):
            await self._settle_transit()
        return sent.result

    async def _react(self, command: c.Command, exc: ApiError, path: cur.Cursor,
                     index: int) -> bool:
        """Act on a game error by meaning; False when the step must fail."""
        reaction = reaction_for(exc.code)
        if reaction is Reaction.FAIL_STEP:
            return False
        if reaction is Reaction.ALREADY_DONE:
            if command.mutates:
                self.journal.checkpoint(cur.encode(path), index, self.progress.to_state(),
                                        f"{_describe(command)}: already done "
                                        f"({exc.code} {exc.name})")
            return True
        if reaction is Reaction.PARK_FOR_CREDITS:
            await self._park(exc)
            return True
        self.ship = await self._read_ship()
        if reaction is Reaction.WAIT_ARRIVAL:
            await self._settle_transit()
        elif reaction is Reaction.WAIT_COOLDOWN:
            until = getattr(exc, "wait_until", None)
            seconds = getattr(exc, "wait_seconds", None)
            if isinstance(until, datetime):
                await self._wait_shown(until, "cooldown")
            elif isinstance(seconds, int | float):
                await self._sleep_game(float(seconds), "cooldown")
        return True

    async def _ensure_preconditions(self, command: c.Command) -> None:
        assert self.ship is not None
        if self.ship.nav.status is NavStatus.IN_TRANSIT:
            await self._settle_transit()
        status = self.ship.nav.status
        if command.needs is c.NavNeed.ORBIT and status is NavStatus.DOCKED:
            await self._fix_nav(c.Orbit())
        elif command.needs is c.NavNeed.DOCKED and status is NavStatus.IN_ORBIT:
            await self._fix_nav(c.Dock())
        if command.needs_reactor:
            cooldown = self.ship.cooldown
            if cooldown is not None and cooldown.expiration is not None:
                await self._wait_shown(cooldown.expiration, "cooldown")

    async def _fix_nav(self, command: c.Orbit | c.Dock) -> None:
        """Put the ship in the nav state the next command needs (idempotent on the server)."""
        assert self.ship is not None
        self.activity.requests += 1
        self.ship = (await self.api.send(self.ship, command)).ship

    def _already_true(self, command: c.Command) -> bool:
        """True when the command would change nothing (no request is sent)."""
        assert self.ship is not None
        return command.already_true(self.ship)

    # ---- waiting -------------------------------------------------------------------------

    async def _settle_transit(self) -> None:
        """If the ship is flying, sleep until it arrives (server clock), then mark it arrived."""
        assert self.ship is not None
        nav = self.ship.nav
        if nav.status is not NavStatus.IN_TRANSIT or nav.route is None:
            return
        route = nav.route
        self.view.transit = Transit(route.origin, route.destination, route.departure_time,
                                    route.arrival, self.api.server_now(), self.api.speed())
        try:
            await self._wait_until(route.arrival)
        finally:
            self.view.transit = None
        # The server updates nav lazily once arrival passed; the next response corrects us.
        self.ship = replace(self.ship, nav=Nav(nav.system, route.destination,
                                               NavStatus.IN_ORBIT, nav.flight_mode, route))

    async def _wait_until(self, when: datetime) -> None:
        seconds = wall_seconds_until(when, self.api.server_now(), self.api.speed())
        if seconds > 0:
            self.activity.waits += 1
            await self._sleep_wall(seconds)

    async def _wait_shown(self, when: datetime, label: str) -> None:
        """``_wait_until``, shown as a countdown bar named ``label`` meanwhile."""
        seconds = wall_seconds_until(when, self.api.server_now(), self.api.speed())
        if seconds <= 0 or self.view.transit is not None:
            await self._wait_until(when)
            return
        self.view.countdown = Countdown(label, seconds)
        try:
            await self._wait_until(when)
        finally:
            self.view.countdown = None

    async def _counting_down(self, label: str | None, wall_seconds: float) -> None:
        """Sleep, shown as a countdown bar (``label``) unless a flight's bar is up."""
        if label is None or self.view.transit is not None:
            await self._sleep_wall(wall_seconds)
            return
        self.view.countdown = Countdown(label, wall_seconds)
        try:
            await self._sleep_wall(wall_seconds)
        finally:
            self.view.countdown = None

    async def _wait(self, command: c.Wait, path: cur.Cursor, index: int) -> None:
        """A ``wait``: its deadline on the server's clock is checkpointed when it starts, so
        a run resumed mid-wait waits only what is left, not the whole duration again."""
        until = self._deadline(path, index, command.seconds, f"wait {command.seconds:g}s")
        self.activity.waits += 1
        await self._wait_shown(until, "wait")
        self.progress.waits.pop(_wait_key(path, index), None)

    def _deadline(self, path: cur.Cursor, index: int, seconds: float, what: str) -> datetime:
        """The server-clock deadline of the wait at ``path``/``index``: the checkpointed one
        when resuming, else now + ``seconds``, checkpointed with the line ``what (until
        ...)`` ("command index - 1 done": a resume comes back to this wait)."""
        key = _wait_key(path, index)
        known = self.progress.waits.get(key)
        if known is not None:
            return datetime.fromisoformat(known)
        until = self.api.server_now() + timedelta(seconds=seconds)
        self.progress.waits[key] = until.isoformat()
        self.journal.checkpoint(cur.encode(path), index - 1, self.progress.to_state(),
                                f"{what} (until {until:%H:%M:%S}Z on the server's clock)")
        return until

    def _left_s(self, until: datetime) -> float:
        return wall_seconds_until(until, self.api.server_now(), self.api.speed())

    def _poll_s(self, left: float) -> float:
        """Wall seconds to the next read of a polling wait with ``left`` to go."""
        return min(left, max(FLEET_POLL_MIN_WALL_S,
                             FLEET_POLL_S / max(self.api.speed(), 1e-9)))

    async def _wait_for(self, step: Step, command: c.WaitUntil, path: cur.Cursor,
                        index: int, loop: Loop | None) -> None:
        """A ``wait: {until}``: re-read the ship until the expression holds or the deadline
        (checkpointed, like a ``wait``'s) passed; the step goes on either way."""
        until = self._deadline(path, index, command.seconds, command.describe())
        said_incoming = False
        while True:
            await self._at_safe_point()
            self.ship = await self._read_ship()
            held = await self.holds("wait.until", command.expression, step, loop,
                                    self.progress)
            left = self._left_s(until)
            if held or left <= 0:
                incoming = self.room.incoming(self.symbol) if self.room is not None else 0
                if not incoming:
                    break
                if not said_incoming:  # a load half handed over: the ship must not leave
                    self._say(f"{incoming} units reserved by other ships are on their way "
                              "aboard; waiting for them")
                    said_incoming = True
            self.activity.waits += 1
            await self._counting_down("wait", self._poll_s(left if left > 0 else math.inf))
        if not held:
            self._say(f"waited {c.span(command.seconds)}: {command.expression} is still "
                      "false; going on")
        self.progress.waits.pop(_wait_key(path, index), None)

    # ---- ships working together ------------------------------------------------------------

    async def _await_ship(self, command: c.AwaitShip, path: cur.Cursor, index: int) -> Ship:
        """Read the fleet until a ship ``command`` waits for is here with room (reserved for
        this container), or fail when the checkpointed deadline passes."""
        until = self._deadline(path, index, command.seconds, command.describe())
        label = f"waiting for {command.wanted()}"
        while True:
            await self._at_safe_point()
            partner = await self._find_partner(command)
            if partner is not None:
                break
            left = self._left_s(until)
            if left <= 0:
                self.progress.waits.pop(_wait_key(path, index), None)
                raise StepFailed(f"{command.wanted('no')} with room for {command.units} units "
                                 f"came to {command.waypoint} within "
                                 f"{c.span(command.seconds)} (nothing sent)")
            self.activity.waits += 1
            await self._counting_down(label, self._poll_s(left))
        self.progress.waits.pop(_wait_key(path, index), None)
        self._partner = partner.symbol
        self._say(f"{partner.symbol} is here with room for {command.units} units (reserved)")
        return partner

    async def _find_partner(self, command: c.AwaitShip) -> Ship | None:
        """The ship with the most room among those ``command`` waits for, once its room for
        ``command.units`` is reserved; None when none has it now."""
        self.activity.requests += 1
        ships = [s for s in await self.api.fleet()
                 if command.matches(s, self.symbol) and s.cargo.free >= command.units]
        for ship in sorted(ships, key=lambda s: (-s.cargo.free, s.symbol)):
            fresh, _ = await self._reserve(ship.symbol, command.units)
            if fresh is not None and command.matches(fresh, self.symbol):
                return fresh
            self._release_room()
        return None

    async def _reserve(self, target: str, units: int) -> tuple[Ship | None, int]:
        """Reserve ``units`` of ``target``'s hold, then read it from the server: the ship
        when its free cargo less other ships' reservations holds them (the reservation
        kept), else None (the caller releases it); and the room seen."""
        self._holding = True
        others = self.room.reserve(target, units) if self.room is not None else 0
        self.activity.requests += 1
        fresh = await self.api.get_ship(target)
        room = fresh.cargo.free - others
        return (fresh if room >= units else None), room

    async def _reserve_for(self, command: c.Transfer) -> None:
        """A transfer to a named ship: reserve its room first; fail (nothing sent) when
        other ships' reservations or its hold leave too little."""
        fresh, room = await self._reserve(command.to, command.units)
        if fresh is None:
            self._release_room()
            raise StepFailed(f"{_describe(command)}: {command.to} has room for {max(room, 0)} "
                             "units not reserved by other ships (nothing sent)")

    def _release_room(self) -> None:
        """Drop this container's reservations (a step's transfers ended, or a stale one)."""
        self._partner = None
        if self.room is not None and self._holding:
            self.room.release()
        self._holding = False

    async def _sleep_game(self, game_seconds: float, label: str | None = None) -> None:
        self.activity.waits += 1
        await self._counting_down(label, game_seconds / max(self.api.speed(), 1e-9))

    async def _sleep_wall(self, seconds: float) -> None:
        """Sleep, waking at least every ``WAIT_SLICE_S`` for a stop request, here or by
        ``st-run stop`` from another process (waiting is a safe point)."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            left = deadline - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(),
                                       timeout=max(0.0, min(left, WAIT_SLICE_S)))
            await self._at_safe_point()
            if left <= WAIT_SLICE_S:
                return

    async def _park(self, exc: ApiError) -> None:
        """Wait (PARKED) until the agent's credits cover the trade; one line says why."""
        have = await self.api.get_credits()
        need = _credits_needed(exc)
        self.parked = True
        line = f"parked: not enough credits: need {need if need else 'more'}, have {have}"
        self.journal.set_parked(True, line)
        self.view.status = "PARKED"
        try:
            while need is None or have < need:
                await self._sleep_wall(self.park_poll_s)
                have = await self.api.get_credits()
                if need is None:
                    break
        finally:
            self.parked = False
            self.view.status = "RUNNING"
            self.journal.set_parked(False)

    async def _at_safe_point(self) -> None:
        if self.stop.is_set() or self._stop_requested_in_db():
            raise StopAtSafePoint()

    def _stop_requested_in_db(self) -> bool:
        """``st-run stop`` from another process, read at most every STOP_POLL_S seconds."""
        now = time.monotonic()
        if now - self._stop_checked_at < STOP_POLL_S:
            return False
        self._stop_checked_at = now
        return self.journal.stop_requested()

    # ---- helpers -------------------------------------------------------------------------

    async def _read_ship(self) -> Ship:
        self.activity.requests += 1
        return await self.api.get_ship(self.symbol)

    async def _ctx(self, loop: Loop | None, step: Step | None = None) -> StepContext:
        assert self.ship is not None
        return await self.language.context(self.ship, self.progress.registered, loop, step)

    def _expand(self, step: Step, ctx: Any) -> list[c.Command]:
        return self._ask(step, lambda: self.language.expand(step, ctx))

    @staticmethod
    def _ask(step: Step, question: Callable[[], T]) -> T:
        """Ask the language; its StepError becomes the step's located, one-line failure."""
        try:
            return question()
        except StRunError:
            raise
        except Exception as exc:  # the language's StepError (or a template's bound)
            message = getattr(exc, "message", str(exc))
            raise StepFailed(f"step {step.label} {step.title}: {message}") from exc

    def _say(self, line: str) -> None:
        self.journal.log(line)

    def _view_log(self, line: str) -> None:
        self.view.logs.append(line)


def bind_partner(rest: Sequence[c.Command], partner: Ship) -> list[c.Command]:
    """The commands after an ``AwaitShip`` once it found ``partner``: the acting ship takes
    the partner's nav state first, and the Transfers without a target go to it."""
    nav: c.Command = c.Dock() if partner.nav.status is NavStatus.DOCKED else c.Orbit()
    bound = [replace(cmd, to=partner.symbol) if isinstance(cmd, c.Transfer) and not cmd.to
             else cmd for cmd in rest]
    return [nav, *bound]


def _wait_key(path: cur.Cursor, index: int) -> str:
    """The key of a wait's deadline in ``Progress.waits``."""
    return f"{cur.encode(path)}#{index}"


def _credits_needed(exc: ApiError) -> int | None:
    for key in ("creditsNeeded", "totalPrice", "cost", "required"):
        value = exc.data.get(key)
        if isinstance(value, int):
            return value
    return None


def _describe(command: c.Command, credits: int | None = None) -> str:
    """A log line for a command: ``purchase 10 IRON_ORE`` (the command's own words)."""
    return command.describe(credits)


@contextlib.asynccontextmanager
async def _timeout(seconds: float | None):  # type: ignore[no-untyped-def]
    if seconds is None:
        yield
        return
    async with asyncio.timeout(seconds):
        yield
