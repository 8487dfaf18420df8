"""``wait``: wait a duration of game time (``30s``, ``5m``, ``2h``, or seconds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.registry import Action
from runner.domain.commands import Command, Wait
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.keywords import DURATION, TEMPLATE, parse_duration


def normalize(value: Any) -> dict[str, Any]:
    """``wait: 5m`` -> ``{duration: "5m"}`` (parsed after rendering)."""
    return {"duration": value}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """One Wait of the duration in seconds."""
    try:
        return [Wait(parse_duration(args["duration"]))]
    except ValueError as exc:
        raise StepError(str(exc), key="duration") from None


ACTION = Action(
    name="wait", summary="Wait a duration of game time: seconds or `30s`, `5m`, `2h`.",
    schema={"description": DURATION["description"], "anyOf": [*DURATION["anyOf"], TEMPLATE]},
    normalize=normalize, expand=expand, example="wait: 5m",
)
