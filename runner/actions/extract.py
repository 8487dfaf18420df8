"""``extract``: mine the current waypoint (orbit first; needs a mining laser and room).

``extract`` alone mines plainly; ``extract: {survey: best}`` uses the best registered survey
of this waypoint (the largest deposit size, then the most deposits) from any registered
``survey`` result; ``{survey: "{{ surveys[0] }}"}`` uses the survey (or the best of a list of
surveys) a template gives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Extract, ExtractWithSurvey
from runner.playbook.context import StepContext
from runner.playbook.errors import NotRegisteredYet, StepError
from runner.playbook.keywords import TEMPLATE

EXTRACTABLE = frozenset({"ASTEROID", "ASTEROID_FIELD", "ENGINEERED_ASTEROID"})
"""Waypoint types a mining laser works at (elsewhere the server answers 4205)."""
BEST = "best"
SIZES = {"SMALL": 1, "MODERATE": 2, "LARGE": 3}


def normalize(value: Any) -> dict[str, Any]:
    """``extract`` or ``{survey: best | SURVEY}`` -> ``{survey: ... | None}``."""
    if isinstance(value, Mapping):
        return {"survey": value.get("survey")}
    return {"survey": None}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Orbit and extract; StepError when the ship or the waypoint cannot."""
    x = Expansion(ctx)
    if not x.ship.can_mine:
        raise StepError(f"{x.ship.symbol} has no mining laser (MOUNT_MINING_LASER_*)")
    if x.ship.cargo.free <= 0 and not ctx.predicting:
        raise StepError(f"{x.ship.symbol}'s cargo hold is full")
    here = ctx.system.waypoints.get(x.ship.nav.waypoint)
    if here is not None and here.type not in EXTRACTABLE:
        raise StepError(f"{here.symbol} ({here.type}) cannot be mined; extract needs one of "
                        f"{', '.join(sorted(EXTRACTABLE))}")
    survey = _survey(args.get("survey"), x.ship.nav.waypoint, ctx)
    x.orbit()
    x.add(Extract() if survey is None else ExtractWithSurvey(json.dumps(survey, sort_keys=True)))
    return x.commands


def _survey(wanted: Any, waypoint: str, ctx: StepContext) -> dict[str, Any] | None:
    """The survey object to send back, or None for a plain extraction."""
    if wanted is None:
        return None
    if wanted == BEST:
        candidates = [s for value in ctx.registered.values() for s in _surveys(value)]
        if not candidates:
            raise NotRegisteredYet(f"no registered survey: `register` the result of a "
                                   f"`survey` step at {waypoint} first", key="survey")
    else:
        candidates = _surveys(wanted)
        if not candidates:
            raise StepError(f"`survey` must be `best` or a registered survey, got {wanted!r}",
                            key="survey")
    here = [s for s in candidates if s.get("symbol") == waypoint]
    if not here:
        raise StepError(f"no registered survey of {waypoint}: `register` a `survey` step "
                        "here first", key="survey")
    return max(here, key=lambda s: (SIZES.get(str(s.get("size")), 0),
                                    len(s.get("deposits") or ()), str(s.get("signature"))))


def _surveys(value: Any) -> list[dict[str, Any]]:
    """The survey objects in a registered value (one survey or a list of them)."""
    items = value if isinstance(value, list) else [value]
    return [dict(s) for s in items if isinstance(s, Mapping) and "signature" in s
            and "deposits" in s]


ACTION = Action(
    name="extract",
    summary="Extract resources at an asteroid (orbits first); `{survey: best}` uses the best "
            "registered survey of the waypoint, or give one with a template.",
    schema={"description": "nothing, or {survey: best | a `{{ }}` template naming a survey}",
            "anyOf": [{"type": "null"},
                      long_form({"survey": {"anyOf": [{"const": BEST}, TEMPLATE]}},
                                ("survey",))]},
    normalize=normalize, expand=expand, bare=True,
    example="extract: {survey: best}", needs=("orbit",),
)
