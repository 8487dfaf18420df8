"""Nav rules: states, transitions, lazy arrival, and the error codes their violations give."""

from __future__ import annotations

from tests.sim.helpers import Game, error_code


def _other(game: Game) -> str:
    """A waypoint near headquarters (not an orbital of it)."""
    here = game.universe.waypoints[game.hq]
    return str(min((w for w in game.waypoints(lambda w: (w.x, w.y) != (here.x, here.y))),
                   key=lambda w: (w.x - here.x) ** 2 + (w.y - here.y) ** 2).symbol)


def test_orbit_and_dock_repeat_without_error(game: Game) -> None:
    for action, status in [("orbit", "IN_ORBIT"), ("orbit", "IN_ORBIT"), ("dock", "DOCKED"),
                           ("dock", "DOCKED")]:
        response = game.ship_call(game.frigate, action)
        assert response.status_code == 200
        assert response.json()["data"]["nav"]["status"] == status


def test_navigate_needs_orbit_4236(game: Game) -> None:
    response = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": _other(game)})
    assert response.status_code == 400 and error_code(response) == 4236


def test_transit_blocks_orbit_dock_navigate_4214_then_arrives(game: Game) -> None:
    target = _other(game)
    game.ship_call(game.frigate, "orbit")
    response = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": target})
    nav = response.json()["data"]["nav"]
    assert nav["status"] == "IN_TRANSIT" and nav["waypointSymbol"] == target
    for action in ("dock", "orbit"):
        blocked = game.ship_call(game.frigate, action)
        assert error_code(blocked) == 4214
        assert blocked.json()["error"]["data"]["secondsToArrival"] > 0
    again = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": game.hq})
    assert error_code(again) == 4214
    game.advance(Game._seconds_to_arrival(response) + 1)
    nav = game.call("GET", f"/my/ships/{game.frigate}/nav").json()["data"]
    assert nav["status"] == "IN_ORBIT" and nav["waypointSymbol"] == target
    assert game.ship_call(game.frigate, "dock").json()["data"]["nav"]["status"] == "DOCKED"


def test_same_destination_4204(game: Game) -> None:
    game.ship_call(game.frigate, "orbit")
    response = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": game.hq})
    assert error_code(response) == 4204


def test_outside_system_4202(game: Game) -> None:
    other = next(s for s in game.universe.systems if s != game.system)
    target = game.universe.systems[other].waypoints[0]
    game.ship_call(game.frigate, "orbit")
    response = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": target})
    assert error_code(response) == 4202


def test_unknown_destination_4201(game: Game) -> None:
    game.ship_call(game.frigate, "orbit")
    response = game.ship_call(game.frigate, "navigate",
                              json={"waypointSymbol": f"{game.system}-ZZ999"})
    assert error_code(response) == 4201


def test_insufficient_fuel_4203_but_drift_gets_there(game: Game) -> None:
    target = _other(game)
    game.set_ship(game.frigate, fuel=0)
    game.ship_call(game.frigate, "orbit")
    response = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": target})
    assert error_code(response) == 4203
    assert response.json()["error"]["data"]["fuelAvailable"] == 0
    game.set_ship(game.frigate, fuel=1)
    game.call("PATCH", f"/my/ships/{game.frigate}/nav", json={"flightMode": "DRIFT"})
    drift = game.ship_call(game.frigate, "navigate", json={"waypointSymbol": target})
    assert drift.status_code == 200 and drift.json()["data"]["fuel"]["current"] == 0


def test_probe_navigates_without_fuel(game: Game) -> None:
    response = game.fly(game.probe, _other(game))
    assert response.json()["data"]["fuel"] == {"current": 0, "capacity": 0}


def test_cannot_slow_down_in_transit_4269_but_can_speed_up(game: Game) -> None:
    game.ship_call(game.frigate, "orbit")
    game.ship_call(game.frigate, "navigate", json={"waypointSymbol": _other(game)})
    slower = game.call("PATCH", f"/my/ships/{game.frigate}/nav", json={"flightMode": "DRIFT"})
    assert error_code(slower) == 4269
    faster = game.call("PATCH", f"/my/ships/{game.frigate}/nav", json={"flightMode": "BURN"})
    assert faster.status_code == 200
    assert faster.json()["data"]["nav"]["flightMode"] == "BURN"


def test_unreachable_pair_needs_refuel_or_drift(game: Game) -> None:
    """The universe has waypoints further apart than any ship's tank (2300) reaches."""
    from runner.sim.rules import distance

    wps = game.waypoints(lambda w: True)
    far = max(distance(a.x, a.y, b.x, b.y) for a in wps for b in wps)
    assert far > 2300
