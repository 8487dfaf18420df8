"""The generated universe and snapshot loading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.sim.catalog import DEPOSIT_YIELDS
from runner.sim.generate import generate_universe
from runner.sim.rules import distance
from runner.sim.snapshot import load_snapshot
from tests.sim.helpers import Checked, Game

SNAPSHOT = "X1-AD75_universe_snapshot_2025-04.json"


def _summary(seed: int) -> list[tuple[str, str, int, int]]:
    uni = generate_universe(seed)
    return [(w.symbol, w.type, w.x, w.y) for w in uni.waypoints.values()]


def test_generation_is_deterministic() -> None:
    assert _summary(3) == _summary(3)
    assert _summary(3) != _summary(4)


@pytest.mark.parametrize("seed", [1, 2, 3, 17])
def test_universe_shape(seed: int) -> None:
    uni = generate_universe(seed)
    assert len(uni.systems) >= 3
    for symbol, system in uni.systems.items():
        assert 40 <= len(system.waypoints) <= 120, symbol
        wps = [uni.waypoints[w] for w in system.waypoints]
        types = {w.type for w in wps}
        assert {"PLANET", "MOON", "ASTEROID", "JUMP_GATE", "FUEL_STATION", "GAS_GIANT"} <= types
        assert any(t in DEPOSIT_YIELDS for w in wps for t in w.traits)
        markets = [uni.markets[w.symbol] for w in wps if w.symbol in uni.markets]
        with_fuel = [m for m in markets if "FUEL" in m.goods]
        assert len(with_fuel) > len(markets) / 2 and len(with_fuel) < len(markets)
        assert all("MARKETPLACE" in uni.waypoints[m.symbol].traits for m in markets)
        far = max(distance(a.x, a.y, b.x, b.y) for a in wps for b in wps)
        assert far > 2300  # no ship's tank (max 2300) covers it without refuel or DRIFT
        for w in wps:  # orbitals share their parent's coordinates
            if w.orbits:
                parent = uni.waypoints[w.orbits]
                assert (w.x, w.y) == (parent.x, parent.y) and w.symbol in parent.orbitals


def test_far_outposts_are_reachable_with_refuel_stops() -> None:
    """A frigate (400 fuel, CRUISE) can hop between fuel markets to the remote outposts."""
    uni = generate_universe(1)
    system = next(iter(uni.systems))
    wps = [uni.waypoints[w] for w in uni.systems[system].waypoints]
    fuel = {m for m, market in uni.markets.items() if "FUEL" in market.goods}
    hq = uni.default_start
    reached, frontier = {hq}, [hq]
    while frontier:
        here = uni.waypoints[frontier.pop()]
        if here.symbol not in fuel and here.symbol != hq:
            continue
        for w in wps:
            if w.symbol not in reached and distance(here.x, here.y, w.x, w.y) <= 400:
                reached.add(w.symbol)
                frontier.append(w.symbol)
    assert reached == {w.symbol for w in wps}


def test_snapshot_loads_and_responses_omit_nulls(make_sim_app: Any, spec: Any,
                                                  samples_dir: Path) -> None:
    path = samples_dir / SNAPSHOT
    raw = json.loads(path.read_text())
    uni = load_snapshot(path)
    assert len(uni.waypoints) == len(raw["waypoints"]) == 82
    assert len(uni.markets) == 25
    game = Game(make_sim_app(universe_file=path), spec)
    assert game.system == "X1-AD75" and game.hq == raw["agent"]["headquarters"]
    page = 1
    while True:
        listing = game.call("GET", "/systems/X1-AD75/waypoints",
                            params={"page": page, "limit": 20}).json()
        for wp in listing["data"]:
            assert "null" not in json.dumps(wp)
        if page * 20 >= listing["meta"]["total"]:
            break
        page += 1
    market = game.call("GET", f"/systems/X1-AD75/waypoints/{game.hq}/market").json()["data"]
    assert market["tradeGoods"] and "null" not in json.dumps(market)
    fuel = next(g for g in market["tradeGoods"] if g["symbol"] == "FUEL")
    real = next(m for m in raw["marketplaces"] if m["symbol"] == game.hq)
    real_fuel = next(g for g in real["tradeGoods"] if g["symbol"] == "FUEL")
    assert fuel["purchasePrice"] == real_fuel["purchasePrice"]


def test_bad_universe_file_is_a_config_error(tmp_path: Path, make_sim_app: Any) -> None:
    from runner.sim.config import ConfigError

    bad = tmp_path / "u.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError):
        make_sim_app(universe_file=bad)
    with pytest.raises(ConfigError):
        make_sim_app(universe_file=tmp_path / "missing.json")


def test_status_endpoint(sim_app: Any, spec: Any) -> None:
    status = Checked(sim_app, spec).call("GET", "/").json()
    assert status["stats"]["systems"] >= 3
