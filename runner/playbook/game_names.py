"""What templates see of the game beyond the ship: contracts, markets, shipyards and
construction sites, so a playbook can decide without curl (issue 17).

Names (a playbook's own ``vars`` or registered results of the same name win):

- ``contract``: the newest contract not fulfilled (None without one): ``id``, ``type``,
  ``faction``, ``accepted``, ``fulfilled``, ``deadline`` (ISO), ``payment``
  (``on_accepted``, ``on_fulfilled``), ``deliveries`` (each ``good``, ``destination``,
  ``required``, ``fulfilled``, ``left``), and the first delivery's ``good``,
  ``destination`` and ``left`` at the top for the usual one-good contract.
  ``contracts``: every contract, the same shape.
- ``market(WAYPOINT)``: ``symbol``, ``imports``/``exports``/``exchange`` (lists), ``goods``
  (per good: ``buy`` (what a ship pays), ``sell`` (what it receives), ``volume``,
  ``supply``, ``activity``, ``type``) and ``age`` (game seconds since any ship observed its
  prices, from the shared market store; None when never; ``age_s`` is an alias). None for
  a waypoint without a known market.
- ``best_market(sells=GOOD)`` / ``best_market(buys=GOOD)`` (and ``max_age``, ``not_here``,
  ``time_value``): the waypoint ``{best: {...}}`` would pick, None when none qualifies
  (provided by ``StepContext.names``: it needs the ship).
- ``best_trade(max_age='1h')``: the good with the widest known margin between two markets
  of the ship's system seen within ``max_age`` (``good``, ``buy_at``, ``buy_price``,
  ``sell_at``, ``sell_price``, ``margin`` per unit, ``volume``); trips not counted (the
  ``{best: ...}`` selectors net them on the way); None when no good sells dearer than it
  is bought.
- ``fleet``: the agent's ships (read live, at most 30 s old): ``ships`` (each ``symbol``,
  ``role``, ``frame``, ``waypoint``, ``status``, ``cargo`` units/capacity), ``size``,
  ``count(role=R, frame=F, status=S)`` and ``at(role=R, status=S)`` (the waypoint most
  such ships are at).
- ``shipyard(WAYPOINT)``: ``symbol`` and ``types`` (the ship types it sells; None when not
  read yet), or None for a waypoint without a shipyard.
- ``construction``: the ship's system's jump gate site (``waypoint``, ``complete``,
  ``materials`` per good: ``required``, ``fulfilled``, ``left``), None when not read.

All are read from what the world already holds: the plan's universe data or the runner's
(contracts, construction sites and the fleet are fetched only for playbooks that use
them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runner.domain.contract import Contract
from runner.domain.market_choice import Spread
from runner.domain.ship import Ship
from runner.domain.ship_group import ShipGroup, frame_symbol
from runner.domain.universe import Construction, Market, System


@dataclass(frozen=True)
class GameData:
    """What a loader fetched for the game's template names (see ``needs``)."""

    contracts: tuple[Contract, ...] = ()
    site: Construction | None = None
    now: datetime | None = None
    fleet: tuple[Ship, ...] = ()


GAME_NAMES = frozenset({"contract", "contracts", "market", "shipyard", "construction",
                        "best_market", "best_trade", "fleet"})
"""Names this module provides (the loader knows them; they are not reserved)."""
FETCHED_NAMES = {"contract": "contracts", "contracts": "contracts",
                 "construction": "construction", "fleet": "fleet"}
"""Names whose data a loader must fetch when a playbook uses them, and what it fetches."""


def game_names(systems: Sequence[System], contracts: Sequence[Contract],
               site: Construction | None, now: datetime | None,
               fleet: Sequence[Ship] = ()) -> dict[str, Any]:
    """The template names above, over ``systems`` (the ship's first)."""
    shown = [contract_names(c) for c in contracts]
    open_ones = [c for c in shown if not c["fulfilled"]]
    return {"contract": open_ones[-1] if open_ones else None, "contracts": shown,
            "market": _lookup(systems, lambda w: _market(w.market, now)),
            "shipyard": _lookup(systems, _shipyard),
            "construction": None if site is None else construction_names(site),
            "fleet": fleet_names(fleet)}


def contract_names(contract: Contract) -> dict[str, Any]:
    """One contract as template data."""
    deliveries = [{"good": d.trade_symbol, "destination": d.destination,
                   "required": d.units_required, "fulfilled": d.units_fulfilled,
                   "left": d.units_left} for d in contract.deliveries]
    first = deliveries[0] if deliveries else {}
    return {"id": contract.id, "type": contract.type, "faction": contract.faction,
            "accepted": contract.accepted, "fulfilled": contract.fulfilled,
            "deadline": contract.deadline.isoformat(),
            "payment": {"on_accepted": contract.payment_on_accepted,
                        "on_fulfilled": contract.payment_on_fulfilled},
            "deliveries": deliveries, "good": first.get("good"),
            "destination": first.get("destination"), "left": first.get("left")}


