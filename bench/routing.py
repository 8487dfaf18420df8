"""Routing figures: route latency, the bot-style baseline ratio, tour time and gap, fleet split.

Run: .venv/bin/python bench/routing.py [--quick] [--tours-only] [--galaxy-only]
Prints figures next to the targets of issue 4. Nothing here asserts: the machine is noisy.
"""

from __future__ import annotations

import heapq
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from _universe import SAMPLES_DIR, load_snapshot_system, make_ship, random_system

from runner.domain.galaxy import Galaxy
from runner.domain.ship import FlightMode, Ship
from runner.domain.travel import DEFAULT_TRAVEL_MODEL, rounded_distance
from runner.domain.universe import System
from runner.routing import RoutingConfig, plan_route, plan_tour, split_tour
from runner.routing.gates import GateGraph, NoJumpRoute, jump_chain
from runner.routing.graph import system_graph
from runner.routing.legs import leg_costs
from runner.routing.route import ship_table
from runner.routing.tsp import solve_mip

QUICK = "--quick" in sys.argv
NO_OVERHEAD = RoutingConfig(refuel_stop_s=0)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def queries(system: System, ship: Ship, count: int, seed: int) -> list[tuple[str, str, int]]:
    """Random (start, goal, fuel): half with a full tank, half with random fuel."""
    rng = random.Random(seed)
    symbols = [w.symbol for w in system]
    out = []
    for i in range(count):
        a, b = rng.sample(symbols, 2)
        cap = ship.fuel.capacity
        out.append((a, b, cap if i % 2 == 0 or cap == 0 else rng.randint(1, cap)))
    return out


def route_latency(label: str, system: System, ship: Ship, count: int, seed: int,
                  target: str) -> None:
    t0 = time.perf_counter()
    plan_route(system, ship, *queries(system, ship, 1, seed - 1)[0])  # builds the tables
    build = time.perf_counter() - t0
    times, cpu = [], []
    for a, b, f in queries(system, ship, count, seed):
        t0, c0 = time.perf_counter(), time.process_time()
        plan_route(system, ship, a, b, f)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"  {label}: p50 {pct(times, .5) * 1e3:.1f} ms, p99 {pct(times, .99) * 1e3:.1f} ms, "
          f"max {max(times) * 1e3:.1f} ms over {count} queries; CPU time p50 "
          f"{pct(cpu, .5) * 1e3:.1f} ms, p99 {pct(cpu, .99) * 1e3:.1f} ms "
          f"(first query incl. table build {build * 1e3:.0f} ms)   target {target}")


def baseline_seconds(system: System, ship: Ship, start: str, goal: str) -> float:
    """The public-bot planner: stops only at fuel sellers (and start/goal), a full tank at
    every node, CRUISE when the hop fits the tank, else DRIFT; fastest such path."""
    graph = system_graph(system)
    nodes = [i for i, s in enumerate(graph.sells_fuel) if s]
    s, g = graph.index[start], graph.index[goal]
    nodes = list({s, g, *nodes})
    speed, cap = ship.engine_speed, ship.fuel.capacity
    model = DEFAULT_TRAVEL_MODEL

    def hop(u: int, v: int) -> int:
        rd = rounded_distance(graph.dist[u][v])
        mode = FlightMode.CRUISE if cap == 0 or rd <= cap else FlightMode.DRIFT
        return model.seconds_rd(mode, rd, speed)

    dist = {s: 0}
    heap = [(0, s)]
    while heap:
        d, u = heapq.heappop(heap)
        if u == g:
            return d
        if d > dist[u]:
            continue
        for v in nodes:
            if v != u and d + hop(u, v) < dist.get(v, 1 << 60):
                dist[v] = d + hop(u, v)
                heapq.heappush(heap, (dist[v], v))
    return float("inf")


