"""``install_module``: Install a module from the hold (docked at a shipyard)."""

from __future__ import annotations

from runner.actions.refit import part_action
from runner.domain.commands import InstallModule

SUMMARY = "Install a module from the hold (docked at a shipyard; the yard's fee is charged)."
ACTION = part_action("install_module", InstallModule, SUMMARY)
