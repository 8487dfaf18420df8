"""A game server outage holds a container instead of failing it (issue 22), with the real
supervisor, client, simulator (fault injection) and SQLite store.

The client's own retries are made short here, so that the outage outlasts them as a 90 s
outage outlasts them on the real server; the container then holds, probes with back-off,
and resumes from its checkpoint under the default ``restart: no``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.api.client import SpaceTradersClient
from runner.api.limiter import LimiterConfig, RateLimiter
from runner.api.retry import RetryPolicy
from runner.api.secrets import Token
from runner.domain.status import ContainerStatus
from runner.errors import InvalidInput
from runner.runtime.adapters import AgentDirectory
from runner.runtime.container import Outcome
from runner.runtime.server_outage import LIMIT_ENV, server_retry_from_env
from runner.runtime.supervisor import Supervisor
from runner.state.store import Store

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[2]

PLAYBOOK = """\
name: steady
ship: {role: COMMAND}
steps:
  - orbit
  - dock
  - log: "steady done"
"""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, Any]]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    with SimServer(SimConfig(seed=1, speed=20.0, rate_limit=None)) as server:
        data = httpx.post(f"{server.url}/register",
                          json={"symbol": "HOLDER", "faction": "COSMIC"}, timeout=10).json()
        store = Store.open(str(tmp_path / "state.db"))
        path = tmp_path / "steady.yaml"
        path.write_text(PLAYBOOK)
        yield {"url": server.url, "token": data["data"]["token"], "store": store,
               "path": path}
        store.close()


def _faults(url: str, spec: str) -> None:
    httpx.put(f"{url}/_sim/faults", json={"spec": spec}, timeout=10).raise_for_status()


def _run(env: dict[str, Any], faults: str, stop_when_held: bool = False
         ) -> tuple[Outcome | None, list[str]]:
    """Start the container, then (before it sends anything) install ``faults``; with
    ``stop_when_held``, ask for a stop as ``st-run stop`` does once it holds."""
    async def scenario() -> tuple[Outcome | None, list[str]]:
        # The client gives up within a fraction of a second (as after ~15 s on the real
        # server): the outage below outlasts its retries.
        client = SpaceTradersClient(env["url"], Token(env["token"]),
                                    limiter=RateLimiter(LimiterConfig.unlimited()),
                                    retry=RetryPolicy(rand=lambda: 0.5).scaled(0.01))
        agents = AgentDirectory({"main": client}, default="main", any_name=True)
        try:
            sup = Supervisor(env["store"], agents)
            await sup.start(env["path"])
            _faults(env["url"], faults)  # blocks the loop: the container has not run yet
            if stop_when_held:
                while not any(m.startswith("game server unreachable") for m in sup.messages):
                    await asyncio.sleep(0.05)
                env["store"].request_stop("steady")
            outcomes = await asyncio.wait_for(sup.wait(), timeout=90)
            return outcomes["steady"], sup.messages
        finally:
            await agents.aclose()

    return asyncio.run(scenario())


def test_a_90_game_second_outage_holds_the_container_which_then_completes(
        env: dict[str, Any]) -> None:
    outcome, messages = _run(env, "500:100%:for=90s")  # 4.5 wall seconds at speed 20


    assert outcome is not None and outcome.status is ContainerStatus.COMPLETED, outcome
    gone = [m for m in messages if m.startswith("game server unreachable")]
    back = [m for m in messages if m.startswith("game server back after")]
    assert len(gone) == 1 and len(back) == 1, messages
    assert "holding 1 container" in gone[0]
    logged = [r.message for r in env["store"].logs("steady")]
    assert "steady done" in logged


def test_an_outage_past_the_limit_counts_as_a_failure(env: dict[str, Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LIMIT_ENV, "1.5")
    outcome, messages = _run(env, "500:100%")


    assert outcome is not None and outcome.status is ContainerStatus.FAILED
    assert outcome.error is not None
    assert outcome.error.startswith("game server unreachable for 1.5 s")
    record = env["store"].require_container("steady")
    assert record.last_error == outcome.error
    assert not any(m.startswith("game server back") for m in messages)


def test_a_stop_while_held_ends_it_stopped_and_resumable(env: dict[str, Any]) -> None:
    outcome, _ = _run(env, "500:100%", stop_when_held=True)

    assert outcome is not None and outcome.status is ContainerStatus.STOPPED, outcome
    record = env["store"].require_container("steady")
    assert record.status is ContainerStatus.STOPPED and record.lease_owner is None


@pytest.mark.parametrize("value", ["soon", "-5", "0", "nan", "inf"])
def test_a_bad_limit_is_one_clear_line(value: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        server_retry_from_env({LIMIT_ENV: value})
    assert bad.value.exit_code == 2 and LIMIT_ENV in bad.value.message
    assert server_retry_from_env({LIMIT_ENV: " 90 "}).give_up_after_s == 90.0
    assert server_retry_from_env({}).give_up_after_s == 600.0


def test_run_refuses_a_bad_limit_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "steady.yaml"
    path.write_text(PLAYBOOK)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), LIMIT_ENV: "soon",
           "SPACETRADERS_TOKEN": "not-a-real-token", "ST_RUN_API_URL": "http://127.0.0.1:9/v2"}
    done = subprocess.run([sys.executable, "-m", "runner", "run", str(path), "--db",
                           str(tmp_path / "state.db")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: ${LIMIT_ENV}='soon': expected a number of seconds greater than 0"]
