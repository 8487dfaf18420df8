"""Bad input gets the official error code and shape, never a 500 or a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sim.helpers import Checked, Game, error_code


def test_missing_token_4103(game: Game) -> None:
    game.token = None
    response = game.call("GET", "/my/agent")
    assert response.status_code == 401 and error_code(response) == 4103


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer a.b.c", "Basic abc", "Bearer "])
def test_invalid_token_401(game: Game, header: str) -> None:
    response = game.call("GET", "/my/agent", headers={"Authorization": header}, auth=False)
    assert response.status_code == 401 and error_code(response) == 4104


def test_token_from_before_a_reset_4113(game: Game) -> None:
    assert game.call("GET", "/my/agent").status_code == 200
    assert game.call("POST", "/_sim/reset").status_code == 200
    response = game.call("GET", "/my/agent")
    assert response.status_code == 401 and error_code(response) == 4113
    Game(game.app, game.spec)  # the same symbol can register again after the reset


def test_unknown_ship_404(game: Game) -> None:
    for method, path in [("GET", "/my/ships/NOPE-1"), ("POST", "/my/ships/NOPE-1/orbit"),
                         ("GET", "/my/ships/NOPE-1/nav")]:
        response = game.call(method, path)
        assert response.status_code == 404 and error_code(response) == 404


def test_other_agents_ship_is_not_found(sim_app: Any, spec: Any) -> None:
    first, second = Game(sim_app, spec, "FIRST"), Game(sim_app, spec, "SECOND")
    assert second.call("GET", f"/my/ships/{first.frigate}").status_code == 404


@pytest.mark.parametrize("content", [b"{bad json", b"[1, 2]", b'"text"', b"\xff\xfe",
                                     b'{"waypointSymbol": "X", "n": NaN}',
                                     b'{"waypointSymbol": Infinity}'])
def test_malformed_json_3001(game: Game, content: bytes) -> None:
    response = game.call("POST", f"/my/ships/{game.frigate}/navigate", content=content,
                         headers={"content-type": "application/json"})
    assert response.status_code == 422 and error_code(response) == 3001


@pytest.mark.parametrize(("path", "body"), [
    ("navigate", {}),
    ("navigate", {"waypointSymbol": 12}),
    ("purchase", {"symbol": "FUEL", "units": "3"}),
    ("purchase", {"symbol": "FUEL", "units": 0}),
    ("purchase", {"symbol": "FUEL", "units": True}),
    ("sell", {"symbol": None, "units": 1}),
    ("refuel", {"units": -5}),
    ("refuel", {"fromCargo": "yes"}),
    ("jettison", {"units": 1}),
])
def test_wrong_types_3001(game: Game, path: str, body: dict[str, Any]) -> None:
    response = game.ship_call(game.frigate, path, json=body)
    assert response.status_code == 422 and error_code(response) == 3001


def test_bad_register_input(sim_app: Any, spec: Any) -> None:
    client = Checked(sim_app, spec)
    for body in [{}, {"symbol": "AB", "faction": "COSMIC"}, {"symbol": "OK_NAME"},
                 {"symbol": "OK_NAME", "faction": "NOPE"}, {"symbol": 5, "faction": "COSMIC"}]:
        response = client.call("POST", "/register", json=body)
        assert response.status_code == 422 and error_code(response) == 3001
    client.register("TAKEN")
    response = client.call("POST", "/register", json={"symbol": "TAKEN", "faction": "VOID"})
    assert response.status_code == 409 and error_code(response) == 4111


@pytest.mark.parametrize("params", [{"page": 0}, {"limit": 21}, {"limit": 0}, {"page": "x"}])
def test_bad_pagination_3001(game: Game, params: dict[str, Any]) -> None:
    response = game.call("GET", "/my/ships", params=params)
    assert response.status_code == 422 and error_code(response) == 3001


def test_pagination_meta(game: Game) -> None:
    page = game.call("GET", f"/systems/{game.system}/waypoints",
                     params={"page": 2, "limit": 20}).json()
    assert page["meta"]["page"] == 2 and page["meta"]["limit"] == 20
    assert len(page["data"]) == min(20, page["meta"]["total"] - 20)


def test_unknown_paths_and_methods_official_shape(game: Game) -> None:
    raw = Checked(game.app)  # these paths/methods are not in the spec: check the envelope
    raw.token = game.token
    missing = raw.call("GET", "/my/nothing")
    assert missing.status_code == 404 and error_code(missing) == 404
    wrong = raw.call("DELETE", "/my/agent")
    assert wrong.status_code == 405 and error_code(wrong) == 405
    for response in (missing, wrong):
        assert game.spec is not None
        game.spec.validate_error(response.json())


def test_unknown_system_and_waypoint_404(game: Game) -> None:
    assert game.call("GET", "/systems/X1-NOPE").status_code == 404
    assert game.call("GET", f"/systems/{game.system}/waypoints/{game.system}-NOPE"
                     ).status_code == 404
