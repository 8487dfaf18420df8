"""``compile_playbook``: meaning checks and the predicted plan for one ship in one system.

The plan is the one step interpreter (``runner.playbook.interpreter``) run over the
*predicted world* below: the same walk ``run`` does over the real game, so loop variables,
``when``, ``until``, retries and ``ignore_errors`` mean the same in both. The predicted world
advances a predicted ship command by command (each command's own ``predict``) and records
what the plan shows. What cannot be known before running is stated, not guessed: extraction
yields, endless loops (one iteration shown), conditions on registered results. Long counted
loops are simulated for ``MAX_SIMULATED_ITERATIONS`` iterations and extrapolated.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from runner.domain.commands import Command, Jump, Navigate, Refuel, Wait, Warp, is_request
from runner.domain.cursor import Cursor
from runner.domain.galaxy import Atlas
from runner.domain.loop import LoopState
from runner.domain.plan import Leg, Plan, PlannedStep, Step
from runner.domain.ship import Agent, Ship
from runner.domain.ship_group import ShipSlot
from runner.domain.travel import market_units
from runner.domain.universe import FUEL, System
from runner.playbook.context import RouteFn, StepContext
from runner.playbook.errors import NotRegisteredYet, PlaybookError, Problem, StepError
from runner.playbook.expand import expand_step, loop_items, tour_order
from runner.playbook.game_names import GameData
from runner.playbook.interpreter import (
    Interpreter,
    Progress,
    ResumePoint,
    StepFailed,
    TourFlight,
    run_without_waiting,
)
from runner.playbook.model import Playbook
from runner.playbook.simulate import arrived
from runner.playbook.template import evaluate

MAX_SIMULATED_ITERATIONS = 25
"""Loop iterations simulated one by one; longer ``times`` loops are extrapolated."""
DEFAULT_FUEL_PRICE = 72
"""Credits per market unit of FUEL when the market's price is unknown (routing's default)."""


def compile_playbook(playbook: Playbook, system: System, ship: Ship,
                     agent: Agent | None = None, *, ships: Sequence[Ship] = (),
                     route: RouteFn | None = None, atlas: Atlas | None = None,
                     game: GameData | None = None, slot: ShipSlot = ShipSlot()) -> Plan:
    """The plan for ``ship`` (its current state) in ``system``; raises ``PlaybookError``.

    ``atlas``: the galaxy and other systems, for steps that leave ``system`` (the plan
    follows the ship into the systems it reaches). ``slot``: the ship's place in its group
    (``ship.index``/``ship.count``), as ``run`` gives it.

    Every step's meaning is checked on the way (waypoints exist, the ship can do the action,
    each leg can be fuelled); all problems are reported together, located at their step.
    """
    if ship.nav.system != system.symbol:
        raise PlaybookError([Problem(playbook.path, 1, 1, f"{ship.symbol} is in system "
                                     f"{ship.nav.system}, not {system.symbol}")])
    game = game or GameData()
    ctx = StepContext(ship=arrived(ship), system=system, agent=agent, vars=playbook.vars,
                      ships=ships, route=route or _memo_router(), atlas=atlas or Atlas(),
                      contracts=game.contracts, site=game.site, now=game.now, slot=slot,
                      fleet=game.fleet)
    world = PredictedWorld(playbook, ctx)
    run_without_waiting(Interpreter(playbook.steps, world))
    if world.problems:
        raise PlaybookError(world.problems, playbook.source)
    return Plan(
        playbook=playbook.name, ship=ship.symbol, system=system.symbol,
        steps=tuple(world.root.planned()), legs=tuple(world.legs),
        total_duration_s=world.elapsed, fuel_credits=world.credits, requests=world.requests,
        unbounded=world.unbounded, warnings=tuple(world.warnings), trace=tuple(world.trace),
        step_ends_s=world.step_ends(len(playbook.steps)),
    )


def _memo_router() -> RouteFn:
    """``runner.routing.plan_route``, remembering answers for one compile (loops repeat)."""
    from runner.domain.ship import FlightMode
    from runner.routing.config import RoutingConfig
    from runner.routing.results import Route
    from runner.routing.route import plan_route

    memo: dict[tuple[object, ...], Route] = {}

    def route(system: System, ship: Ship, start: str, goal: str, fuel_now: int,
              mode: str | None = None, min_fuel_left: int = 0) -> Route:
        key = (start, goal, fuel_now, ship.fuel.capacity, ship.engine_speed, mode,
               min_fuel_left)
        if key not in memo:
            config = None if mode is None else RoutingConfig(modes=frozenset({FlightMode(mode)}))
            memo[key] = plan_route(system, ship, start, goal, fuel_now, config=config,
                                   min_fuel_left=min_fuel_left)
        return memo[key]
    return route


@dataclass
class _Node:
    """A step being planned: what ``PlannedStep`` will hold, filled in as the walk goes."""

    step: Step
    commands: list[Command] = field(default_factory=list)
    children: list[PlannedStep] = field(default_factory=list)
    iterations: int | None = 1
    skipped: bool = False
    note: str = ""
    loop: bool = False
    shows_all: bool = False  # a tour shows every stop; a repeat its first iteration
    iteration: int = 1
    mark: tuple[float, int, int] = (0.0, 0, 0)  # totals when the current iteration began
    last: tuple[float, int, int] = (0.0, 0, 0)  # what the last iteration added

    def adopt(self, child: PlannedStep) -> None:
        if not self.loop or self.shows_all or self.iteration == 1:
            self.children.append(child)

    def planned(self) -> list[PlannedStep]:
        """The root's children (the top-level steps)."""
        return self.children

    def freeze(self) -> PlannedStep:
        return PlannedStep(self.step, commands=tuple(self.commands),
                           children=tuple(self.children), iterations=self.iterations,
                           skipped=self.skipped, note=self.note)


