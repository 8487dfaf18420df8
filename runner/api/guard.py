"""Did a state-changing request take effect? Pure comparisons of before and after.

When the answer to a mutating request is lost (dropped connection, timeout, 5xx), the
client re-reads the ship or contract and asks one of these predicates whether the action
was applied. Only if it was not is the request sent again: a purchase whose answer was lost
is never bought twice. Each predicate compares the state before the request (the client's
last-known state, or a read made first) with the state after; all are pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.domain.contract import Contract
from runner.domain.ship import Cooldown, FlightMode, NavStatus, Ship


def navigated(before: Ship, after: Ship, destination: str) -> bool:
    """A new flight to ``destination`` started (departure differs from the last one)."""
    route = after.nav.route
    if route is None or route.destination != destination:
        return False
    old = before.nav.route
    return old is None or old.departure_time != route.departure_time \
        or old.destination != destination


def reached_status(after: Ship, status: NavStatus) -> bool:
    """Orbit / dock: the ship is in the wanted state (both are idempotent anyway)."""
    return after.nav.status is status


def flight_mode_set(after: Ship, mode: FlightMode) -> bool:
    """The flight mode is the one asked for."""
    return after.nav.flight_mode is mode


def refueled(before: Ship, after: Ship) -> bool:
    """Fuel went up."""
    return after.fuel.current > before.fuel.current


def cargo_gained(before: Ship, after: Ship, symbol: str) -> bool:
    """Units of ``symbol`` aboard went up (a purchase)."""
    return after.cargo.count(symbol) > before.cargo.count(symbol)


def cargo_lost(before: Ship, after: Ship, symbol: str) -> bool:
    """Units of ``symbol`` aboard went down (a sell, jettison or delivery)."""
    return after.cargo.count(symbol) < before.cargo.count(symbol)


def cooled_down_again(before: Cooldown | None, after: Cooldown | None) -> bool:
    """A new reactor cooldown started (extract, survey): its expiration moved later."""
    if after is None or after.expiration is None or after.remaining_seconds <= 0:
        return False
    return before is None or before.expiration is None or after.expiration > before.expiration


def accepted(after: Contract) -> bool:
    """The contract is accepted."""
    return after.accepted


def fulfilled(after: Contract) -> bool:
    """The contract is fulfilled."""
    return after.fulfilled


def delivered(before: Contract, after: Contract, symbol: str) -> bool:
    """Units fulfilled for ``symbol`` went up."""
    return _fulfilled_units(after, symbol) > _fulfilled_units(before, symbol)


def _fulfilled_units(contract: Contract, symbol: str) -> int:
    return sum(d.units_fulfilled for d in contract.deliveries if d.trade_symbol == symbol)


def new_contract(before_ids: frozenset[str], after: list[Contract]) -> Contract | None:
    """The contract that appeared since ``before_ids`` (negotiate), if any."""
    fresh = [c for c in after if c.id not in before_ids]
    return fresh[0] if fresh else None


@dataclass(frozen=True)
class Yield:
    """What an extraction added to the hold, read from a before/after cargo diff."""

    symbol: str
    units: int


def extraction_yield(before: Ship, after: Ship) -> Yield:
    """The good whose count grew the most between ``before`` and ``after``."""
    gains = {s: after.cargo.count(s) - before.cargo.count(s) for s in after.cargo.inventory}
    best = max(gains.items(), key=lambda kv: kv[1], default=("", 0))
    return Yield(best[0], max(0, best[1]))
