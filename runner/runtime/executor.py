"""The executor: walks one playbook's step tree for one ship, against the real game.

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
  waiting), by raising :class:`StopAtSafePoint`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from runner.api.errors import ApiError, TokenFromOldReset
from runner.domain import commands as c
from runner.domain.loop import enter_loop
from runner.domain.plan import Step
from runner.domain.ship import Nav, NavStatus, Ship
from runner.errors import StRunError
from runner.runtime import cursor as cur
from runner.runtime.clock import wall_seconds_until
from runner.runtime.idle import IdleGuard, IterationActivity
from runner.runtime.intent import ship_snapshot, took_effect
from runner.runtime.ports import Journal, Loop, ShipApi, StepLanguage
from runner.runtime.reactions import MAX_FIXUPS_PER_COMMAND, Reaction, reaction_for
from runner.runtime.view import ContainerView, Transit

#: How often a parked container checks the agent's credits (wall seconds): one GET each,
#: cheap against the rate limit even for many parked containers.
PARK_POLL_S = 15.0
#: How often the database is asked whether ``st-run stop`` was requested (wall seconds).
STOP_POLL_S = 1.0
#: Commands that are safe to send twice (the server treats a repeat as a no-op): no intent
#: is journalled before them; a resume re-reads the ship and skips them when already true.
IDEMPOTENT = (c.Orbit, c.Dock, c.SetFlightMode)
#: Longest single sleep, so a stop request is noticed while waiting (wall seconds).
WAIT_SLICE_S = 1.0
#: Steps whose expansion depends on cargo: the ship is re-read before them (never trust it).
CARGO_ACTIONS = frozenset({"sell", "jettison", "deliver", "fulfill_contract"})

_NEEDS_ORBIT = (c.Navigate, c.Extract, c.Survey)
_NEEDS_DOCK = (c.Refuel, c.Purchase, c.Sell)
_NEEDS_REACTOR = (c.Extract, c.Survey)


@dataclass(frozen=True)
class TourFlight(Step):
    """A tour's flight to its current stop: the tour step expanded as a leaf."""

    @classmethod
    def of(cls, tour: Step) -> TourFlight:
        values = {f.name: getattr(tour, f.name) for f in fields(Step)}
        values.update(children=(), when=None, register=None, name=f"{tour.title}: fly")
        return cls(**values)


class StopAtSafePoint(Exception):
    """The container was asked to stop; raised at a safe point (nothing half-done)."""


class AgentTokenExpired(StRunError):
    """The agent's token is from an old reset: every container of that agent must stop."""


class StepFailed(StRunError):
    """A step ended with an error; the message holds the server's code and text verbatim."""


@dataclass
class Progress:
    """What a checkpoint stores besides the cursor: the step's commands and live results."""

    commands: list[dict[str, Any]] = field(default_factory=list)
    registered: dict[str, Any] = field(default_factory=dict)
    iterations: int = 0
    stops: dict[str, list[Any]] = field(default_factory=dict)  # tour cursor -> its stops

    def to_state(self) -> dict[str, Any]:
        return {"commands": self.commands, "registered": self.registered,
                "iterations": self.iterations, "stops": self.stops}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Progress:
        return cls(list(state.get("commands", [])), dict(state.get("registered", {})),
                   int(state.get("iterations", 0)), dict(state.get("stops", {})))


@dataclass(frozen=True)
class ResumePoint:
    """Where to continue: the cursor of a step and the index of its next command."""

    cursor: cur.Cursor
    next_command: int
    progress: Progress


