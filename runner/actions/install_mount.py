"""``install_mount``: Install a mount from the hold (docked at a shipyard)."""

from __future__ import annotations

from runner.actions.refit import part_action
from runner.domain.commands import InstallMount

SUMMARY = "Install a mount from the hold (docked at a shipyard; the yard's fee is charged)."
ACTION = part_action("install_mount", InstallMount, SUMMARY)
