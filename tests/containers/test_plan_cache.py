"""A repeated ``plan`` reads the universe (system, waypoints, markets) from the state store's
cache, shared with ``run``: against a real ``st-run sim`` it costs the agent and the ship
list only, where the first plan read every market (issue 15). Real processes."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.containers.support import REPO, st_run
from tests.support.simproc import start_sim_process
from tests.watch.procs import register

pytestmark = pytest.mark.timeout(240)


def _requests(url: str, agent: str) -> int:
    answer = httpx.get(f"{url}/_sim/stats", timeout=30)
    answer.raise_for_status()
    return int(answer.json()["data"].get(agent, {}).get("requests", 0))


def test_a_repeated_plan_costs_at_most_two_requests(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with start_sim_process("--no-rate-limit") as (_, url):
        agent = register(url, f"PLAN{uuid.uuid4().hex[:6].upper()}")
        monkeypatch.setenv("ST_RUN_API_URL", url)
        monkeypatch.setenv("SPACETRADERS_TOKEN", agent.token)
        costs = []
        for _ in range(3):
            before = _requests(url, agent.symbol)
            planned = st_run(tmp_path, "plan", str(REPO / "playbooks" / "trade.yaml"))
            assert planned.returncode == 0, planned.stderr
            costs.append(_requests(url, agent.symbol) - before)
    first, *again = costs
    assert first > 10  # the system and every market, once
    assert all(cost <= 2 for cost in again), costs
