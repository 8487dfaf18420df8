"""What a ship (and the agent's credits) looked like before a state-changing request.

Recorded with every intent, so that after a crash (or a lost answer) the command's own
``took_effect`` rule can compare it with the ship as the server shows it now. JSON-safe
through :meth:`ShipSnapshot.to_dict` / :meth:`ShipSnapshot.from_dict` (older intents, written
before ``departure`` existed, still load).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.domain.ship import Ship


@dataclass(frozen=True)
class ShipSnapshot:
    """The parts of a ship that show whether a command applied."""

    waypoint: str = ""
    status: str = ""
    flight_mode: str = ""
    destination: str | None = None
    departure: str | None = None
    fuel: int = 0
    cargo_units: int = 0
    inventory: Mapping[str, int] = field(default_factory=dict)
    cooldown: str | None = None
    credits: int | None = None
    ships: int | None = None  # the agent's ship count (fleet commands: ``watches_fleet``)

    @classmethod
    def of(cls, ship: Ship, credits: int | None = None, ships: int | None = None
           ) -> ShipSnapshot:
        route = ship.nav.route
        return cls(
            waypoint=ship.nav.waypoint, status=str(ship.nav.status),
            flight_mode=str(ship.nav.flight_mode),
            destination=route.destination if route else None,
            departure=route.departure_time.isoformat() if route else None,
            fuel=ship.fuel.current, cargo_units=ship.cargo.units,
            inventory=dict(ship.cargo.inventory), cooldown=cooldown_mark(ship),
            credits=credits, ships=ships)

    def count(self, symbol: str) -> int:
        """Units of ``symbol`` aboard."""
        return int(self.inventory.get(symbol, 0))

    def to_dict(self) -> dict[str, Any]:
        return {"waypoint": self.waypoint, "status": self.status,
                "flight_mode": self.flight_mode, "destination": self.destination,
                "departure": self.departure, "fuel": self.fuel,
                "cargo_units": self.cargo_units, "inventory": dict(self.inventory),
                "cooldown": self.cooldown, "credits": self.credits, "ships": self.ships}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShipSnapshot:
        inventory = data.get("inventory") or {}
        return cls(
            waypoint=str(data.get("waypoint", "")), status=str(data.get("status", "")),
            flight_mode=str(data.get("flight_mode", "")),
            destination=_text(data.get("destination")), departure=_text(data.get("departure")),
            fuel=int(data.get("fuel") or 0), cargo_units=int(data.get("cargo_units") or 0),
            inventory={str(k): int(v) for k, v in inventory.items()},
            cooldown=_text(data.get("cooldown")),
            credits=None if data.get("credits") is None else int(data["credits"]),
            ships=None if data.get("ships") is None else int(data["ships"]))


def cooldown_mark(ship: Ship) -> str | None:
    """The reactor cooldown's expiration as text (None when the reactor is ready)."""
    cooldown = ship.cooldown
    if cooldown is None or cooldown.expiration is None or cooldown.remaining_seconds <= 0:
        return None
    return cooldown.expiration.isoformat()


def _text(value: object) -> str | None:
    return None if value is None else str(value)
