"""``GET /v2/_sim/stats`` counts the game's error answers per client key, by code: a test
can then say that a runner never triggered a given error (tests/containers/test_swarm.py:
no 4217/4228/4234/4271), which its own logs may not show (a fixed-up error is not logged)."""

from __future__ import annotations

from tests.sim.helpers import Game, error_code


def test_error_answers_are_counted_by_code(game: Game) -> None:
    assert game.call("GET", "/my/agent").status_code == 200
    stats = game.call("GET", "/_sim/stats").json()["data"][game.agent]
    assert stats["errors"] == {}  # a success counts nothing
    first = game.ship_call(game.frigate, "extract")  # docked at headquarters: refused
    assert first.status_code >= 400
    second = game.ship_call(game.frigate, "extract")
    assert error_code(second) == error_code(first)
    stats = game.call("GET", "/_sim/stats").json()["data"][game.agent]
    assert stats["errors"] == {str(error_code(first)): 2}
