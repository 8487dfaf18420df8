"""Leaving the system: jump gates, their construction, warp; and the control endpoints that
set such scenes up."""

from __future__ import annotations

import math

from runner.sim import rules
from runner.sim.clock import parse_iso
from runner.sim.config import DEFAULT_WARP_MULTIPLIERS, EraRules
from tests.sim.helpers import Game, error_code

ERA = EraRules()


def _home_gate(game: Game) -> str:
    gate = game.universe.gate_of(game.system)
    assert gate is not None
    return gate


def _system_distance(game: Game, a: str, b: str) -> float:
    sa, sb = game.universe.systems[a], game.universe.systems[b]
    return math.hypot(sa.x - sb.x, sa.y - sb.y)


def test_home_gate_is_under_construction_with_the_bill(game: Game) -> None:
    gate = _home_gate(game)
    wp = game.call("GET", f"/systems/{game.system}/waypoints/{gate}").json()["data"]
    assert wp["isUnderConstruction"] is True
    site = game.call("GET", f"/systems/{game.system}/waypoints/{gate}/construction"
                     ).json()["data"]
    assert site == {"symbol": gate, "isComplete": False, "materials": [
        {"tradeSymbol": "FAB_MATS", "required": 1600, "fulfilled": 0},
        {"tradeSymbol": "ADVANCED_CIRCUITRY", "required": 400, "fulfilled": 0},
        {"tradeSymbol": "QUANTUM_STABILIZERS", "required": 1, "fulfilled": 1}]}
    plain = game.call("GET", f"/systems/{game.system}/waypoints/{game.hq}/construction")
    assert plain.status_code == 200
    assert plain.json()["data"] == {"symbol": game.hq, "isComplete": True, "materials": []}


def test_supplying_the_last_materials_finishes_the_gate(game: Game) -> None:
    gate = _home_gate(game)
    game.call("POST", f"/_sim/construction/{gate}",
              json={"fulfilled": {"FAB_MATS": 1590, "ADVANCED_CIRCUITRY": 400}})
    game.set_ship(game.frigate, waypoint=gate, status="DOCKED", cargo={"FAB_MATS": 15})
    r = game.call("POST", f"/systems/{game.system}/waypoints/{gate}/construction/supply",
                  json={"shipSymbol": game.frigate, "tradeSymbol": "FAB_MATS", "units": 10})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["construction"]["isComplete"] is True
    assert data["cargo"]["inventory"][0]["units"] == 5  # the goods left the hold
    wp = game.call("GET", f"/systems/{game.system}/waypoints/{gate}").json()["data"]
    assert wp["isUnderConstruction"] is False
    events = game.call("GET", "/my/agent/events").json()["data"]
    assert events[-1]["type"] == "CONSTRUCTION_COMPLETE"


def test_jump_buys_antimatter_cools_down_by_distance_and_arrives_in_orbit(game: Game) -> None:
    gate = _home_gate(game)
    game.call("POST", f"/_sim/construction/{gate}", json={"complete": True})
    connections = game.call("GET", f"/systems/{game.system}/waypoints/{gate}/jump-gate"
                            ).json()["data"]["connections"]
    uni = game.universe
    target = next(g for g in connections if not uni.waypoints[g].under_construction)
    game.set_ship(game.frigate, waypoint=gate)
    price = uni.markets[gate].goods["ANTIMATTER"].purchase_price()
    credits = game.call("GET", "/my/agent").json()["data"]["credits"]
    r = game.ship_call(game.frigate, "jump", json={"waypointSymbol": target})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    d = _system_distance(game, game.system, uni.waypoints[target].system)
    assert data["cooldown"]["totalSeconds"] == rules.js_round(15 + 0.3 * d)
    assert data["transaction"]["tradeSymbol"] == "ANTIMATTER"
    assert data["transaction"]["units"] == 1 and data["transaction"]["totalPrice"] == price
    assert data["agent"]["credits"] == credits - price
    assert data["nav"]["status"] == "IN_ORBIT" and data["nav"]["waypointSymbol"] == target
    assert data["nav"]["systemSymbol"] == uni.waypoints[target].system
    # A jump needs the reactor: back through the gate only after the cooldown.
    assert error_code(game.ship_call(game.frigate, "jump", json={"waypointSymbol": gate})
                      ) == 4000
    game.advance(data["cooldown"]["totalSeconds"])
    assert game.ship_call(game.frigate, "jump", json={"waypointSymbol": gate}
                          ).status_code == 200
    # Two jumps wore the ship: a repair at home now costs something.
    ship = game.call("GET", f"/my/ships/{game.frigate}").json()["data"]
    assert ship["engine"]["condition"] == 1 - 2 * ERA.wear_per_jump
    game.set_ship(game.frigate, waypoint=game.hq, status="DOCKED")
    preview = game.call("GET", f"/my/ships/{game.frigate}/repair").json()["data"]
    assert preview["transaction"]["totalPrice"] == math.ceil(150000 * 2 * ERA.wear_per_jump)


