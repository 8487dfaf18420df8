"""Run-time expansion: one step against LIVE state -> commands (and loop decisions).

The step tree is walked by the one interpreter (``runner.playbook.interpreter``); its two
worlds call these on their state: ``expand_step`` for a leaf's commands, ``loop_items`` for a
``repeat: {times}``'s length or a tour's ordered stops (per stop, ``expand_step(tour_step)``
with ``ctx.loop.item`` set is the flight there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runner.actions import registry
from runner.actions.common import as_units
from runner.domain.commands import Command
from runner.domain.plan import Step
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.selectors import resolve_waypoints
from runner.playbook.template import render


def expand_step(step: Step, ctx: StepContext) -> list[Command]:
    """The commands for ``step`` from ``ctx``'s state, preconditions included.

    Preconditions already met are skipped (no ``Dock`` when docked), so an empty list means
    "nothing to do". Raises ``StepError`` (message only; the caller adds the location).
    """
    action = registry()[step.action]
    if action.expand is None:
        raise StepError(f"`{step.action}` has no commands of its own; run its steps")
    names = ctx.names()
    args = {k: (v if k in action.expressions else render(v, names))
            for k, v in step.args.items()}
    return action.expand(args, ctx)


def loop_items(step: Step, ctx: StepContext) -> Sequence[Any] | None:
    """A ``tour``'s stops in visiting order, a ``repeat: {times}``'s 1..N (a lazy range);
    None when unbounded."""
    if step.action == "tour":
        return tour_stops(step, ctx)
    if step.action == "repeat" and "times" in step.args:
        times = as_units(render(step.args["times"], ctx.names()), "times")
        return range(1, times + 1)
    return None


def tour_stops(step: Step, ctx: StepContext) -> list[str]:
    """The tour's waypoints resolved from the ship's position, in the fastest order."""
    return tour_order(step, ctx)[0]


def tour_order(step: Step, ctx: StepContext) -> tuple[list[str], str]:
    """The tour's stops in visiting order, and how the order was chosen (for plans)."""
    visit = render(step.args.get("visit", []), ctx.names())
    if isinstance(visit, dict) and visit.get("limit") is not None:
        visit = {**visit, "limit": as_units(visit["limit"], "limit")}
    stops = resolve_waypoints(visit, ctx)
    if step.args.get("order") == "as_written":
        return stops, "as written"
    # The ship's own waypoint is a stop like any other: visited first (no flight), not
    # mistaken for the solver's start and dropped.
    here = [s for s in stops if s == ctx.ship.nav.waypoint][:1]
    others = [s for s in stops if s not in here]
    if len(others) < 2:
        return here + others, "single stop" if len(stops) < 2 else "here first"
    order, method = solve_tour_order(ctx, others)
    return here + order, method


def solve_tour_order(ctx: StepContext, stops: Sequence[str]) -> tuple[list[str], str]:
    """The routing tour solver's order and method (OR-Tools is imported there, only then)."""
    from runner.errors import StRunError
    from runner.routing.tour import plan_tour

    try:
        tour = plan_tour(ctx.system, ctx.ship, ctx.ship.nav.waypoint, list(stops),
                         fuel_now=ctx.ship.fuel.current)
    except StRunError as exc:
        raise StepError(exc.message) from None
    proven = ", proven optimal" if tour.proven_optimal else ""
    return list(tour.order), f"{tour.method}{proven}"
