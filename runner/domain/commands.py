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
  ``contract_took_effect``, fleet commands such as ``PurchaseShip`` through
  ``fleet_took_effect`` over the agent's ship count, recorded in the snapshot when
  ``watches_fleet``).

The request each command sends lives at the I/O edge (``runner.runtime.game``), dispatched
by type with ``assert_never``. Commands round-trip through :func:`command_to_dict` and
:func:`command_from_dict` (JSON-safe dicts tagged with ``"type"``) because checkpoints store
expansions.
"""

from __future__ import annotations

import json
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
    watches_fleet: ClassVar[bool] = False  # its intent records the agent's ship count
    cargo_unknown_after: ClassVar[bool] = False  # ``predict`` cannot tell the hold after it
    ends_ship: ClassVar[bool] = False  # the ship no longer exists after it (scrap)

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

    def fleet_took_effect(self, before: ShipSnapshot, ships_now: int) -> bool | None:
        """For fleet commands: whether the agent's ship count now shows it applied."""
        return None

    def result_after(self, before: ShipSnapshot, after: Ship) -> Any:
        """The result ``register`` stores, rebuilt from the ship when the command applied
        but its answer was lost with a crash (None: the ship cannot show it)."""
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
    cargo_unknown_after: ClassVar[bool] = True

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return _cooled_again(before, after) or after.cargo.units > before.cargo_units

    def result_after(self, before: ShipSnapshot, after: Ship) -> Any:
        symbol, units = self.yield_between(before, after)
        return {"symbol": symbol, "units": units}

    @staticmethod
    def yield_between(before: ShipSnapshot, after: Ship) -> tuple[str, int]:
        """What an extraction added (symbol, units): the good whose count grew the most."""
        gains = {s: after.cargo.count(s) - before.count(s) for s in after.cargo.inventory}
        best = max(gains.items(), key=lambda kv: kv[1], default=("", 0))
        return best[0], max(0, best[1])


def _cooled_again(before: ShipSnapshot, after: Ship) -> bool:
    """The reactor cooldown is a new one since ``before`` (a reactor action applied)."""
    mark = cooldown_mark(after)
    return mark is not None and mark != before.cooldown


@dataclass(frozen=True)
class ExtractWithSurvey(Extract):
    """Extract using a survey (``POST .../extract/survey``): ``survey`` is the server's survey
    object as JSON text, sent back unchanged. Same rules as :class:`Extract`."""

    survey: str

    def _words(self) -> str:
        signature = json.loads(self.survey).get("signature", "?")
        return f"extract with survey {signature}"


@dataclass(frozen=True)
class Siphon(Extract):
    """Siphon gas at a GAS_GIANT (in orbit; gas siphon mount and gas processor module).

    Same rules as :class:`Extract`: the yield is unknown before the answer; it applied when
    the reactor cooled again or the hold grew."""

    def _words(self) -> str:
        return "siphon"


@dataclass(frozen=True)
class Survey(_Base):
    """Survey the current waypoint (ship in orbit, surveyor mount)."""

    needs: ClassVar[NavNeed] = NavNeed.ORBIT
    needs_reactor: ClassVar[bool] = True

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return _cooled_again(before, after)


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
class Transfer(_Unload):
    """Hand ``units`` of ``symbol`` to the ship ``to`` (same waypoint, same nav state).

    The expansion puts the acting ship in the other ship's nav state first; it applied when
    the acting ship's hold lost the units (the :class:`_Unload` rule). An empty ``to`` is
    the ship the :class:`AwaitShip` before it finds (the executor fills it in, and matches
    that ship's nav state, before sending)."""

    to: str = ""

    def _words(self) -> str:
        return f"transfer {self.units} {self.symbol} to {self.to or 'that ship'}"


