"""Leases: one owner at a time, takeover after expiry, fencing of every leased write."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from runner.domain.status import ContainerStatus
from runner.state.models import checkpoints, intents, logs
from runner.state.store import ContainerRecord, LeaseLost, Store
from tests.state.conftest import Clock


@pytest.fixture
def container(store: Store) -> ContainerRecord:
    return store.upsert_container("ore-run", "pb/ore.yaml", "h1", "SHIP-1", "AGENT")


def count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_claim_free_lease(store: Store, container: ContainerRecord, clock: Clock) -> None:
    lease = store.claim(container.id, "runner-a", ttl_s=30)
    assert lease is not None
    assert (lease.owner, lease.version) == ("runner-a", 1)
    assert lease.expires_at == clock.now + timedelta(seconds=30)
    held = store.require_container(container.id)
    assert (held.lease_owner, held.lease_version, held.lease_expires_at) == (
        "runner-a", 1, lease.expires_at)


def test_second_owner_is_refused_while_lease_is_live(store: Store, container: ContainerRecord,
                                                     clock: Clock) -> None:
    assert store.claim(container.id, "runner-a", ttl_s=30) is not None
    clock.advance(29)
    assert store.claim(container.id, "runner-b", ttl_s=30) is None
    assert store.require_container(container.id).lease_owner == "runner-a"


def test_expired_lease_is_taken_over_and_old_holder_is_fenced(
        store: Store, container: ContainerRecord, clock: Clock) -> None:
    old = store.claim(container.id, "runner-a", ttl_s=30)
    assert old is not None
    clock.advance(31)
    new = store.claim(container.id, "runner-b", ttl_s=30)
    assert new is not None and new.version == old.version + 1
    with pytest.raises(LeaseLost):
        store.heartbeat(old)
    with pytest.raises(LeaseLost):
        store.set_status(old, ContainerStatus.FAILED, error="late")
    assert store.require_container(container.id).status is ContainerStatus.PENDING
    store.release(old)  # a lost lease's release is a no-op, not a theft
    assert store.require_container(container.id).lease_owner == "runner-b"


def test_stale_lease_checkpoint_raises_and_writes_nothing(
        store: Store, container: ContainerRecord, clock: Clock) -> None:
    old = store.claim(container.id, "runner-a", ttl_s=10)
    assert old is not None
    store.checkpoint(old, "steps[0]", 0, {"fuel": 100}, "navigated")
    clock.advance(11)
    assert store.claim(container.id, "runner-b", ttl_s=10) is not None
    before = (count(store, checkpoints), count(store, logs), count(store, intents))
    with pytest.raises(LeaseLost):
        store.checkpoint(old, "steps[1]", 0, {"fuel": 50}, "bought 10 IRON_ORE")
    with pytest.raises(LeaseLost):
        store.record_intent(old, "steps[1]", 0, {"action": "purchase"}, {"cargo": 0})
    with pytest.raises(LeaseLost):
        store.log(container.id, "INFO", "late line", lease=old)
    with pytest.raises(LeaseLost):
        store.reset_progress(old)
    assert (count(store, checkpoints), count(store, logs), count(store, intents)) == before
    last = store.last_checkpoint(container.id)
    assert last is not None and last.step_path == "steps[0]"
    assert store.require_container(container.id).step_path == "steps[0]"


def test_heartbeat_extends_and_keeps_others_out(store: Store, container: ContainerRecord,
                                                clock: Clock) -> None:
    lease = store.claim(container.id, "runner-a", ttl_s=30)
    assert lease is not None
    for _ in range(5):
        clock.advance(20)
        lease = store.heartbeat(lease)
        assert store.claim(container.id, "runner-b", ttl_s=30) is None
    assert lease.expires_at == clock.now + timedelta(seconds=30)


def test_expired_but_unclaimed_lease_can_still_checkpoint_but_not_send(
        store: Store, container: ContainerRecord, clock: Clock) -> None:
    """Nobody took over, so recording a finished command is safe; starting a new one is not."""
    lease = store.claim(container.id, "runner-a", ttl_s=5)
    assert lease is not None
    clock.advance(6)
    store.checkpoint(lease, "steps[0]", 0, {"cargo": 10})
    with pytest.raises(LeaseLost):
        store.record_intent(lease, "steps[1]", 0, {"action": "sell"}, {"cargo": 10})
    lease = store.heartbeat(lease)  # revives it: the version is intact
    store.record_intent(lease, "steps[1]", 0, {"action": "sell"}, {"cargo": 10})


def test_release_frees_the_container(store: Store, container: ContainerRecord) -> None:
    lease = store.claim(container.id, "runner-a", ttl_s=30)
    assert lease is not None
    store.release(lease)
    assert store.require_container(container.id).lease_owner is None
    other = store.claim(container.id, "runner-b", ttl_s=30)
    assert other is not None and other.version == 2


def test_reclaim_by_same_owner_fences_its_older_lease(store: Store,
                                                      container: ContainerRecord) -> None:
    first = store.claim(container.id, "runner-a", ttl_s=30)
    second = store.claim(container.id, "runner-a", ttl_s=30)
    assert first is not None and second is not None
    with pytest.raises(LeaseLost):
        store.checkpoint(first, "steps[0]", 0, {})
    store.checkpoint(second, "steps[0]", 0, {})


def test_concurrent_claims_have_exactly_one_winner(db_url: str, clock: Clock) -> None:
    """Eight threads, each with its own Store (own connections), race for the same lease."""
    setup = Store.open(db_url, clock=clock)
    record = setup.upsert_container("race", "pb.yaml", "h", "SHIP-9", "AGENT")
    stores = [Store.open(db_url, clock=clock) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    results: dict[int, object] = {}

    def contend(i: int, s: Store) -> None:
        barrier.wait()
        results[i] = s.claim(record.id, f"runner-{i}", ttl_s=60)

    threads = [threading.Thread(target=contend, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, lease in results.items() if lease is not None]
    assert len(results) == 8 and len(winners) == 1
    assert setup.require_container(record.id).lease_owner == f"runner-{winners[0]}"
    for s in [setup, *stores]:
        s.close()
