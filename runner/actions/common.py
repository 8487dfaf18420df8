"""What actions share: value schemas, argument coercion and the expansion builder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.domain.commands import Command, Dock, Orbit
from runner.domain.ship import NavStatus, Ship
from runner.domain.universe import Market
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.keywords import DURATION, TEMPLATE
from runner.playbook.simulate import apply_command, arrived

TEXT: Mapping[str, Any] = {"type": "string", "minLength": 1}
FILTERS: Mapping[str, Any] = {
    "type": "object", "minProperties": 1, "additionalProperties": False,
    "properties": {
        "type": {"type": "string", "minLength": 1},
        "traits": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "sells": {"type": "string", "minLength": 1},
        "buys": {"type": "string", "minLength": 1},
        "not_here": {"type": "boolean"},
        "from": {"type": "string", "minLength": 1,
                 "description": "measure distances from this waypoint (a symbol or "
                                "`headquarters`) instead of the ship: ships that start in "
                                "different places agree on one waypoint"},
        "system": {"type": "string", "minLength": 1,
                   "description": "search this system instead of the ship's (navigation "
                                  "across systems)"}},
}
NEAREST: Mapping[str, Any] = {
    "type": "object", "required": ["nearest"], "additionalProperties": False,
    "properties": {"nearest": FILTERS},
}
BEST: Mapping[str, Any] = {
    "type": "object", "required": ["best"], "additionalProperties": False,
    "properties": {"best": {
        "description": "the market where the ship buys (sells: GOOD) cheapest or sells "
                       "(buys: GOOD) dearest, net of the fuel and time to get there, among "
                       "markets observed within max_age (default 1h)",
        "type": "object", "additionalProperties": False,
        "oneOf": [{"required": ["sells"]}, {"required": ["buys"]}],
        "properties": {
            "sells": {"type": "string", "minLength": 1},
            "buys": {"type": "string", "minLength": 1},
            "max_age": {"description": DURATION["description"],
                        "anyOf": [*DURATION["anyOf"], TEMPLATE]},
            "not_here": {"type": "boolean"},
            "time_value": {"description": "credits one second of travel is worth (default 1)",
                           "anyOf": [{"type": "number", "minimum": 0}, TEMPLATE]}}}},
}
WAYPOINT: Mapping[str, Any] = {
    "description": "a waypoint: a symbol, `headquarters`, {nearest: {type, traits, sells, "
                   "buys}} or {best: {sells|buys: GOOD, max_age}}",
    "anyOf": [TEXT, NEAREST, BEST],
}
UNITS: Mapping[str, Any] = {
    "description": "a positive number of units, or a `{{ }}` template",
    "anyOf": [{"type": "integer", "minimum": 1}, TEMPLATE],
}
SYMBOL = TEXT


def long_form(schema_props: Mapping[str, Any], required: tuple[str, ...] = ()
              ) -> dict[str, Any]:
    """An object schema with exactly these properties."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": False,
                           "properties": dict(schema_props)}
    if required:
        out["required"] = list(required)
    return out


def as_units(value: Any, what: str = "units") -> int:
    """A positive integer from a rendered value; StepError otherwise."""
    if isinstance(value, bool):
        raise StepError(f"`{what}` must be a whole number, got {value!r}", key=what)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StepError(f"`{what}` must be a whole number, got {value!r}", key=what) from None
    if number != value and not isinstance(value, str):
        raise StepError(f"`{what}` must be a whole number, got {value!r}", key=what)
    if number < 1:
        raise StepError(f"`{what}` must be at least 1, got {number}", key=what)
    return number


def as_text(value: Any, what: str) -> str:
    """A non-empty string from a rendered value (numbers keep their digits)."""
    if value is None or isinstance(value, bool | Mapping | list):
        raise StepError(f"`{what}` must be text, got {value!r}", key=what)
    text = str(value).strip()
    if not text:
        raise StepError(f"`{what}` must not be empty", key=what)
    return text


def split_units(units: int, volume: int | None) -> list[int]:
    """``units`` in batches of at most the market's trade ``volume`` (unknown: one batch)."""
    if not volume or volume <= 0 or units <= volume:
        return [units]
    full, rest = divmod(units, volume)
    return [volume] * full + ([rest] if rest else [])


class Expansion:
    """Commands for one step, tracking the ship's predicted state as they are added."""

    def __init__(self, ctx: StepContext) -> None:
        self.ctx = ctx
        self.ship: Ship = arrived(ctx.ship)
        self.commands: list[Command] = []

    def add(self, command: Command) -> None:
        """Append ``command`` and advance the predicted ship."""
        self.commands.append(command)
        self.ship = apply_command(self.ship, command)

    def orbit(self) -> None:
        """Orbit unless already in orbit."""
        if self.ship.nav.status is not NavStatus.IN_ORBIT:
            self.add(Orbit())

    def dock(self) -> None:
        """Dock unless already docked."""
        if self.ship.nav.status is not NavStatus.DOCKED:
            self.add(Dock())

    def market(self) -> Market | None:
        """The market at the ship's predicted waypoint, when the system data has it."""
        waypoint = self.ctx.system.waypoints.get(self.ship.nav.waypoint)
        return waypoint.market if waypoint is not None else None

    def require_market(self) -> Market | None:
        """The market here; StepError when the waypoint is known to have none."""
        waypoint = self.ctx.system.waypoints.get(self.ship.nav.waypoint)
        if waypoint is not None and not waypoint.has_market and waypoint.market is None:
            raise StepError(f"{waypoint.symbol} has no marketplace")
        return waypoint.market if waypoint is not None else None