def construction_names(site: Construction) -> dict[str, Any]:
    """A construction site as template data."""
    return {"waypoint": site.waypoint, "complete": site.complete,
            "materials": {m.good: {"required": m.required, "fulfilled": m.fulfilled,
                                   "left": max(0, m.required - m.fulfilled)}
                          for m in site.materials}}


def _lookup(systems: Sequence[System], shown: Callable[[Any], Any]) -> Callable[[str], Any]:
    def find(waypoint: str) -> Any:
        for system in systems:
            if waypoint in system.waypoints:
                return shown(system.waypoints[waypoint])
        return None
    return find


def _market(market: Market | None, now: datetime | None) -> dict[str, Any] | None:
    if market is None:
        return None
    age = None if market.fetched_at is None or now is None else \
        max(0.0, (now - market.fetched_at).total_seconds())
    return {"symbol": market.symbol, "imports": sorted(market.imports),
            "exports": sorted(market.exports), "exchange": sorted(market.exchange),
            "goods": {g.symbol: {"buy": g.purchase_price, "sell": g.sell_price,
                                 "volume": g.trade_volume, "supply": g.supply,
                                 "activity": g.activity, "type": g.type}
                      for g in market.trade_goods.values()},
            "age": age, "age_s": age}


def _shipyard(waypoint: Any) -> dict[str, Any] | None:
    if not getattr(waypoint, "has_shipyard", False):
        return None
    types = waypoint.ship_types
    return {"symbol": waypoint.symbol, "types": None if types is None else sorted(types)}


def needs(playbook: Any) -> frozenset[str]:
    """What a loader must fetch for ``playbook`` (a ``Playbook``): ``"contracts"`` and/or
    ``"construction"``, from the names its templates and expressions read."""
    from runner.playbook.template import is_template, used_names

    found: set[str] = set()

    def scan(value: Any, expression: bool) -> None:
        if isinstance(value, Mapping):
            for item in value.values():
                scan(item, expression)
        elif isinstance(value, list | tuple):
            for item in value:
                scan(item, expression)
        elif isinstance(value, str) and (expression or is_template(value)):
            found.update(used_names(value, expression=expression))

    for step in playbook.walk():
        scan(dict(step.args), False)
        for text in (step.when, step.until, step.args.get("until")):
            if isinstance(text, str):
                scan(text, True)
    return frozenset(FETCHED_NAMES[n] for n in found if n in FETCHED_NAMES)


def fleet_names(ships: Sequence[Ship]) -> dict[str, Any]:
    """The ``fleet`` template name: ``ships`` (each ``symbol``, ``role``, ``frame``,
    ``waypoint``, ``status``, ``cargo`` units/capacity), ``size``, ``count(role=, frame=,
    status=)`` (how many ships match; no filter: all) and ``at(role=, frame=, status=)``
    (the waypoint most matching ships are at, ties by symbol; None when none matches)."""
    def matching(role: str | None, frame: str | None, status: str | None) -> list[Ship]:
        kind = ShipGroup(role=None if role is None else role.upper(),
                         frame=None if frame is None else frame_symbol(frame))
        return [s for s in ships if kind.matches(s)
                and (status is None or s.nav.status.value == status.upper())]

    def count(role: str | None = None, frame: str | None = None,
              status: str | None = None) -> int:
        return len(matching(role, frame, status))

    def at(role: str | None = None, frame: str | None = None,
           status: str | None = None) -> str | None:
        places = Counter(s.nav.waypoint for s in matching(role, frame, status))
        return min(places, key=lambda w: (-places[w], w)) if places else None

    shown = [{"symbol": s.symbol, "role": s.role, "frame": s.frame,
              "waypoint": s.nav.waypoint, "status": s.nav.status.value,
              "cargo": {"units": s.cargo.units, "capacity": s.cargo.capacity}}
             for s in sorted(ships, key=lambda s: s.symbol)]
    return {"ships": shown, "size": len(ships), "count": count, "at": at}


def trade_names(spread: Spread | None) -> dict[str, Any] | None:
    """``best_trade()``'s answer: ``good``, ``buy_at``, ``buy_price``, ``sell_at``,
    ``sell_price``, ``margin`` (per unit) and ``volume``; None when no known margin."""
    if spread is None:
        return None
    return {"good": spread.good, "buy_at": spread.buy_at, "buy_price": spread.buy_price,
            "sell_at": spread.sell_at, "sell_price": spread.sell_price,
            "margin": spread.margin, "volume": spread.volume}
