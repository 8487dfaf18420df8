"""Commands: the smallest things a step sends to the game, each with its whole meaning.

A playbook step expands into a list of commands (``runner.playbook.expand_step``). Every
command class is the one home of what the command means (issue 14, "one meaning, one
place"):

- ``mutates``: whether it changes game state (a checkpoint follows every mutating command);
- ``idempotent``: safe to send twice (no intent is journalled before it);
- ``needs``: the nav state it must be sent in (``NavNeed``), and ``needs_reactor``;
- ``describe()``: its line in plans and logs;
- ``predict(ship)``: the ship after it succeeds, as far as a plan can tell (pure);
- ``already_true(ship)``: it would change nothing, so no request is sent;
- ``took_effect(before, after)``: after a crash or a lost answer, whether the server applied
  it (True / False / None when the ship cannot tell; contract commands answer through
  ``contract_took_effect``).

The request each command sends lives at the I/O edge (``runner.runtime.game``), dispatched
by type with ``assert_never``. Commands round-trip through :func:`command_to_dict` and
:func:`command_from_dict` (JSON-safe dicts tagged with ``"type"``) because checkpoints store
expansions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from typing import Any, ClassVar

from runner.domain.contract import Contract
from runner.domain.ship import Cargo, FlightMode, Fuel, NavStatus, Ship
from runner.domain.snapshot import ShipSnapshot, cooldown_mark
from runner.domain.universe import system_of


class NavNeed(Enum):
    """The nav state a command must be sent in (the executor puts the ship there first)."""

    ANY = "any"
    ORBIT = "orbit"
    DOCKED = "docked"


class _Base:
    """Defaults every command shares; a command overrides what differs."""

    mutates: ClassVar[bool] = True
    idempotent: ClassVar[bool] = False
    needs: ClassVar[NavNeed] = NavNeed.ANY
    needs_reactor: ClassVar[bool] = False
    local: ClassVar[bool] = False  # carried out by the runner itself: no request

    def describe(self, credits: int | None = None) -> str:
        """The command's line in plans and logs (with the agent's credits when known)."""
        return self._words() + _money(credits)

    def _words(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", " ", type(self).__name__).lower()

    def predict(self, ship: Ship) -> Ship:
        """The ship after this command succeeds, as far as the plan can tell."""
        return ship

    def already_true(self, ship: Ship) -> bool:
        """True when the command would change nothing (no request is sent)."""
        return False

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        """Whether ``after`` shows the command applied; None when the ship cannot tell."""
        return None

    def contract_took_effect(self, before: Contract | None, after: Contract) -> bool | None:
        """For contract commands: whether ``after`` shows the command applied."""
        return None


def _money(credits: int | None) -> str:
    return f" (credits {credits})" if credits is not None else ""


def _with_nav_status(ship: Ship, status: NavStatus) -> Ship:
    return ship.with_nav(replace(ship.nav, status=status))


def _add(cargo: Cargo, symbol: str, units: int) -> Cargo:
    inventory = dict(cargo.inventory)
    count = max(0, inventory.get(symbol, 0) + units)
    if count:
        inventory[symbol] = count
    else:
        inventory.pop(symbol, None)
    return Cargo(cargo.capacity, sum(inventory.values()), inventory)


@dataclass(frozen=True)
class Orbit(_Base):
    """Move a docked ship into orbit (``POST .../orbit``)."""

    idempotent: ClassVar[bool] = True

    def predict(self, ship: Ship) -> Ship:
        return _with_nav_status(ship, NavStatus.IN_ORBIT)

    def already_true(self, ship: Ship) -> bool:
        return ship.nav.status is NavStatus.IN_ORBIT

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return after.nav.status is not NavStatus.DOCKED


@dataclass(frozen=True)
class Dock(_Base):
    """Dock a ship in orbit (``POST .../dock``)."""

    idempotent: ClassVar[bool] = True

    def predict(self, ship: Ship) -> Ship:
        return _with_nav_status(ship, NavStatus.DOCKED)

    def already_true(self, ship: Ship) -> bool:
        return ship.nav.status is NavStatus.DOCKED

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return after.nav.status is NavStatus.DOCKED


@dataclass(frozen=True)
class SetFlightMode(_Base):
    """Change the ship's persistent flight mode (``PATCH .../nav``)."""

    mode: FlightMode
    idempotent: ClassVar[bool] = True

    def _words(self) -> str:
        return f"flight mode {self.mode}"

    def predict(self, ship: Ship) -> Ship:
        return ship.with_nav(replace(ship.nav, flight_mode=self.mode))

    def already_true(self, ship: Ship) -> bool:
        return ship.nav.flight_mode == self.mode

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return after.nav.flight_mode == self.mode


