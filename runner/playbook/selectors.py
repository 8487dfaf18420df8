"""Ship and waypoint selectors: playbooks name roles and kinds, not this reset's symbols.

Ship: a symbol, ``{symbol: S}``, ``{role: COMMAND}`` (first ship with that role, by
symbol) or ``{index: N}`` (1-based, ships ordered by symbol).
Waypoint: a symbol, ``headquarters`` (the agent's), or ``{nearest: {type, traits, sells,
buys, not_here}}``: the closest waypoint to the ship's position matching every filter given
(ties by symbol; ``not_here: true`` skips the ship's own waypoint); ``sells``/``buys`` need
market data in the system. ``{all: FILTERS, limit: N}`` (tour stops) is every match, nearest
first, at most N.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from runner.domain.ship import Ship
from runner.domain.universe import System, Waypoint, system_of
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
    raise StepError(f"bad waypoint {selector!r}: use a symbol, `headquarters` or "
                    "{nearest: {...}}")


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
                        if k not in ("not_here", "system")))


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
        return ctx.system, _position(ctx)
    system = ctx.system_named(str(name))
    if system is None:
        raise StepError(f"system {name} is not loaded (the galaxy data does not know it)")
    galaxy = ctx.atlas.galaxy
    info = galaxy.systems.get(system.symbol) if galaxy is not None else None
    gate = system.waypoints.get(info.gate) if info is not None and info.gate else None
    return system, (gate.x, gate.y) if gate is not None else (0, 0)


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
