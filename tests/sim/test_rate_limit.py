"""Rate limits like the real server's: a static 2/1 s pool, then a burst 30/60 s pool.

The limiter's wall clock is replaced by a hand-driven one, so the tests do not depend on how
fast the machine is; everything else goes through the real app.
"""

from __future__ import annotations

from typing import Any

import pytest

from runner.sim.config import RateLimitSpec
from runner.sim.ratelimit import RateLimiter
from tests.sim.helpers import Checked, Game


class FakeWall:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def limited(make_sim_app: Any, spec: Any) -> tuple[Game, FakeWall]:
    app = make_sim_app(rate_limit=RateLimitSpec())
    wall = FakeWall()
    app.state.sim.limiter = RateLimiter(RateLimitSpec(), monotonic=wall)
    return Game(app, spec), wall


def test_429_starts_exactly_when_both_pools_are_dry(limited: tuple[Game, FakeWall]) -> None:
    game, wall = limited
    statuses = [game.call("GET", "/my/agent").status_code for _ in range(33)]
    assert statuses == [200] * 32 + [429]  # 2 static + 30 burst, then nothing
    response = game.call("GET", "/my/agent")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == 429
    assert error["data"]["limitPerSecond"] == 2 and error["data"]["limitBurst"] == 30
    assert error["data"]["retryAfter"] == pytest.approx(1.0)
    for header in ("retry-after", "x-ratelimit-type", "x-ratelimit-limit",
                   "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-limit-burst",
                   "x-ratelimit-limit-per-second"):
        assert header in response.headers
    assert response.headers["retry-after"] == "1"
    wall.t += 1.0  # the static window refills; the burst pool stays empty for 59 s more
    assert [game.call("GET", "/my/agent").status_code for _ in range(3)] == [200, 200, 429]
    stats = game.call("GET", "/_sim/stats").json()["data"][game.agent]
    assert stats["servedByPool"] == {"static": 4, "burst": 30}
    assert stats["rateLimited"]["burst"] == 3


def test_burst_pool_refills_after_its_window(limited: tuple[Game, FakeWall]) -> None:
    game, wall = limited
    for _ in range(32):
        game.call("GET", "/my/agent")
    wall.t += 60.0
    assert [game.call("GET", "/my/agent").status_code for _ in range(33)] == [200] * 32 + [429]


class Pacer:
    """A client-side model of both pools: waits until a request will be accepted."""

    def __init__(self, spec: RateLimitSpec, wall: FakeWall) -> None:
        self.wall = wall
        self.pools = [[spec.static.limit, spec.static.window, 0, 0.0]]
        if spec.burst:
            self.pools.append([spec.burst.limit, spec.burst.window, 0, 0.0])

    def wait_for_slot(self) -> None:
        while True:
            for pool in self.pools:
                limit, window, used, start = pool
                if used and self.wall.t - start >= window:
                    pool[2] = used = 0
                if used < limit:
                    if used == 0:
                        pool[3] = self.wall.t
                    pool[2] = used + 1
                    return
            self.wall.t += 0.05  # sleep a little and look again


def test_a_client_pacing_itself_to_both_pools_gets_no_429(
        limited: tuple[Game, FakeWall]) -> None:
    game, wall = limited
    pacer = Pacer(RateLimitSpec(), wall)
    start = wall.t
    statuses = []
    for _ in range(400):
        pacer.wait_for_slot()
        statuses.append(game.call("GET", "/my/agent").status_code)
    assert set(statuses) == {200}
    rate = 400 / (wall.t - start)
    assert 2.4 <= rate <= 2.6 + 30 / (wall.t - start)  # the sustained 2.5 req/s (+ burst)


def test_limits_are_per_agent(limited: tuple[Game, FakeWall]) -> None:
    game, _ = limited
    other = Game(game.app, game.spec, "OTHER")
    for _ in range(33):
        game.call("GET", "/my/agent")
    assert other.call("GET", "/my/agent").status_code == 200


def test_rate_limit_spec_parsing() -> None:
    spec = RateLimitSpec.parse("3/2s,10/30s")
    assert (spec.static.limit, spec.static.window) == (3, 2.0)
    assert spec.burst is not None and (spec.burst.limit, spec.burst.window) == (10, 30.0)
    assert RateLimitSpec.parse("5/1s").burst is None
    assert RateLimitSpec.parse(spec.describe()) == spec
    for bad in ("", "x", "0/1s", "2/0s", "1/1s,2/2s,3/3s"):
        with pytest.raises(ValueError):
            RateLimitSpec.parse(bad)


