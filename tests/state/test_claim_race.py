"""One ship, one driver: claims raced under injected database latency, lock holds and skew.

Every test runs on a SQLite file and on a private Postgres schema (the ``db_url`` fixture).
Stores here keep their default lease clock, the database's; a runner's skewed clock is a
``clock`` that is off by a minute.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.domain.status import ContainerStatus
from runner.runtime.adapters import AgentDirectory
from runner.runtime.clock import SystemClock
from runner.runtime.supervisor import Supervisor
from runner.state.models import containers
from runner.state.store import Lease, LeaseLost, ShipHeld, Store

RACES = int(os.environ.get("ST_RUN_TEST_RACES", "40"))
"""Races per backend (hypothesis examples); each draws its latencies and lock hold anew
(``ST_RUN_TEST_RACES`` raises it for a longer soak)."""


@dataclass(frozen=True)
class Race:
    """One race: per-claimer latency before each statement, a lock held meanwhile, and
    whether both claim the same container or two containers of the same ship."""

    delays_ms: tuple[int, int]
    hold_ms: int
    same_container: bool
    dead_holder: bool


races = st.builds(Race, st.tuples(st.integers(0, 15), st.integers(0, 15)),
                  st.integers(0, 60), st.booleans(), st.booleans())


def slowed(db_url: str, delay_s: float) -> Store:
    """A store whose every statement waits ``delay_s`` first (a slow database link)."""
    store = Store.open(db_url)

    def before(*_args: Any) -> None:
        time.sleep(delay_s)

    sa.event.listen(store.engine, "before_cursor_execute", before)
    return store


def hold_lock(db_url: str, hold_s: float) -> None:
    """Another process's transaction that holds the write lock for ``hold_s`` seconds."""
    engine = Store.open(db_url).engine
    raw = engine.raw_connection()  # a plain driver connection: no hooks of st-run's
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute("LOCK TABLE containers IN EXCLUSIVE MODE")
        time.sleep(hold_s)
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()


@pytest.fixture
def setup(db_url: str) -> Iterator[Store]:
    store = Store.open(db_url)
    yield store
    store.close()


def live_holders(store: Store, ship: str) -> list[str]:
    now = store.now()
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(containers.c.name).where(
            containers.c.ship == ship, containers.c.lease_owner.is_not(None),
            containers.c.lease_expires_at >= now,
            containers.c.status.in_(["PENDING", "RUNNING", "BACKOFF", "PARKED"])))
        return list(rows.scalars())


def plant_dead_holder(store: Store, ship: str) -> Lease:
    """A container of ``ship`` whose runner died: its lease expired a minute ago."""
    record = store.upsert_container(f"dead-{ship}", "dead.yaml", "h", ship, "AGENT")
    store.set_status(record.id, ContainerStatus.RUNNING)
    expired = store.now() - timedelta(seconds=60)
    with store.engine.begin() as conn:
        conn.execute(sa.update(containers).where(containers.c.id == record.id).values(
            lease_owner="dead-runner", lease_expires_at=expired, lease_version=1))
    return Lease(record.id, "dead-runner", 1, 30, expired)


counter = iter(range(10**9))


@settings(max_examples=RACES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(race=races)
def test_two_claims_for_one_ship_never_both_drive(db_url: str, setup: Store, race: Race
                                                  ) -> None:
    ship = f"SHIP-{next(counter)}"
    names = ["race-a", "race-a"] if race.same_container else ["race-a", "race-b"]
    ids = [setup.upsert_container(f"{n}-{ship}", f"{n}.yaml", "h", ship, "AGENT").id
           for n in names]
    dead = plant_dead_holder(setup, ship) if race.dead_holder else None
    stores = [slowed(db_url, d / 1000) for d in race.delays_ms]
    results: list[object] = [None, None]
    barrier = threading.Barrier(3)

    def claim(i: int) -> None:
        barrier.wait()
        try:
            results[i] = stores[i].claim(ids[i], f"runner-{i}", ttl_s=30)
        except ShipHeld as exc:
            results[i] = exc

    locker = threading.Thread(target=lambda: (barrier.wait(),
                                              hold_lock(db_url, race.hold_ms / 1000)))
    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)] + [locker]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()

    won = [r for r in results if isinstance(r, Lease)]
    assert len(won) == 1, results
    assert all(r is None or isinstance(r, (Lease, ShipHeld)) for r in results)
    assert len(live_holders(setup, ship)) == 1
    if dead is not None:  # the dead runner, had it only been slow, cannot revive its lease
        with pytest.raises(LeaseLost):
            setup.heartbeat(dead)
        assert setup.require_container(dead.container_id).status is ContainerStatus.STOPPED


