"""The step journal: intents before sending, checkpoints after, reset for --fresh."""

from __future__ import annotations

import pytest

from runner.domain.status import ContainerStatus
from runner.state.store import ContainerRecord, Lease, Store
from tests.state.conftest import Clock


@pytest.fixture
def container(store: Store) -> ContainerRecord:
    return store.upsert_container("trade", "pb/trade.yaml", "h1", "SHIP-1", "AGENT")


@pytest.fixture
def lease(store: Store, container: ContainerRecord) -> Lease:
    claimed = store.claim(container.id, "runner-a", ttl_s=60)
    assert claimed is not None
    return claimed


def test_no_progress_yet(store: Store, container: ContainerRecord) -> None:
    assert store.last_checkpoint(container.id) is None
    assert store.pending_intent(container.id) is None


def test_intent_is_pending_until_its_checkpoint(store: Store, container: ContainerRecord,
                                                lease: Lease, clock: Clock) -> None:
    command = {"action": "purchase", "symbol": "IRON_ORE", "units": 10}
    store.record_intent(lease, "steps[2]", 1, command, {"cargo": {"IRON_ORE": 0}})
    pending = store.pending_intent(container.id)
    assert pending is not None
    assert (pending.step_path, pending.command_index, pending.command, pending.before) == (
        "steps[2]", 1, command, {"cargo": {"IRON_ORE": 0}})
    assert pending.created_at == clock.now
    clock.advance(1)
    store.checkpoint(lease, "steps[2]", 1, {"cargo": {"IRON_ORE": 10}}, "bought 10 IRON_ORE")
    assert store.pending_intent(container.id) is None
    last = store.last_checkpoint(container.id)
    assert last is not None
    assert (last.step_path, last.command_index, last.state) == (
        "steps[2]", 1, {"cargo": {"IRON_ORE": 10}})
    assert [r.message for r in store.logs("trade")] == ["bought 10 IRON_ORE"]


def test_discard_intent_resolves_it_without_progress(store: Store, container: ContainerRecord,
                                                     lease: Lease) -> None:
    store.record_intent(lease, "steps[0]", 0, {"action": "sell"}, {"cargo": 5})
    store.discard_intent(lease)
    assert store.pending_intent(container.id) is None
    assert store.last_checkpoint(container.id) is None


def test_a_new_intent_supersedes_an_unresolved_one(store: Store, container: ContainerRecord,
                                                   lease: Lease) -> None:
    store.record_intent(lease, "steps[0]", 0, {"n": 1}, {})
    store.record_intent(lease, "steps[0]", 1, {"n": 2}, {})
    pending = store.pending_intent(container.id)
    assert pending is not None and pending.command == {"n": 2}


def test_last_checkpoint_is_the_newest(store: Store, container: ContainerRecord,
                                       lease: Lease) -> None:
    for i in range(5):
        store.checkpoint(lease, f"steps[{i}]", 0, {"i": i})
    last = store.last_checkpoint(container.id)
    assert last is not None and last.state == {"i": 4}
    assert store.require_container(container.id).step_path == "steps[4]"


def test_checkpoint_log_line_carries_its_level(store: Store, lease: Lease) -> None:
    store.checkpoint(lease, "steps[0]", 0, {}, "fuel low", level="warning")
    (line,) = store.logs()
    assert (line.level, line.message, line.container) == ("WARNING", "fuel low", "trade")


def test_reset_progress_starts_over_but_keeps_logs(store: Store, container: ContainerRecord,
                                                   lease: Lease) -> None:
    store.checkpoint(lease, "steps[3]", 0, {"x": 1}, "did something")
    store.record_intent(lease, "steps[4]", 0, {"n": 1}, {})
    store.set_status(lease, ContainerStatus.BACKOFF, restarts=3, iterations=7, error="boom")
    store.reset_progress(lease)
    rec = store.require_container(container.id)
    assert store.last_checkpoint(container.id) is None
    assert store.pending_intent(container.id) is None
    assert (rec.status.value, rec.restarts, rec.iterations, rec.step_path, rec.last_error) == (
        "PENDING", 0, 0, None, None)
    assert len(store.logs("trade")) == 1


def test_journal_is_per_container(store: Store, lease: Lease) -> None:
    other = store.upsert_container("other", "pb/o.yaml", "h", "SHIP-2", "AGENT")
    store.checkpoint(lease, "steps[0]", 0, {"mine": True})
    assert store.last_checkpoint(other.id) is None