def test_static_only_spec() -> None:
    wall = FakeWall()
    limiter = RateLimiter(RateLimitSpec.parse("2/1s"), monotonic=wall)
    decisions = [limiter.check("a") for _ in range(3)]
    assert [d.pool for d in decisions] == ["static", "static", None]
    assert decisions[2].limited_by == "static"


@pytest.mark.parametrize("sim_server", [{"rate_limit": RateLimitSpec.parse("3/30s,4/60s")}],
                         indirect=True)
def test_real_clock_pools_over_a_socket(sim_server: Any) -> None:
    """Windows long enough that the machine's speed cannot matter: 3 + 4, then 429."""
    import httpx

    with httpx.Client(base_url=sim_server.url) as client:
        token = client.post("/register", json={"symbol": "PACED", "faction": "COSMIC"}
                            ).json()["data"]["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        statuses = [client.get("/my/agent").status_code for _ in range(8)]
        assert statuses == [200] * 7 + [429]
        last = client.get("/my/agent")
        assert last.headers["x-ratelimit-limit-per-second"] == "3"
        assert last.headers["x-ratelimit-limit-burst"] == "4"
        assert 0 < float(last.json()["error"]["data"]["retryAfter"]) <= 30
        stats = client.get("/_sim/stats").json()["data"]["PACED"]
        assert stats["rateLimited"]["burst"] == 2


def test_answers_carry_remaining_capacity(limited: tuple[Game, FakeWall]) -> None:
    game, _ = limited
    remaining = [int(game.call("GET", "/my/agent").headers["x-ratelimit-remaining"])
                 for _ in range(4)]
    assert remaining == [31, 30, 29, 28]  # 2 static + 30 burst, counting down


def _limited_app(make_sim_app: Any, **config: Any) -> tuple[Any, FakeWall]:
    app = make_sim_app(rate_limit=RateLimitSpec.parse("2/1s"), **config)
    wall = FakeWall()
    app.state.sim.limiter = RateLimiter(RateLimitSpec.parse("2/1s"), monotonic=wall)
    return app, wall


def _agent_of_account(app: Any, spec: Any, symbol: str, account_token: str) -> Checked:
    client = Checked(app, spec)
    r = client.call("POST", "/register", json={"symbol": symbol, "faction": "COSMIC"},
                    headers={"Authorization": f"Bearer {account_token}"})
    assert r.status_code == 201, r.text
    client.token = r.json()["data"]["token"]
    return client


def test_two_agents_of_one_account_share_its_pools(make_sim_app: Any, spec: Any) -> None:
    app, wall = _limited_app(make_sim_app)
    account = Checked(app).call("POST", "/_sim/accounts", json={}).json()["data"]["token"]
    first = _agent_of_account(app, spec, "FIRST", account)
    second = _agent_of_account(app, spec, "SECOND", account)
    lonely = Game(app, spec, "LONELY")  # its own account
    wall.t += 1.0  # the registrations drew on the account's pool too
    assert first.call("GET", "/my/agent").status_code == 200
    assert second.call("GET", "/my/agent").status_code == 200
    refused = second.call("GET", "/my/agent")
    assert refused.status_code == 429
    assert refused.json()["error"]["data"]["type"] == "ACCOUNT"
    assert refused.headers["x-ratelimit-type"] == "ACCOUNT"
    assert lonely.call("GET", "/my/agent").status_code == 200


def test_per_ip_pools_join_agents_of_different_accounts(make_sim_app: Any, spec: Any) -> None:
    app, _ = _limited_app(make_sim_app, rate_limit_per_ip=True)
    one, two = Game(app, spec, "ONE"), Game(app, spec, "TWO")  # two registers used the IP pool
    refused = one.call("GET", "/my/agent")
    assert refused.status_code == 429
    assert refused.json()["error"]["data"]["type"] == "IP_ADDRESS"
    assert two.call("GET", "/my/agent").json()["error"]["data"]["type"] == "IP_ADDRESS"