@dataclass(frozen=True)
class AwaitShip(_Base):
    """Wait, at most ``seconds`` of game time, for another ship of the agent (``role`` or
    ``symbol``; empty: any) at ``waypoint``, not in transit, with room for ``units``
    units not reserved by other ships; the Transfers after it go to that ship.

    Carried out by the runner (it reads the fleet, no request of its own); a plan predicts
    no wait."""

    waypoint: str
    units: int
    seconds: float
    role: str = ""
    symbol: str = ""
    mutates: ClassVar[bool] = False
    local: ClassVar[bool] = True

    def wanted(self, article: str = "a") -> str:
        """The ship it waits for, in words: ``a HAULER ship`` (``no HAULER ship`` with
        ``article="no"``), ``ACME-2``, ``another ship``."""
        if self.symbol:
            return self.symbol
        if self.role:
            return f"{article} {self.role.upper()} ship"
        return "another ship" if article == "a" else f"{article} other ship"

    def matches(self, ship: Ship, acting: str) -> bool:
        """``ship`` is one this waits for: another ship, of the role or symbol, at the
        waypoint and not in transit (room is judged against reservations elsewhere)."""
        if ship.symbol == acting or ship.nav.waypoint != self.waypoint \
                or ship.nav.status is NavStatus.IN_TRANSIT:
            return False
        if self.symbol:
            return ship.symbol == self.symbol
        return not self.role or ship.role.upper() == self.role.upper()

    def _words(self) -> str:
        return (f"wait for {self.wanted()} at {self.waypoint} with room for {self.units} "
                f"units (at most {span(self.seconds)})")


@dataclass(frozen=True)
class WaitUntil(_Base):
    """Wait until ``expression`` holds, re-reading the ship from the server every few
    seconds (so cargo handed over by other ships shows), or until ``seconds`` of game time
    passed: either way the step goes on. A plan predicts no wait."""

    expression: str
    seconds: float
    mutates: ClassVar[bool] = False
    local: ClassVar[bool] = True

    def _words(self) -> str:
        return f"wait until {self.expression} (at most {span(self.seconds)})"


def span(seconds: float) -> str:
    """``600`` -> ``10m``; ``90`` -> ``90s``; ``7200`` -> ``2h``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class SupplyConstruction(_Unload):
    """Supply ``units`` of ``symbol`` to the construction site at ``waypoint`` (docked there).

    It applied when the hold lost the units (the :class:`_Unload` rule)."""

    waypoint: str = ""
    needs: ClassVar[NavNeed] = NavNeed.DOCKED

    def _words(self) -> str:
        return f"supply {self.units} {self.symbol} to {self.waypoint}"


@dataclass(frozen=True)
class PurchaseShip(_Base):
    """Buy a ship of ``ship_type`` at the shipyard ``waypoint`` (the acting ship is there).

    The acting ship does not change, so the rule reads the fleet: the intent records the
    agent's ship count, and the purchase applied when the count grew since (another
    container of the same agent buying a ship in that window would be mistaken for it)."""

    ship_type: str
    waypoint: str
    watches_fleet: ClassVar[bool] = True

    def _words(self) -> str:
        return f"purchase ship {self.ship_type} at {self.waypoint}"

    def fleet_took_effect(self, before: ShipSnapshot, ships_now: int) -> bool | None:
        return None if before.ships is None else ships_now > before.ships

    @staticmethod
    def newest(symbols: list[str]) -> str:
        """The newest ship among ``symbols``: the server names ships ``{AGENT}-{n in hex}``
        with numbers never reused, so the highest number is the last one bought."""
        def number(symbol: str) -> int:
            try:
                return int(symbol.rsplit("-", 1)[-1], 16)
            except ValueError:
                return -1
        return max(symbols, key=number)


@dataclass(frozen=True)
class Refine(_Base):
    """Refine ore into ``produce`` (refinery module; 100 ore -> 10 units, reactor cooldown).

    It applied when the product's count grew; the plan does not predict the ore used."""

    produce: str
    needs_reactor: ClassVar[bool] = True
    cargo_unknown_after: ClassVar[bool] = True

    def _words(self) -> str:
        return f"refine {self.produce}"

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return after.cargo.count(self.produce) > before.count(self.produce)

    def result_after(self, before: ShipSnapshot, after: Ship) -> Any:
        return {"produce": self.produce, "units": after.cargo.count(self.produce)}


@dataclass(frozen=True)
class Chart(_Base):
    """Chart the uncharted ``waypoint`` the ship is at (pays the chart reward).

    The ship does not show it: a resend after a lost answer is answered 4230
    (WaypointCharted), which the executor counts as done; the client reads the waypoint."""

    waypoint: str

    def _words(self) -> str:
        return f"chart {self.waypoint}"

    @staticmethod
    def charted(traits: frozenset[str]) -> bool:
        """A waypoint is charted when it no longer shows only the UNCHARTED trait."""
        return "UNCHARTED" not in traits


SCAN_KINDS = ("systems", "waypoints", "ships")


