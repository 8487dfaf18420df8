"""A simulated ship: nav, fuel, cargo and cooldown state, and its spec-shaped JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runner.sim.catalog import cargo_capacity, ship_template, trade_good
from runner.sim.clock import iso
from runner.sim.errors import game_error
from runner.sim.universe import Universe

JSON = dict[str, Any]


@dataclass
class Ship:
    """A ship's mutable state; ``template`` holds its static components."""

    symbol: str
    agent: str
    faction: str
    template: JSON
    system: str
    waypoint: str
    status: str = "DOCKED"
    flight_mode: str = "CRUISE"
    origin: str = ""
    departure: float = 0.0
    arrival: float = 0.0
    fuel: int = 0
    fuel_consumed: tuple[int, float] | None = None
    cargo: dict[str, int] = field(default_factory=dict)
    cooldown_total: int = 0
    cooldown_until: float | None = None
    actions: int = 0  # extract/survey count, seeds per-ship yields

    @classmethod
    def new(cls, symbol: str, agent: str, faction: str, ship_type: str, waypoint: str,
            system: str, now: float) -> Ship:
        """A fresh ship of ``ship_type``, docked at ``waypoint`` with a full tank."""
        template = ship_template(ship_type)
        return cls(symbol, agent, faction, template, system, waypoint, origin=waypoint,
                   departure=now, arrival=now, fuel=template["frame"]["fuelCapacity"])

    @property
    def fuel_capacity(self) -> int:
        return int(self.template["frame"]["fuelCapacity"])

    @property
    def cargo_capacity(self) -> int:
        return cargo_capacity(self.template)

    @property
    def cargo_units(self) -> int:
        return sum(self.cargo.values())

    @property
    def engine_speed(self) -> int:
        return int(self.template["engine"]["speed"])

    def mounts_with(self, prefix: str) -> list[JSON]:
        return [m for m in self.template["mounts"] if m["symbol"].startswith(prefix)]

    def modules_with(self, prefix: str) -> list[JSON]:
        return [m for m in self.template["modules"] if m["symbol"].startswith(prefix)]

    def power_used(self) -> int:
        """Power the engine, modules and mounts draw from the reactor."""
        parts = [self.template["engine"], *self.template["modules"], *self.template["mounts"]]
        return sum(p["requirements"].get("power", 0) for p in parts)

    def slots_used(self) -> int:
        return sum(m["requirements"].get("slots", 0) for m in self.template["modules"])

    def wear(self, amount: float) -> None:
        """Frame, reactor and engine lose ``amount`` of condition (never below 0)."""
        for part in ("frame", "reactor", "engine"):
            component = self.template[part]
            component["condition"] = round(max(0.0, float(component["condition"]) - amount), 4)

    def check_cooldown(self, now: float) -> None:
        """4000 with the cooldown while the reactor cools down."""
        if self.cooldown_remaining(now):
            raise game_error(4000, f"Ship action is still on cooldown for "
                             f"{self.cooldown_remaining(now)} second(s).",
                             cooldown=self.cooldown_json(now))

    def start_cooldown(self, seconds: int, now: float) -> None:
        self.cooldown_total, self.cooldown_until = seconds, now + seconds

    def settle(self, now: float) -> None:
        """Finish a transit whose arrival time has passed (the server updates lazily)."""
        if self.status == "IN_TRANSIT" and now >= self.arrival:
            self.status = "IN_ORBIT"

    def cooldown_remaining(self, now: float) -> int:
        if self.cooldown_until is None or now >= self.cooldown_until:
            return 0
        return max(1, round(self.cooldown_until - now))

    def add_cargo(self, symbol: str, units: int) -> None:
        self.cargo[symbol] = self.cargo.get(symbol, 0) + units

    def remove_cargo(self, symbol: str, units: int) -> None:
        left = self.cargo.get(symbol, 0) - units
        if left > 0:
            self.cargo[symbol] = left
        else:
            self.cargo.pop(symbol, None)

    # -- JSON -----------------------------------------------------------------------------
    def nav_json(self, uni: Universe) -> JSON:
        """The spec's ShipNav object."""
        dest = uni.waypoints[self.waypoint].route_json()
        origin = uni.waypoints[self.origin].route_json()
        return {"systemSymbol": self.system, "waypointSymbol": self.waypoint,
                "route": {"destination": dest, "origin": origin, "departure": origin,
                          "departureTime": iso(self.departure), "arrival": iso(self.arrival)},
                "status": self.status, "flightMode": self.flight_mode}

    def fuel_json(self) -> JSON:
        """The spec's ShipFuel object."""
        out: JSON = {"current": self.fuel, "capacity": self.fuel_capacity}
        if self.fuel_consumed:
            out["consumed"] = {"amount": self.fuel_consumed[0],
                               "timestamp": iso(self.fuel_consumed[1])}
        return out

    def cargo_json(self) -> JSON:
        """The spec's ShipCargo object."""
        return {"capacity": self.cargo_capacity, "units": self.cargo_units,
                "inventory": [{**trade_good(s), "units": u} for s, u in self.cargo.items()]}

    def cooldown_json(self, now: float) -> JSON:
        """The spec's Cooldown object (``expiration`` only while cooling down)."""
        remaining = self.cooldown_remaining(now)
        out: JSON = {"shipSymbol": self.symbol, "totalSeconds": self.cooldown_total,
                     "remainingSeconds": remaining}
        if remaining and self.cooldown_until is not None:
            out["expiration"] = iso(self.cooldown_until)
        else:
            out["totalSeconds"] = 0
        return out

    def to_json(self, uni: Universe, now: float) -> JSON:
        """The spec's Ship object."""
        t = self.template
        crew = t["crew"]
        return {
            "symbol": self.symbol,
            "registration": {"name": self.symbol, "factionSymbol": self.faction,
                             "role": t["role"]},
            "nav": self.nav_json(uni),
            "crew": {"current": crew["required"], "required": crew["required"],
                     "capacity": crew["capacity"], "rotation": "STRICT", "morale": 100,
                     "wages": 0},
            "frame": t["frame"], "reactor": t["reactor"], "engine": t["engine"],
            "modules": t["modules"], "mounts": t["mounts"],
            "cargo": self.cargo_json(), "fuel": self.fuel_json(),
            "cooldown": self.cooldown_json(now),
        }
