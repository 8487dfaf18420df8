"""The galaxy: many systems with galactic x/y, gates and their network, construction sites,
gas giants, shipyards, fuel and antimatter markets; snapshots still load."""

from __future__ import annotations

import json
from pathlib import Path

from runner.sim.catalog import SUPPLY_CHAIN
from runner.sim.config import EraRules
from runner.sim.generate import generate_universe
from runner.sim.snapshot import load_snapshot


def test_a_2000_system_galaxy() -> None:
    uni = generate_universe(1, 2000, EraRules().gate_bill)
    assert len(uni.systems) == 2000
    assert len({(s.x, s.y) for s in uni.systems.values()}) > 1990  # spread across the galaxy
    gates = {s: uni.gate_of(s) for s in uni.systems}
    with_gate = [g for g in gates.values() if g is not None]
    assert 0.8 * 2000 < len(with_gate) < 2000  # most systems, not all
    for gate in with_gate:
        links = uni.gates[gate]
        assert links and gate not in links
        assert all(gate in uni.gates[other] for other in links)  # symmetric
        assert "ANTIMATTER" in uni.markets[gate].goods and "FUEL" in uni.markets[gate].goods
    building = [g for g in with_gate if uni.waypoints[g].under_construction]
    assert 0.03 * len(with_gate) < len(building) < 0.3 * len(with_gate)
    assert all(uni.constructions[g].to_json()["isComplete"] is False for g in building)
    giants = [w for w in uni.waypoints.values() if w.type == "GAS_GIANT"]
    assert len(giants) > 500
    assert len(uni.shipyards) > 200
    assert len({t for y in uni.shipyards.values() for t in y.ship_types}) >= 8
    assert any(not w.charted for w in uni.waypoints.values())


def test_the_detailed_systems_do_not_depend_on_the_galaxy_size() -> None:
    small, large = generate_universe(7, 3), generate_universe(7, 50)
    for symbol in small.systems:
        a, b = small.systems[symbol], large.systems[symbol]
        assert (a.x, a.y, a.waypoints) == (b.x, b.y, b.waypoints)
    assert small.default_start == large.default_start


def test_starting_gate_links_into_the_network() -> None:
    uni = generate_universe(1, 200, EraRules().gate_bill)
    home = uni.gate_of(uni.waypoints[uni.default_start].system)
    assert home is not None and uni.waypoints[home].under_construction
    assert any(not uni.waypoints[g].under_construction for g in uni.gates[home])


def test_snapshot_loads_gates_construction_and_supply_chain(samples_dir: Path) -> None:
    uni = load_snapshot(samples_dir / "X1-AD75_universe_snapshot_2025-04.json")
    assert uni.gates["X1-AD75-I55"][0] == "X1-P34-XX8A"
    site = uni.constructions["X1-AD75-I55"].to_json()
    assert site["materials"][0] == {"tradeSymbol": "FAB_MATS", "required": 1600,
                                    "fulfilled": 0}
    assert uni.waypoints["X1-AD75-I55"].under_construction
    assert uni.supply_chain["LIQUID_HYDROGEN"] == ["MACHINERY"]
    # Regression: the format's chart has waypointSymbol null; the spec requires it.
    chart = uni.waypoints["X1-AD75-A1"].chart
    assert chart is not None and chart["waypointSymbol"] == "X1-AD75-A1"


def test_our_supply_chain_agrees_with_the_live_one(samples_dir: Path) -> None:
    live = {e["export"]: e["imports"] for e in
            json.loads((samples_dir / "exports_2025.json").read_text())}
    assert {k: live.get(k) for k in SUPPLY_CHAIN} == SUPPLY_CHAIN