@dataclass(frozen=True)
class Scan(_Base):
    """Scan ``kind`` (systems, waypoints or ships) with a sensor array (in orbit, reactor).

    A scan changes nothing but the reactor: it applied when the reactor cooled again. Read
    after the cooldown ended, it cannot tell, and the scan is sent again: harmless, it only
    costs another cooldown."""

    kind: str
    needs: ClassVar[NavNeed] = NavNeed.ORBIT
    needs_reactor: ClassVar[bool] = True

    def _words(self) -> str:
        return f"scan {self.kind}"

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return _cooled_again(before, after)


@dataclass(frozen=True)
class _Refit(_Base):
    """Install or remove one ship part (docked at a shipyard; the yard's fee is charged).

    The part moves between the hold and the ship, so the hold shows whether it applied:
    one unit of ``symbol`` fewer (install) or more (remove)."""

    symbol: str
    needs: ClassVar[NavNeed] = NavNeed.DOCKED
    installs: ClassVar[bool] = True
    kind: ClassVar[str] = "mount"

    def _words(self) -> str:
        return f"{'install' if self.installs else 'remove'} {self.kind} {self.symbol}"

    def predict(self, ship: Ship) -> Ship:
        moved = ship.with_cargo(_add(ship.cargo, self.symbol, -1 if self.installs else 1))
        if self.kind != "mount":
            return moved
        mounts = set(ship.mounts) | {self.symbol} if self.installs \
            else set(ship.mounts) - {self.symbol}
        return replace(moved, mounts=frozenset(mounts))

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        if self.installs:
            return after.cargo.count(self.symbol) < before.count(self.symbol)
        return after.cargo.count(self.symbol) > before.count(self.symbol)


@dataclass(frozen=True)
class InstallMount(_Refit):
    """Install the mount ``symbol`` from the hold (``POST .../mounts/install``)."""


@dataclass(frozen=True)
class RemoveMount(_Refit):
    """Remove the mount ``symbol`` into the hold (``POST .../mounts/remove``)."""

    installs: ClassVar[bool] = False


@dataclass(frozen=True)
class InstallModule(_Refit):
    """Install the module ``symbol`` from the hold (``POST .../modules/install``)."""

    kind: ClassVar[str] = "module"


@dataclass(frozen=True)
class RemoveModule(_Refit):
    """Remove the module ``symbol`` into the hold (``POST .../modules/remove``)."""

    installs: ClassVar[bool] = False
    kind: ClassVar[str] = "module"


@dataclass(frozen=True)
class Repair(_Base):
    """Repair the ship at a shipyard (docked): frame, reactor and engine back to full.

    The ship as st-run reads it does not show its condition, so no rule can tell; a repair
    sent again after a lost answer costs nothing (its price is the wear, now zero)."""

    needs: ClassVar[NavNeed] = NavNeed.DOCKED



@dataclass(frozen=True)
class Scrap(_Base):
    """Scrap the ship at a shipyard (docked); the agent is paid and the ship is gone.

    Nothing can follow it for this ship: the run ends after it. A ship that can still be
    read was not scrapped (``took_effect`` False); one the server no longer knows (404) was,
    which the executor and the client check on a resume or a lost answer."""

    needs: ClassVar[NavNeed] = NavNeed.DOCKED
    ends_ship: ClassVar[bool] = True

    def took_effect(self, before: ShipSnapshot, after: Ship) -> bool | None:
        return False


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
    Orbit | Dock | SetFlightMode | Navigate | Refuel | Extract | ExtractWithSurvey | Siphon
    | Survey | Purchase | Sell | Jettison | Deliver | NegotiateContract | AcceptContract
    | FulfillContract | Transfer | SupplyConstruction | PurchaseShip | Refine | Chart | Scan
    | InstallMount | RemoveMount | InstallModule | RemoveModule | Repair | Scrap | ScanMarket
    | Wait | Log | Jump | Warp | AwaitShip | WaitUntil
)

COMMAND_TYPES: Mapping[str, type[Command]] = {
    cls.__name__: cls
    for cls in (
        Orbit, Dock, SetFlightMode, Navigate, Refuel, Extract, ExtractWithSurvey, Siphon,
        Survey, Purchase, Sell,
        Jettison, Deliver, NegotiateContract, AcceptContract, FulfillContract, Transfer,
        SupplyConstruction, PurchaseShip, Refine, Chart, Scan, InstallMount, RemoveMount,
        InstallModule, RemoveModule, Repair, Scrap, ScanMarket, Wait, Log, Jump, Warp,
        AwaitShip, WaitUntil,
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
