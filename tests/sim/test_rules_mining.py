"""Extraction and surveys: seeded yields, cooldowns (4000), cargo limits (4228), survey rules."""

from __future__ import annotations

from typing import Any

from tests.sim.helpers import Game, error_code


def _asteroid(game: Game) -> str:
    """The nearest minable asteroid to headquarters."""
    from runner.sim.catalog import DEPOSIT_YIELDS, EXTRACTABLE_TYPES

    here = game.universe.waypoints[game.hq]
    rocks = game.waypoints(lambda w: w.type in EXTRACTABLE_TYPES
                           and any(t in DEPOSIT_YIELDS for t in w.traits))
    return str(min(rocks, key=lambda w: (w.x - here.x) ** 2 + (w.y - here.y) ** 2).symbol)


def _at_asteroid(game: Game) -> str:
    rock = _asteroid(game)
    game.fly(game.frigate, rock)
    return rock


def test_extract_yields_and_cooldown_4000(game: Game) -> None:
    _at_asteroid(game)
    response = game.ship_call(game.frigate, "extract")
    assert response.status_code == 201
    data = response.json()["data"]
    units = data["extraction"]["yield"]["units"]
    assert units > 0 and data["cargo"]["units"] == units
    assert data["cooldown"]["remainingSeconds"] > 0
    again = game.ship_call(game.frigate, "extract")
    assert again.status_code == 409 and error_code(again) == 4000
    cooldown = again.json()["error"]["data"]["cooldown"]
    assert cooldown["shipSymbol"] == game.frigate and cooldown["remainingSeconds"] > 0
    got = game.call("GET", f"/my/ships/{game.frigate}/cooldown")
    assert got.status_code == 200 and got.json()["data"]["remainingSeconds"] > 0
    game.advance(cooldown["remainingSeconds"] + 1)
    assert game.call("GET", f"/my/ships/{game.frigate}/cooldown").status_code == 204
    assert game.ship_call(game.frigate, "extract").status_code == 201


def _yields(app: Any, spec: Any) -> list[Any]:
    game = Game(app, spec)
    _at_asteroid(game)
    out = []
    for _ in range(3):
        out.append(game.ship_call(game.frigate, "extract").json()["data"]["extraction"]["yield"])
        game.advance(100)
    return out


def test_yields_are_seeded_and_reproducible(make_sim_app: Any, spec: Any) -> None:
    assert _yields(make_sim_app(seed=5), spec) == _yields(make_sim_app(seed=5), spec)


def test_cargo_full_4228(game: Game) -> None:
    _at_asteroid(game)
    game.set_ship(game.frigate, cargo={"ICE_WATER": 40})
    assert error_code(game.ship_call(game.frigate, "extract")) == 4228


def test_extract_needs_orbit_4236_asteroid_4205_lasers_4243(game: Game) -> None:
    assert error_code(game.ship_call(game.frigate, "extract")) == 4236
    game.ship_call(game.frigate, "orbit")
    assert error_code(game.ship_call(game.frigate, "extract")) == 4205
    game.ship_call(game.probe, "orbit")
    assert error_code(game.ship_call(game.probe, "extract")) == 4243
    assert error_code(game.ship_call(game.probe, "survey")) == 4240


def test_survey_then_extract_with_survey(game: Game) -> None:
    rock = _at_asteroid(game)
    surveyed = game.ship_call(game.frigate, "survey")
    assert surveyed.status_code == 201
    surveys = surveyed.json()["data"]["surveys"]
    assert surveys and all(s["symbol"] == rock for s in surveys)
    assert error_code(game.ship_call(game.frigate, "survey")) == 4000
    game.advance(100)
    survey = surveys[0]
    response = game.ship_call(game.frigate, "extract/survey", json=survey)
    assert response.status_code == 201
    deposits = {d["symbol"] for d in survey["deposits"]}
    assert response.json()["data"]["extraction"]["yield"]["symbol"] in deposits
    game.advance(100)
    forged = {**survey, "size": "LARGE" if survey["size"] != "LARGE" else "SMALL"}
    assert error_code(game.ship_call(game.frigate, "extract/survey", json=forged)) == 4220
    game.advance(3600 * 2)  # surveys last at most an hour
    assert error_code(game.ship_call(game.frigate, "extract/survey", json=survey)) == 4221


def test_extract_with_survey_elsewhere_4270(game: Game) -> None:
    rock = _at_asteroid(game)
    survey = game.ship_call(game.frigate, "survey").json()["data"]["surveys"][0]
    game.advance(100)
    here = game.universe.waypoints[rock]
    others = game.waypoints(lambda w: w.type == "ASTEROID" and w.symbol != rock
                            and any(t.endswith("_DEPOSITS") for t in w.traits))
    other = min(others, key=lambda w: (w.x - here.x) ** 2 + (w.y - here.y) ** 2).symbol
    game.set_ship(game.frigate, fuel=400)
    game.fly(game.frigate, other)
    assert error_code(game.ship_call(game.frigate, "extract/survey", json=survey)) == 4270
