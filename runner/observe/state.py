"""What the fleet looks like at one moment: pure values the metrics, the dashboard and the
maps read. Built by :class:`runner.observe.observer.Observer`; no I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from runner.domain.ship import NavStatus, Ship


@dataclass(frozen=True)
class ShipState:
    """One ship as last seen, with its flight's progress and ETA when in transit.

    ``progress`` is the fraction of the current flight done (0..1); ``eta_s`` the wall
    seconds until arrival (None when not in transit); ``cooldown_s`` wall seconds of
    reactor cooldown left.
    """

    symbol: str
    agent: str
    system: str
    waypoint: str
    status: str
    flight_mode: str
    fuel: int
    fuel_capacity: int
    cargo: int
    cargo_capacity: int
    origin: str | None = None
    destination: str | None = None
    progress: float = 1.0
    eta_s: float | None = None
    cooldown_s: float = 0.0

    @property
    def in_transit(self) -> bool:
        """True while the ship flies (its position lies along ``origin`` -> ``destination``)."""
        return self.status == NavStatus.IN_TRANSIT.value and self.destination is not None


def ship_state(ship: Ship, agent: str, server_now: datetime, speed: float) -> ShipState:
    """``ship`` as seen at server time ``server_now`` on a clock running ``speed`` times
    faster than the wall (the simulator's ``x-sim-speed``; 1 for the real game)."""
    nav = ship.nav
    route = nav.route
    origin = destination = None
    progress, eta = 1.0, None
    status = nav.status.value
    if nav.status is NavStatus.IN_TRANSIT and route is not None \
            and route.arrival <= server_now:
        status = NavStatus.IN_ORBIT.value  # arrived: what the server says once re-read
    elif nav.status is NavStatus.IN_TRANSIT and route is not None:
        origin, destination = route.origin, route.destination
        total = (route.arrival - route.departure_time).total_seconds()
        left = max(0.0, (route.arrival - server_now).total_seconds())
        progress = 1.0 if total <= 0 else min(1.0, max(0.0, 1.0 - left / total))
        eta = left / max(speed, 1e-9)
    cooldown = 0.0
    if ship.cooldown is not None and ship.cooldown.expiration is not None:
        cooldown = max(0.0, (ship.cooldown.expiration - server_now).total_seconds()) \
            / max(speed, 1e-9)
    return ShipState(ship.symbol, agent, nav.system, nav.waypoint, status,
                     nav.flight_mode.value, ship.fuel.current, ship.fuel.capacity,
                     ship.cargo.units, ship.cargo.capacity, origin, destination, progress,
                     eta, cooldown)


@dataclass(frozen=True)
class ContainerState:
    """One container of this runner: what ``st-run status`` shows, plus its last log line."""

    id: int
    name: str
    playbook: str
    ship: str
    agent: str
    status: str
    step: str
    restarts: int
    last_line: str = ""


@dataclass(frozen=True)
class FleetState:
    """Everything the dashboard shows at ``at`` (wall clock, UTC).

    ``credits_history`` holds ``(unix time, credits)`` samples per agent, oldest first;
    ``market_age_s`` the age in seconds of the newest prices per marketplace.
    """

    at: datetime
    containers: tuple[ContainerState, ...]
    ships: tuple[ShipState, ...]
    credits: Mapping[str, int] = field(default_factory=dict)
    credits_history: Mapping[str, tuple[tuple[float, int], ...]] = field(default_factory=dict)
    utilisation: Mapping[str, float] = field(default_factory=dict)
    market_age_s: Mapping[str, float] = field(default_factory=dict)

    def systems(self) -> list[str]:
        """The systems the fleet's ships are in (or flying to), sorted."""
        return sorted({s.system for s in self.ships})


def utilisation(requests: int, seconds: float, budget_per_s: float) -> float:
    """Requests per second over a window, as a fraction of the sustained budget."""
    if seconds <= 0 or budget_per_s <= 0:
        return 0.0
    return requests / seconds / budget_per_s