class PredictedWorld:
    """The interpreter's predicted world: a pure model of the game, building the plan."""

    def __init__(self, playbook: Playbook, ctx: StepContext) -> None:
        self.playbook = playbook
        self.ctx = ctx
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.legs: list[Leg] = []
        self.elapsed = 0.0
        self._ends: dict[int, float] = {}  # top-level step -> elapsed when it ended
        self.credits = 0
        self.requests = 0
        self.unbounded = False
        self.pending_refuel = (0, 0)  # market units and credits since the last hop
        self.reactor_ready = 0.0  # elapsed time when the reactor is ready again (jumps)
        self.trace: list[Command] = []
        self.root = _Node(Step((), "playbook"))
        self.stack: list[_Node] = [self.root]

    # ---- problems ------------------------------------------------------------------------

    def fail(self, step: Step, message: str) -> None:
        text = f"step {step.label} `{step.action}`: {message}"
        if step.ignore_errors:  # the playbook says it may fail: a warning, not an error
            self.warnings.append(f"{text} (ignored: ignore_errors)")
            return
        self.problems.append(Problem(self.playbook.path, step.line, step.col, text))

    def unknown_now(self, error: StepError) -> bool:
        """True when the error only means a registered result does not exist yet."""
        return isinstance(error, NotRegisteredYet) or any(f"`{name}` is undefined" in error.message
                   for name in self.playbook.registered_names())

    def carry_on(self, step: Step, error: StepFailed) -> bool:
        self.fail(step, error.message)
        return True  # a plan reports every problem, not only the first

    # ---- the interpreter's questions -------------------------------------------------------

    def _ctx(self, loop: LoopState | None) -> StepContext:
        return replace(self.ctx, loop=loop)

    async def holds(self, keyword: str, expression: str, step: Step, loop: LoopState | None,
                    progress: Progress) -> bool:
        if keyword == "until" and self.ctx.predicting:  # after an extraction: cargo unknown
            self.top.note = self.top.note or f"retries until {expression} (known at run time)"
            return True
        try:
            return bool(evaluate(expression, self._ctx(loop).names()))
        except StepError as exc:
            if not self.unknown_now(exc):
                self.fail(step, exc.message)
                return keyword == "until"  # a broken `until` is reported once, not retried
            if keyword == "when":
                self.top.note = f"runs only if {expression}"
            return keyword != "repeat.until"

    async def length(self, step: Step, loop: LoopState | None,
                     progress: Progress) -> int | None:
        if step.action != "repeat":
            return None
        try:
            items = loop_items(step, self._ctx(loop))
        except StepError as exc:
            self.fail(step, exc.message)
            return 0
        return None if items is None else len(items)

    async def stops(self, step: Step, loop: LoopState | None, progress: Progress
                    ) -> list[Any]:
        try:
            stops, method = tour_order(step, self._ctx(loop))
        except StepError as exc:
            self.fail(step, exc.message)
            return []
        self.top.note = f"order ({method}): {' -> '.join(stops)}"
        return list(stops)

    def iteration_cap(self, step: Step, length: int | None) -> int | None:
        if step.action == "tour":
            return None
        return 1 if length is None else MAX_SIMULATED_ITERATIONS

    def deadline(self, game_seconds: float | None) -> contextlib.AbstractAsyncContextManager[None]:
        return _no_deadline()

    async def sleep(self, game_seconds: float) -> None:
        self.elapsed += game_seconds

    # ---- the tree of planned steps -----------------------------------------------------------

    @property
    def top(self) -> _Node:
        return self.stack[-1]

    def entered(self, step: Step, path: Cursor) -> None:
        if isinstance(step, TourFlight):  # shown as the tour step itself
            tour = next(n.step for n in reversed(self.stack) if n.step.path == step.path)
            step = tour
        self.stack.append(_Node(step))

    def left(self, step: Step) -> None:
        node = self.stack.pop()
        self.top.adopt(node.freeze())
        if len(step.path) == 1:
            self._ends[step.path[0]] = self.elapsed

    def step_ends(self, count: int) -> tuple[float, ...]:
        """When each of the ``count`` top-level steps ended, in game seconds from the start."""
        ends, last = [], 0.0
        for index in range(count):
            last = self._ends.get(index, last)
            ends.append(last)
        return tuple(ends)

    def skipped(self, step: Step, reason: str) -> None:
        node = self.top
        if node.loop:
            node.iterations, node.note = 0, reason
        else:
            node.skipped, node.note = True, reason

    def said(self, line: str) -> None:
        return None  # retries and ignored failures are the run's log lines

    def loop_started(self, step: Step, length: int | None, stops: Sequence[Any] | None
                     ) -> None:
        node = self.top
        node.loop, node.shows_all = True, stops is not None
        node.iterations = length
        node.mark = self._totals()
        if stops is None and length is None:
            what = f"until {step.args['until']}" if "until" in step.args else "forever"
            node.note = f"repeats {what}; one iteration shown"

    async def iteration_ended(self, step: Step, path: Cursor, index: int,
                              bounded: bool) -> None:
        node = self.top
        if not bounded:  # an endless loop that runs at all: its totals count it once
            self.unbounded = True
        now = self._totals()
        node.last = (now[0] - node.mark[0], now[1] - node.mark[1], now[2] - node.mark[2])
        node.mark = now
        node.iteration = index + 1

    def loop_ended(self, step: Step, iterations: int, length: int | None) -> None:
        node = self.top
        if node.shows_all or length is None or node.iterations == 0:
            return
        node.note = f"{length} iterations"
        rest = length - iterations
        if rest > 0:  # extrapolate the last simulated iteration
            self.elapsed += rest * node.last[0]
            self.credits += rest * node.last[1]
            self.requests += rest * node.last[2]
            node.note += f" (first {iterations} simulated, the rest extrapolated)"

    def _totals(self) -> tuple[float, int, int]:
        return self.elapsed, self.credits, self.requests

    # ---- a leaf ----------------------------------------------------------------------------

    async def leaf(self, step: Step, path: Cursor, loop: LoopState | None, progress: Progress,
                   resume: ResumePoint | None) -> Any:
        node = self.top
        if isinstance(step, TourFlight) and loop is not None:
            node.note = f"stop {loop.index}/{loop.length}: {loop.item}"
        try:
            commands = expand_step(step, self._ctx(loop))
        except StepError as exc:
            if self.unknown_now(exc):
                node.note = "depends on a registered result"
            else:
                self.fail(step, exc.message)
            return None
        self.account(commands, step)
        self.trace.extend(commands)
        node.commands.extend(commands)
        if step.action == "extract":
            node.note = node.note or "yield known only at run time"
        return None  # results exist only at run time

    def account(self, commands: Sequence[Command], step: Step) -> None:
        for command in commands:
            before = self.ctx.ship
            waited = max(0.0, self.reactor_ready - self.elapsed) if command.needs_reactor \
                else 0.0
            self.elapsed += waited  # a cooldown left by a jump is waited out here
            self.ctx = self.ctx.with_ship(command.predict(before))
            if command.cargo_unknown_after:  # yields are unknown from here on
                self.ctx = replace(self.ctx, predicting=True)
            self.requests += 1 if is_request(command) else 0
            if isinstance(command, Refuel):
                self.refuel(before, command)
            elif isinstance(command, Navigate | Warp):
                self.leg(before, command, step)
            elif isinstance(command, Jump):
                self.jump(before, command, step, waited)
            elif isinstance(command, Wait):
                self.elapsed += command.seconds
            self.follow_ship()

    def follow_ship(self) -> None:
        """After a jump or warp, steps see the system the ship is in (when it is loaded)."""
        here = self.ctx.ship.nav.system
        if here != self.ctx.system.symbol:
            system = self.ctx.atlas.system(here)
            if system is not None:
                self.ctx = replace(self.ctx, system=system)

    def jump(self, before: Ship, command: Jump, step: Step, waited: float) -> None:
        """A jump: instant; its antimatter is paid; the cooldown waited before it is its
        duration (the cooldown it leaves costs time only if a later jump waits for it)."""
        self.credits += command.antimatter_cost
        self.reactor_ready = self.elapsed + command.cooldown_s
        self.legs.append(Leg(
            origin=before.nav.waypoint, destination=command.destination, mode="JUMP",
            distance=round(command.distance, 3), fuel_used=0,
            fuel_left=self.ctx.ship.fuel.current, refuel_units=0,
            refuel_cost=command.antimatter_cost, duration_s=int(waited), eta_s=self.elapsed,
            step=step.label))

    def refuel(self, before: Ship, command: Refuel) -> None:
        room = before.fuel.capacity - before.fuel.current
        fuel = room if command.units is None else min(room, command.units)
        units = 0 if command.from_cargo else market_units(fuel)
        cost = units * self.fuel_price(before.nav.waypoint)
        self.credits += cost
        done_units, done_cost = self.pending_refuel
        self.pending_refuel = (done_units + units, done_cost + cost)

    def fuel_price(self, waypoint: str) -> int:
        wp = self.ctx.system.waypoints.get(waypoint)
        good = wp.market.trade_goods.get(FUEL) if wp and wp.market else None
        return good.purchase_price if good else DEFAULT_FUEL_PRICE

    def leg(self, before: Ship, command: Navigate | Warp, step: Step) -> None:
        self.elapsed += command.duration_s
        units, cost = self.pending_refuel
        self.pending_refuel = (0, 0)
        mode = str(command.mode) if isinstance(command, Navigate) else f"WARP {command.mode}"
        self.legs.append(Leg(
            origin=before.nav.waypoint, destination=command.destination, mode=mode,
            distance=round(command.distance, 3), fuel_used=command.fuel_used,
            fuel_left=self.ctx.ship.fuel.current, refuel_units=units, refuel_cost=cost,
            duration_s=command.duration_s, eta_s=self.elapsed, step=step.label))


@contextlib.asynccontextmanager
async def _no_deadline() -> AsyncIterator[None]:
    """A predicted step never times out (its duration is a prediction, not a wait)."""
    yield
