"""``scan``: scan systems, waypoints or ships with a sensor array (orbit first)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion, long_form
from runner.actions.registry import Action
from runner.domain.commands import SCAN_KINDS, Command, Scan
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError

KIND = {"enum": list(SCAN_KINDS)}


def normalize(value: Any) -> dict[str, Any]:
    """``scan: waypoints`` or ``{kind: waypoints}`` -> ``{kind}``."""
    return {"kind": value["kind"] if isinstance(value, Mapping) else value}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Orbit and scan; StepError without a sensor array."""
    kind = str(args["kind"]).lower()
    if kind not in SCAN_KINDS:
        raise StepError(f"scan what? {kind!r}: use {', '.join(SCAN_KINDS)}", key="kind")
    x = Expansion(ctx)
    if not any(m.startswith("MOUNT_SENSOR_ARRAY") for m in x.ship.mounts):
        raise StepError(f"{x.ship.symbol} has no sensor array (MOUNT_SENSOR_ARRAY_*)")
    x.orbit()
    x.add(Scan(kind))
    return x.commands


ACTION = Action(
    name="scan", summary="Scan `systems`, `waypoints` or `ships` with a sensor array (orbits "
                         "first); `register` stores the symbols found.",
    schema={"description": "systems, waypoints or ships (or {kind: KIND})",
            "anyOf": [KIND, long_form({"kind": KIND}, ("kind",))]},
    normalize=normalize, expand=expand, example="scan: waypoints", needs=("orbit",),
)
