"""The executor against the real simulator (loopback socket), client and SQLite store.

Crashes are simulated in-process by a ``BaseException`` raised at a chosen point (nothing in
the runtime catches it, like SIGKILL); the next run resumes from the store. The real
subprocess SIGKILL suite is ``tests/e2e/test_crash.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.domain import commands as c
from runner.domain.status import ContainerStatus
from runner.runtime.executor import Executor
from runner.runtime.game import GameApi
from runner.runtime.leases import LeaseKeeper
from runner.runtime.ports import Sent
from runner.state.store import Store
from tests.runtime.harness import Crash, Hooks, World, run_container
from tests.runtime.scripted import step

BUY_AT_HQ = "EQUIPMENT"
SELL_AT = "X1-EU98-J85"  # imports EQUIPMENT (simulator seed 1)


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    speed = getattr(request, "param", 200.0)
    with SimServer(SimConfig(seed=1, speed=speed, rate_limit=None)) as server:
        register = httpx.post(f"{server.url}/register",
                              json={"symbol": "RUNTIME", "faction": "COSMIC"}, timeout=10)
        data = register.json()["data"]
        store = Store.open(str(tmp_path / "state.db"))
        ship = next(s for s in data["ships"] if s["registration"]["role"] == "COMMAND")
        yield World(server.url, data["token"], data["agent"]["symbol"], store,
                    ship["symbol"], ship["nav"]["waypointSymbol"])
        store.close()


def trade_route(world: World) -> list[Any]:
    return [step(0, "buy", symbol=BUY_AT_HQ, units=10, times=2),
            step(1, "navigate", to=SELL_AT),
            step(2, "sell"),
            step(3, "navigate", to=world.hq),
            step(4, "refuel")]


def ship_json(world: World) -> Any:
    response = httpx.get(f"{world.url}/my/ships/{world.ship}",
                         headers={"Authorization": f"Bearer {world.token}"}, timeout=10)
    return response.json()["data"]


def test_trade_route_completes_with_one_checkpoint_per_state_change(world: World) -> None:
    outcome = asyncio.run(run_container(world, trade_route(world)))
    assert outcome.status is ContainerStatus.COMPLETED
    assert world.count("/purchase") == 2
    assert world.count("/sell") == 2
    assert world.count("/navigate") == 2
    assert world.count("/refuel") == 1
    ship = ship_json(world)
    assert ship["nav"]["waypointSymbol"] == world.hq
    assert ship["cargo"]["units"] == 0
    assert ship["fuel"]["current"] == ship["fuel"]["capacity"]
    # one checkpoint per accepted state change (dock/orbit included), each with a log line
    record = world.store.require_container("c1")
    assert record.status is ContainerStatus.COMPLETED
    lines = [r.message for r in world.store.logs("c1")]
    assert sum(1 for m in lines if m.startswith("purchase 10 EQUIPMENT")) == 2
    assert lines[-1] == "completed"


def crash_after_checkpoints(n: int) -> Hooks:
    """Crash right after the n-th checkpoint committed."""
    def wrap(executor: Executor) -> None:
        journal = executor.journal
        original = journal.checkpoint
        count = {"n": 0}

        def checkpoint(*args: Any, **kwargs: Any) -> None:
            original(*args, **kwargs)
            count["n"] += 1
            if count["n"] == n:
                raise Crash()

        journal.checkpoint = checkpoint  # type: ignore[method-assign]
    return Hooks(wrap_executor=wrap)


@pytest.mark.parametrize("crash_at", [1, 2, 4, 6])
def test_resume_after_crash_does_each_state_change_once(world: World, crash_at: int) -> None:
    with pytest.raises(Crash):
        asyncio.run(run_container(world, trade_route(world), hooks=crash_after_checkpoints(
            crash_at)))
    outcome = asyncio.run(run_container(world, trade_route(world)))
    assert outcome.status is ContainerStatus.COMPLETED
    assert world.count("/purchase") == 2
    assert world.count("/sell") == 2
    assert world.count("/navigate") == 2
    assert world.count("/refuel") == 1


class SendsThenCrashes:
    """The request reaches the server and is applied, then the runner dies (no checkpoint)."""

    def __init__(self, game: GameApi, kind: type) -> None:
        self.game = game
        self.kind = kind
        self.fired = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def send(self, ship: Any, command: c.Command) -> Sent:
        sent = await self.game.send(ship, command)
        if isinstance(command, self.kind) and not self.fired:
            self.fired = True
            raise Crash()
        return sent


@pytest.mark.parametrize("kind", [c.Purchase, c.Sell, c.Navigate, c.Refuel])
def test_applied_but_unrecorded_command_is_not_sent_again(world: World, kind: type) -> None:
    hooks = Hooks(wrap_api=lambda game: SendsThenCrashes(game, kind))
    with pytest.raises(Crash):
        asyncio.run(run_container(world, trade_route(world), hooks=hooks))
    assert world.store.pending_intent(world.store.require_container("c1").id) is not None
    outcome = asyncio.run(run_container(world, trade_route(world)))
    assert outcome.status is ContainerStatus.COMPLETED
    assert world.count("/purchase") == 2
    assert world.count("/sell") == 2
    assert world.count("/navigate") == 2
    assert world.count("/refuel") == 1
    lines = [r.message for r in world.store.logs("c1")]
    assert any("had been applied before the restart" in m for m in lines)


def test_purchase_response_lost_on_the_wire_buys_once(world: World) -> None:
    world.control("PUT", "/faults", {"spec": "drop-after:100%:endpoint=purchase"})
    outcome = asyncio.run(run_container(world, [step(0, "buy", symbol=BUY_AT_HQ, units=10,
                                                     times=2)]))
    assert outcome.status is ContainerStatus.COMPLETED
    assert world.count("/purchase") == 2
    assert ship_json(world)["cargo"]["units"] == 20


def test_cargo_removed_behind_the_runners_back_is_reread_before_selling(world: World) -> None:
    class RemovesCargoOnArrival:
        def __init__(self, game: GameApi) -> None:
            self.game = game

        def __getattr__(self, name: str) -> Any:
            return getattr(self.game, name)

        async def send(self, ship: Any, command: c.Command) -> Sent:
            sent = await self.game.send(ship, command)
            if isinstance(command, c.Navigate) and command.destination == SELL_AT:
                world.control("PATCH", f"/ships/{world.ship}", {"cargo": {BUY_AT_HQ: 7}})
            return sent

    outcome = asyncio.run(run_container(world, trade_route(world)[:3],
                                        hooks=Hooks(wrap_api=RemovesCargoOnArrival)))
    assert outcome.status is ContainerStatus.COMPLETED  # a 4219 would have failed the step
    sells = [e for e in world.ledger() if e["path"].endswith("/sell")]
    assert [e["body"]["units"] for e in sells] == [7]


def test_short_of_credits_parks_then_buys_exactly_once(world: World) -> None:
    world.control("PUT", f"/agents/{world.agent}/credits", {"credits": 100})
    seen: list[str] = []

    async def scenario() -> Any:
        hooks = Hooks(wrap_executor=lambda e: setattr(e, "park_poll_s", 0.05))
        run = asyncio.create_task(run_container(world, [step(0, "buy", symbol=BUY_AT_HQ,
                                                             units=10)], hooks=hooks))
        while getattr(world.store.get_container("c1"), "status", None) \
                is not ContainerStatus.PARKED:
            await asyncio.sleep(0.02)
        seen.append("parked")
        await asyncio.sleep(0.3)  # several polls while short: still no purchase
        assert world.count("/purchase") == 0
        world.control("PUT", f"/agents/{world.agent}/credits", {"credits": 100_000})
        return await run

    outcome = asyncio.run(scenario())
    assert seen == ["parked"]
    assert outcome.status is ContainerStatus.COMPLETED
    assert world.count("/purchase") == 1
    lines = [r.message for r in world.store.logs("c1")]
    parked = [m for m in lines if m.startswith("parked")]
    assert len(parked) == 1
    assert "need" in parked[0] and "have 100" in parked[0]


FUEL_AT = "X1-EU98-J14"  # sells FUEL (simulator seed 1)


@pytest.mark.parametrize("world", [20.0], indirect=True)
def test_endpoint_failing_for_90_game_seconds_is_survived(world: World) -> None:
    class BreaksRefuelOnArrival:
        def __init__(self, game: GameApi) -> None:
            self.game = game

        def __getattr__(self, name: str) -> Any:
            return getattr(self.game, name)

        async def send(self, ship: Any, command: c.Command) -> Sent:
            sent = await self.game.send(ship, command)
            if isinstance(command, c.Navigate):
                world.control("PUT", "/faults", {"spec": "500:100%:endpoint=refuel:for=90s"})
            return sent

    steps = [step(0, "navigate", to=FUEL_AT), step(1, "refuel")]
    policy: Any = {"policy": "on-failure", "max_restarts": 10, "backoff": {"initial": "1s"}}
    outcome = asyncio.run(run_container(world, steps, policy=policy,
                                        hooks=Hooks(wrap_api=BreaksRefuelOnArrival)))
    assert outcome.status is ContainerStatus.COMPLETED
    assert world.count("/refuel") == 1
    faults = world.control("GET", "/stats")[world.agent]["faults"]
    assert sum(faults.values()) >= 1, faults  # the refuel endpoint really failed meanwhile


@pytest.mark.parametrize("world", [20.0], indirect=True)
def test_stop_request_is_honoured_at_a_safe_point(world: World) -> None:
    async def scenario() -> Any:
        run = asyncio.create_task(run_container(world, trade_route(world)))
        while world.count("/navigate") == 0:
            await asyncio.sleep(0.01)
        world.store.request_stop("c1")
        return await run

    outcome = asyncio.run(scenario())
    assert outcome.status is ContainerStatus.STOPPED
    assert world.store.require_container("c1").status is ContainerStatus.STOPPED
    # and it resumes where it stopped
    outcome = asyncio.run(run_container(world, trade_route(world)))
    assert outcome.status is ContainerStatus.COMPLETED
    assert world.count("/purchase") == 2
    assert world.count("/navigate") == 2


def test_lost_lease_stops_requests(world: World) -> None:
    async def scenario() -> Any:
        run = asyncio.create_task(run_container(world, trade_route(world)))
        while world.count("/navigate") == 0:
            await asyncio.sleep(0.01)
        record = world.store.require_container("c1")
        # another runner takes the container over (as after an expired lease)
        world.store.release(world.store.claim(record.id, "test-runner", 30))  # type: ignore[arg-type]
        assert world.store.claim(record.id, "other-runner", 30) is not None
        return await run

    outcome = asyncio.run(scenario())
    assert outcome.lost
    assert world.count("/sell") == 0


@pytest.mark.parametrize("world", [20.0], indirect=True)  # a flight of seconds to act in
def test_lease_lost_at_a_batched_heartbeat_stops_the_container(world: World) -> None:
    """The runner's shared keeper finds the lease taken over while the ship flies: the
    container stops at once (a wait is a safe point) and sends nothing more."""
    keeper = LeaseKeeper(world.store)
    hooks = Hooks()

    async def scenario() -> Any:
        run = asyncio.create_task(run_container(world, trade_route(world), hooks=hooks,
                                                leases=keeper))
        while not hooks.executors or hooks.executors[0].view.transit is None:
            await asyncio.sleep(0.01)
        record = world.store.require_container("c1")
        world.store.release(world.store.claim(record.id, "test-runner", 30))  # type: ignore[arg-type]
        assert world.store.claim(record.id, "other-runner", 30) is not None
        keeper.renew()  # the tick, without waiting ttl/3 for it
        return await run

    outcome = asyncio.run(scenario())
    assert outcome.lost
    view = hooks.executors[0].view
    assert "lost the lease: another runner took this container; stopping" in view.logs
    assert world.count("/sell") == 0
    assert world.store.require_container("c1").lease_owner == "other-runner"
    assert keeper.kept == {}


def test_idle_forever_loop_slows_down_and_says_idle_once(world: World) -> None:
    pauses: list[float] = []

    def wrap(executor: Executor) -> None:
        async def record(seconds: float) -> None:
            pauses.append(seconds)
            if len(pauses) == 6:
                executor.stop.set()
            await executor._at_safe_point()

        executor._sleep_wall = record  # type: ignore[method-assign]

    skipped = step(0, "log", message="never")
    skipped = type(skipped)((0, 0), "log", {"message": "never"}, when="false")
    forever = step(0, "repeat", children=(skipped,))
    outcome = asyncio.run(run_container(world, [forever], hooks=Hooks(wrap_executor=wrap)))
    assert outcome.status is ContainerStatus.STOPPED
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    lines = [r.message for r in world.store.logs("c1")]
    assert sum(1 for m in lines if m.startswith("idle")) == 1
    assert world.store.require_container("c1").iterations == 6
    assert [e for e in world.ledger() if "/my/" in e["path"]] == []  # no request sent


class BehindTheBack:
    """Before the first command of ``kind``, another client acts on the ship directly."""

    def __init__(self, game: GameApi, world: World, kind: type, method: str, path: str,
                 body: dict[str, Any] | None = None) -> None:
        self.game, self.world, self.kind = game, world, kind
        self.method, self.path, self.body = method, path, body
        self.done = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def send(self, ship: Any, command: c.Command) -> Sent:
        if isinstance(command, self.kind) and not self.done:
            self.done = True
            response = httpx.request(
                self.method, f"{self.world.url}/my/ships/{self.world.ship}/{self.path}",
                json=self.body or {}, timeout=10,
                headers={"Authorization": f"Bearer {self.world.token}"})
            assert response.status_code < 300, response.text
        return await self.game.send(ship, command)


def test_4244_not_docked_is_fixed_by_docking_then_retrying(world: World) -> None:
    hooks = Hooks(wrap_api=lambda g: BehindTheBack(g, world, c.Purchase, "POST", "orbit"))
    outcome = asyncio.run(run_container(world, [step(0, "buy", symbol=BUY_AT_HQ, units=10)],
                                        hooks=hooks))
    assert outcome.status is ContainerStatus.COMPLETED
    assert world.count("/purchase") == 1


def test_4214_in_transit_waits_for_arrival_then_retries(world: World) -> None:
    # another client sends the ship away just before the runner's dock: the dock gets 4214
    hooks = Hooks(wrap_api=lambda g: BehindTheBack(g, world, c.Dock, "POST", "navigate",
                                                   {"waypointSymbol": FUEL_AT}))
    steps = [step(0, "orbit"), step(1, "dock"), step(2, "refuel")]
    outcome = asyncio.run(run_container(world, steps, hooks=hooks))
    assert outcome.status is ContainerStatus.COMPLETED
    ship = ship_json(world)
    assert ship["nav"]["waypointSymbol"] == FUEL_AT
    assert ship["nav"]["status"] == "DOCKED"
    assert world.count("/refuel") == 1


def test_a_leg_the_real_fuel_cannot_fly_is_never_sent(world: World) -> None:
    # crash after the orbit before the flight; meanwhile the tank is (nearly) emptied
    with pytest.raises(Crash):
        asyncio.run(run_container(world, [step(0, "navigate", to=SELL_AT)],
                                  hooks=crash_after_checkpoints(1)))
    world.control("PATCH", f"/ships/{world.ship}", {"fuel": 5})
    outcome = asyncio.run(run_container(world, [step(0, "navigate", to=SELL_AT)]))
    assert outcome.status is ContainerStatus.FAILED
    assert world.count("/navigate") == 0  # no 4203 could reach the server
    lines = [r.message for r in world.store.logs("c1")]
    assert any("fuel, the ship has 5 (not sent)" in m for m in lines)


def test_a_resumed_tour_keeps_its_stops_and_order(world: World) -> None:
    class Reordering:
        """Stands for a tour solver that orders stops differently from another start."""

        def __init__(self, language: Any) -> None:
            self.language = language
            self.calls = 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self.language, name)

        def stops(self, step: Any, ctx: Any) -> list[Any]:
            self.calls += 1
            stops = list(step.args["visit"])
            return stops if self.calls == 1 else stops[::-1]

    reorder: dict[str, Reordering] = {}

    def wrap(executor: Executor) -> None:
        reorder.setdefault("r", Reordering(executor.language))
        executor.language = reorder["r"]  # type: ignore[assignment]

    tour = step(0, "tour", children=(step(0, "dock"),), visit=[FUEL_AT, SELL_AT])
    hooks = crash_after_checkpoints(3)  # orbit, navigate, dock at stop 1: crash
    first = hooks.wrap_executor
    assert first is not None
    hooks.wrap_executor = lambda e: (wrap(e), first(e))  # type: ignore[func-returns-value]
    with pytest.raises(Crash):
        asyncio.run(run_container(world, [tour], hooks=hooks))
    outcome = asyncio.run(run_container(world, [tour], hooks=Hooks(wrap_executor=wrap)))
    assert outcome.status is ContainerStatus.COMPLETED
    flights = [e["body"]["waypointSymbol"] for e in world.ledger()
               if e["path"].endswith("/navigate")]
    assert flights == [FUEL_AT, SELL_AT]


ASTEROID = "X1-EU98-E27"  # 164 units from headquarters (seed 1)


def test_4000_cooldown_conflict_waits_then_extracts(world: World) -> None:
    # another client extracts just before the runner's first extract: it meets a cooldown
    # it could not know about, gets 4000, waits it out and extracts once
    hooks = Hooks(wrap_api=lambda g: BehindTheBack(g, world, c.Extract, "POST", "extract"))
    steps = [step(0, "navigate", to=ASTEROID), step(1, "extract")]
    outcome = asyncio.run(run_container(world, steps, hooks=hooks))
    assert outcome.status is ContainerStatus.COMPLETED
    extracts = [e for e in world.ledger() if e["path"].endswith("/extract")]
    assert len(extracts) == 2  # the other client's, then the runner's after the cooldown


def test_a_resumed_wait_keeps_its_deadline(world: World) -> None:
    """Issue 22: the deadline of a wait is checkpointed on the server's clock when it starts;
    a run resumed mid-wait waits for the same deadline, not the whole duration again."""
    def crash_in_the_wait(executor: Executor) -> None:
        async def sleep(seconds: float) -> None:
            raise Crash()

        executor._sleep_wall = sleep  # type: ignore[method-assign]

    wait = step(0, "wait", seconds=600)
    with pytest.raises(Crash):
        asyncio.run(run_container(world, [wait], hooks=Hooks(wrap_executor=crash_in_the_wait)))
    first = world.store.last_checkpoint(world.store.require_container("c1").id)
    assert first is not None
    deadline = first.state["waits"]["1#0"]

    waited: list[float] = []

    def measure(executor: Executor) -> None:
        original = executor._wait_until

        async def wait_until(when: Any) -> None:
            waited.append((when - executor.api.server_now()).total_seconds())
            assert when.isoformat() == deadline  # the stored deadline, not a new one
            await original(when)

        executor._wait_until = wait_until  # type: ignore[method-assign]

    outcome = asyncio.run(run_container(world, [wait], hooks=Hooks(wrap_executor=measure)))
    assert outcome.status is ContainerStatus.COMPLETED
    assert len(waited) == 1 and waited[0] < 600
    lines = [r.message for r in world.store.logs("c1")]
    assert sum(1 for m in lines if m.startswith("wait 600s")) == 1  # announced once