def baseline_ratio(label: str, system: System, ship: Ship, count: int, seed: int) -> None:
    ratios = []
    rng = random.Random(seed)
    symbols = [w.symbol for w in system]
    for _ in range(count):
        a, b = rng.sample(symbols, 2)
        ours = plan_route(system, ship, a, b, ship.fuel.capacity, config=NO_OVERHEAD)
        ratios.append(baseline_seconds(system, ship, a, b) / ours.total_duration_s)
    print(f"  {label}: baseline/ours median {statistics.median(ratios):.2f}, "
          f"p90 {pct(ratios, .9):.2f}, max {max(ratios):.2f} over {count} full-tank pairs "
          f"(reference notes: 1.08-1.80 median, up to 3.6)")


def tour_case(stops: int, seed: int) -> tuple[System, Ship, str, list[str]]:
    rng = random.Random(seed)
    system = random_system(rng, stops + 20, fuel_share=1.0)
    symbols = [w.symbol for w in system]
    start, *rest = rng.sample(symbols, stops + 1)
    return system, make_ship(400, 36), start, rest


def tour_matrix(system: System, ship: Ship, start: str, stops: list[str]) -> list[list[int]]:
    """The matrix plan_tour solves for an open tour over fuel-selling stops."""
    graph = system_graph(system)
    table = ship_table(graph, ship, NO_OVERHEAD)
    nodes = [graph.index[start], *(graph.index[s] for s in stops)]
    rows = [[0, *leg_costs(graph, table, n, ship.fuel.capacity, ship.fuel.capacity, nodes[1:],
                           NO_OVERHEAD), 0] for n in nodes]
    return [*rows, [0] * (len(nodes) + 1)]


def tours(stops: int, seeds: Sequence[int], target: str) -> None:
    for seed in seeds:
        system, ship, start, rest = tour_case(stops, seed)
        t0 = time.perf_counter()
        tour = plan_tour(system, ship, start, rest, fuel_now=400, config=NO_OVERHEAD)
        wall = time.perf_counter() - t0
        t0 = time.perf_counter()
        matrix = tour_matrix(system, ship, start, rest)
        t_matrix = time.perf_counter() - t0
        t0 = time.perf_counter()
        exact = solve_mip(matrix, 120.0)
        t_exact = time.perf_counter() - t0
        gap = "n/a (no proof in 120 s)" if exact is None else \
            f"{(tour.planned_cost_s / exact.cost - 1) * 100:.2f} %"
        print(f"  {stops} stops (seed {seed}): {wall:.2f} s total ({t_matrix:.2f} s of it the "
              f"leg matrix), {tour.method}, proven {tour.proven_optimal}, gap to optimum {gap} "
              f"(proof took {t_exact:.1f} s)   target {target}")


def split(seed: int, quick: bool) -> None:
    rng = random.Random(seed)
    system = random_system(rng, 80, fuel_share=0.3)
    symbols = [w.symbol for w in system]
    stops = rng.sample(symbols, 33)
    ships = [make_ship(400, 36, symbol=f"S-{i}", at=stops[i]) for i in range(3)]
    stops = stops[3:]
    t0 = time.perf_counter()
    fast = split_tour(system, ships, stops, time_limit_s=2.0)
    wall = time.perf_counter() - t0
    long = split_tour(system, ships, stops, time_limit_s=5.0 if quick else 20.0)
    print(f"  30 stops / 3 ships (seed {seed}): 2 s run: planned makespan "
          f"{fast.planned_makespan_s} s, flown {fast.makespan_s} s (wall {wall:.1f} s incl. "
          f"matrices and legs); {'5' if quick else '20'} s run: planned "
          f"{long.planned_makespan_s} s, flown {long.makespan_s} s -> planned "
          f"{(fast.planned_makespan_s / long.planned_makespan_s - 1) * 100:+.1f} %, flown "
          f"{(fast.makespan_s / long.makespan_s - 1) * 100:+.1f} %   target within 3 % in 2 s")


