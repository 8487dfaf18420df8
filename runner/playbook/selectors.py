"""Ship and waypoint selectors: playbooks name roles and kinds, not this reset's symbols.

Ship: a symbol, ``{symbol: S}``, ``{role: COMMAND}`` (first ship with that role, by
symbol) or ``{index: N}`` (1-based, ships ordered by symbol).
Waypoint: a symbol, ``headquarters`` (the agent's), or ``{nearest: {type, traits, sells,
buys, not_here, from}}``: the closest waypoint to the ship's position (or to ``from:``, a
waypoint or ``headquarters``) matching every filter given (ties by symbol; ``not_here:
true`` skips the ship's own waypoint); ``sells``/``buys`` need
market data in the system. ``{all: FILTERS, limit: N}`` (tour stops) is every match, nearest
first, at most N. ``{best: {sells: GOOD} | {buys: GOOD}, max_age, not_here, time_value}``:
the market of the ship's system where buying (``sells``) or selling (``buys``) GOOD pays
best net of the trip there, among markets whose prices were observed within ``max_age``
(``runner.domain.market_choice`` defines the score).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from runner.domain import market_choice as mc
from runner.domain.market_choice import Scored
from runner.domain.ship import Ship
from runner.domain.universe import FUEL, Market, System, Waypoint, system_of
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError, did_you_mean

HEADQUARTERS = "headquarters"


def resolve_ship(selector: Any, ships: Sequence[Ship]) -> Ship:
    """The ship ``selector`` names among ``ships``; StepError when none matches."""
    ordered = sorted(ships, key=lambda s: s.symbol)
    if isinstance(selector, str):
        selector = {"symbol": selector}
    if not isinstance(selector, Mapping) or len(selector) != 1:
        raise StepError(f"bad ship selector {selector!r}: use a symbol, {{role: R}} or "
                        "{index: N}")
    (key, value), = selector.items()
    if key == "symbol":
        match = [s for s in ordered if s.symbol == value]
        hint = did_you_mean(str(value), [s.symbol for s in ordered])
    elif key == "role":
        match = [s for s in ordered if s.role.upper() == str(value).upper()]
        hint = f" (roles: {', '.join(sorted({s.role for s in ordered})) or 'none'})"
    elif key == "index":
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(ordered)
        match = [ordered[value - 1]] if ok else []
        hint = f" (the agent has {len(ordered)} ships)"
    else:
        raise StepError(f"unknown ship selector `{key}`; use symbol, role or index")
    if not match:
        raise StepError(f"no ship matches {key} {value}{hint}")
    return match[0]


def resolve_waypoint(selector: Any, ctx: StepContext) -> str:
    """The waypoint symbol ``selector`` names, seen from ``ctx.ship``'s position."""
    if isinstance(selector, str):
        return _named(selector, ctx)
    if isinstance(selector, Mapping) and set(selector) == {"nearest"}:
        return _nearest(selector["nearest"], ctx)
    if isinstance(selector, Mapping) and set(selector) == {"best"}:
        return best_market(selector["best"], ctx).offer.waypoint
    raise StepError(f"bad waypoint {selector!r}: use a symbol, `headquarters`, "
                    "{nearest: {...}} or {best: {sells|buys: GOOD}}")


def _named(symbol: str, ctx: StepContext) -> str:
    if symbol == HEADQUARTERS:
        if ctx.agent is None:
            raise StepError("`headquarters` needs the agent's data")
        symbol = ctx.agent.headquarters
    if symbol in ctx.system:
        return symbol
    other = _system_of(symbol)
    if other is not None and other != ctx.system.symbol:
        known = ctx.system_named(other)
        if known is None:
            raise StepError(f"waypoint `{symbol}`: system {other} is not loaded (the galaxy "
                            "data does not know it)")
        if symbol in known:
            return symbol
        raise StepError(f"waypoint `{symbol}` is not in system {other}"
                        f"{did_you_mean(symbol, list(known.waypoints))}")
    hint = did_you_mean(symbol, list(ctx.system.waypoints))
    raise StepError(f"waypoint `{symbol}` is not in system {ctx.system.symbol}{hint}")


def _system_of(symbol: str) -> str | None:
    """The system part of a waypoint symbol, None when it has none."""
    return system_of(symbol) if symbol.count("-") >= 2 else None


def _nearest(filters: Mapping[str, Any], ctx: StepContext) -> str:
    found = waypoints_matching(filters, ctx)
    if not found:
        where = filters.get("system") or ctx.system.symbol
        raise StepError(f"no waypoint in {where} matches {_describe(filters)}")
    return found[0]


