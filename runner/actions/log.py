"""``log``: write a message to the container's log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Log
from runner.playbook.context import StepContext

LEVELS = ("debug", "info", "warning", "error")


def normalize(value: Any) -> dict[str, Any]:
    """``log: TEXT`` or ``{message, level}``."""
    if isinstance(value, Mapping):
        return {"message": value["message"], "level": value.get("level", "info")}
    return {"message": value, "level": "info"}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """One Log of the rendered message."""
    return [Log(str(args["message"]), str(args.get("level", "info")))]


ACTION = Action(
    name="log", summary="Write a message (a template) to the log.",
    schema={"description": "a message, or {message, level}",
            "anyOf": [{"type": "string"},
                      long_form({"message": {"type": "string"}, "level": {"enum": list(LEVELS)}},
                                ("message",))]},
    normalize=normalize, expand=expand, example='log: "cargo {{ ship.cargo.units }}"',
)