@dataclass(frozen=True)
class Navigate(_Base):
    """Fly one hop to ``destination`` in ``mode``; distance, fuel and duration are predictions.

    ``margin`` names a safety margin the route applied for this landing, with its cost
    (shown in plans and logs; empty when none)."""

    destination: str
    mode: FlightMode
    distance: float
    fuel_used: int
    duration_s: int
    margin: str = field(default="", compare=False)  # an annotation, not the command
    needs: ClassVar[NavNeed] = NavNeed.ORBIT

    def _words(self) -> str:
        words = f"navigate to {self.destination} ({self.mode})"
        return f"{words}; {self.margin}" if self.margin else words

    def predict(self, ship: Ship) -> Ship:
        nav = replace(ship.nav, waypoint=self.destination, flight_mode=self.mode,
                      status=NavStatus.IN_ORBIT)
        fuel = Fuel(max(0, ship.fuel.current - self.fuel_used), ship.fuel.capacity)
        return ship.with_nav(nav).with_fuel(fuel)

    def already_true(self, ship: Ship) -> bool:
        nav = ship.nav
        return nav.waypoint == self.destination and nav.status is not NavStatus.IN_TRANSIT

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        """A new flight to the destination started (or ended there) since ``before``."""
        return _arrived_elsewhere(before, after, self.destination)


def _arrived_elsewhere(before: ShipSnapshot, after: Ship, destination: str) -> bool | None:
    """A flight to ``destination`` started (or ended there) since ``before``: navigate and
    warp share this rule."""
    route = after.nav.route
    if route is None or route.destination != destination:
        return before.waypoint != destination and after.nav.waypoint == destination
    return before.destination != destination or \
        before.departure != route.departure_time.isoformat()


@dataclass(frozen=True)
class Jump(_Base):
    """Jump from the gate the ship orbits to the gate ``destination`` of another system.

    Instant; buys ``antimatter_units`` ANTIMATTER at the origin gate (``antimatter_cost``
    credits predicted) and leaves the reactor cooling ``cooldown_s`` seconds (predicted from
    the ``distance`` between the systems); the next jump waits for it, navigating does not.
    """

    destination: str
    distance: float = 0.0
    cooldown_s: int = 0
    antimatter_units: int = 1
    antimatter_cost: int = 0
    needs: ClassVar[NavNeed] = NavNeed.ORBIT
    needs_reactor: ClassVar[bool] = True

    def describe(self, credits: int | None = None) -> str:
        return (f"jump to {self.destination} (distance {self.distance:.0f}, cooldown "
                f"{self.cooldown_s} s, {self.antimatter_units} ANTIMATTER ~"
                f"{self.antimatter_cost} credits)" + _money(credits))

    def predict(self, ship: Ship) -> Ship:
        nav = replace(ship.nav, system=system_of(self.destination), waypoint=self.destination,
                      status=NavStatus.IN_ORBIT, route=None)
        return ship.with_nav(nav)

    def already_true(self, ship: Ship) -> bool:
        return ship.nav.waypoint == self.destination

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        """The ship is at the destination gate and was not before."""
        return before.waypoint != self.destination and after.nav.waypoint == self.destination


@dataclass(frozen=True)
class Warp(_Base):
    """Warp to ``destination`` in another system in ``mode`` (a warp drive; fuel as navigate's
    over the distance between the systems); distance, fuel and duration are predictions."""

    destination: str
    mode: FlightMode
    distance: float
    fuel_used: int
    duration_s: int
    needs: ClassVar[NavNeed] = NavNeed.ORBIT

    def _words(self) -> str:
        return f"warp to {self.destination} ({self.mode})"

    def predict(self, ship: Ship) -> Ship:
        nav = replace(ship.nav, system=system_of(self.destination), waypoint=self.destination,
                      flight_mode=self.mode, status=NavStatus.IN_ORBIT, route=None)
        fuel = Fuel(max(0, ship.fuel.current - self.fuel_used), ship.fuel.capacity)
        return ship.with_nav(nav).with_fuel(fuel)

    def already_true(self, ship: Ship) -> bool:
        nav = ship.nav
        return nav.waypoint == self.destination and nav.status is not NavStatus.IN_TRANSIT

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return _arrived_elsewhere(before, after, self.destination)


