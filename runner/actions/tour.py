"""``tour``: visit waypoints in the fastest order and run nested steps at each stop.

The order comes from the routing tour solver (OR-Tools, imported only here, only when a tour
is planned). At run time the executor asks ``loop_items`` for the ordered stops, then for
each stop expands the tour step itself (the flight to ``loop.item``) and runs the children.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import FILTERS, UNITS, WAYPOINT, Expansion, long_form
from runner.actions.navigate import fly_to
from runner.actions.registry import Action
from runner.domain.commands import Command
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.keywords import TEMPLATE

STEPS_REF = {"$ref": "#/$defs/steps"}


def normalize(value: Any) -> dict[str, Any]:
    """``{visit: [...], steps: [...]}``; ``order: as_written`` keeps the written order."""
    return {"visit": value["visit"], "steps": value.get("steps", []),
            "order": value.get("order", "fastest")}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """The flight to the current stop, ``loop.item``."""
    if ctx.loop is None or not isinstance(ctx.loop.item, str):
        raise StepError("a tour step expands once per stop: set loop.item to the stop")
    x = Expansion(ctx)
    fly_to(x, ctx.loop.item)
    return x.commands


ACTION = Action(
    name="tour",
    summary="Visit each waypoint of `visit` (a list, or {all: FILTERS, limit: N}) in the "
            "fastest order (or `order: as_written`) and run the nested `steps` at each stop; "
            "`loop.item` is the stop.",
    schema=long_form({"visit": {
        "description": "a list of waypoints, {all: FILTERS, limit: N} (the N nearest "
                       "matches), or a lone `{{ expr }}` that renders to a list",
        "anyOf": [{"type": "array", "items": WAYPOINT, "minItems": 1},
                  long_form({"all": FILTERS, "limit": UNITS}, ("all",)), TEMPLATE]},
                      "order": {"enum": ["fastest", "as_written"]},
                      "steps": STEPS_REF}, ("visit",)),
    normalize=normalize, expand=expand, nested=True,
    example="tour: {visit: {all: {traits: [MARKETPLACE]}, limit: 3}, steps: [scan_market]}",
)
