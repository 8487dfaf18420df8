"""Contracts: accept, deliver, fulfill, negotiate, with their error codes."""

from __future__ import annotations

from tests.sim.helpers import Game, error_code


def _deliver(game: Game, cid: str, units: int) -> object:
    term = game.data["contract"]["terms"]["deliver"][0]
    return game.call("POST", f"/my/contracts/{cid}/deliver",
                     json={"shipSymbol": game.frigate, "tradeSymbol": term["tradeSymbol"],
                           "units": units})


def _at_destination(game: Game, cargo_units: int) -> dict:  # type: ignore[type-arg]
    term: dict = game.data["contract"]["terms"]["deliver"][0]  # type: ignore[type-arg]
    game.set_ship(game.frigate, fuel=400, cargo={term["tradeSymbol"]: cargo_units})
    _teleport(game, term["destinationSymbol"])
    game.ship_call(game.frigate, "dock")
    return term


def _teleport(game: Game, waypoint: str) -> None:
    """Move the frigate (test-side) instead of flying; flying is covered elsewhere."""
    ship = game.app.state.sim.world.ships[game.frigate]
    ship.waypoint = ship.origin = waypoint


def test_full_contract_flow(game: Game) -> None:
    contract = game.data["contract"]
    cid = contract["id"]
    credits = game.data["agent"]["credits"]
    accepted = game.call("POST", f"/my/contracts/{cid}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["data"]["agent"]["credits"] == (
        credits + contract["terms"]["payment"]["onAccepted"])
    assert error_code(game.call("POST", f"/my/contracts/{cid}/accept")) == 4501
    term = _at_destination(game, 40)
    required = term["unitsRequired"]
    first = _deliver(game, cid, 10)
    assert first.status_code == 200  # type: ignore[attr-defined]
    assert error_code(game.call("POST", f"/my/contracts/{cid}/fulfill")) == 4502
    delivered = 10
    while delivered < required:
        step = min(40, required - delivered)
        game.set_ship(game.frigate, cargo={term["tradeSymbol"]: step})
        assert _deliver(game, cid, step).status_code == 200  # type: ignore[attr-defined]
        delivered += step
    paid = game.call("POST", f"/my/contracts/{cid}/fulfill")
    assert paid.status_code == 200 and paid.json()["data"]["contract"]["fulfilled"] is True
    assert error_code(game.call("POST", f"/my/contracts/{cid}/fulfill")) == 4504


def test_deliver_before_accept_4505(game: Game) -> None:
    cid = game.data["contract"]["id"]
    _at_destination(game, 10)
    assert error_code(_deliver(game, cid, 10)) == 4505  # type: ignore[arg-type]


def test_deliver_rules_4508_4509_4510_4219(game: Game) -> None:
    cid = game.data["contract"]["id"]
    game.call("POST", f"/my/contracts/{cid}/accept")
    term = _at_destination(game, 5)
    wrong = game.call("POST", f"/my/contracts/{cid}/deliver",
                      json={"shipSymbol": game.frigate, "tradeSymbol": "DIAMONDS", "units": 1})
    assert error_code(wrong) == 4508
    assert error_code(_deliver(game, cid, term["unitsRequired"] + 1)) == 4509  # type: ignore[arg-type]
    assert error_code(_deliver(game, cid, 6)) == 4219  # type: ignore[arg-type]
    elsewhere = next(w.symbol for w in game.waypoints(lambda w: w.symbol != term[
        "destinationSymbol"]))
    _teleport(game, elsewhere)
    assert error_code(_deliver(game, cid, 1)) == 4510  # type: ignore[arg-type]


def test_negotiate_4511_while_open_then_new_offer(game: Game) -> None:
    assert error_code(game.ship_call(game.frigate, "negotiate/contract")) == 4511
    game.app.state.sim.world.contracts[game.data["contract"]["id"]].fulfilled = True
    offered = game.ship_call(game.frigate, "negotiate/contract")
    assert offered.status_code == 201
    contracts = game.call("GET", "/my/contracts").json()
    assert contracts["meta"]["total"] == 2


def test_negotiate_needs_a_faction_waypoint_4700(game: Game) -> None:
    game.app.state.sim.world.contracts[game.data["contract"]["id"]].fulfilled = True
    rock = next(w.symbol for w in game.waypoints(lambda w: w.faction is None))
    game.fly(game.probe, rock)
    assert error_code(game.ship_call(game.probe, "negotiate/contract")) == 4700


def test_unknown_contract_404(game: Game) -> None:
    response = game.call("GET", "/my/contracts/nope")
    assert response.status_code == 404


def test_accept_after_the_deadline_4503(game: Game) -> None:
    cid = game.data["contract"]["id"]
    game.advance(2 * 86400)
    assert error_code(game.call("POST", f"/my/contracts/{cid}/accept")) == 4503
