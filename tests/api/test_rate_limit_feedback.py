"""A 429 is never final, and every answer's ``x-ratelimit-remaining`` is read (issue 19):
the client against the simulator over a real loopback socket."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from runner.api import LimiterConfig, RateLimiter, SpaceTradersClient
from runner.api.errors import RateLimited
from runner.api.secrets import Token
from runner.runtime.server_outage import is_server_outage
from runner.sim.config import RateLimitSpec

TIGHT = RateLimitSpec.parse("1/0.25s")  # one request per quarter second, no burst pool
REAL = RateLimitSpec()


def register(url: str, symbol: str) -> str:
    answer = httpx.post(f"{url}/register", json={"symbol": symbol, "faction": "COSMIC"},
                        timeout=10)
    return str(answer.json()["data"]["token"])


def stats(url: str, symbol: str) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"{url}/_sim/stats", timeout=10).json()["data"]
    return dict(data[symbol])


@pytest.mark.parametrize("sim_server", [{"rate_limit": TIGHT}], indirect=True)
def test_a_game_429_is_retried_until_it_succeeds(sim_server: Any) -> None:
    """Another consumer of the account hammers the server for 6 s (as another process
    would): the client's one request is refused again and again, and still succeeds."""
    token = register(sim_server.url, "REFUSED")
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as raw:
            deadline = time.monotonic() + 6.0
            while time.monotonic() < deadline and not stop.is_set():
                raw.get(f"{sim_server.url}/my/agent")

    async def scenario() -> tuple[str, int]:
        async with SpaceTradersClient(sim_server.url, Token(token)) as client:
            await asyncio.sleep(0.3)  # the hammer holds the pool by now
            agent = await client.get_agent()
            return agent.symbol, sum(client.metrics.rate_limit_kinds.values())

    other = threading.Thread(target=hammer)
    other.start()
    try:
        symbol, refused = asyncio.run(scenario())
    finally:
        stop.set()
        other.join()
    assert symbol == "REFUSED"
    assert refused > 8  # more refusals than the old bound of 8 attempts per request


@pytest.mark.parametrize("sim_server", [{"rate_limit": REAL}], indirect=True)
def test_another_consumer_shows_in_the_remaining_header(sim_server: Any) -> None:
    """Another consumer of the account spends ten requests; the client's next answer says
    so and the limiter's burst count drops accordingly, before any refusal."""
    token = register(sim_server.url, "SHARED")

    def spend(_: int) -> None:
        httpx.get(f"{sim_server.url}/my/agent", headers={"Authorization": f"Bearer {token}"},
                  timeout=10).raise_for_status()

    with ThreadPoolExecutor(10) as pool:  # at once: a slow machine must not refill the pool
        list(pool.map(spend, range(10)))
    # What the server itself counts as taken from its burst pool (timing-proof expectation)
    taken = stats(sim_server.url, "SHARED")["servedByPool"]["burst"]
    assert taken >= 4, "the ten requests did not land close enough to use the burst pool"

    async def scenario() -> dict[str, int]:
        limiter = RateLimiter(LimiterConfig())
        async with SpaceTradersClient(sim_server.url, Token(token), limiter=limiter) as c:
            await c.get_agent()
        return limiter.pools.remaining(time.monotonic())

    remaining = asyncio.run(scenario())
    # 30 burst tokens without the header; the other consumer took ``taken`` of them
    assert remaining["burst"] <= 30 - taken + 1
    assert sum(stats(sim_server.url, "SHARED")["rateLimited"].values()) == 0


def test_a_bare_429_that_persists_holds_the_container_like_an_outage() -> None:
    assert is_server_outage(RateLimited("bare", bare=True, status=429))
