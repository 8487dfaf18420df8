"""Restart policy timing of a container on a controllable clock, with a real SQLite store.

The executor here is a stand-in (this tests the container lifecycle, not the executor):
it fails, completes or runs "for a while" on the manual clock as each test needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from runner.domain.status import ContainerStatus
from runner.runtime.clock import Clock, ManualClock, SystemClock
from runner.runtime.container import ContainerTask
from runner.runtime.journal import LeaseHolder
from runner.runtime.restarts import RestartRule
from runner.runtime.view import ContainerView
from runner.state.store import Store


class Boom(Exception):
    pass


class FakeExecutor:
    def __init__(self, body: Callable[[], Any]) -> None:
        self.body = body

    async def run(self) -> None:
        await self.body()


def make_task(store: Store, clock: Clock, policy: str,
              body: Callable[[ContainerTask], Any], **extra: Any) -> ContainerTask:
    record = store.upsert_container("c1", "pb.yaml", "hash", "SHIP-1", "agent")
    lease = store.claim(record.id, "me", 30)
    assert lease is not None

    async def build(task: ContainerTask) -> FakeExecutor:
        return FakeExecutor(lambda: body(task))

    return ContainerTask(store=store, holder=LeaseHolder(store, lease),
                         view=ContainerView(str(record.id), "c1"), agent="agent", build=build,
                         rule=RestartRule.from_spec(policy, clock=clock), clock=clock, **extra)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(str(tmp_path / "state.db"))
    yield opened
    opened.close()


def test_back_off_doubles_then_gives_up_after_max_restarts(store: Store) -> None:
    clock = ManualClock()
    seen: list[tuple[str, Any, int]] = []

    async def fail(task: ContainerTask) -> None:
        record = store.require_container("c1")
        seen.append((record.status.value, record.next_restart_at, record.restarts))
        raise Boom("kaput")

    task = make_task(store, clock, "on-failure:3", fail)
    outcome = asyncio.run(task.run())
    assert outcome.status is ContainerStatus.FAILED
    assert clock.sleeps == [10, 20, 40]
    record = store.require_container("c1")
    assert record.status is ContainerStatus.FAILED
    assert record.restarts == 3
    assert "kaput" in (record.last_error or "")
    # while in back-off the next retry time was visible, and RUNNING again on each restart
    assert [s for s, _, _ in seen] == ["RUNNING"] * 4
    assert len(seen) == 4


def test_backoff_is_visible_in_the_store_during_the_wait(store: Store) -> None:
    observed: list[tuple[str, Any, Any]] = []

    class WatchingClock(ManualClock):
        async def sleep(self, seconds: float) -> None:
            record = store.require_container("c1")
            observed.append((record.status.value, record.next_restart_at, self.current))
            await super().sleep(seconds)

    clock = WatchingClock()

    async def fail(task: ContainerTask) -> None:
        raise Boom("x")

    asyncio.run(make_task(store, clock, "on-failure:1", fail).run())
    assert len(observed) == 1
    status, retry_at, now = observed[0]
    assert status == "BACKOFF"
    assert retry_at is not None
    assert (retry_at - now).total_seconds() == pytest.approx(10)
    assert clock.sleeps == [10]


def test_back_off_caps_at_five_minutes(store: Store) -> None:
    clock = ManualClock()

    async def fail(task: ContainerTask) -> None:
        raise Boom("x")

    asyncio.run(make_task(store, clock, "on-failure:8", fail).run())
    assert clock.sleeps == [10, 20, 40, 80, 160, 300, 300, 300]


def test_healthy_run_resets_the_restart_count(store: Store) -> None:
    clock = ManualClock()
    runs = {"n": 0}

    async def body(task: ContainerTask) -> None:
        runs["n"] += 1
        if runs["n"] == 3:
            clock.advance(11 * 60)  # this run stays up 11 minutes before failing
        if runs["n"] == 5:
            return
        raise Boom("x")

    outcome = asyncio.run(make_task(store, clock, "on-failure:5", body).run())
    assert outcome.status is ContainerStatus.COMPLETED
    # runs 1, 2 fail fast (10, 20); run 3 was healthy, so the curve starts again at 10
    assert clock.sleeps == [10, 20, 10, 20]


def test_policy_no_fails_at_once(store: Store) -> None:
    clock = ManualClock()

    async def fail(task: ContainerTask) -> None:
        raise Boom("x")

    outcome = asyncio.run(make_task(store, clock, "no", fail).run())
    assert outcome.status is ContainerStatus.FAILED
    assert clock.sleeps == []


def test_stop_during_back_off_stops(store: Store) -> None:
    class StoppingClock(ManualClock):
        task: ContainerTask | None = None

        async def sleep(self, seconds: float) -> None:
            assert self.task is not None
            self.task.request_stop()
            await asyncio.sleep(0)

    clock = StoppingClock()

    async def fail(task: ContainerTask) -> None:
        raise Boom("x")

    task = make_task(store, clock, "always", fail)
    clock.task = task
    outcome = asyncio.run(task.run())
    assert outcome.status is ContainerStatus.STOPPED
    assert store.require_container("c1").status is ContainerStatus.STOPPED


def test_lease_is_released_at_the_end(store: Store) -> None:
    async def ok(task: ContainerTask) -> None:
        return None

    asyncio.run(make_task(store, ManualClock(), "no", ok).run())
    record = store.require_container("c1")
    assert record.status is ContainerStatus.COMPLETED
    assert record.lease_owner is None


def test_an_unexpected_error_is_one_line_and_failed(store: Store,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An error escaping the container's own handling (here: logging the failure) ends it
    FAILED with one line, instead of a traceback from the event loop."""
    clock = ManualClock()
    real_log = store.log

    def log(container_id: int | None, level: str, message: str, **kw: Any) -> None:
        if level == "ERROR":
            raise RuntimeError("disk on fire\nsecond line")
        real_log(container_id, level, message, **kw)

    async def fail(task: ContainerTask) -> None:
        raise Boom("kaput")

    task = make_task(store, clock, "on-failure:3", fail)
    monkeypatch.setattr(store, "log", log)
    outcome = asyncio.run(task.run())
    assert outcome.status is ContainerStatus.FAILED
    assert outcome.error == "internal error: RuntimeError: disk on fire"
    record = store.require_container("c1")
    assert record.status is ContainerStatus.FAILED
    assert record.last_error == "internal error: RuntimeError: disk on fire"
    assert task.view.logs[-1] == "internal error: RuntimeError: disk on fire"


