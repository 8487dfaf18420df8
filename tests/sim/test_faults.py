"""Fault injection: seeded and reproducible, pinnable to an endpoint for a game-time span."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runner.sim.config import ConfigError, RateLimitSpec
from runner.sim.faults import FaultInjector, FaultSpec
from tests.sim.helpers import Game, error_code


def _statuses(make_sim_app: Any, spec: Any, faults: str, n: int = 60, **config: Any
              ) -> list[int]:
    game = Game(make_sim_app(**config), spec)
    game.call("PUT", "/_sim/faults", json={"spec": faults})
    return [game.call("GET", "/my/agent").status_code for _ in range(n)]


def test_faults_are_reproducible_per_seed(make_sim_app: Any, spec: Any) -> None:
    first = _statuses(make_sim_app, spec, "500:30%", seed=4)
    assert first == _statuses(make_sim_app, spec, "500:30%", seed=4)
    assert first != _statuses(make_sim_app, spec, "500:30%", seed=5)
    assert first != _statuses(make_sim_app, spec, "500:30%,seed=99", seed=4)
    assert set(first) == {200, 500}


def test_rates_are_roughly_honoured() -> None:
    rules = FaultSpec.parse("500:10%,drop-before:5%,drop-after:5%,429:1%,latency=2s:3%")
    injector = FaultInjector(rules, seed=1, installed_at=0.0)
    draws = [injector.decide("AGENT", "get-agent", 1.0) for _ in range(10_000)]
    kinds = [d.kind for d in draws]
    assert 900 <= kinds.count("500") <= 1100
    assert 400 <= kinds.count("drop-before") <= 550  # drawn after 500 wins its 10%
    assert 350 <= kinds.count("drop-after") <= 500
    assert 50 <= kinds.count("429") <= 130
    assert 240 <= sum(d.latency == 2.0 for d in draws) <= 360


def test_injected_500_has_code_3000_and_changes_nothing(game: Game) -> None:
    game.call("PUT", "/_sim/faults", json={"spec": "500:100%:endpoint=orbit"})
    response = game.ship_call(game.frigate, "orbit")
    assert response.status_code == 500 and error_code(response) == 3000
    nav = game.call("GET", f"/my/ships/{game.frigate}/nav").json()["data"]
    assert nav["status"] == "DOCKED"


def test_fault_pinned_to_refuel_for_90_game_seconds(game: Game) -> None:
    game.call("PUT", "/_sim/faults", json={"spec": "500:100%:endpoint=refuel:for=90s"})
    game.set_ship(game.frigate, fuel=100)
    for _ in range(3):
        assert game.ship_call(game.frigate, "refuel").status_code == 500
    assert game.ship_call(game.frigate, "orbit").status_code == 200  # other endpoints work
    game.ship_call(game.frigate, "dock")
    game.advance(91)
    assert game.ship_call(game.frigate, "refuel").status_code == 200


@pytest.mark.parametrize("sim_app", [{}, {"rate_limit": RateLimitSpec()}], indirect=True)
def test_bare_502_and_429_carry_no_rate_limit_headers(game: Game) -> None:
    for kind in ("502", "429"):
        game.call("PUT", "/_sim/faults", json={"spec": f"{kind}:100%"})
        response = game.call("GET", "/my/agent")
        assert response.status_code == int(kind)
        assert not any(h.startswith("x-ratelimit") for h in response.headers)
        assert "retry-after" not in response.headers
        assert response.headers["x-sim-speed"] == "1"


def _ledger_paths(game: Game) -> list[str]:
    return [e["path"] for e in game.call("GET", "/_sim/ledger").json()["data"]]


def test_drop_before_apply_changes_nothing(game: Game) -> None:
    good = next(g.symbol for g in game.universe.markets[game.hq].goods.values())
    game.call("PUT", "/_sim/faults", json={"spec": "drop-before:100%:endpoint=purchase"})
    with pytest.raises(httpx.TransportError):
        game.ship_call(game.frigate, "purchase", json={"symbol": good, "units": 1})
    assert game.call("GET", f"/my/ships/{game.frigate}/cargo").json()["data"]["units"] == 0
    assert not any(p.endswith("/purchase") for p in _ledger_paths(game))


def test_drop_after_apply_keeps_the_change(game: Game) -> None:
    good = next(g.symbol for g in game.universe.markets[game.hq].goods.values())
    game.call("PUT", "/_sim/faults", json={"spec": "drop-after:100%:endpoint=purchase"})
    with pytest.raises(httpx.TransportError):
        game.ship_call(game.frigate, "purchase", json={"symbol": good, "units": 1})
    assert game.call("GET", f"/my/ships/{game.frigate}/cargo").json()["data"]["units"] == 1
    purchases = [p for p in _ledger_paths(game) if p.endswith("/purchase")]
    assert purchases == [f"/v2/my/ships/{game.frigate}/purchase"]
    stats = game.call("GET", "/_sim/stats").json()["data"][game.agent]
    assert stats["faults"] == {"drop-after": 1}


def test_latency_is_counted(game: Game) -> None:
    game.call("PUT", "/_sim/faults", json={"spec": "latency=10ms:100%:endpoint=get-agent"})
    assert game.call("GET", "/my/agent").status_code == 200
    stats = game.call("GET", "/_sim/stats").json()["data"][game.agent]
    assert stats["faults"] == {"latency": 1}


def test_faults_can_be_cleared_and_bad_specs_rejected(game: Game) -> None:
    game.call("PUT", "/_sim/faults", json={"spec": "500:100%"})
    assert game.call("GET", "/my/agent").status_code == 500
    assert game.call("PUT", "/_sim/faults", json={"spec": ""}).status_code == 200
    assert game.call("GET", "/my/agent").status_code == 200
    bad = game.call("PUT", "/_sim/faults", json={"spec": "500:lots"})
    assert bad.status_code == 422 and error_code(bad) == 3001


@pytest.mark.parametrize("text", ["oops:5%", "500", "500:150%", "latency:5%",
                                  "500:5%:endpoint=nope", "500:5%:color=red", "seed=x",
                                  "500:5%:for=soon"])
def test_bad_fault_specs(text: str) -> None:
    with pytest.raises(ConfigError):
        FaultSpec.parse(text, frozenset({"refuel"}))


def test_fault_spec_round_trips() -> None:
    text = ("500:10%,drop-before:5%,drop-after:5%,429:1%,502:1%,latency=2s:3%,"
            "500:100%:endpoint=refuel:for=90s,seed=7")
    spec = FaultSpec.parse(text, frozenset({"refuel"}))
    assert FaultSpec.parse(spec.describe()) == spec
    assert len(spec.rules) == 7 and spec.seed == 7


@pytest.mark.parametrize("kind", ["drop-before", "drop-after"])
def test_drops_close_a_real_socket_without_response(sim_server: Any, kind: str) -> None:
    with httpx.Client(base_url=sim_server.url) as client:
        token = client.post("/register", json={"symbol": "DROP", "faction": "COSMIC"}
                            ).json()["data"]["token"]
        client.put("/_sim/faults", json={"spec": f"{kind}:100%:endpoint=orbit"})
        with pytest.raises(httpx.TransportError):
            client.post("/my/ships/DROP-1/orbit", headers={"Authorization": f"Bearer {token}"})
        nav = client.get("/my/ships/DROP-1/nav", headers={"Authorization": f"Bearer {token}"})
        expected = "IN_ORBIT" if kind == "drop-after" else "DOCKED"
        assert nav.json()["data"]["status"] == expected
