"""The shared limiter's decision (``serve``), pure: scopes, priorities across processes,
feedback from the server, and the server's remaining figure lowering our counts; and its
asyncio shell on a real SQLite ledger handing back a grant resumed too late."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from runner.api.limiter import (
    LimiterConfig,
    Permit,
    PoolSpec,
    PoolState,
    Priority,
    WindowPools,
)
from runner.api.shared_limiter import (
    Feedback,
    Queued,
    Served,
    SharedPools,
    SharedRateLimiter,
    serve,
)
from runner.sim.config import Pool, RateLimitSpec
from runner.sim.ratelimit import RateLimiter as ServerLimiter
from runner.state.engine import create_engine, resolve_url
from runner.state.limits import LimitLedger
from runner.state.store import Store

T = TypeVar("T")

CONFIG = LimiterConfig(static=PoolSpec(2, 1.0), burst=PoolSpec(3, 60.0), guard=0.0)
ACCOUNT = "account:A"
ADDRESS = "address:home"


def fresh(*scopes: str) -> SharedPools:
    return SharedPools({scope: {} for scope in scopes})


def waiters(*priorities: Priority, at: float = 0.0) -> list[Queued]:
    head = CONFIG.head_start
    return [Queued(at + head[p], i, p) for i, p in enumerate(priorities)]


def test_grants_follow_the_pools_and_are_stored() -> None:
    shared = fresh(ACCOUNT)
    served = serve(shared, 0.0, CONFIG, waiters(*[Priority.ACTION] * 7), Feedback())
    assert sorted(served.grants) == [0, 1, 2, 3, 4]  # 2 static + 3 burst, then nothing
    assert shared.states[ACCOUNT]["static"].used == 2
    assert shared.states[ACCOUNT]["burst"].used == 3
    assert shared.heads == {int(Priority.ACTION): CONFIG.head_start[Priority.ACTION]}
    # the next process sees the spent pools: nothing for it until the windows pass
    again = serve(shared, 0.1, CONFIG, waiters(Priority.ACTION, at=0.1), Feedback())
    assert again.grants == {} and again.next_change is not None


def test_a_request_takes_from_every_scope_or_from_none() -> None:
    shared = fresh(ACCOUNT, ADDRESS)
    shared.states[ADDRESS] = {"static": PoolState(used=2, number=1, sent_at=0.0),
                              "burst": PoolState(used=3, number=1, sent_at=0.0)}
    served = serve(shared, 0.0, CONFIG, waiters(Priority.ACTION), Feedback())
    assert served.grants == {}
    assert shared.states[ACCOUNT]["static"].used == 0  # the account's token was not spent


def test_an_action_in_another_process_goes_before_a_background_read_here() -> None:
    shared = fresh(ACCOUNT)
    shared.rivals = [{int(Priority.ACTION): 0.5}]  # another process waits with an action
    served = serve(shared, 1.0, CONFIG, waiters(Priority.BACKGROUND, at=0.0), Feedback())
    assert served.grants == {} and served.yielded
    # ... but a background read that has aged past the action's key goes first (no starving)
    aged = fresh(ACCOUNT)
    aged.rivals = [{int(Priority.ACTION): 0.5}]
    old = [Queued(0.4, 0, Priority.BACKGROUND)]
    assert list(serve(aged, 1.0, CONFIG, old, Feedback()).grants) == [0]


def test_an_action_here_goes_before_a_background_read_elsewhere() -> None:
    shared = fresh(ACCOUNT)
    shared.rivals = [{int(Priority.BACKGROUND): 15.0}]
    served = serve(shared, 1.0, CONFIG, waiters(Priority.ACTION, at=1.0), Feedback())
    assert list(served.grants) == [0] and not served.yielded


def test_a_rival_that_could_not_take_the_token_does_not_block() -> None:
    # the rival's query is ordered first but only reserved tokens are left: the action here
    # may take one, the rival may not, so standing back would waste it
    config = LimiterConfig(static=PoolSpec(2, 1.0, reserve=1, release=0.1), burst=None,
                           guard=0.0)
    shared = fresh(ACCOUNT)
    shared.states[ACCOUNT] = {"static": PoolState(used=1, number=1, sent_at=0.0,
                                                  answered_at=0.0)}
    shared.rivals = [{int(Priority.QUERY): 0.1}]
    served = serve(shared, 0.5, config, [Queued(0.5, 0, Priority.ACTION)], Feedback())
    assert list(served.grants) == [0]


def test_feedback_anchors_windows_and_pauses_on_a_refusal() -> None:
    shared = fresh(ACCOUNT)
    first = serve(shared, 0.0, CONFIG, waiters(Priority.ACTION), Feedback())
    grants = first.grants[0]
    serve(shared, 0.2, CONFIG, [], Feedback(answers=((0.2, grants),)))
    assert shared.states[ACCOUNT]["static"].answered_at == 0.2
    serve(shared, 0.3, CONFIG, [], Feedback(refused=(0.3, 0.9)))
    paused = serve(shared, 0.5, CONFIG, waiters(Priority.ACTION, at=0.5), Feedback())
    assert paused.grants == {}  # every pool is empty until the server's retry-after


def test_the_servers_remaining_figure_only_lowers_counts() -> None:
    pools = WindowPools(CONFIG)
    pools.observe_total(10, 0.0)  # more than we think is left: stale, ignored
    assert pools.remaining(0.0) == {"static": 2, "burst": 3}
    pools.observe_total(2, 0.0)  # another consumer used some: the static pool first
    assert pools.remaining(0.0) == {"static": 2, "burst": 0}
    pools.observe_total(1, 0.0)
    assert pools.remaining(0.0) == {"static": 1, "burst": 0}
    shared = fresh(ACCOUNT)
    serve(shared, 0.0, CONFIG, [], Feedback(remaining=(0.0, 0)))
    assert shared.states[ACCOUNT]["static"].used == 2


def test_export_and_restore_round_trip() -> None:
    pools = WindowPools(CONFIG)
    pools.try_take(0.0, Priority.ACTION)
    copy = WindowPools(CONFIG)
    copy.restore(pools.export())
    assert copy.export() == pools.export()
    assert copy.could_take(0.0, Priority.ACTION) and copy.remaining(0.0)["static"] == 1


def test_a_grant_resumed_too_late_is_handed_back() -> None:
    """Each grant says by when its request must be sent (its window's guard); one resumed
    later (a busy event loop) is handed back in the next transaction, un-charging it."""
    shared = fresh(ACCOUNT)
    served = serve(shared, 0.0, CONFIG, waiters(Priority.ACTION), Feedback())
    assert 0.0 < served.send_by[0] <= 3.0  # unanswered: 2 s assumed + the 1 s window
    serve(shared, 0.5, CONFIG, [], Feedback(returned=(served.grants[0],)))
    assert shared.states[ACCOUNT]["static"].used == 0


class BusyAfterGrant:
    """The real ledger, with one twist: after the transaction at ``at`` that grants
    something, the fake clock jumps to ``to`` (the event loop was busy that long before
    the granted task resumed)."""

    def __init__(self, ledger: LimitLedger, now: list[float], at: float, to: float) -> None:
        self.ledger, self.now, self.at, self.to = ledger, now, at, to

    def exchange(self, scopes: Sequence[str], owner: str, now: float,
                 step: Callable[[SharedPools], T]) -> T:
        result = self.ledger.exchange(scopes, owner, now, step)
        if now == self.at and isinstance(result, Served) and result.grants:
            self.now[0] = self.to
        return result

    def leave(self, owner: str) -> None:
        self.ledger.leave(owner)


def test_a_task_resumed_after_its_window_ended_hands_its_shared_grant_back(
        tmp_path: Path) -> None:
    """Issue 19 for the shared limiter, on a real SQLite ledger and a fake clock: process 1
    is granted the token of the window [1.0, 2.0) but resumes only at 2.5; process 2 takes
    the next window's token at 2.5. Sending both then puts two requests into one server
    window of one: process 1's grant must be handed back and its request queued again."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Store.open(url).close()  # migrated
    now = [0.0]
    config = LimiterConfig(static=PoolSpec(1, 1.0), burst=None, guard=0.05, unconfirmed=0.0)
    server = ServerLimiter(RateLimitSpec(static=Pool(1, 1.0), burst=None),
                           monotonic=lambda: now[0])
    one = SharedRateLimiter(BusyAfterGrant(LimitLedger(create_engine(resolve_url(url))),
                                           now, at=1.0, to=2.5),
                            [ACCOUNT], "p1", config, clock=lambda: now[0])
    two = SharedRateLimiter(LimitLedger(create_engine(resolve_url(url))), [ACCOUNT], "p2",
                            config, clock=lambda: now[0])
    sent: list[tuple[str, float, bool]] = []

    async def send(limiter: SharedRateLimiter, name: str) -> Permit:
        permit = await limiter.acquire(Priority.ACTION)
        sent.append((name, now[0], server.check("agent").pool is not None))
        return permit

    async def settled(limiter: SharedRateLimiter, transactions: int) -> None:
        while limiter.transactions < transactions:  # bounded by the test's timeout
            await asyncio.sleep(0.005)

    async def scenario() -> tuple[int, int]:
        one.answered(await send(one, "a"))  # window [0.0, 1.0), anchored at 0.0
        now[0] = 1.0
        await send(one, "b")  # granted at 1.0, resumed at 2.5
        waiting = asyncio.create_task(send(two, "c"))
        await settled(two, 1)
        await asyncio.sleep(0)
        for limiter in (one, two):
            await limiter.aclose()
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        return one.late, len(sent)

    late, count = asyncio.run(scenario())
    assert all(accepted for _, _, accepted in sent), sent  # no 429
    assert [(name, at) for name, at, _ in sent] == [("a", 0.0), ("b", 2.5)]
    assert late == 1 and count == 2  # c waits for [2.5, 3.5)