def test_warp_uses_fuel_and_time_over_the_system_distance(game: Game) -> None:
    from runner.sim.catalog import MODULES

    game.app.state.sim.world.ships[game.frigate].template["modules"].append(
        dict(MODULES["MODULE_WARP_DRIVE_I"]))
    uni = game.universe
    other = next(s for s in uni.systems if s != game.system)
    target = uni.systems[other].waypoints[0]
    d = _system_distance(game, game.system, other)
    game.ship_call(game.frigate, "orbit")
    game.call("PATCH", f"/my/ships/{game.frigate}/nav", json={"flightMode": "DRIFT"})
    r = game.ship_call(game.frigate, "warp", json={"waypointSymbol": target})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["fuel"]["consumed"]["amount"] == 1  # DRIFT
    route = data["nav"]["route"]
    seconds = parse_iso(route["arrival"]) - parse_iso(route["departureTime"])
    assert round(seconds) == rules.travel_seconds("DRIFT", d, 36, DEFAULT_WARP_MULTIPLIERS)
    assert data["nav"]["status"] == "IN_TRANSIT"
    game.advance(seconds + 1)
    nav = game.call("GET", f"/my/ships/{game.frigate}/nav").json()["data"]
    assert nav["status"] == "IN_ORBIT" and nav["systemSymbol"] == other


def test_control_places_ships_and_sets_status(game: Game) -> None:
    giant = game.waypoints(lambda w: w.type == "GAS_GIANT")[0].symbol
    game.set_ship(game.frigate, waypoint=giant)
    nav = game.call("GET", f"/my/ships/{game.frigate}/nav").json()["data"]
    assert nav["waypointSymbol"] == giant and nav["status"] == "IN_ORBIT"
    game.set_ship(game.frigate, status="DOCKED")
    nav = game.call("GET", f"/my/ships/{game.frigate}/nav").json()["data"]
    assert nav["status"] == "DOCKED"
    for bad in ({"waypoint": "X1-NOWHERE-A1"}, {"status": "IN_TRANSIT"},
                {"waypoint": game.hq, "fuel": 99999}):
        r = game.call("PATCH", f"/_sim/ships/{game.frigate}", json=bad)
        assert r.status_code == 422 and error_code(r) == 3001
    nav = game.call("GET", f"/my/ships/{game.frigate}/nav").json()["data"]
    assert nav["waypointSymbol"] == giant  # a refused change changed nothing
    r = game.call("POST", f"/_sim/construction/{game.hq}", json={"complete": True})
    assert r.status_code == 404
    r = game.call("POST", f"/_sim/construction/{_home_gate(game)}",
                  json={"fulfilled": {"FAB_MATS": 99999}})
    assert r.status_code == 422


def test_jump_gate_of_a_non_gate_is_an_error(game: Game) -> None:
    r = game.call("GET", f"/systems/{game.system}/waypoints/{game.hq}/jump-gate")
    assert r.status_code == 400 and error_code(r) == 4001
