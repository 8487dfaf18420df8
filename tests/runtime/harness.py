"""Run one container in-process against a real simulator, client and SQLite store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from runner.api.client import SpaceTradersClient
from runner.api.limiter import LimiterConfig, RateLimiter
from runner.api.secrets import Token
from runner.domain.plan import Step
from runner.runtime.clock import SystemClock
from runner.runtime.container import ContainerTask, Outcome
from runner.runtime.executor import Executor
from runner.runtime.game import GameApi
from runner.runtime.journal import LeaseHolder
from runner.runtime.leases import LeaseKeeper
from runner.runtime.restarts import RestartRule
from runner.runtime.view import ContainerView
from runner.state.store import Store
from tests.runtime.scripted import ScriptedLanguage


class Crash(BaseException):
    """Stands for SIGKILL: nothing in the runtime catches it."""


@dataclass
class World:
    url: str
    token: str
    agent: str
    store: Store
    ship: str = ""
    hq: str = ""

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}/_sim{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def ledger(self) -> list[dict[str, Any]]:
        return [e for e in self.control("GET", "/ledger") if e.get("agent") == self.agent]

    def count(self, suffix: str) -> int:
        return sum(1 for e in self.ledger() if e["path"].endswith(suffix))

    def client(self) -> SpaceTradersClient:
        return SpaceTradersClient(self.url, Token(self.token),
                                  limiter=RateLimiter(LimiterConfig.unlimited()))


@dataclass
class Hooks:
    """Fault points: wrap the game API and the journal of the container under test."""

    wrap_api: Callable[[GameApi], Any] | None = None
    wrap_executor: Callable[[Executor], None] | None = None
    executors: list[Executor] = field(default_factory=list)


async def run_container(world: World, steps: Sequence[Step], *, name: str = "c1",
                        policy: Any = "no", hooks: Hooks | None = None,
                        owner: str = "test-runner", leases: LeaseKeeper | None = None,
                        ) -> Outcome:
    """Run the container ``name`` (resuming from the store) until it ends or crashes;
    with ``leases``, its lease is renewed by that shared keeper (as under a supervisor)."""
    hooks = hooks or Hooks()
    record = world.store.upsert_container(name, f"{name}.yaml", "h", world.ship, world.agent)
    lease = world.store.claim(record.id, owner, 30)
    assert lease is not None, "lease not free"
    async with world.client() as client:
        system = await client.get_system(world.hq.rsplit("-", 1)[0])
        language = ScriptedLanguage(system)

        async def build(task: ContainerTask) -> Executor:
            game: Any = GameApi(client)
            if hooks.wrap_api is not None:
                game = hooks.wrap_api(game)
            executor = Executor(ship=world.ship, steps=steps, api=game, language=language,
                                journal=task.journal, view=task.view, stop=task.stop)
            if hooks.wrap_executor is not None:
                hooks.wrap_executor(executor)
            hooks.executors.append(executor)
            return executor

        task = ContainerTask(store=world.store, holder=LeaseHolder(world.store, lease),
                             view=ContainerView(str(record.id), name), agent=world.agent,
                             build=build, rule=RestartRule.from_spec(policy,
                                                                     clock=SystemClock()),
                             clock=SystemClock(), leases=leases)
        return await task.run()
