"""The playbook language: load, validate, template, compile and expand.

Runtime-facing API (imported lazily, so ``st-run validate`` stays fast):

- ``load_playbook(path, overrides=None) -> Playbook``: YAML 1.2 load + schema + static checks;
  raises ``PlaybookError`` (an ``InvalidInput``, exit 2) carrying located ``Problem`` s.
- ``compile_playbook(playbook, system, ship, agent=None) -> Plan``: meaning checks and the
  predicted commands, legs and totals (used by ``st-run plan`` and ``validate``).
- ``expand_step(step, ctx) -> list[Command]``: one leaf step against LIVE state (the
  executor calls it before running a step); raises ``StepError``.
- ``loop_items(step, ctx)``: a ``tour``'s ordered stops (or a ``repeat: {times}`` range),
  None when unbounded. The step tree itself is walked only by the interpreter
  (``runner.playbook.interpreter``), for ``plan`` and ``run`` alike.
- ``evaluate(expr, names)``, ``render(value, names)``, ``template_names(...)``.
- ``resolve_ship(selector, ships)``, ``resolve_waypoint(selector, ctx)``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # real types for checkers; at run time the names load lazily
    from runner.playbook.compiler import compile_playbook
    from runner.playbook.context import LoopState, StepContext
    from runner.playbook.errors import PlaybookError, Problem, StepError
    from runner.playbook.expand import (
        expand_step,
        loop_items,
    )
    from runner.playbook.model import Playbook, load_playbook, load_playbook_text
    from runner.playbook.selectors import resolve_ship, resolve_waypoint
    from runner.playbook.template import evaluate, render, template_names

_EXPORTS = {
    "Playbook": "runner.playbook.model",
    "load_playbook": "runner.playbook.model",
    "load_playbook_text": "runner.playbook.model",
    "PlaybookError": "runner.playbook.errors",
    "Problem": "runner.playbook.errors",
    "StepError": "runner.playbook.errors",
    "StepContext": "runner.playbook.context",
    "LoopState": "runner.playbook.context",
    "compile_playbook": "runner.playbook.compiler",
    "expand_step": "runner.playbook.expand",
    "loop_items": "runner.playbook.expand",
    "evaluate": "runner.playbook.template",
    "render": "runner.playbook.template",
    "template_names": "runner.playbook.template",
    "resolve_ship": "runner.playbook.selectors",
    "resolve_waypoint": "runner.playbook.selectors",
}

__all__ = [
    "LoopState",
    "Playbook",
    "PlaybookError",
    "Problem",
    "StepContext",
    "StepError",
    "compile_playbook",
    "evaluate",
    "expand_step",
    "load_playbook",
    "load_playbook_text",
    "loop_items",
    "render",
    "resolve_ship",
    "resolve_waypoint",
    "template_names",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runner.playbook' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
