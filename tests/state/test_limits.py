"""The shared limiter's ledger on a real SQLite file and Postgres: pools persist between
processes (two engines stand for two processes), priorities hold across them, a dead
process's heads go stale, and two processes sharing one account never overspend it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from runner.api.limiter import LimiterConfig, PoolSpec, Priority
from runner.api.shared_limiter import Feedback, Queued, Served, SharedRateLimiter, serve
from runner.state.engine import create_engine, resolve_url
from runner.state.limits import LimitLedger
from runner.state.store import Store

CONFIG = LimiterConfig(static=PoolSpec(2, 1.0), burst=PoolSpec(3, 60.0), guard=0.0)
SCOPES = ("account:ACME",)


def ledgers(db_url: str) -> tuple[LimitLedger, LimitLedger]:
    Store.open(db_url).close()  # migrated
    return (LimitLedger(create_engine(resolve_url(db_url)), stale_s=10.0),
            LimitLedger(create_engine(resolve_url(db_url)), stale_s=10.0))


def step(ledger: LimitLedger, owner: str, now: float, queue: list[Queued]) -> Served:
    return ledger.exchange(SCOPES, owner, now,
                           lambda shared: serve(shared, now, CONFIG, queue, Feedback()))


def test_pools_are_shared_between_processes(db_url: str) -> None:
    one, two = ledgers(db_url)
    assert len(step(one, "p1", 0.0, [Queued(0.0, i, Priority.ACTION) for i in range(4)])
               .grants) == 4
    assert len(step(two, "p2", 0.1, [Queued(0.1, i, Priority.ACTION) for i in range(4)])
               .grants) == 1  # 5 in all: 2 static + 3 burst
    state = one.pools()["account:ACME"]
    assert state["static"].used == 2 and state["burst"].used == 3


def test_an_action_of_one_process_goes_before_a_background_read_of_another(
        db_url: str) -> None:
    one, two = ledgers(db_url)
    step(one, "p1", 0.0, [Queued(0.0, i, Priority.ACTION) for i in range(5)])  # all spent
    background = [Queued(0.0 + 15.0, 0, Priority.BACKGROUND)]
    action = [Queued(0.5, 0, Priority.ACTION)]
    assert step(one, "p1", 0.5, background).grants == {}  # both publish their heads
    assert step(two, "p2", 0.5, action).grants == {}
    # the static window has passed (no answer came: 2 s assumed + 1 s): p1 looks first,
    # yet stands back for p2's action
    late = step(one, "p1", 3.5, background)
    assert late.grants == {} and late.yielded
    assert list(step(two, "p2", 3.5, action).grants) == [0]
    assert list(step(one, "p1", 3.6, background).grants) == [0]  # the window's second
    # p2 waits again, then dies: once its heads are stale they hold nobody back
    assert step(two, "p2", 3.7, action).grants == {}
    assert step(one, "p1", 6.6, background).yielded
    assert list(step(one, "p1", 20.0, background).grants) == [0]


def test_two_limiters_on_one_account_never_overspend_it(db_url: str) -> None:
    """Two processes' limiters (separate engines) each send as fast as they are let; a
    counter stands for the server's fixed windows: no window ever admits more than it
    allows (the model's guard keeps our count inside the server's window)."""
    one, two = ledgers(db_url)
    config = LimiterConfig(static=PoolSpec(2, 0.2), burst=PoolSpec(3, 1.0), guard=0.01)
    sent: list[float] = []
    lock = threading.Lock()

    async def consumer(ledger: LimitLedger, owner: str, n: int) -> None:
        limiter = SharedRateLimiter(ledger, SCOPES, owner, config, poll_s=0.01)
        loop = asyncio.get_running_loop()

        async def one_request() -> None:
            permit = await limiter.acquire(Priority.QUERY)
            with lock:
                sent.append(loop.time())
            await asyncio.sleep(0.005)  # the round trip
            limiter.answered(permit)

        await asyncio.gather(*(one_request() for _ in range(n)))
        await limiter.aclose()

    async def both() -> None:
        await asyncio.gather(consumer(one, "p1", 10), consumer(two, "p2", 10))

    asyncio.run(both())
    assert len(sent) == 20
    assert violations(sorted(sent), static=(2, 0.2), burst=(3, 1.0)) == 0


def violations(times: list[float], *, static: tuple[int, float],
               burst: tuple[int, float]) -> int:
    """Requests the server's limiter (static first, then burst; fixed windows opened by
    their first request) would have refused."""
    windows = {"static": [0, 0.0, static], "burst": [0, 0.0, burst]}
    refused = 0
    for t in times:
        for window in windows.values():
            used, start, (limit, length) = window
            if used and t - start >= length:
                window[0] = 0
        for window in windows.values():
            used, start, (limit, _length) = window
            if used < limit:
                if used == 0:
                    window[1] = t
                window[0] = used + 1
                break
        else:
            refused += 1
    return refused


def test_leave_forgets_the_heads(db_url: str) -> None:
    one, two = ledgers(db_url)
    step(one, "p1", 0.0, [Queued(0.0, i, Priority.ACTION) for i in range(5)])
    step(one, "p1", 0.1, [Queued(0.1, 0, Priority.ACTION)])
    background = [Queued(18.4, 0, Priority.BACKGROUND)]
    assert step(two, "p2", 3.4, background).yielded
    one.leave("p1")
    assert step(two, "p2", 3.5, background).grants != {}


@pytest.mark.parametrize("scope", ["account:ÄCME", "address:" + "x" * 150])
def test_any_scope_name_is_stored(db_url: str, scope: str) -> None:
    one, _ = ledgers(db_url)
    one.exchange((scope,), "p1", 0.0, lambda shared: serve(
        shared, 0.0, CONFIG, [Queued(0.0, 0, Priority.ACTION)], Feedback()))
    assert one.pools()[scope]["static"].used == 1