@dataclass(frozen=True)
class Refuel(_Base):
    """Refuel while docked: ``units`` ship-fuel units, or fill the tank when None."""

    units: int | None = None
    from_cargo: bool = False
    needs: ClassVar[NavNeed] = NavNeed.DOCKED

    def predict(self, ship: Ship) -> Ship:
        room = ship.fuel.capacity - ship.fuel.current
        added = room if self.units is None else min(self.units, room)
        return ship.with_fuel(Fuel(ship.fuel.current + added, ship.fuel.capacity))

    def already_true(self, ship: Ship) -> bool:
        return self.units is None and ship.fuel.current >= ship.fuel.capacity

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return after.fuel.current > before.fuel


@dataclass(frozen=True)
class Extract(_Base):
    """Extract resources at the current waypoint (ship in orbit, mining mount).

    Yields are unknown before the server answers: ``predict`` changes nothing."""

    needs: ClassVar[NavNeed] = NavNeed.ORBIT
    needs_reactor: ClassVar[bool] = True

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        cooled_again = cooldown_mark(after)
        return (cooled_again is not None and cooled_again != before.cooldown) or \
            after.cargo.units > before.cargo_units

    @staticmethod
    def yield_between(before: ShipSnapshot, after: Ship) -> tuple[str, int]:
        """What an extraction added (symbol, units): the good whose count grew the most."""
        gains = {s: after.cargo.count(s) - before.count(s) for s in after.cargo.inventory}
        best = max(gains.items(), key=lambda kv: kv[1], default=("", 0))
        return best[0], max(0, best[1])


@dataclass(frozen=True)
class Survey(_Base):
    """Survey the current waypoint (ship in orbit, surveyor mount)."""

    needs: ClassVar[NavNeed] = NavNeed.ORBIT
    needs_reactor: ClassVar[bool] = True

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        cooled_again = cooldown_mark(after)
        return cooled_again is not None and cooled_again != before.cooldown


@dataclass(frozen=True)
class Purchase(_Base):
    """Buy ``units`` of ``symbol`` at the current market (one request, within trade volume)."""

    symbol: str
    units: int
    needs: ClassVar[NavNeed] = NavNeed.DOCKED

    def _words(self) -> str:
        return f"purchase {self.units} {self.symbol}"

    def predict(self, ship: Ship) -> Ship:
        return ship.with_cargo(_add(ship.cargo, self.symbol, self.units))

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return after.cargo.count(self.symbol) >= before.count(self.symbol) + self.units


@dataclass(frozen=True)
class _Unload(_Base):
    """A command that takes ``units`` of ``symbol`` out of the hold."""

    symbol: str
    units: int

    def predict(self, ship: Ship) -> Ship:
        return ship.with_cargo(_add(ship.cargo, self.symbol, -self.units))

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return after.cargo.count(self.symbol) <= before.count(self.symbol) - self.units


@dataclass(frozen=True)
class Sell(_Unload):
    """Sell ``units`` of ``symbol`` at the current market (one request, within trade volume)."""

    needs: ClassVar[NavNeed] = NavNeed.DOCKED

    def _words(self) -> str:
        return f"sell {self.units} {self.symbol}"


@dataclass(frozen=True)
class Jettison(_Unload):
    """Throw ``units`` of ``symbol`` out of the hold."""

    def describe(self, credits: int | None = None) -> str:
        return f"jettison {self.units} {self.symbol}"


