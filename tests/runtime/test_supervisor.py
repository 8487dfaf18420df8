"""The supervisor with the real playbook language, client, simulator and SQLite store:
one container per ship, stop/replace/list/shutdown (the API the watcher drives), and a
token from an old reset stopping every container of its agent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.api.client import SpaceTradersClient
from runner.api.errors import TokenFromOldReset
from runner.api.limiter import LimiterConfig, RateLimiter
from runner.api.secrets import Token
from runner.domain.status import ContainerStatus
from runner.errors import StRunError
from runner.runtime.adapters import AgentDirectory
from runner.runtime.supervisor import ShipTaken, Supervisor
from runner.state.store import Store

NEAR = "X1-EU98-J14"  # 91 units from headquarters (seed 1): a CRUISE flight of 91 s
FLY = """name: {name}
ship: {{role: {role}}}
steps:
  - navigate: {{to: {to}, mode: CRUISE}}
  - dock
  - log: arrived
"""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, Any]]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    with SimServer(SimConfig(seed=1, speed=40.0, rate_limit=None)) as server:
        data = httpx.post(f"{server.url}/register",
                          json={"symbol": "SUPER", "faction": "COSMIC"}, timeout=10).json()
        store = Store.open(str(tmp_path / "state.db"))
        yield {"url": server.url, "token": data["data"]["token"], "store": store,
               "tmp": tmp_path}
        store.close()


def playbook(env: dict[str, Any], name: str, role: str = "COMMAND", to: str = NEAR) -> Path:
    path = env["tmp"] / f"{name}.yaml"
    path.write_text(FLY.format(name=name, role=role, to=to))
    return path


def supervisor(env: dict[str, Any]) -> tuple[Supervisor, AgentDirectory]:
    client = SpaceTradersClient(env["url"], Token(env["token"]),
                                limiter=RateLimiter(LimiterConfig.unlimited()))
    agents = AgentDirectory({"main": client}, default="main", any_name=True)
    return Supervisor(env["store"], agents), agents


def test_second_playbook_for_the_same_ship_is_refused_naming_the_holder(env: dict[str, Any]
                                                                        ) -> None:
    async def scenario() -> str:
        sup, agents = supervisor(env)
        try:
            await sup.start(playbook(env, "first"))
            with pytest.raises(ShipTaken) as refused:
                await sup.start(playbook(env, "second"))
            await sup.shutdown(grace_s=5)
            return refused.value.message
        finally:
            await agents.aclose()

    message = asyncio.run(scenario())
    assert "'first'" in message and "SUPER-1" in message


def test_stop_list_and_replace_at_safe_points(env: dict[str, Any]) -> None:
    async def scenario() -> None:
        sup, agents = supervisor(env)
        try:
            handle = await sup.start(playbook(env, "flyer"))
            probe = await sup.start(playbook(env, "probe", role="SATELLITE"))
            assert [h.name for h in sup.list()] == ["flyer", "probe"]
            while handle.view.transit is None:  # in flight: a safe point to stop at
                await asyncio.sleep(0.02)
            outcome = await sup.stop("flyer")
            assert outcome is not None and outcome.status is ContainerStatus.STOPPED
            # replace the probe's playbook at a safe point; it resumes from its checkpoint
            new = playbook(env, "probe", role="SATELLITE")
            new.write_text(new.read_text().replace("log: arrived", "log: new version"))
            replaced = await sup.replace("probe", new)
            assert replaced.id == probe.id and replaced.resumed_at == "step 1/3"
            outcomes = await sup.wait()
            assert outcomes["probe"] is not None
            assert outcomes["probe"].status is ContainerStatus.COMPLETED
        finally:
            await agents.aclose()

    asyncio.run(scenario())
    store: Store = env["store"]
    assert store.require_container("flyer").status is ContainerStatus.STOPPED
    assert store.require_container("flyer").lease_owner is None
    probe_logs = [r.message for r in store.logs("probe")]
    assert "new version" in probe_logs and "arrived" not in probe_logs
    assert store.require_container("probe").content_hash != ""


def test_token_from_an_old_reset_stops_every_container_of_the_agent(env: dict[str, Any]
                                                                   ) -> None:
    async def scenario() -> dict[str, Any]:
        sup, agents = supervisor(env)
        try:
            first = await sup.start(playbook(env, "a"))
            await sup.start(playbook(env, "b", role="SATELLITE"))
            while first.view.transit is None:
                await asyncio.sleep(0.02)
            httpx.post(f"{env['url']}/_sim/reset", timeout=10)
            return await asyncio.wait_for(sup.wait(), timeout=60)
        finally:
            await agents.aclose()

    outcomes = asyncio.run(scenario())
    statuses = {name: o.status for name, o in outcomes.items() if o is not None}
    assert ContainerStatus.FAILED in statuses.values()
    assert set(statuses.values()) <= {ContainerStatus.FAILED, ContainerStatus.STOPPED}
    store: Store = env["store"]
    failed = [r for r in store.list_containers(all=True) if r.status is ContainerStatus.FAILED]
    assert any("old server reset" in (r.last_error or "") for r in failed)


def test_shutdown_stops_everything_within_the_grace_period(env: dict[str, Any]) -> None:
    async def scenario() -> None:
        sup, agents = supervisor(env)
        try:
            handle = await sup.start(playbook(env, "long"))
            while handle.view.transit is None:
                await asyncio.sleep(0.02)
            await sup.shutdown(grace_s=10)
            assert handle.done
        finally:
            await agents.aclose()

    asyncio.run(scenario())
    record = env["store"].require_container("long")
    assert record.status is ContainerStatus.STOPPED
    assert record.lease_owner is None


def test_a_ship_held_by_a_dead_runners_container_is_released(env: dict[str, Any]) -> None:
    store: Store = env["store"]
    # a container of a runner that died: RUNNING, its lease lapsed long ago
    dead = store.upsert_container("dead", "dead.yaml", "h", "SUPER-1", "main")
    lease = store.claim(dead.id, "gone-runner", 0.01)
    assert lease is not None
    store.set_status(lease, ContainerStatus.RUNNING)

    async def scenario() -> Any:
        sup, agents = supervisor(env)
        try:
            await sup.start(playbook(env, "alive"))
            return await sup.wait()
        finally:
            await agents.aclose()

    outcomes = asyncio.run(scenario())
    assert outcomes["alive"] is not None
    assert outcomes["alive"].status is ContainerStatus.COMPLETED
    assert store.require_container("dead").status is ContainerStatus.STOPPED
    assert any("runner is gone" in r.message for r in store.logs("dead"))


def test_a_restarted_runner_keeps_the_back_off_its_container_had(env: dict[str, Any]) -> None:
    """The previous runner left the container in BACKOFF until an hour from now: the new
    one sends nothing for it before then, and a stop meanwhile ends it STOPPED."""
    from datetime import UTC, datetime, timedelta

    store: Store = env["store"]
    path = playbook(env, "flyer")
    # the same container (same file, agent) as the previous runner's: only the back-off differs
    record = store.upsert_container("flyer", str(path.resolve()), "h", "SUPER-1", "main")
    retry_at = datetime.now(UTC) + timedelta(hours=1)
    store.set_status(record.id, ContainerStatus.BACKOFF, error="endpoint down",
                     next_restart_at=retry_at, restarts=4)

    async def scenario() -> Any:
        sup, agents = supervisor(env)
        try:
            handle = await sup.start(path)
            async def backing_off() -> None:
                while not any("resuming its back-off" in r.message
                              for r in store.logs("flyer")):
                    await asyncio.sleep(0.02)
            await asyncio.wait_for(backing_off(), timeout=30)
            assert handle.view.status == "BACKOFF"
            assert store.require_container("flyer").status is ContainerStatus.BACKOFF
            return await sup.stop("flyer")
        finally:
            await agents.aclose()

    outcome = asyncio.run(scenario())
    assert outcome is not None and outcome.status is ContainerStatus.STOPPED
    assert store.require_container("flyer").restarts == 4
    assert not any("arrived" in r.message for r in store.logs("flyer"))


def test_a_token_from_an_old_reset_is_never_sent_again(env: dict[str, Any]) -> None:
    """After a 4113, neither this runner nor a restarted one sends anything with the token:
    the session refuses it, and the store remembers it (by digest, never the token)."""
    store: Store = env["store"]

    async def first_run() -> Any:
        sup, agents = supervisor(env)
        try:
            handle = await sup.start(playbook(env, "a"))
            while handle.view.transit is None:
                await asyncio.sleep(0.02)
            httpx.post(f"{env['url']}/_sim/reset", timeout=10)
            await asyncio.wait_for(sup.wait(), timeout=60)
            client = agents.client("main")
            sent = sum(client.metrics.requests.values())
            with pytest.raises(TokenFromOldReset):  # in this process: refused, not sent
                await client.get_agent()
            assert sum(client.metrics.requests.values()) == sent
        finally:
            await agents.aclose()

    async def restarted_run() -> tuple[str, int]:
        sup, agents = supervisor(env)  # a new process: a new client, same token
        try:
            with pytest.raises(StRunError) as refused:
                await sup.start(playbook(env, "a"))
            return refused.value.message, sum(agents.client("main").metrics.requests.values())
        finally:
            await agents.aclose()

    asyncio.run(first_run())
    message, sent = asyncio.run(restarted_run())
    assert "old server reset" in message and "register again" in message
    assert sent == 0
    with store.engine.connect() as conn:  # only a digest is stored
        raw = "\n".join(str(v) for row in conn.exec_driver_sql("SELECT * FROM dead_tokens")
                        for v in row)
    assert Token(env["token"]).digest() in raw and env["token"] not in raw


def test_a_failed_container_is_told_to_the_runner(env: dict[str, Any]) -> None:
    """The watcher prints ``on_failed`` (nobody reads a watched container's log)."""
    failures: list[tuple[str, str]] = []

    async def scenario() -> None:
        sup, agents = supervisor(env)
        sup.on_failed = lambda name, error: failures.append((name, error))
        try:
            await sup.start(playbook(env, "lost", to="X1-EU98-NOWHERE"))
            await asyncio.wait_for(sup.wait(), timeout=60)
        finally:
            await agents.aclose()

    asyncio.run(scenario())
    assert [name for name, _ in failures] == ["lost"]
    assert failures[0][1] == env["store"].require_container("lost").last_error
