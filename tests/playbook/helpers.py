"""Small helpers: one step from YAML, and a context on the small test system."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.domain.plan import Step
from runner.domain.ship import Ship
from runner.playbook import LoopState, StepContext, load_playbook_text
from tests.playbook.universe import agent, ship, small_system


def one_step(step_yaml: str, vars: Mapping[str, Any] | None = None, index: int = 0) -> Step:
    """Step ``index`` of a playbook whose steps are ``step_yaml`` (YAML list items)."""
    text = "ship: T-1\n"
    if vars:
        text += "vars: {" + ", ".join(f"{k}: {v}" for k, v in vars.items()) + "}\n"
    text += "steps:\n" + "".join(f"  {line}\n" for line in step_yaml.strip().splitlines())
    return load_playbook_text(text).steps[index]


def ctx(the_ship: Ship | None = None, *, loop: LoopState | None = None,
        vars: Mapping[str, Any] | None = None, registered: Mapping[str, Any] | None = None,
        predicting: bool = False) -> StepContext:
    """A context on the small system (live state unless ``predicting``)."""
    return StepContext(ship=the_ship or ship(), system=small_system(), agent=agent(),
                       vars=dict(vars or {}), registered=dict(registered or {}), loop=loop,
                       predicting=predicting)
