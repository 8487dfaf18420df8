"""Arbitrary JSON bodies never make the simulator fail with a 500 (or raise)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.sim.app import create_app
from runner.sim.config import SimConfig
from runner.sim.routes import REGISTRY
from tests.sim.helpers import Game

FIELDS = ["symbol", "units", "waypointSymbol", "flightMode", "fromCargo", "shipSymbol",
          "tradeSymbol", "faction", "signature", "deposits", "expiration", "size"]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
    | st.sampled_from(["FUEL", "BURN", "IRON_ORE", "COSMIC"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6)
BODIES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5)
WRITES = [e for e in REGISTRY.endpoints if e.method in ("POST", "PATCH")]

_GAME: dict[str, Any] = {}


def _game(spec: Any) -> Game:
    if "game" not in _GAME:
        _GAME["game"] = Game(create_app(SimConfig(rate_limit=None)), spec, "FUZZ")
    game: Game = _GAME["game"]
    return game


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(WRITES), body=BODIES)
def test_random_bodies_get_official_answers(spec: Any, endpoint: Any, body: dict[str, Any]
                                            ) -> None:
    game = _game(spec)
    path = (endpoint.path.replace("{shipSymbol}", game.frigate)
            .replace("{contractId}", game.data["contract"]["id"]))
    response = game.call(endpoint.method, path, json=body)  # validated against the spec
    assert response.status_code < 500
