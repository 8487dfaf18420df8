"""Request accounting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runner.api import LimiterConfig, Priority, RateLimiter, SpaceTradersClient
from runner.api.metrics import Metrics, percentile


def test_counts_and_percentiles() -> None:
    m = Metrics()
    m.request("/my/ships/{ship}", ship="S-1", container="c1", priority="QUERY")
    m.request("/my/ships/{ship}", ship="S-1", container=None, priority="QUERY")
    m.outcome("/my/ships/{ship}", "200")
    m.outcome("/my/ships/{ship}", "429")
    m.retry()
    m.recovery("applied")
    snap = m.snapshot()
    assert snap["total"] == 2 and snap["rate_limited"] == 1 and snap["retries"] == 1
    assert snap["by_ship"] == {"S-1": 2} and snap["by_container"] == {"c1": 1}
    assert snap["outcomes"] == {"/my/ships/{ship} 200": 1, "/my/ships/{ship} 429": 1}
    assert percentile([], 0.5) == 0.0
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 0.5) == 50.0 and percentile(samples, 0.99) == 99.0


def test_client_counts_per_endpoint_ship_container_and_waits(sim_server: Any) -> None:
    async def scenario() -> Metrics:
        limiter = RateLimiter(LimiterConfig.unlimited())
        async with SpaceTradersClient(sim_server.url, None, limiter=limiter) as anon:
            reg = await anon.register("METRICS", "COSMIC")
        async with SpaceTradersClient(sim_server.url, reg.token, limiter=limiter) as client:
            ship = reg.ships[0].symbol
            await client.get_ship(ship, container="miner")
            await client.get_nav(ship, container="miner", priority=Priority.NAVIGATION)
            await client.get_agent(container="trader")
            return client.metrics

    m = asyncio.run(scenario())
    assert m.requests == {"/my/ships/{ship}": 1, "/my/ships/{ship}/nav": 1, "/my/agent": 1}
    assert m.by_container == {"miner": 2, "trader": 1}
    assert m.by_ship == {"METRICS-1": 2}
    assert m.by_priority == {"QUERY": 2, "NAVIGATION": 1}
    assert sum(len(w) for w in m.waits.values()) == 3


def _tight() -> Any:
    from runner.sim.config import Pool, RateLimitSpec

    return RateLimitSpec(static=Pool(1, 1.0), burst=None)


@pytest.mark.parametrize("sim_server", [{"rate_limit": _tight()}], indirect=True)
def test_answers_carry_method_priority_container_and_429_kind(sim_server: Any) -> None:
    """A server stricter than the client's limiter answers 429 with its limit type: each
    answer is counted with method, priority and container, each 429 by kind."""
    async def scenario() -> Metrics:
        limiter = RateLimiter(LimiterConfig.unlimited())
        async with SpaceTradersClient(sim_server.url, None, limiter=limiter) as anon:
            reg = await anon.register("KINDS", "COSMIC")
        async with SpaceTradersClient(sim_server.url, reg.token, limiter=limiter) as client:
            # all at once: every answer's x-ratelimit-remaining would pace sequential calls
            await asyncio.gather(*(client.get_agent(container="trader") for _ in range(3)))
            return client.metrics

    m = asyncio.run(scenario())
    assert m.rate_limit_kinds["account"] >= 1 and m.rate_limit_kinds["bare"] == 0
    assert m.answers[("GET", "/my/agent", "200", "QUERY", "trader")] == 3
    assert m.answers[("GET", "/my/agent", "429", "QUERY", "trader")] == m.rate_limited
