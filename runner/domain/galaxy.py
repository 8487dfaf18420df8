"""The galaxy as routing sees it: systems on the galactic map, their jump gates and links.

Pure values and the rules of leaving a system (``shared/docs/spacetraders-rules.md``, the
simulator's ``EraRules``):

- jump: from a built gate to a built gate it links to; no fuel; ``JUMP_ANTIMATTER_UNITS``
  ANTIMATTER bought at the origin gate; the reactor then cools down
  ``round(15 + 0.3 d)`` seconds (d = distance between the two systems). A ship may navigate
  while it cools down, so only a cooldown that a later jump must wait out costs time;
- warp: a ship with a warp drive flies to a waypoint of another system; fuel as navigate's
  over the distance between the systems, time with the warp multipliers (``WARP_MODEL``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from runner.domain.ship import FlightMode
from runner.domain.travel import ModeRule, TravelModel, js_round
from runner.domain.universe import System

JUMP_COOLDOWN_BASE_S = 15.0
JUMP_COOLDOWN_PER_DISTANCE = 0.3
"""Jump cooldown = round(base + per_distance x d) seconds (since 2025-03; before: 60 + d)."""
JUMP_ANTIMATTER_UNITS = 1
"""ANTIMATTER units bought at the origin gate for one jump."""
DEFAULT_ANTIMATTER_PRICE = 5000
"""Credits per ANTIMATTER unit when the origin gate's price was never seen."""
GALAXY_MAX_AGE_S = 24 * 3600.0
"""Galaxy data (gates, links, construction) older than this is fetched again."""

WARP_MODEL = TravelModel(rules=(
    ModeRule(FlightMode.CRUISE, 50.0, 1),
    ModeRule(FlightMode.BURN, 25.0, 2),
    ModeRule(FlightMode.DRIFT, 300.0, 0, 1),
    ModeRule(FlightMode.STEALTH, 60.0, 1),
))
"""Warp fuel and time per mode (fuel as navigate's; multipliers: only CRUISE confirmed)."""


def jump_cooldown_s(distance: float) -> int:
    """The reactor cooldown after a jump over ``distance`` (galactic units)."""
    return js_round(JUMP_COOLDOWN_BASE_S + JUMP_COOLDOWN_PER_DISTANCE * distance)


@dataclass(frozen=True)
class GalaxySystem:
    """One system on the galactic map.

    ``gate`` is its jump gate's waypoint (None: no gate), ``gate_built`` False while the gate
    is under construction, ``connections`` the gates it links to. ``fuel_stop`` is a waypoint
    that sells FUEL (where a warp may land to refuel), when known. ``antimatter_price`` is
    the gate market's last seen ANTIMATTER price.
    """

    symbol: str
    x: int
    y: int
    gate: str | None = None
    gate_built: bool = False
    connections: tuple[str, ...] = ()
    fuel_stop: str | None = None
    antimatter_price: int | None = None


@dataclass(frozen=True)
class Galaxy:
    """Systems by symbol, with the time the data was fetched (None: never)."""

    systems: Mapping[str, GalaxySystem]
    fetched_at: datetime | None = None

    @classmethod
    def of(cls, systems: list[GalaxySystem], fetched_at: datetime | None = None) -> Galaxy:
        """A galaxy from a list of systems (keeps their order)."""
        return cls({s.symbol: s for s in systems}, fetched_at)

    def __iter__(self) -> Iterator[GalaxySystem]:
        return iter(self.systems.values())

    def __len__(self) -> int:
        return len(self.systems)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.systems

    def __getitem__(self, symbol: str) -> GalaxySystem:
        return self.systems[symbol]

    def __hash__(self) -> int:
        # Identity hash: a galaxy is a large value used as a cache key by routing.
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def distance(self, a: str, b: str) -> float:
        """Distance between two systems on the galactic map."""
        sa, sb = self.systems[a], self.systems[b]
        return math.hypot(sa.x - sb.x, sa.y - sb.y)

    def age_s(self, now: datetime) -> float | None:
        """Seconds since the data was fetched (None: unknown)."""
        return None if self.fetched_at is None else (now - self.fetched_at).total_seconds()

    def stale(self, now: datetime, max_age_s: float = GALAXY_MAX_AGE_S) -> bool:
        """True when the data is older than ``max_age_s`` or of unknown age."""
        age = self.age_s(now)
        return age is None or age >= max_age_s


@dataclass(frozen=True)
class Atlas:
    """What a step sees beyond the ship's own system: the galaxy (gates and links) and the
    other systems loaded with their markets (by symbol)."""

    galaxy: Galaxy | None = None
    systems: Mapping[str, System] = field(default_factory=dict)

    def system(self, symbol: str) -> System | None:
        """A loaded system, or None."""
        return self.systems.get(symbol)
