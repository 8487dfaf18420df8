"""A heavy template in one container does not stall its siblings (issue 21, section 1).

One runner (the supervisor, the real playbook language, client, simulator and SQLite store)
runs two containers: ``heavy`` renders templates that use most of their budget, then meets
the 1 GB ``%``-formatted line of the issue (its width read from the ship, so that
``validate`` cannot see it); ``sibling`` logs forty lines (each loop of
both sends requests: the runtime slows down a loop that sends none). The heavy
container fails at once with the bound's error, located at its step (as the runtime locates
every step error); the sibling logs all along and completes; a ticker task on the same
event loop records how late it was woken (a figure, printed with ``-s``; the bound asserted
is the evaluator's, not the machine's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.api.client import SpaceTradersClient
from runner.api.limiter import LimiterConfig, RateLimiter
from runner.api.secrets import Token
from runner.domain.status import ContainerStatus
from runner.runtime.adapters import AgentDirectory
from runner.runtime.supervisor import Supervisor
from runner.state.store import Store

HEAVY = """name: heavy
ship: {role: COMMAND}
steps:
  - repeat:
      times: 6
      steps:
        - log: "{% for i in range(300) %}{% for j in range(200) %}{% endfor %}{% endfor %}heavy"
        - orbit
        - dock
  - log: "{{ '%0*d' % (ship.fuel.current * 2500000, 1) }}"
"""
SIBLING = """name: sibling
ship: {role: SATELLITE}
steps:
  - repeat:
      times: 40
      steps:
        - log: "tick {{ loop.index }}"
        - orbit
        - dock
"""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, Any]]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    with SimServer(SimConfig(seed=1, speed=40.0, rate_limit=None)) as server:
        data = httpx.post(f"{server.url}/register",
                          json={"symbol": "HEAVY", "faction": "COSMIC"}, timeout=10).json()
        store = Store.open(str(tmp_path / "state.db"))
        yield {"url": server.url, "token": data["data"]["token"], "store": store,
               "tmp": tmp_path}
        store.close()


def test_a_heavy_template_fails_located_while_its_sibling_keeps_logging(
        env: dict[str, Any], record_property: pytest.RecordProperty) -> None:
    heavy, sibling = env["tmp"] / "heavy.yaml", env["tmp"] / "sibling.yaml"
    heavy.write_text(HEAVY)
    sibling.write_text(SIBLING)

    async def scenario() -> float:
        client = SpaceTradersClient(env["url"], Token(env["token"]),
                                    limiter=RateLimiter(LimiterConfig.unlimited()))
        agents = AgentDirectory({"main": client}, default="main", any_name=True)
        lags: list[float] = []

        async def ticker() -> None:
            while True:
                before = time.monotonic()
                await asyncio.sleep(0.01)
                lags.append(time.monotonic() - before - 0.01)

        tick = asyncio.create_task(ticker())
        try:
            sup = Supervisor(env["store"], agents)
            await sup.start(sibling)
            await sup.start(heavy)
            outcomes = await sup.wait()
            assert outcomes["heavy"] is not None and outcomes["sibling"] is not None
        finally:
            tick.cancel()
            await agents.aclose()
        return max(lags)

    worst_lag = asyncio.run(scenario())
    record_property("worst_loop_lag_ms", round(worst_lag * 1000, 1))
    print(f"\nworst event-loop lag with a heavy container: {worst_lag * 1000:.0f} ms")

    store: Store = env["store"]
    failed = store.require_container("heavy")
    assert failed.status is ContainerStatus.FAILED
    assert (failed.last_error or "").startswith("step 2 log: in `'%0*d' % (ship.fuel"), \
        failed.last_error
    assert "larger than 1,000,000 characters" in (failed.last_error or "")
    heavy_logs = [r for r in store.logs("heavy") if r.message == "heavy"]
    assert len(heavy_logs) == 6
    assert store.require_container("sibling").status is ContainerStatus.COMPLETED
    ticks = [r for r in store.logs("sibling") if r.message.startswith("tick")]
    assert len(ticks) == 40
    # the sibling logged while the heavy container was rendering its heavy templates
    first, last = heavy_logs[0].id, heavy_logs[-1].id
    assert any(first < t.id < last for t in ticks)
