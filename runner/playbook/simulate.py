"""Predict a ship's state after a command (pure): the compiler's model of the game.

Only what later steps read is modelled: nav status, waypoint, flight mode, fuel and cargo.
Extraction yields are unknown before the server answers, so ``Extract`` changes nothing here.
"""

from __future__ import annotations

from dataclasses import replace

from runner.domain.commands import (
    Command,
    Deliver,
    Dock,
    Jettison,
    Navigate,
    Orbit,
    Purchase,
    Refuel,
    Sell,
    SetFlightMode,
)
from runner.domain.ship import Cargo, Fuel, NavStatus, Ship


def arrived(ship: Ship) -> Ship:
    """The ship as it will be on arrival: IN_TRANSIT becomes IN_ORBIT at its destination."""
    if ship.nav.status is NavStatus.IN_TRANSIT:
        return ship.with_nav(replace(ship.nav, status=NavStatus.IN_ORBIT, route=None))
    return ship


def apply_command(ship: Ship, command: Command) -> Ship:
    """``ship`` after ``command`` succeeds, as far as the plan can tell."""
    match command:
        case Orbit():
            return ship.with_nav(replace(ship.nav, status=NavStatus.IN_ORBIT))
        case Dock():
            return ship.with_nav(replace(ship.nav, status=NavStatus.DOCKED))
        case SetFlightMode(mode=mode):
            return ship.with_nav(replace(ship.nav, flight_mode=mode))
        case Navigate(destination=dest, mode=mode, fuel_used=used):
            nav = replace(ship.nav, waypoint=dest, flight_mode=mode, status=NavStatus.IN_ORBIT)
            fuel = Fuel(max(0, ship.fuel.current - used), ship.fuel.capacity)
            return ship.with_nav(nav).with_fuel(fuel)
        case Refuel(units=units):
            room = ship.fuel.capacity - ship.fuel.current
            added = room if units is None else min(units, room)
            return ship.with_fuel(Fuel(ship.fuel.current + added, ship.fuel.capacity))
        case Purchase(symbol=symbol, units=units):
            return ship.with_cargo(_add(ship.cargo, symbol, units))
        case Sell(symbol=symbol, units=units) | Jettison(symbol=symbol, units=units):
            return ship.with_cargo(_add(ship.cargo, symbol, -units))
        case Deliver(symbol=symbol, units=units):
            return ship.with_cargo(_add(ship.cargo, symbol, -units))
    return ship


def _add(cargo: Cargo, symbol: str, units: int) -> Cargo:
    inventory = dict(cargo.inventory)
    count = max(0, inventory.get(symbol, 0) + units)
    if count:
        inventory[symbol] = count
    else:
        inventory.pop(symbol, None)
    return Cargo(cargo.capacity, sum(inventory.values()), inventory)