def galaxy_routes(systems: int, count: int, seed: int) -> None:
    """Gate graph build and one-to-one jump routes on a generated galaxy (issue 17)."""
    from tests.routing.galaxies import random_galaxy

    galaxy: Galaxy = random_galaxy(random.Random(seed), systems)
    gates = sum(1 for s in galaxy if s.gate is not None)
    t0 = time.perf_counter()
    graph = GateGraph.build(galaxy)
    build = time.perf_counter() - t0
    rng = random.Random(seed + 1)
    times, unreachable, jumps = [], 0, []
    for _ in range(count):
        a, b = rng.sample(graph.gates, 2)
        t0 = time.perf_counter()
        try:
            jumps.append(jump_chain(graph, a, b).jumps)
        except NoJumpRoute:
            unreachable += 1
        times.append(time.perf_counter() - t0)
    print(f"  {systems} systems, {gates} gates ({len(graph.gates)} built): graph build "
          f"{build * 1e3:.0f} ms   target < 2000 ms")
    print(f"  one-to-one route: p50 {pct(times, .5) * 1e3:.1f} ms, p95 "
          f"{pct(times, .95) * 1e3:.1f} ms, max {max(times) * 1e3:.1f} ms over {count} pairs "
          f"(median {statistics.median(jumps) if jumps else 0:.0f} jumps, {unreachable} "
          f"unreachable)   target p95 < 50 ms")


def timed(label: str, fn: Callable[[], None]) -> None:
    print(label)
    fn()


def tours_and_splits() -> None:
    print("Tours (open, every stop sells fuel, frigate; gap = planned / proven optimum - 1):")
    tours(30, (1, 2, 3), "proven optimal in < 1 s")
    tours(60, (1, 2) if QUICK else (1, 2, 3), "< 1 % in < 3 s")
    tours(100, (1,) if QUICK else (1, 2), "< 2 % in < 5 s")
    print("Fleet split (VRP, makespan):")
    for seed in ((1,) if QUICK else (1, 2, 3)):
        split(seed, QUICK)


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(wall times stretch with load; CPU times less so)")
    if "--tours-only" in sys.argv:
        tours_and_splits()
        return
    print("Galaxy (jump gates, cooldown round(15 + 0.3 d), last jump free):")
    galaxy_routes(8500, 100 if QUICK else 500, 1)
    if "--galaxy-only" in sys.argv:
        return
    real = load_snapshot_system(SAMPLES_DIR)
    frigate, hauler = make_ship(400, 36), make_ship(600, 15)
    n = 200 if QUICK else 1000
    timed("Route latency, real X1-AD75 (82 waypoints, 25 sell fuel):", lambda: (
        route_latency("frigate", real, frigate, n, 1, "p50 < 5 ms, p99 < 50 ms"),
        route_latency("light hauler", real, hauler, n, 2, "p50 < 5 ms, p99 < 50 ms"),
        route_latency("probe", real, make_ship(0, 9), n, 3, "p50 < 5 ms, p99 < 50 ms")))
    print("Route latency, generated 300 waypoints, 10 % sell fuel (frigate):")
    for seed in (1, 2, 3):
        big = random_system(random.Random(seed), 300, fuel_share=0.1)
        route_latency(f"seed {seed}", big, frigate, 60 if QUICK else 200, seed,
                      "p50 < 50 ms, p99 < 300 ms")
    print("Exact vs public-bot planner (fuel sellers only, CRUISE or DRIFT), same pairs:")
    baseline_ratio("X1-AD75 frigate", real, frigate, 300, 5)
    baseline_ratio("random 80 wp, 30 % fuel", random_system(random.Random(8), 80), frigate,
                   300, 6)
    baseline_ratio("random 80 wp, 10 % fuel",
                   random_system(random.Random(9), 80, fuel_share=0.1), frigate, 300, 7)
    baseline_ratio("random 300 wp, 10 % fuel",
                   random_system(random.Random(10), 300, fuel_share=0.1), frigate, 100, 8)
    tours_and_splits()
    code = "import time; t=time.perf_counter(); import runner.routing; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    print(f"import runner.routing: {float(out.stdout) * 1e3:.0f} ms (no OR-Tools at import)")


if __name__ == "__main__":
    main()