def waypoints_matching(filters: Mapping[str, Any], ctx: StepContext,
                       limit: int | None = None) -> list[str]:
    """Symbols of the waypoints matching ``filters``, nearest to the ship first (with
    ``system: S``, another system's waypoints, nearest to its jump gate first)."""
    system, here = _searched(filters, ctx)
    skip = ctx.ship.nav.waypoint if filters.get("not_here") else None
    found = [w for w in _candidates(system, _filter_key(filters)) if w.symbol != skip]
    found.sort(key=lambda w: (math.hypot(w.x - here[0], w.y - here[1]), w.symbol))
    return [w.symbol for w in found[:limit]]


def _filter_key(filters: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A hashable form of the filters that decide a match (``not_here`` does not)."""
    def frozen(value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value
    return tuple(sorted((k, frozen(v)) for k, v in filters.items()
                        if k not in ("not_here", "system", "from")))


@lru_cache(maxsize=512)
def _candidates(system: System, key: tuple[tuple[str, Any], ...]) -> tuple[Waypoint, ...]:
    """The waypoints of ``system`` matching the filters (systems hash by identity)."""
    filters = {k: list(v) if isinstance(v, tuple) else v for k, v in key}
    return tuple(w for w in system if _matches(w, filters))


def resolve_waypoints(selector: Any, ctx: StepContext) -> list[str]:
    """A list of waypoint selectors, or ``{all: FILTERS, limit: N}``, as symbols (no repeats)."""
    if isinstance(selector, Mapping) and "all" in selector:
        limit = selector.get("limit")
        found = waypoints_matching(selector["all"] or {}, ctx, limit)
        if not found:
            raise StepError(f"no waypoint in {ctx.system.symbol} matches "
                            f"{_describe(selector['all'] or {})}")
        return found
    symbols: list[str] = []
    for item in selector if isinstance(selector, list) else [selector]:
        symbol = resolve_waypoint(item, ctx)
        if symbol not in symbols:
            symbols.append(symbol)
    return symbols


def _searched(filters: Mapping[str, Any], ctx: StepContext
              ) -> tuple[System, tuple[int, int]]:
    """The system a selector searches and the point it measures from."""
    name = filters.get("system")
    if name is None or str(name) == ctx.system.symbol:
        origin = filters.get("from")
        return ctx.system, _position(ctx) if origin is None else _origin(str(origin), ctx)
    system = ctx.system_named(str(name))
    if system is None:
        raise StepError(f"system {name} is not loaded (the galaxy data does not know it)")
    galaxy = ctx.atlas.galaxy
    info = galaxy.systems.get(system.symbol) if galaxy is not None else None
    gate = system.waypoints.get(info.gate) if info is not None and info.gate else None
    return system, (gate.x, gate.y) if gate is not None else (0, 0)


def _origin(selector: str, ctx: StepContext) -> tuple[int, int]:
    """The position of ``from:`` (a waypoint of the ship's system, or ``headquarters``)."""
    waypoint = ctx.system.waypoints.get(_named(selector, ctx))
    if waypoint is None:
        raise StepError(f"from: {selector} is not in system {ctx.system.symbol}")
    return (waypoint.x, waypoint.y)


def _position(ctx: StepContext) -> tuple[int, int]:
    current = ctx.system.waypoints.get(ctx.ship.nav.waypoint)
    if current is None:
        raise StepError(f"the ship is at {ctx.ship.nav.waypoint}, not in system "
                        f"{ctx.system.symbol}")
    return (current.x, current.y)


def _matches(w: Waypoint, filters: Mapping[str, Any]) -> bool:
    if "type" in filters and w.type != str(filters["type"]).upper():
        return False
    traits = filters.get("traits") or []
    if isinstance(traits, str):
        traits = [traits]
    if not all(str(t).upper() in w.traits for t in traits):
        return False
    if "sells" in filters and not (w.market and w.market.sells(str(filters["sells"]))):
        return False
    return not ("buys" in filters and not (w.market and w.market.buys(str(filters["buys"]))))


def _describe(filters: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in filters.items()) or "anything"


def best_market(filters: Any, ctx: StepContext) -> Scored:
    """The market ``{best: filters}`` names, scored (``runner.domain.market_choice``).

    Candidates: the marketplaces of the ship's system whose last observed prices list the
    good on that side, observed at most ``max_age`` before ``ctx.now`` (every one when the
    context has no time), reachable by a fuel-feasible route. StepError naming why when none.
    """
    side, good, max_age, time_value = best_filters(filters)
    here = ctx.ship.nav.waypoint
    _position(ctx)  # the ship must be in the system searched
    skip = here if filters.get("not_here") else None
    priced = [(w.symbol, m, _age(m, ctx)) for w in ctx.system
              if (m := w.market) is not None and w.symbol != skip
              and good in m.trade_goods and (m.sells(good) if side == "sells" else m.buys(good))]
    fresh = [(symbol, m) for symbol, m, age in priced if age is None or age <= max_age]
    if not fresh:
        raise StepError(_none_fresh(side, good, max_age, priced, ctx))
    offers, unreachable = _offers(side, good, fresh, ctx)
    if not offers:
        raise StepError(f"no route to any market that {side} {good}: "
                        f"{'; '.join(unreachable)}")
    ship = ctx.ship
    units = mc.units_for(side, good, ship.cargo.capacity, ship.cargo.units,
                         ship.cargo.count(good))
    return mc.ranked(side, offers, units, known_fuel_price(ctx.system), time_value)[0]


def best_filters(filters: Any) -> tuple[mc.Side, str, float, float]:
    """(side, good, max age in seconds, time value) of a ``best`` selector's filters."""
    from runner.domain.duration import parse_duration

    if not isinstance(filters, Mapping):
        raise StepError(f"bad selector {{best: {filters!r}}}: use {{best: {{sells: GOOD}}}} or "
                        "{best: {buys: GOOD}}")
    sides = [k for k in ("sells", "buys") if k in filters]
    unknown = sorted(set(filters) - {"sells", "buys", "max_age", "not_here", "time_value"})
    if len(sides) != 1 or unknown:
        raise StepError(f"bad selector {{best: {dict(filters)!r}}}: give exactly one of "
                        "`sells: GOOD` or `buys: GOOD` (and optionally max_age, not_here, "
                        "time_value)")
    side: mc.Side = "sells" if sides[0] == "sells" else "buys"
    try:
        max_age = parse_duration(filters.get("max_age", mc.DEFAULT_MAX_AGE_S))
    except ValueError as exc:
        raise StepError(f"best: max_age: {exc}") from None
    value = filters.get("time_value", mc.DEFAULT_TIME_VALUE)
    try:
        time_value = float(value) if not isinstance(value, bool) else -1.0
    except (TypeError, ValueError):
        time_value = -1.0
    if not 0 <= time_value < float("inf"):
        raise StepError(f"best: time_value must be a number of credits per second >= 0, "
                        f"got {value!r}")
    return side, str(filters[side]).upper(), max_age, time_value


def _age(market: Market, ctx: StepContext) -> float | None:
    """Seconds since ``market``'s prices were observed (None: the context has no time)."""
    if ctx.now is None or market.fetched_at is None:
        return None
    return max(0.0, (ctx.now - market.fetched_at).total_seconds())


def _offers(side: mc.Side, good: str, fresh: list[tuple[str, Market]], ctx: StepContext
            ) -> tuple[list[mc.Offer], list[str]]:
    """The offers with their fastest routes from the ship, and why the others have none."""
    from runner.routing.results import NoRouteError

    offers, unreachable = [], []
    for symbol, market in fresh:
        trade = market.trade_goods[good]
        price = trade.purchase_price if side == "sells" else trade.sell_price
        try:
            route = ctx.plan_route(ctx.ship, ctx.ship.nav.waypoint, symbol)
        except NoRouteError as exc:
            unreachable.append(f"{symbol}: {exc}")
            continue
        offers.append(mc.Offer(symbol, price, sum(h.fuel_used for h in route.hops),
                               float(route.total_duration_s)))
    return offers, unreachable


def known_fuel_price(system: System) -> float:
    """A market unit of FUEL: the cheapest price the system's markets were seen asking,
    else routing's default."""
    prices = [m.trade_goods[FUEL].purchase_price for w in system
              if (m := w.market) is not None and FUEL in m.trade_goods]
    if prices:
        return float(min(prices))
    from runner.routing.config import DEFAULT_CONFIG

    return float(DEFAULT_CONFIG.default_fuel_price)


def _none_fresh(side: str, good: str, max_age: float,
                priced: list[tuple[str, Market, float | None]], ctx: StepContext) -> str:
    """Why no market qualifies: none seen trading the good, or all seen too long ago."""
    what = f"no market in {ctx.system.symbol} seen within {_span(max_age)} {side} {good}"
    aged = [(age, symbol) for symbol, _, age in priced if age is not None]
    if aged:
        age, symbol = min(aged)
        return f"{what} (the freshest, {symbol}, was seen {_span(age)} ago; scan it again " \
               "or raise max_age)"
    listed = sorted(w.symbol for w in ctx.system if w.market is not None and
                    (w.market.sells(good) if side == "sells" else w.market.buys(good)))
    if listed:
        return f"{what} (listed by {', '.join(listed)}, never priced: scan_market there first)"
    return f"{what} (no market of the system lists it)"


def _span(seconds: float) -> str:
    """``3h05m``, ``12m30s``, ``45s``: an age for people."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
