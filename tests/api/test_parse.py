"""Parsers against real server data (the 2025-04 universe snapshot) and spec-shaped bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from runner.api import parse as p
from runner.api.errors import UnexpectedResponse
from runner.domain.ship import FlightMode, NavStatus


@pytest.fixture(scope="module")
def snapshot(samples_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (samples_dir / "X1-AD75_universe_snapshot_2025-04.json").read_text())
    return data


def test_real_ships(snapshot: dict[str, Any]) -> None:
    ships = {s.symbol: s for s in map(p.parse_ship, snapshot["ships"])}
    probe, frigate = ships["FLWI_TEST-2"], ships["FLWI_TEST-1"]
    assert probe.role == "SATELLITE" and probe.fuel.capacity == 0
    assert probe.nav.status is NavStatus.DOCKED and probe.engine_speed == 9
    assert frigate.nav.flight_mode is FlightMode.BURN and frigate.engine_speed == 36
    assert frigate.can_mine and frigate.can_survey and frigate.cargo.capacity == 40
    assert frigate.nav.route is not None
    assert frigate.nav.route.arrival == datetime(2025, 4, 9, 17, 25, 34, 980000, UTC)
    assert frigate.nav.route.destination == "X1-AD75-J58"


def test_real_waypoints_system_and_agent(snapshot: dict[str, Any]) -> None:
    waypoints = [p.parse_waypoint(w) for w in snapshot["waypoints"]]
    assert len(waypoints) == 82
    a1 = next(w for w in waypoints if w.symbol == "X1-AD75-A1")
    assert (a1.x, a1.y, a1.type, a1.system) == (23, -9, "PLANET", "X1-AD75")
    assert "FROZEN" in a1.traits and a1.orbitals
    system = p.parse_system(snapshot["systems"][0], waypoints)
    assert len(system) == 82 and system.type == "BLUE_STAR"
    bare = p.parse_system(snapshot["systems"][0])  # SystemWaypoint: no traits
    assert len(bare) == len(snapshot["systems"][0]["waypoints"])
    agent = p.parse_agent(snapshot["agent"])
    assert (agent.symbol, agent.credits, agent.ship_count) == ("FLWI_TEST", 175000, 2)


def test_real_markets_with_prices(snapshot: dict[str, Any]) -> None:
    markets = [p.parse_market(m, datetime.now(UTC)) for m in snapshot["marketplaces"]]
    assert len(markets) == 25
    priced = [m for m in markets if m.trade_goods]
    assert priced, "the snapshot has live prices"
    good = next(iter(priced[0].trade_goods.values()))
    assert good.trade_volume > 0 and good.purchase_price > 0
    assert sum(1 for m in markets if m.sells("FUEL")) == 25  # all 25 (rules file: 24)
    assert all(m.fetched_at is None for m in markets if not m.trade_goods)


def test_real_shipyards(snapshot: dict[str, Any]) -> None:
    yards = [p.parse_shipyard(s) for s in snapshot["shipyards"]]
    assert len(yards) == 3 and all(y.ship_types for y in yards)


CONTRACT = {
    "id": "c1", "factionSymbol": "COSMIC", "type": "PROCUREMENT", "accepted": False,
    "fulfilled": False, "expiration": "2025-04-10T00:00:00Z",
    "deadlineToAccept": "2025-04-10T00:00:00Z",
    "terms": {"deadline": "2025-04-16T00:00:00.000Z",
              "payment": {"onAccepted": 1000, "onFulfilled": 9000},
              "deliver": [{"tradeSymbol": "IRON_ORE", "destinationSymbol": "X1-AD75-A1",
                           "unitsRequired": 50, "unitsFulfilled": 10}]},
}


def test_contract_transaction_cooldown_survey() -> None:
    contract = p.parse_contract(CONTRACT)
    assert contract.deliveries[0].units_left == 40 and contract.payment_on_fulfilled == 9000
    tx = p.parse_transaction({"waypointSymbol": "X1-AD75-A1", "shipSymbol": "S-1",
                              "tradeSymbol": "FUEL", "type": "PURCHASE", "units": 1,
                              "pricePerUnit": 72, "totalPrice": 72,
                              "timestamp": "2025-04-09T17:25:34.980Z"})
    assert tx.total_price == 72
    cooldown = p.parse_cooldown({"shipSymbol": "S-1", "totalSeconds": 70,
                                 "remainingSeconds": 0})
    assert cooldown.expiration is None
    raw = {"signature": "X-1", "symbol": "X1-AD75-B1", "deposits": [{"symbol": "IRON_ORE"}],
           "expiration": "2025-04-09T18:00:00Z", "size": "SMALL"}
    survey = p.parse_survey(raw)
    assert survey.deposits == ("IRON_ORE",) and survey.raw == raw


def test_cargo_sums_repeated_items() -> None:
    cargo = p.parse_cargo({"capacity": 40, "units": 7, "inventory": [
        {"symbol": "IRON_ORE", "units": 5}, {"symbol": "IRON_ORE", "units": 2}]})
    assert cargo.count("IRON_ORE") == 7 and cargo.free == 33


@pytest.mark.parametrize(("parser", "body", "field"), [
    (p.parse_agent, {"symbol": "A"}, "headquarters"),
    (p.parse_nav, {"systemSymbol": "X1-A"}, "waypointSymbol"),
    (p.parse_contract, {"id": "c"}, "terms"),
])
def test_missing_fields_are_named(parser: Any, body: dict[str, Any], field: str) -> None:
    with pytest.raises(UnexpectedResponse, match=field):
        parser(body)


def test_bad_timestamp_is_reported() -> None:
    with pytest.raises(UnexpectedResponse, match="timestamp"):
        p.parse_time("yesterday")