@dataclass(frozen=True)
class Deliver(_Base):
    """Deliver cargo for a contract; ``contract_id`` None means the executor's active contract."""

    contract_id: str | None
    symbol: str
    units: int
    needs: ClassVar[NavNeed] = NavNeed.DOCKED

    def describe(self, credits: int | None = None) -> str:
        return f"deliver {self.units} {self.symbol}"

    def predict(self, ship: Ship) -> Ship:
        return ship.with_cargo(_add(ship.cargo, self.symbol, -self.units))

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return after.cargo.count(self.symbol) <= before.count(self.symbol) - self.units

    def contract_took_effect(self, before: Contract | None, after: Contract) -> bool | None:
        return before is not None and \
            _fulfilled_units(after, self.symbol) > _fulfilled_units(before, self.symbol)


def _fulfilled_units(contract: Contract, symbol: str) -> int:
    return sum(d.units_fulfilled for d in contract.deliveries if d.trade_symbol == symbol)


@dataclass(frozen=True)
class NegotiateContract(_Base):
    """Negotiate a new contract at the faction's waypoint (ship docked)."""

    needs: ClassVar[NavNeed] = NavNeed.DOCKED

    @staticmethod
    def new_contract(before_ids: frozenset[str], after: list[Contract]) -> Contract | None:
        """The contract that appeared since ``before_ids`` (a negotiation applied), if any."""
        fresh = [k for k in after if k.id not in before_ids]
        return fresh[0] if fresh else None


@dataclass(frozen=True)
class AcceptContract(_Base):
    """Accept a contract; None means the most recently negotiated or offered one."""

    contract_id: str | None = None

    def contract_took_effect(self, before: Contract | None, after: Contract) -> bool | None:
        return after.accepted


@dataclass(frozen=True)
class FulfillContract(_Base):
    """Fulfill a contract; None means the executor's active contract."""

    contract_id: str | None = None

    def contract_took_effect(self, before: Contract | None, after: Contract) -> bool | None:
        return after.fulfilled


@dataclass(frozen=True)
class ScanMarket(_Base):
    """Read the market at ``waypoint`` (prices need a ship present); changes nothing."""

    waypoint: str
    mutates: ClassVar[bool] = False


@dataclass(frozen=True)
class Wait(_Base):
    """Wait ``seconds`` of game time."""

    seconds: float
    mutates: ClassVar[bool] = False
    local: ClassVar[bool] = True


@dataclass(frozen=True)
class Log(_Base):
    """Write ``message`` to the container's log at ``level`` (debug, info, warning, error)."""

    message: str
    level: str = "info"
    mutates: ClassVar[bool] = False
    local: ClassVar[bool] = True


Command = (
    Orbit | Dock | SetFlightMode | Navigate | Refuel | Extract | Survey | Purchase | Sell
    | Jettison | Deliver | NegotiateContract | AcceptContract | FulfillContract | ScanMarket
    | Wait | Log | Jump | Warp
)

COMMAND_TYPES: Mapping[str, type[Command]] = {
    cls.__name__: cls
    for cls in (
        Orbit, Dock, SetFlightMode, Navigate, Refuel, Extract, Survey, Purchase, Sell, Jettison,
        Deliver, NegotiateContract, AcceptContract, FulfillContract, ScanMarket, Wait, Log,
        Jump, Warp,
    )
}

LOCAL_COMMANDS: frozenset[str] = frozenset(
    name for name, cls in COMMAND_TYPES.items() if cls.local)
"""Commands that cost no API request (the runner carries them out itself)."""


def command_to_dict(command: Command) -> dict[str, Any]:
    """A JSON-safe dict for ``command``: ``{"type": "Navigate", "destination": ..., ...}``."""
    out: dict[str, Any] = {"type": type(command).__name__}
    for f in fields(command):
        value = getattr(command, f.name)
        if value == "" and f.default == "":  # an optional note left empty: leave it out
            continue
        out[f.name] = str(value) if isinstance(value, FlightMode) else value
    return out


def command_from_dict(data: Mapping[str, Any]) -> Command:
    """The command that :func:`command_to_dict` produced; ValueError on an unknown shape."""
    kind = data.get("type")
    cls = COMMAND_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown command type {kind!r}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            value = data[f.name]
            kwargs[f.name] = FlightMode(value) if f.name == "mode" else value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"bad {kind} command: {exc}") from exc


def is_request(command: Command) -> bool:
    """True when the executor needs one API request to carry out ``command``."""
    return not command.local