def test_a_claim_of_another_container_of_a_held_ship_is_refused(setup: Store) -> None:
    a = setup.upsert_container("a", "a.yaml", "h", "SHIP-1", "AGENT")
    b = setup.upsert_container("b", "b.yaml", "h", "SHIP-1", "AGENT")
    other_agent = setup.upsert_container("c", "c.yaml", "h", "SHIP-1", "OTHER")
    assert setup.claim(a.id, "runner-a", ttl_s=30) is not None
    with pytest.raises(ShipHeld, match="held by container 'a'"):
        setup.claim(b.id, "runner-b", ttl_s=30)
    assert setup.claim(other_agent.id, "runner-c", ttl_s=30) is not None  # not the same ship


class Skewed:
    """A runner's clock that is off by ``offset_s`` seconds."""

    def __init__(self, offset_s: float) -> None:
        self.offset = timedelta(seconds=offset_s)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.mark.parametrize("offset_s", [25, 60, 3600])
def test_a_runner_clock_ahead_cannot_steal_a_live_lease(db_url: str, setup: Store,
                                                        offset_s: float) -> None:
    record = setup.upsert_container("live", "live.yaml", "h", "SHIP-1", "AGENT")
    alive = setup.claim(record.id, "runner-alive", ttl_s=10)
    assert alive is not None
    ahead = Store.open(db_url, clock=Skewed(offset_s))
    try:
        assert ahead.claim(record.id, "runner-ahead", ttl_s=10) is None
        assert ahead.request_stop(record.id).stop_requested  # live: asked, not forced
    finally:
        ahead.close()
    setup.heartbeat(alive)  # still the holder


@pytest.mark.parametrize("offset_s", [-60, -3600])
def test_a_runner_clock_behind_takes_over_a_dead_lease_when_it_expires(
        db_url: str, setup: Store, offset_s: float) -> None:
    record = setup.upsert_container("dead", "dead.yaml", "h", "SHIP-1", "AGENT")
    dead = setup.claim(record.id, "runner-dead", ttl_s=0.3)
    assert dead is not None
    behind = Store.open(db_url, clock=Skewed(offset_s))
    try:
        while behind.now() <= dead.expires_at:  # the database's clock, not a timer
            time.sleep(0.05)
        taken = behind.claim(record.id, "runner-behind", ttl_s=30)
        assert taken is not None
        # stamped by the database's clock: its lease runs 30 s from the database's now
        assert abs((taken.expires_at - behind.now()).total_seconds() - 30) < 5
    finally:
        behind.close()
    with pytest.raises(LeaseLost):
        setup.heartbeat(dead)


def test_lease_times_come_from_the_database(db_url: str, setup: Store) -> None:
    """Two stores a day apart on their own clocks read the same lease time."""
    far = Store.open(db_url, clock=Skewed(86400))
    try:
        assert abs((far.now() - setup.now()).total_seconds()) < 5
    finally:
        far.close()


class SkewedRunnerClock(SystemClock):
    """A runner clock off by ``offset_s``; records the sleeps asked of it."""

    def __init__(self, offset_s: float) -> None:
        self.offset = timedelta(seconds=offset_s)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return super().now() + self.offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await super().sleep(seconds)


@pytest.mark.parametrize("offset_s", [-60, 60])
def test_a_skewed_runner_waits_out_a_dead_lease_by_the_database_clock(
        db_url: str, setup: Store, offset_s: float) -> None:
    """The takeover of a dead runner's container waits for its expiry on the database's
    clock: a runner 60 s behind does not wait 60 s longer (nor one ahead less)."""
    record = setup.upsert_container("dead", "dead.yaml", "h", "SHIP-1", "AGENT")
    dead = setup.claim(record.id, "runner-dead", ttl_s=1.0)
    assert dead is not None
    store = Store.open(db_url, clock=Skewed(offset_s))
    clock = SkewedRunnerClock(offset_s)
    supervisor = Supervisor(store, AgentDirectory({}, default="main"), clock=clock,
                            lease_ttl_s=30)
    try:
        lease = asyncio.run(asyncio.wait_for(supervisor._claim(record), 30))
    finally:
        store.close()
    assert lease.owner == supervisor.owner and lease.version == dead.version + 1
    assert clock.sleeps and all(0 < s <= 2.0 for s in clock.sleeps), clock.sleeps
