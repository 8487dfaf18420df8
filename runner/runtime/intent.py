"""Deciding whether a state-changing command took effect, from the ship before and after.

Before each mutating request the executor records an *intent*: the command and a snapshot of
the ship (and credits) as it was. If the runner dies before the checkpoint after it commits,
the next run finds the intent pending, re-reads the ship and asks :func:`took_effect`: a
purchase, sale, delivery or jettison that the server applied is then recorded as done and
never sent again. Pure functions over domain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.domain import commands as c
from runner.domain.ship import NavStatus, Ship


def ship_snapshot(ship: Ship, credits: int | None = None) -> dict[str, Any]:
    """The parts of a ship (and the agent's credits) that tell whether a command applied."""
    cooldown = ship.cooldown.expiration.isoformat() if ship.cooldown and ship.cooldown.expiration \
        else None
    return {
        "waypoint": ship.nav.waypoint,
        "status": str(ship.nav.status),
        "flight_mode": str(ship.nav.flight_mode),
        "destination": ship.nav.route.destination if ship.nav.route else None,
        "fuel": ship.fuel.current,
        "cargo_units": ship.cargo.units,
        "inventory": dict(ship.cargo.inventory),
        "cooldown": cooldown,
        "credits": credits,
    }


def _count(before: Mapping[str, Any], symbol: str) -> int:
    inventory = before.get("inventory") or {}
    return int(inventory.get(symbol, 0))


def took_effect(command: c.Command, before: Mapping[str, Any], after: Ship) -> bool | None:
    """True when ``after`` shows ``command`` applied, False when it did not, None when unknown.

    ``None`` is returned for commands whose effect the ship does not show (contract actions);
    the executor re-sends those and treats the server's "already done" answers as success.
    """
    status = after.nav.status
    match command:
        case c.Orbit():
            return status is not NavStatus.DOCKED
        case c.Dock():
            return status is NavStatus.DOCKED
        case c.SetFlightMode(mode=mode):
            return after.nav.flight_mode == mode
        case c.Navigate(destination=dest):
            return before.get("waypoint") != dest and after.nav.waypoint == dest
        case c.Refuel():
            return after.fuel.current > int(before.get("fuel", 0))
        case c.Extract() | c.Survey():
            cooldown = after.cooldown.expiration.isoformat() if after.cooldown and \
                after.cooldown.expiration else None
            changed = cooldown is not None and cooldown != before.get("cooldown")
            return changed or after.cargo.units > int(before.get("cargo_units", 0))
        case c.Purchase(symbol=symbol, units=units):
            return after.cargo.count(symbol) >= _count(before, symbol) + units
        case c.Sell(symbol=symbol, units=units) | c.Jettison(symbol=symbol, units=units) \
                | c.Deliver(symbol=symbol, units=units):
            return after.cargo.count(symbol) <= _count(before, symbol) - units
        case _:
            return None
