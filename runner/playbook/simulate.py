"""The compiler's model of the game: a ship's predicted state after a command (pure).

Each command predicts its own effect (``Command.predict`` in ``runner.domain.commands``);
this module only adds what belongs to planning: a ship in transit counts as arrived.
"""

from __future__ import annotations

from dataclasses import replace

from runner.domain.commands import Command
from runner.domain.ship import NavStatus, Ship


def arrived(ship: Ship) -> Ship:
    """The ship as it will be on arrival: IN_TRANSIT becomes IN_ORBIT at its destination."""
    if ship.nav.status is NavStatus.IN_TRANSIT:
        return ship.with_nav(replace(ship.nav, status=NavStatus.IN_ORBIT, route=None))
    return ship


def apply_command(ship: Ship, command: Command) -> Ship:
    """``ship`` after ``command`` succeeds, as far as the plan can tell."""
    return command.predict(ship)
