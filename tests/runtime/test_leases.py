"""The runner's lease keeper: every lease renewed in one transaction, losses stop only theirs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runner.runtime.journal import LeaseHolder, StoreJournal
from runner.runtime.leases import LeaseKeeper
from runner.state.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    opened = Store.open(str(tmp_path / "state.db"), clock=clock, lease_clock=clock)
    yield opened
    opened.close()


def holders(store: Store, count: int, ttl_s: float = 30) -> list[LeaseHolder]:
    found = []
    for i in range(count):
        record = store.upsert_container(f"c{i}", "pb.yaml", "h", f"SHIP-{i}", "AGENT")
        lease = store.claim(record.id, "runner-a", ttl_s=ttl_s)
        assert lease is not None
        found.append(LeaseHolder(store, lease))
    return found


@pytest.mark.anyio
async def test_one_renewal_transaction_for_all_and_a_lost_one_stops_alone(
        store: Store, clock: Clock) -> None:
    kept = holders(store, 3, ttl_s=10)
    lost: list[int] = []
    keeper = LeaseKeeper(store)
    for i, holder in enumerate(kept):
        keeper.add(holder, lambda i=i: lost.append(i))
    clock.now += timedelta(seconds=11)
    assert store.claim(kept[1].lease.container_id, "runner-b", ttl_s=10) is not None
    keeper.renew()
    assert keeper.writes == 1
    assert lost == [1] and kept[1].lost
    for holder in (kept[0], kept[2]):
        assert not holder.lost
        assert holder.lease.expires_at == clock.now + timedelta(seconds=10)
        assert store.require_container(holder.lease.container_id).lease_expires_at == \
            holder.lease.expires_at
    keeper.renew()  # the lost one is no longer renewed nor reported again
    assert lost == [1] and keeper.writes == 2
    assert store.require_container(kept[1].lease.container_id).lease_owner == "runner-b"
    task = keeper.task
    assert task is not None and not task.done()
    for holder in kept:
        keeper.remove(holder)
    await asyncio.sleep(0)
    assert task.done()  # ends once no holder is left
    keeper.add(kept[0], lambda: None)  # and starts again with the next one
    assert keeper.task is not task and not keeper.task.done()
    keeper.remove(kept[0])


@pytest.mark.anyio
async def test_a_tick_writes_progress_no_checkpoint_carried(store: Store) -> None:
    holder = holders(store, 1)[0]
    journal = StoreJournal(store, holder)
    keeper = LeaseKeeper(store)
    keeper.add(holder, lambda: None, journal.flush_progress)
    journal.set_progress("2", 7)
    record = store.require_container(holder.lease.container_id)
    assert (record.step_path, record.iterations) == (None, 0)  # not written yet
    keeper.renew()
    record = store.require_container(holder.lease.container_id)
    assert (record.step_path, record.iterations) == ("2", 7)
    writes = journal.writes
    keeper.renew()  # nothing pending: no write
    assert journal.writes == writes
    keeper.remove(holder)


def test_progress_rides_in_the_next_checkpoint(store: Store) -> None:
    holder = holders(store, 1)[0]
    journal = StoreJournal(store, holder)
    journal.set_progress("0", 3)
    journal.checkpoint("0.3.1", 0, {"commands": []}, "orbit")
    record = store.require_container(holder.lease.container_id)
    assert (record.step_path, record.iterations) == ("0.3.1", 3)
    assert journal.writes == 1
    assert journal.take_progress() == {}
