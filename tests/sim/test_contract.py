"""Contract test: every implemented endpoint, in success and error, validates against the spec."""

from __future__ import annotations

from typing import Any

from runner.sim.catalog import DEPOSIT_YIELDS, EXTRACTABLE_TYPES
from runner.sim.routes import REGISTRY
from tests.sim.helpers import Game


def _unknown(path: str, game: Game) -> str:
    """``path`` with every parameter naming something that does not exist."""
    return (path.replace("{shipSymbol}", f"{game.agent}-99")
            .replace("{contractId}", "NOPE").replace("{systemSymbol}", "X1-NOPE")
            .replace("{waypointSymbol}", "X1-NOPE-A1"))


def _successes(game: Game) -> set[tuple[str, str]]:
    """Every endpoint once with a 2xx; returns (method, template) pairs that succeeded."""
    ship, cid = game.frigate, game.data["contract"]["id"]
    hq, sysm = game.hq, game.system
    term = game.data["contract"]["terms"]["deliver"][0]
    calls: list[tuple[str, str, Any]] = [
        ("GET", "/", None), ("GET", "/my/agent", None), ("GET", "/my/ships", None),
        ("GET", f"/my/ships/{ship}", None), ("GET", f"/my/ships/{ship}/nav", None),
        ("PATCH", f"/my/ships/{ship}/nav", {"flightMode": "CRUISE"}),
        ("GET", f"/my/ships/{ship}/cargo", None), ("GET", f"/my/ships/{ship}/cooldown", None),
        ("GET", "/systems", None), ("GET", f"/systems/{sysm}", None),
        ("GET", f"/systems/{sysm}/waypoints", None),
        ("GET", f"/systems/{sysm}/waypoints/{hq}", None),
        ("GET", f"/systems/{sysm}/waypoints/{hq}/market", None),
        ("GET", f"/systems/{sysm}/waypoints/{hq}/shipyard", None),
        ("GET", "/my/contracts", None), ("GET", f"/my/contracts/{cid}", None),
        ("POST", f"/my/ships/{ship}/refuel", None),
        ("POST", f"/my/ships/{ship}/purchase", {"symbol": "FUEL", "units": 1}),
        ("POST", f"/my/ships/{ship}/sell", {"symbol": "FUEL", "units": 1}),
        ("POST", f"/my/contracts/{cid}/accept", None),
        ("POST", f"/my/ships/{ship}/orbit", None), ("POST", f"/my/ships/{ship}/dock", None),
    ]
    ok = set()
    for method, path, body in calls:
        response = game.call(method, path, json=body)
        assert response.status_code < 300, (method, path, response.text)
        ok.add((method, game.spec.template_for(path)))  # type: ignore[union-attr]
    here = game.universe.waypoints[hq]
    rocks = game.waypoints(lambda w: w.type in EXTRACTABLE_TYPES
                           and any(t in DEPOSIT_YIELDS for t in w.traits))
    rock = min(rocks, key=lambda w: (w.x - here.x) ** 2 + (w.y - here.y) ** 2).symbol
    game.fly(ship, rock)  # orbit + navigate
    ok.add(("POST", "/my/ships/{shipSymbol}/navigate"))
    survey = game.ship_call(ship, "survey").json()["data"]["surveys"][0]
    ok.add(("POST", "/my/ships/{shipSymbol}/survey"))
    game.advance(100)
    steps = [("extract", None), ("extract/survey", survey)]
    for action, body in steps:
        response = game.ship_call(ship, action, json=body)
        assert response.status_code == 201, response.text
        ok.add(("POST", f"/my/ships/{{shipSymbol}}/{action}"))
        game.advance(100)
    item = game.call("GET", f"/my/ships/{ship}/cargo").json()["data"]["inventory"][0]
    assert game.ship_call(ship, "jettison", json={"symbol": item["symbol"], "units": 1}
                          ).status_code == 200
    ok.add(("POST", "/my/ships/{shipSymbol}/jettison"))
    world = game.app.state.sim.world
    world.ships[ship].waypoint = term["destinationSymbol"]
    game.set_ship(ship, cargo={term["tradeSymbol"]: min(40, term["unitsRequired"])})
    game.ship_call(ship, "dock")
    delivered = game.call("POST", f"/my/contracts/{cid}/deliver",
                          json={"shipSymbol": ship, "tradeSymbol": term["tradeSymbol"],
                                "units": min(40, term["unitsRequired"])})
    assert delivered.status_code == 200
    ok.add(("POST", "/my/contracts/{contractId}/deliver"))
    world.contracts[cid].deliveries[0].fulfilled = term["unitsRequired"]
    assert game.call("POST", f"/my/contracts/{cid}/fulfill").status_code == 200
    ok.add(("POST", "/my/contracts/{contractId}/fulfill"))
    world.ships[ship].waypoint = hq
    assert game.ship_call(ship, "negotiate/contract").status_code == 201
    ok.add(("POST", "/my/ships/{shipSymbol}/negotiate/contract"))
    game.token = None
    assert game.call("POST", "/register", json={"symbol": "SECOND", "faction": "VOID"}
                     ).status_code == 201
    ok.add(("POST", "/register"))
    return ok


def test_every_endpoint_succeeds_and_matches_the_spec(game: Game) -> None:
    implemented = {(e.method, e.path) for e in REGISTRY.endpoints}
    assert _successes(game) == implemented


def test_every_endpoint_errors_in_the_official_shape(game: Game) -> None:
    """Without a token (auth endpoints) and with unknown symbols, each endpoint errs cleanly."""
    token = game.token
    for endpoint in REGISTRY.endpoints:
        path = _unknown(endpoint.path, game)
        body = {} if endpoint.method != "GET" else None
        if endpoint.auth:
            game.token = None
            response = game.call(endpoint.method, path, json=body)
            assert response.status_code == 401, (endpoint.name, response.text)
            game.token = token
        if "{" in endpoint.path:
            response = game.call(endpoint.method, path, json=body)
            assert response.status_code in (404, 422), (endpoint.name, response.text)
    assert len(game.seen) > len(REGISTRY.endpoints)
