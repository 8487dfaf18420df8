"""Ship values: what st-run knows about one ship at one moment.

The API client parses ship JSON into these; the executor updates them from responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class NavStatus(StrEnum):
    """The three navigation states of a ship."""

    DOCKED = "DOCKED"
    IN_ORBIT = "IN_ORBIT"
    IN_TRANSIT = "IN_TRANSIT"


class FlightMode(StrEnum):
    """Flight modes; the fuel and time rules live in ``runner.domain.travel``."""

    CRUISE = "CRUISE"
    BURN = "BURN"
    DRIFT = "DRIFT"
    STEALTH = "STEALTH"


@dataclass(frozen=True)
class Route:
    """The current or last flight: origin, destination and times (server clock, UTC)."""

    origin: str
    destination: str
    departure_time: datetime
    arrival: datetime


@dataclass(frozen=True)
class Nav:
    """Where a ship is and what it is doing."""

    system: str
    waypoint: str
    status: NavStatus
    flight_mode: FlightMode = FlightMode.CRUISE
    route: Route | None = None


@dataclass(frozen=True)
class Fuel:
    """Fuel in ship units; capacity 0 means the ship never uses fuel (probes)."""

    current: int
    capacity: int


@dataclass(frozen=True)
class Cargo:
    """Cargo hold: capacity, units used and units per trade symbol."""

    capacity: int
    units: int
    inventory: Mapping[str, int] = field(default_factory=dict)

    def count(self, symbol: str) -> int:
        """Units of ``symbol`` aboard (0 when none)."""
        return self.inventory.get(symbol, 0)

    @property
    def free(self) -> int:
        """Units of free space."""
        return self.capacity - self.units


@dataclass(frozen=True)
class Cooldown:
    """Reactor cooldown; ``expiration`` is None when the ship is ready."""

    total_seconds: int
    remaining_seconds: int
    expiration: datetime | None = None


@dataclass(frozen=True)
class Ship:
    """A ship's full known state. Frame, engine and mounts are reduced to what rules need."""

    symbol: str
    role: str
    nav: Nav
    fuel: Fuel
    cargo: Cargo
    engine_speed: int
    frame: str = ""
    mounts: frozenset[str] = frozenset()
    cooldown: Cooldown | None = None
    modules: frozenset[str] = frozenset()

    @property
    def can_mine(self) -> bool:
        """True when the ship has a mining laser mount."""
        return any(m.startswith("MOUNT_MINING_LASER") for m in self.mounts)

    @property
    def can_survey(self) -> bool:
        """True when the ship has a surveyor mount."""
        return any(m.startswith("MOUNT_SURVEYOR") for m in self.mounts)

    @property
    def can_warp(self) -> bool:
        """True when the ship has a warp drive module."""
        return any(m.startswith("MODULE_WARP_DRIVE") for m in self.modules)

    def with_nav(self, nav: Nav) -> Ship:
        """A copy with a new nav."""
        return replace(self, nav=nav)

    def with_fuel(self, fuel: Fuel) -> Ship:
        """A copy with new fuel."""
        return replace(self, fuel=fuel)

    def with_cargo(self, cargo: Cargo) -> Ship:
        """A copy with new cargo."""
        return replace(self, cargo=cargo)


@dataclass(frozen=True)
class Agent:
    """The player's agent."""

    symbol: str
    headquarters: str
    credits: int
    starting_faction: str
    ship_count: int = 0
