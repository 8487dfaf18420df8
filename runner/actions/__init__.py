"""Playbook actions: one module per action, all registered in :func:`registry`.

Adding an action: write ``runner/actions/<name>.py`` with an ``ACTION``, list it in
``_MODULES``, regenerate the schema (``st-run schema > schemas/playbook.schema.json``).
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from runner.actions.registry import Action, ActionRegistry

_MODULES = (
    "navigate", "dock", "orbit", "refuel", "flight_mode", "wait", "repeat", "extract",
    "survey", "buy", "sell", "jettison", "deliver", "negotiate_contract", "accept_contract",
    "fulfill_contract", "scan_market", "tour", "log", "transfer", "purchase_ship",
    "supply_construction", "siphon", "refine", "chart", "scan", "install_mount", "remove_mount",
    "install_module", "remove_module", "repair", "scrap",
)

__all__ = ["Action", "ActionRegistry", "registry"]


@lru_cache(maxsize=1)
def registry() -> ActionRegistry:
    """Every built-in action, registered once (step keywords are reserved names)."""
    from runner.playbook.keywords import STEP_KEYWORDS

    actions = [importlib.import_module(f"runner.actions.{m}").ACTION for m in _MODULES]
    return ActionRegistry(actions, reserved=[k.name for k in STEP_KEYWORDS])
