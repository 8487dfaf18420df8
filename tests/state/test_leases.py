"""Leases: one owner at a time, takeover after expiry, fencing of every leased write."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from runner.domain.status import ContainerStatus
from runner.state.models import checkpoints, containers, intents, logs
from runner.state.store import ContainerRecord, Lease, LeaseLost, Store
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
    setup = Store.open(db_url, clock=clock, lease_clock=clock)
    record = setup.upsert_container("race", "pb.yaml", "h", "SHIP-9", "AGENT")
    stores = [Store.open(db_url, clock=clock, lease_clock=clock) for _ in range(8)]
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


def lease_row(store: Store, container_id: int) -> tuple[object, ...]:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(containers.c.lease_owner, containers.c.lease_version,
                                     containers.c.lease_expires_at, containers.c.updated_at)
                           .where(containers.c.id == container_id)).one()
    return tuple(row)


def test_heartbeat_many_renews_all_in_one_call(store: Store, clock: Clock) -> None:
    ids = [store.upsert_container(f"c{i}", "pb.yaml", "h", f"SHIP-{i}", "AGENT").id
           for i in range(3)]
    leases = [store.claim(i, "runner-a", ttl_s=30) for i in ids]
    assert all(lease is not None for lease in leases)
    clock.advance(20)
    renewed = store.heartbeat_many([lease for lease in leases if lease is not None])
    assert set(renewed) == set(ids)
    for container_id, lease in renewed.items():
        assert isinstance(lease, Lease)
        assert lease.expires_at == clock.now + timedelta(seconds=30)
        assert store.require_container(container_id).lease_expires_at == lease.expires_at
    clock.advance(20)  # past the first expiry: only the renewal keeps others out
    assert all(store.claim(i, "runner-b", ttl_s=30) is None for i in ids)


def test_heartbeat_many_reports_a_stale_lease_lost_and_leaves_its_row(
        store: Store, clock: Clock) -> None:
    ids = [store.upsert_container(f"c{i}", "pb.yaml", "h", f"SHIP-{i}", "AGENT").id
           for i in range(3)]
    leases = [store.claim(i, "runner-a", ttl_s=10) for i in ids]
    assert all(lease is not None for lease in leases)
    clock.advance(11)
    taken = store.claim(ids[1], "runner-b", ttl_s=10)  # takes over the expired middle one
    assert taken is not None
    before = lease_row(store, ids[1])
    clock.advance(1)
    renewed = store.heartbeat_many([lease for lease in leases if lease is not None])
    assert isinstance(renewed[ids[1]], LeaseLost)
    assert lease_row(store, ids[1]) == before  # the new holder's row is untouched
    for container_id in (ids[0], ids[2]):  # expired but unclaimed: still ours, renewed
        lease = renewed[container_id]
        assert isinstance(lease, Lease) and lease.expires_at == clock.now + timedelta(seconds=10)
        assert store.require_container(container_id).lease_owner == "runner-a"
    with pytest.raises(LeaseLost):
        store.heartbeat(leases[1])  # type: ignore[arg-type]


def test_heartbeat_many_fences_a_reclaim_by_the_same_owner(store: Store) -> None:
    container_id = store.upsert_container("c", "pb.yaml", "h", "SHIP-1", "AGENT").id
    first = store.claim(container_id, "runner-a", ttl_s=30)
    second = store.claim(container_id, "runner-a", ttl_s=30)
    assert first is not None and second is not None
    assert isinstance(store.heartbeat_many([first])[container_id], LeaseLost)
    assert isinstance(store.heartbeat_many([second])[container_id], Lease)


def test_heartbeat_many_mixed_ttls_and_many_leases(store: Store, clock: Clock) -> None:
    """More leases than one statement takes, with two ttls: every one renewed by its own."""
    import runner.state.store as store_module

    ids = [store.upsert_container(f"c{i}", "pb.yaml", "h", f"SHIP-{i}", "AGENT").id
           for i in range(7)]
    leases = [store.claim(i, "runner-a", ttl_s=10 if i % 2 else 30) for i in ids]
    chunk = store_module.HEARTBEAT_CHUNK
    store_module.HEARTBEAT_CHUNK = 2
    try:
        renewed = store.heartbeat_many([lease for lease in leases if lease is not None])
    finally:
        store_module.HEARTBEAT_CHUNK = chunk
    for container_id in ids:
        lease = renewed[container_id]
        ttl = 10 if container_id % 2 else 30
        assert isinstance(lease, Lease)
        assert lease.expires_at == clock.now + timedelta(seconds=ttl)


def test_heartbeat_many_of_nothing(store: Store) -> None:
    assert store.heartbeat_many([]) == {}
