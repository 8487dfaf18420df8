"""``flight_mode``: set the ship's persistent flight mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, SetFlightMode
from runner.domain.ship import FlightMode
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError

MODE = {"enum": [m.value for m in FlightMode]}


def normalize(value: Any) -> dict[str, Any]:
    """``flight_mode: DRIFT`` or ``{mode: DRIFT}`` -> ``{mode}``."""
    return {"mode": value["mode"] if isinstance(value, Mapping) else value}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Set the mode unless it is already set."""
    try:
        mode = FlightMode(str(args["mode"]).upper())
    except ValueError:
        raise StepError(f"unknown flight mode {args['mode']!r}", key="mode") from None
    x = Expansion(ctx)
    if x.ship.nav.flight_mode != mode:
        x.add(SetFlightMode(mode))
    return x.commands


ACTION = Action(
    name="flight_mode", summary="Set the flight mode used by later manual navigation.",
    schema={"description": "a flight mode (CRUISE, DRIFT, BURN or STEALTH) or {mode: MODE}",
            "anyOf": [MODE, long_form({"mode": MODE}, ("mode",))]},
    normalize=normalize, expand=expand, example="flight_mode: DRIFT",
)
