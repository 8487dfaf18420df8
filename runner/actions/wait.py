"""``wait``: wait a duration of game time (``30s``, ``5m``, ``2h``, or seconds), or until an
expression holds: ``wait: {until: EXPR, at_most: 10m}``.

The second form re-reads the ship from the server every ``WAIT_UNTIL_POLL_S`` of game time
(at least ``WAIT_UNTIL_MIN_WALL_S`` wall seconds apart), so ``ship.cargo.units`` shows what
other ships handed over; it ends when the expression holds or ``at_most`` passed, and the
step goes on either way (a hauler "waits at the belt until full or a deadline, then
sells"). A plan predicts no wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.registry import Action
from runner.domain.commands import Command, Wait, WaitUntil
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.keywords import DURATION, TEMPLATE, parse_duration

DEFAULT_AT_MOST_S = 600.0
"""How long (game seconds) ``wait: {until}`` waits at most when ``at_most`` is not given."""
_SPAN: Mapping[str, Any] = {"description": DURATION["description"],
                            "anyOf": [*DURATION["anyOf"], TEMPLATE]}
UNTIL_FORM: Mapping[str, Any] = {
    "type": "object", "required": ["until"], "additionalProperties": False,
    "properties": {
        "until": {"type": "string", "minLength": 1,
                  "description": "an expression (as `when`), re-read from the server "
                                 "every 15s of game time"},
        "at_most": {**_SPAN, "description": DURATION["description"] + " (the longest "
                                            "wait, default 10m; then the step goes on)"}},
}


def normalize(value: Any) -> dict[str, Any]:
    """``wait: 5m`` -> ``{duration: "5m"}``; ``{until, at_most}`` is kept (parsed after
    rendering)."""
    if isinstance(value, Mapping) and "until" in value:
        return {"until": value["until"], "at_most": value.get("at_most")}
    return {"duration": value}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """One Wait of the duration in seconds, or one WaitUntil."""
    if "until" in args:
        return [WaitUntil(_expression(args["until"]), _seconds(args.get("at_most"),
                                                               "at_most"))]
    return [Wait(_seconds(args["duration"], "duration"))]


def _seconds(value: Any, key: str) -> float:
    if value is None:
        return DEFAULT_AT_MOST_S
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise StepError(str(exc), key=key) from None


def _expression(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StepError(f"`until` must be an expression, got {value!r}", key="until")
    return value.strip()


ACTION = Action(
    name="wait",
    summary="Wait a duration of game time: seconds or `30s`, `5m`, `2h`; or "
            "`{until: EXPR, at_most: 10m}`: until the expression holds (the ship re-read "
            "from the server every 15s of game time), at most that long, then go on.",
    schema={"description": DURATION["description"] + "; or {until: EXPR, at_most: DURATION}",
            "anyOf": [*DURATION["anyOf"], TEMPLATE, UNTIL_FORM]},
    normalize=normalize, expand=expand, expressions=("until",), example="wait: 5m",
)
