"""``plan_route``: the fastest fuel-feasible route of one ship between two waypoints."""

from __future__ import annotations

import itertools

from runner.domain.ship import Ship
from runner.domain.universe import System
from runner.errors import InvalidInput
from runner.routing.config import DEFAULT_CONFIG, RoutingConfig
from runner.routing.graph import HopTable, SystemGraph, system_graph
from runner.routing.results import Hop, NoRouteError, Route
from runner.routing.search import Labels, search


def plan_route(system: System, ship: Ship, start: str, goal: str, fuel_now: int, *,
               config: RoutingConfig | None = None, min_fuel_left: int = 0) -> Route:
    """The fastest route from ``start`` to ``goal`` with ``fuel_now`` in the tank.

    Exact under ``config.travel``: minimises flight time plus ``refuel_stop_s`` per refuel
    stop, then hops, then refuel stops, then market units bought. Refuels only where the
    market trades FUEL, in whole market units. The ship lands at the goal with at least
    ``min_fuel_left`` fuel (capped at the tank; ignored when start == goal). Raises
    ``NoRouteError`` naming why when no route exists, ``InvalidInput`` for unknown waypoints
    or impossible fuel.
    """
    cfg = config or DEFAULT_CONFIG
    graph = system_graph(system)
    s, g = waypoint_index(graph, system, start), waypoint_index(graph, system, goal)
    fuel = checked_fuel(ship, fuel_now)
    if s == g:
        return Route(start, goal, (), 0, 0, 0, 0, 0, fuel)
    table = ship_table(graph, ship, cfg)
    h = table.lower_bounds(g)
    reserve = {g: min(min_fuel_left, ship.fuel.capacity)}
    labels = search(graph, table, s, fuel, ship.fuel.capacity, {g}, cfg.refuel_stop_s, h,
                    reserve=reserve)
    if g not in labels.found:
        if labels.best_fuel[g] >= 0:  # reached, but never with the fuel asked to keep
            raise NoRouteError(f"no route for {ship.symbol} from {start} to {goal} that lands "
                               f"with {reserve[g]} fuel left")
        raise NoRouteError(explain_no_route(graph, ship, s, g, fuel, labels))
    return build_route(graph, table, labels, labels.found[g], cfg)


def waypoint_index(graph: SystemGraph, system: System, symbol: str) -> int:
    """The index of ``symbol`` in the system graph; InvalidInput when unknown."""
    try:
        return graph.index[symbol]
    except KeyError:
        raise InvalidInput(f"waypoint {symbol} is not in system {system.symbol}") from None


def checked_fuel(ship: Ship, fuel_now: int) -> int:
    """``fuel_now`` validated against the tank (always 0 for ships without a tank)."""
    capacity = ship.fuel.capacity
    if capacity == 0:
        return 0
    if not 0 <= fuel_now <= capacity:
        raise InvalidInput(f"{ship.symbol}: fuel {fuel_now} is outside the tank (0..{capacity})")
    return fuel_now


def ship_table(graph: SystemGraph, ship: Ship, cfg: RoutingConfig) -> HopTable:
    """The cached hop table for this ship's class."""
    if ship.engine_speed <= 0:
        raise InvalidInput(f"{ship.symbol}: engine speed must be positive")
    return graph.hops(ship.engine_speed, ship.fuel.capacity, cfg.travel, cfg.modes)


def build_route(graph: SystemGraph, table: HopTable, labels: Labels, lid: int,
                cfg: RoutingConfig) -> Route:
    """Turn the label chain ending at ``lid`` into hops."""
    chain = labels.chain(lid)
    hops: list[Hop] = []
    pending = 0  # market units bought at the current waypoint, not yet flown from
    refuel_stops = 0
    for prev, cur in itertools.pairwise(chain):
        move = labels.move[cur]
        u = labels.node[prev]
        if move < 0:
            if pending == 0:
                refuel_stops += 1
            pending += -move
            continue
        v = labels.node[cur]
        price = graph.fuel_price[u]
        unit_price = cfg.default_fuel_price if price is None else price
        hops.append(Hop(
            origin=graph.symbols[u],
            destination=graph.symbols[v],
            mode=table.modes[move],
            distance=graph.dist[u][v],
            fuel_used=labels.fuel[prev] - labels.fuel[cur],
            fuel_left=labels.fuel[cur],
            duration_s=labels.seconds[cur] - labels.seconds[prev],
            refuel_units=pending,
            refuel_cost=pending * unit_price,
        ))
        pending = 0
    flight = sum(h.duration_s for h in hops)
    return Route(
        start=graph.symbols[labels.node[chain[0]]],
        goal=graph.symbols[labels.node[chain[-1]]],
        hops=tuple(hops),
        total_duration_s=flight + refuel_stops * cfg.refuel_stop_s,
        flight_duration_s=flight,
        refuel_stops=refuel_stops,
        fuel_bought_units=sum(h.refuel_units for h in hops),
        fuel_cost=sum(h.refuel_cost for h in hops),
        fuel_left=labels.fuel[chain[-1]],
    )


def explain_no_route(graph: SystemGraph, ship: Ship, s: int, g: int, fuel: int,
                     labels: Labels) -> str:
    """One line naming why the search found nothing."""
    name = graph.symbols
    head = f"no route for {ship.symbol} from {name[s]} to {name[g]}"
    if fuel == 0 and not graph.sells_fuel[s]:
        return f"{head}: the tank is empty and {name[s]} sells no fuel"
    reached = [i for i, f in enumerate(labels.best_fuel) if f >= 0]
    targets = [v for v in range(len(name))
               if labels.best_fuel[v] < 0 and (graph.sells_fuel[v] or v == g)]
    if not targets:
        return f"{head}: no waypoint selling fuel is reachable"
    gap, u, v = min((graph.dist[u][v], u, v) for u in reached for v in targets)
    return (f"{head}: no fuel within {gap:.0f} units of {name[u]} (nearest: {name[v]}); "
            f"capacity is {ship.fuel.capacity}")