def test_st_run_stop_during_a_back_off_ends_it_stopped_and_resumable(tmp_path: Path) -> None:
    """``st-run stop`` (another process: the database's flag) during a long back-off."""
    store = Store.open(str(tmp_path / "state.db"))
    other = Store.open(str(tmp_path / "state.db"))  # the `st-run stop` process
    runs: list[int] = []

    async def fail(task: ContainerTask) -> None:
        runs.append(1)
        raise Boom("the endpoint is down")

    async def scenario() -> Any:
        task = make_task(store, SystemClock(), "on-failure:1", fail)
        store.checkpoint(task.holder.lease, "steps[0]", 0, {"done": 1}, "first step done")
        running = asyncio.create_task(task.run())
        while store.require_container("c1").status is not ContainerStatus.BACKOFF:
            await asyncio.sleep(0.02)
        assert other.request_stop("c1").stop_requested  # its runner is alive: asked
        return await running  # the back-off is 10 s; the stop ends it long before

    outcome = asyncio.run(scenario())
    record = store.require_container("c1")
    assert outcome.status is ContainerStatus.STOPPED and record.status is ContainerStatus.STOPPED
    assert runs == [1] and not record.stop_requested and record.lease_owner is None
    last = store.last_checkpoint(record.id)  # resumable: its progress is kept
    assert last is not None and last.step_path == "steps[0]"
    store.close()
    other.close()


def test_a_back_off_left_by_a_previous_runner_is_waited_out_first(store: Store) -> None:
    """A restarted runner does not probe a failing endpoint before the stored restart time."""
    clock = ManualClock()
    starts: list[Any] = []

    async def fail(task: ContainerTask) -> None:
        starts.append(clock.now())
        raise Boom("still down")

    resume_at = clock.now() + timedelta(seconds=160)
    task = make_task(store, clock, "on-failure:5", fail, restarts=4, resume_at=resume_at)
    outcome = asyncio.run(task.run())
    assert outcome.status is ContainerStatus.FAILED
    assert starts[0] == resume_at  # not a probe right away
    assert clock.sleeps == [160, 160]  # then restart 5 of 5 (160 s), not a first 10 s
    assert any("resuming its back-off" in r.message for r in store.logs("c1"))


def test_a_stop_during_an_inherited_back_off_ends_it_stopped(store: Store) -> None:
    clock = ManualClock()

    async def never(task: ContainerTask) -> None:
        raise AssertionError("must not run")

    task = make_task(store, clock, "on-failure:5", never,
                     resume_at=clock.now() + timedelta(seconds=60))
    task.request_stop()
    assert asyncio.run(task.run()).status is ContainerStatus.STOPPED
