"""``compile_playbook``: meaning checks and the predicted plan for one ship in one system.

The compiler walks the step tree with a predicted ship, calling the same ``expand_step`` the
executor calls at run time, so what ``st-run plan`` shows is what ``run`` would send from
that state. What cannot be known before running is stated, not guessed: extraction yields,
``until`` loops (one iteration shown), conditions on registered results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from runner.domain.commands import Command, Extract, Navigate, Refuel, Wait, is_request
from runner.domain.loop import enter_loop
from runner.domain.plan import Leg, Plan, PlannedStep, Step
from runner.domain.ship import Agent, Ship
from runner.domain.travel import market_units
from runner.domain.universe import FUEL, System
from runner.playbook.context import LoopState, RouteFn, StepContext
from runner.playbook.errors import PlaybookError, Problem, StepError
from runner.playbook.expand import expand_step, loop_items, repeat_continues, tour_order
from runner.playbook.model import Playbook
from runner.playbook.simulate import apply_command, arrived
from runner.playbook.template import evaluate

MAX_SIMULATED_ITERATIONS = 25
"""Loop iterations simulated one by one; longer ``times`` loops are extrapolated."""
DEFAULT_FUEL_PRICE = 72
"""Credits per market unit of FUEL when the market's price is unknown (routing's default)."""


def compile_playbook(playbook: Playbook, system: System, ship: Ship,
                     agent: Agent | None = None, *, ships: Sequence[Ship] = (),
                     route: RouteFn | None = None) -> Plan:
    """The plan for ``ship`` (its current state) in ``system``; raises ``PlaybookError``.

    Every step's meaning is checked on the way (waypoints exist, the ship can do the action,
    each leg can be fuelled); all problems are reported together, located at their step.
    """
    if ship.nav.system != system.symbol:
        raise PlaybookError([Problem(playbook.path, 1, 1, f"{ship.symbol} is in system "
                                     f"{ship.nav.system}, not {system.symbol}")])
    ctx = StepContext(ship=arrived(ship), system=system, agent=agent, vars=playbook.vars,
                      ships=ships, route=route or _memo_router())
    walker = _Walker(playbook, ctx)
    steps = walker.steps(playbook.steps)
    if walker.problems:
        raise PlaybookError(walker.problems, playbook.source)
    return Plan(
        playbook=playbook.name, ship=ship.symbol, system=system.symbol, steps=steps,
        legs=tuple(walker.legs), total_duration_s=walker.elapsed,
        fuel_credits=walker.credits, requests=walker.requests, unbounded=walker.unbounded,
        warnings=tuple(walker.warnings),
    )


def _memo_router() -> RouteFn:
    """``runner.routing.plan_route``, remembering answers for one compile (loops repeat)."""
    from runner.domain.ship import FlightMode
    from runner.routing.config import RoutingConfig
    from runner.routing.route import plan_route

    memo: dict[tuple[Any, ...], Any] = {}

    def route(system: System, ship: Ship, start: str, goal: str, fuel_now: int,
              mode: str | None = None, min_fuel_left: int = 0) -> Any:
        key = (start, goal, fuel_now, ship.fuel.capacity, ship.engine_speed, mode,
               min_fuel_left)
        if key not in memo:
            config = None if mode is None else RoutingConfig(modes=frozenset({FlightMode(mode)}))
            memo[key] = plan_route(system, ship, start, goal, fuel_now, config=config,
                                   min_fuel_left=min_fuel_left)
        return memo[key]
    return route


@dataclass
class _Walker:
    """Walks the steps with a predicted context, accumulating legs and totals."""

    playbook: Playbook
    ctx: StepContext
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    legs: list[Leg] = field(default_factory=list)
    elapsed: float = 0.0
    credits: int = 0
    requests: int = 0
    unbounded: bool = False
    pending_refuel: tuple[int, int] = (0, 0)  # market units and credits since the last hop

    def steps(self, steps: Sequence[Step]) -> tuple[PlannedStep, ...]:
        return tuple(self.step(s) for s in steps)

    def fail(self, step: Step, error: StepError) -> None:
        message = f"step {step.label} `{step.action}`: {error.message}"
        if step.ignore_errors:  # the playbook says it may fail: a warning, not an error
            self.warnings.append(f"{message} (ignored: ignore_errors)")
            return
        self.problems.append(Problem(self.playbook.path, step.line, step.col, message))

    def unknown_now(self, error: StepError) -> bool:
        """True when the error only means a registered result does not exist yet."""
        return any(f"`{name}` is undefined" in error.message
                   for name in self.playbook.registered_names())

    def step(self, step: Step) -> PlannedStep:
        note = ""
        if step.when is not None:
            try:
                if not evaluate(step.when, self.ctx.names()):
                    return PlannedStep(step, skipped=True, note=f"skipped: {step.when} is false")
            except StepError as exc:
                if not self.unknown_now(exc):
                    self.fail(step, exc)
                    return PlannedStep(step)
                note = f"runs only if {step.when}"
        if step.action == "repeat":
            return self.repeat(step)
        if step.action == "tour":
            return self.tour(step)
        return self.leaf(step, note)

    def leaf(self, step: Step, note: str = "") -> PlannedStep:
        try:
            commands = expand_step(step, self.ctx)
        except StepError as exc:
            if self.unknown_now(exc):
                return PlannedStep(step, note="depends on a registered result")
            self.fail(step, exc)
            return PlannedStep(step)
        self.account(commands, step)
        if step.action == "extract":
            note = note or "yield known only at run time"
        return PlannedStep(step, commands=tuple(commands), note=note)

    def account(self, commands: Sequence[Command], step: Step) -> None:
        for command in commands:
            before = self.ctx.ship
            self.ctx = self.ctx.with_ship(apply_command(before, command))
            if isinstance(command, Extract):  # yields are unknown from here on
                self.ctx = replace(self.ctx, predicting=True)
            self.requests += 1 if is_request(command) else 0
            if isinstance(command, Refuel):
                self.refuel(before, command)
            elif isinstance(command, Navigate):
                self.leg(before, command, step)
            elif isinstance(command, Wait):
                self.elapsed += command.seconds

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

    def leg(self, before: Ship, command: Navigate, step: Step) -> None:
        self.elapsed += command.duration_s
        units, cost = self.pending_refuel
        self.pending_refuel = (0, 0)
        self.legs.append(Leg(
            origin=before.nav.waypoint, destination=command.destination, mode=str(command.mode),
            distance=round(command.distance, 3), fuel_used=command.fuel_used,
            fuel_left=self.ctx.ship.fuel.current, refuel_units=units, refuel_cost=cost,
            duration_s=command.duration_s, eta_s=self.elapsed, step=step.label))

    def repeat(self, step: Step) -> PlannedStep:
        try:
            items = loop_items(step, self.ctx)
            if items is None and not repeat_continues(step, self.ctx, 0):
                return PlannedStep(step, iterations=0, note=f"skipped: {step.args['until']} "
                                   "already holds")
        except StepError as exc:
            self.fail(step, exc)
            return PlannedStep(step)
        if items is None:
            self.unbounded = True
            what = f"until {step.args['until']}" if "until" in step.args else "forever"
            children = self.iteration(step, enter_loop(self.ctx.loop, 1, None, 1))
            return PlannedStep(step, children=children, iterations=None,
                               note=f"repeats {what}; one iteration shown")
        return self.counted(step, items)

    def counted(self, step: Step, items: Sequence[Any]) -> PlannedStep:
        first: tuple[PlannedStep, ...] = ()
        simulated = min(len(items), MAX_SIMULATED_ITERATIONS)
        for i in range(simulated):
            mark = (self.elapsed, self.credits, self.requests)
            children = self.iteration(step, enter_loop(self.ctx.loop, i + 1, len(items),
                                                        items[i]))
            first = first or children
        note = f"{len(items)} iterations"
        if len(items) > simulated:  # extrapolate the last simulated iteration
            rest = len(items) - simulated
            self.elapsed += rest * (self.elapsed - mark[0])
            self.credits += rest * (self.credits - mark[1])
            self.requests += rest * (self.requests - mark[2])
            note += f" (first {simulated} simulated, the rest extrapolated)"
        return PlannedStep(step, children=first, iterations=len(items), note=note)

    def iteration(self, step: Step, loop: LoopState) -> tuple[PlannedStep, ...]:
        outer = self.ctx.loop
        self.ctx = replace(self.ctx, loop=loop)
        try:
            return self.steps(step.children)
        finally:
            self.ctx = replace(self.ctx, loop=outer)

    def tour(self, step: Step) -> PlannedStep:
        try:
            stops, method = tour_order(step, self.ctx)
        except StepError as exc:
            self.fail(step, exc)
            return PlannedStep(step)
        planned: list[PlannedStep] = []
        outer = self.ctx.loop
        for i, stop in enumerate(stops):
            self.ctx = replace(self.ctx, loop=enter_loop(outer, i + 1, len(stops), stop))
            arrival = self.leaf(step, note=f"stop {i + 1}/{len(stops)}: {stop}")
            planned.append(arrival)
            planned.extend(self.steps(step.children))
        self.ctx = replace(self.ctx, loop=outer)
        order = " -> ".join(stops)
        return PlannedStep(step, children=tuple(planned), iterations=len(stops),
                           note=f"order ({method}): {order}")