class Executor:
    """Runs one playbook's steps for one ship; :meth:`run` returns when the playbook ends."""

    def __init__(self, *, ship: str, steps: Sequence[Step], api: ShipApi,
                 language: StepLanguage, journal: Journal, view: ContainerView,
                 stop: asyncio.Event | None = None) -> None:
        self.symbol = ship
        self.steps = tuple(steps)
        self.loop: Loop | None = None
        self.api = api
        self.language = language
        self.journal = journal
        self.view = view
        self.stop = stop or asyncio.Event()
        self.ship: Ship | None = None
        self.progress = Progress()
        self.activity = IterationActivity()
        self.parked = False
        self.park_poll_s = PARK_POLL_S
        self._stop_checked_at = -STOP_POLL_S

    # ---- entry ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Run to the end of the playbook from wherever the journal says we are."""
        self.ship = await self._read_ship()
        await self._settle_transit()
        point = self.resume_point()
        self.progress = point.progress
        self.view.iterations = self.progress.iterations
        if point.cursor:
            self._say(f"resuming at step {cur.top_step(point.cursor) + 1}/{len(self.steps)}")
        await self._walk(self.steps, (), point)

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

    def _resolve_intent(self, path: str, index: int, command_data: Mapping[str, Any],
                        before: Mapping[str, Any]) -> ResumePoint:
        assert self.ship is not None
        progress = Progress.from_state(before.get("state", {}))
        command = c.command_from_dict(command_data)
        applied = took_effect(command, before.get("ship", {}), self.ship)
        if applied:
            self.journal.checkpoint(path, index, progress.to_state(),
                                    f"{_describe(command)} had been applied before the "
                                    "restart; not sending it again")
            return ResumePoint(cur.decode(path), index + 1, progress)
        return ResumePoint(cur.decode(path), index, progress)

    # ---- the step tree ---------------------------------------------------------------

    async def _walk(self, steps: Sequence[Step], prefix: cur.Cursor,
                    resume: ResumePoint | None) -> None:
        start = resume.cursor[0] if resume and resume.cursor else 0
        for index in range(start, len(steps)):
            here = resume if resume is not None and index == start and resume.cursor else None
            inner = ResumePoint(here.cursor[1:], here.next_command, here.progress) \
                if here is not None else None
            await self._run_step(steps[index], (*prefix, index), inner)
            resume = None

    async def _run_step(self, step: Step, path: cur.Cursor, resume: ResumePoint | None) -> None:
        if len(path) == 1:
            self.view.step_index, self.view.step_total = path[0] + 1, len(self.steps)
            self.view.step_label = step.title
            self.journal.set_progress(cur.encode(path), self.progress.iterations)
        if resume is None and step.when and not self.language.applies(step, await self._ctx()):
            return
        if step.action in ("repeat", "tour") and not isinstance(step, TourFlight):
            await self._run_loop(step, path, resume)
        else:
            await self._run_leaf_with_keywords(step, path, resume)

    async def _run_loop(self, step: Step, path: cur.Cursor, resume: ResumePoint | None) -> None:
        """A ``repeat`` (times / until / forever) or a ``tour`` (children at each stop).

        Each iteration runs with its own loop frame (parent: the enclosing loop's); the
        enclosing frame is back when the loop ends.
        """
        outer = self.loop
        try:
            await self._iterate(step, path, resume, outer)
        finally:
            self.loop = outer

    async def _iterate(self, step: Step, path: cur.Cursor, resume: ResumePoint | None,
                       outer: Loop | None) -> None:
        iteration = resume.cursor[0] if resume and resume.cursor else 0
        inner = ResumePoint(resume.cursor[1:], resume.next_command, resume.progress) \
            if resume and len(resume.cursor) > 1 else None
        stops = await self._tour_stops(step, path, resumed=resume is not None) \
            if step.action == "tour" else None
        self.loop = outer
        length = len(stops) if stops is not None else \
            self.language.length(step, await self._ctx())
        # Only loops without an end can spin; a finite loop of cheap steps runs at full speed.
        guard = IdleGuard() if length is None else None
        while True:
            if stops is not None:
                if iteration >= len(stops):
                    self.progress.stops.pop(cur.encode(path), None)
                    return
                self.loop = enter_loop(outer, iteration + 1, len(stops), stops[iteration])
            else:
                self.loop = outer
                if inner is None and not self.language.continues(step, await self._ctx(),
                                                                 iteration):
                    return
                self.loop = enter_loop(outer, iteration + 1, length, iteration + 1)
            self.activity = IterationActivity()
            children = step.children
            if stops is not None:  # fly to the stop first, then run the children there
                children = (TourFlight.of(step), *children)
            await self._walk(children, (*path, iteration), inner)
            inner = None
            iteration += 1
            if len(path) == 1:  # iterations of a top-level loop (``repeat: forever``) count
                self.progress.iterations += 1
                self.view.iterations = self.progress.iterations
                self.journal.set_progress(cur.encode(path), self.progress.iterations)
            if guard is not None:
                await self._idle_pause(guard)

    async def _idle_pause(self, guard: IdleGuard) -> None:
        pause, announce = guard.after_iteration(self.activity)
        if announce:
            self._say("idle: the loop sent no request and waited for nothing; slowing down")
        if pause:
            await self._sleep_wall(pause)

    async def _tour_stops(self, step: Step, path: cur.Cursor, resumed: bool) -> list[Any]:
        """A tour's stops: chosen once and kept in the checkpoints, so a resumed tour visits
        the same stops in the same order (re-solving from elsewhere could reorder them)."""
        key = cur.encode(path)
        if resumed and key in self.progress.stops:
            return self.progress.stops[key]
        stops = self.language.stops(step, await self._ctx())
        self.progress.stops[key] = stops
        return stops

    async def _run_leaf_with_keywords(self, step: Step, path: cur.Cursor,
                                      resume: ResumePoint | None) -> None:
        """A leaf with its keywords: ``timeout`` (game seconds) bounds each attempt;
        a failed attempt, a timeout and an ``until`` still false after the step ran are all
        failures of the attempt: retried ``delay`` apart (game seconds) while ``retries``
        last, then the step fails, or is logged and passed over with ``ignore_errors``."""
        attempts = step.retries + 1
        for attempt in range(attempts):
            try:
                await self._attempt(step, path, resume if attempt == 0 else None)
                return
            except StepFailed as exc:
                if attempt + 1 < attempts:
                    self._say(f"step {step.label} {step.title} failed ({exc.message}); "
                              f"retry {attempt + 1}/{step.retries} in {step.delay:g}s")
                    await self._sleep_game(step.delay)
                    continue
                if step.ignore_errors:
                    self._say(f"step {step.label} {step.title} failed, ignored: {exc.message}")
                    return
                raise

    async def _attempt(self, step: Step, path: cur.Cursor, resume: ResumePoint | None) -> None:
        """One attempt of a leaf; raises ``StepFailed`` when it fails, times out, or its
        ``until`` does not hold afterwards."""
        try:
            async with _timeout(None if step.timeout is None
                                else step.timeout / max(self.api.speed(), 1e-9)):
                await self._run_leaf(step, path, resume)
        except TimeoutError:
            raise StepFailed(f"step {step.label} {step.title} timed out after "
                             f"{step.timeout:g}s") from None
        if step.until and not self.language.holds(step.until, await self._ctx()):
            raise StepFailed(f"`until: {step.until}` is still false")

    async def _run_leaf(self, step: Step, path: cur.Cursor, resume: ResumePoint | None) -> None:
        assert self.ship is not None
        if resume is not None:
            commands = [c.command_from_dict(d) for d in resume.progress.commands]
            first = resume.next_command
            if first >= len(commands):
                return
        else:
            if step.action in CARGO_ACTIONS:
                self.ship = await self._read_ship()
            commands = self._expand(step, await self._ctx(step))
            first = 0
        self.progress.commands = [c.command_to_dict(cmd) for cmd in commands]
        index = first
        expected_at = self.ship.nav.waypoint
        while index < len(commands):
            command = commands[index]
            if isinstance(command, c.Navigate) and self._needs_replan(command, expected_at):
                commands = commands[:index] + await self._replan(step, command)
                self.progress.commands = [c.command_to_dict(cmd) for cmd in commands]
                continue
            result = await self._execute(command, path, index)
            if isinstance(command, c.Navigate):
                expected_at = command.destination
            if step.register and result is not None:
                self.progress.registered[step.register] = result
            index += 1

    def _needs_replan(self, command: c.Navigate, expected_at: str) -> bool:
        assert self.ship is not None
        if self.ship.nav.waypoint != expected_at:
            return True
        fuel = self.ship.fuel
        return fuel.capacity > 0 and fuel.current < command.fuel_used

    async def _replan(self, step: Step, command: c.Navigate) -> list[c.Command]:
        """Re-expand ``step`` from the real ship; refuse a first leg the tank cannot fly."""
        assert self.ship is not None
        self._say(f"re-planning {step.title} from the real state: at {self.ship.nav.waypoint} "
                  f"with fuel {self.ship.fuel.current}/{self.ship.fuel.capacity}")
        fresh = self._expand(step, await self._ctx(step))
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
            await self._sleep_game(command.seconds)
            return None
        for _ in range(MAX_FIXUPS_PER_COMMAND + 1):
            await self._at_safe_point()
            await self._ensure_preconditions(command)
            if self._already_true(command):
                return None
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
        if command.mutates and not isinstance(command, IDEMPOTENT):
            self.journal.record_intent(step_path, index, c.command_to_dict(command),
                                       {"ship": ship_snapshot(self.ship),
                                        "state": self.progress.to_state()})
        self.activity.requests += 1
        sent = await self.api.send(self.ship, command)
        self.ship = sent.ship
        if command.mutates:
            self.journal.checkpoint(step_path, index, self.progress.to_state(),
                                    _describe(command, sent.credits))
        else:
            self._view_log(_describe(command, sent.credits))
        if isinstance(command, c.Navigate):
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
                await self._wait_until(until)
            elif isinstance(seconds, int | float):
                await self._sleep_game(float(seconds))
        return True

    async def _ensure_preconditions(self, command: c.Command) -> None:
        assert self.ship is not None
        if self.ship.nav.status is NavStatus.IN_TRANSIT:
            await self._settle_transit()
        status = self.ship.nav.status
        if isinstance(command, _NEEDS_ORBIT) and status is NavStatus.DOCKED:
            await self._fix_nav(c.Orbit())
        elif isinstance(command, _NEEDS_DOCK) and status is NavStatus.IN_ORBIT:
            await self._fix_nav(c.Dock())
        if isinstance(command, _NEEDS_REACTOR):
            cooldown = self.ship.cooldown
            if cooldown is not None and cooldown.expiration is not None:
                await self._wait_until(cooldown.expiration)

    async def _fix_nav(self, command: c.Orbit | c.Dock) -> None:
        """Put the ship in the nav state the next command needs (idempotent on the server)."""
        assert self.ship is not None
        self.activity.requests += 1
        self.ship = (await self.api.send(self.ship, command)).ship

    def _already_true(self, command: c.Command) -> bool:
        """True when the command would change nothing (no request is sent)."""
        assert self.ship is not None
        nav = self.ship.nav
        if isinstance(command, c.Orbit):
            return nav.status is NavStatus.IN_ORBIT
        if isinstance(command, c.Dock):
            return nav.status is NavStatus.DOCKED
        if isinstance(command, c.SetFlightMode):
            return nav.flight_mode == command.mode
        if isinstance(command, c.Navigate):
            return nav.waypoint == command.destination and nav.status is not NavStatus.IN_TRANSIT
        if isinstance(command, c.Refuel) and command.units is None:
            return self.ship.fuel.current >= self.ship.fuel.capacity
        return False

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

    async def _sleep_game(self, game_seconds: float) -> None:
        self.activity.waits += 1
        await self._sleep_wall(game_seconds / max(self.api.speed(), 1e-9))

    async def _sleep_wall(self, seconds: float) -> None:
        """Sleep, but wake for a stop request (waiting is a safe point)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=max(0.0, seconds))
        await self._at_safe_point()

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

    async def _ctx(self, step: Step | None = None) -> Any:
        assert self.ship is not None
        return await self.language.context(self.ship, self.progress.registered, self.loop,
                                           step)

    def _expand(self, step: Step, ctx: Any) -> list[c.Command]:
        try:
            return self.language.expand(step, ctx)
        except StRunError:
            raise
        except Exception as exc:  # the language's StepError: a located, one-line failure
            message = getattr(exc, "message", str(exc))
            raise StepFailed(f"step {step.label} {step.title}: {message}") from exc

    def _say(self, line: str) -> None:
        self.journal.log(line)

    def _view_log(self, line: str) -> None:
        self.view.logs.append(line)


def _credits_needed(exc: ApiError) -> int | None:
    for key in ("creditsNeeded", "totalPrice", "cost", "required"):
        value = exc.data.get(key)
        if isinstance(value, int):
            return value
    return None


def _describe(command: c.Command, credits: int | None = None) -> str:
    """A log line for a command: ``purchase 10 IRON_ORE``."""
    money = f" (credits {credits})" if credits is not None else ""
    match command:
        case c.Navigate(destination=d, mode=m):
            return f"navigate to {d} ({m}){money}"
        case c.Purchase(symbol=s, units=u):
            return f"purchase {u} {s}{money}"
        case c.Sell(symbol=s, units=u):
            return f"sell {u} {s}{money}"
        case c.Jettison(symbol=s, units=u):
            return f"jettison {u} {s}"
        case c.Deliver(symbol=s, units=u):
            return f"deliver {u} {s}"
        case c.Refuel():
            return f"refuel{money}"
        case c.SetFlightMode(mode=m):
            return f"flight mode {m}"
        case _:
            words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(command).__name__).lower()
            return words + money


@contextlib.asynccontextmanager
async def _timeout(seconds: float | None):  # type: ignore[no-untyped-def]
    if seconds is None:
        yield
        return
    async with asyncio.timeout(seconds):
        yield
