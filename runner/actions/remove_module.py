"""``remove_module``: Remove a module into the hold (docked at a shipyard)."""

from __future__ import annotations

from runner.actions.refit import part_action
from runner.domain.commands import RemoveModule

SUMMARY = "Remove a module into the hold (docked at a shipyard; the yard's fee is charged)."
ACTION = part_action("remove_module", RemoveModule, SUMMARY)
