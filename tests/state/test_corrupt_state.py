"""A container's stored state that cannot be read is a ``CorruptState`` naming it, never a
driver's JSONDecodeError; declaring the container again does not read it (issue 22)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from runner.state.store import ContainerRecord, CorruptState, Lease, Store


@pytest.fixture
def container(store: Store) -> ContainerRecord:
    return store.upsert_container("trade", "pb/trade.yaml", "h1", "SHIP-1", "AGENT")


@pytest.fixture
def lease(store: Store, container: ContainerRecord) -> Lease:
    claimed = store.claim(container.id, "runner-a", ttl_s=60)
    assert claimed is not None
    return claimed


def _overwrite(store: Store, sql: str, value: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text(sql), {"bad": value})


def _bad_values(store: Store) -> list[str]:
    # Postgres' JSON type refuses text that is not JSON: there, damage is the wrong shape.
    wrong_shape = ['"a string"', "[1, 2]"]
    return wrong_shape if store.engine.dialect.name == "postgresql" else \
        [*wrong_shape, "{not json"]


def test_an_unreadable_checkpoint_is_corrupt_state(store: Store, container: ContainerRecord,
                                                   lease: Lease) -> None:
    store.checkpoint(lease, "1", 0, {"commands": []}, "docked")
    for bad in _bad_values(store):
        _overwrite(store, "UPDATE checkpoints SET state = :bad", bad)
        with pytest.raises(CorruptState, match=f"checkpoint of container {container.id}"):
            store.last_checkpoint(container.id)
        assert store.has_checkpoint(container.id)
        again = store.upsert_container("trade", "pb/trade.yaml", "h2", "SHIP-1", "AGENT")
        assert again.content_hash == "h1"  # it has progress: the started version is kept


def test_an_unreadable_intent_is_corrupt_state(store: Store, container: ContainerRecord,
                                               lease: Lease) -> None:
    store.record_intent(lease, "1", 0, {"kind": "dock"}, {"ship": {}})
    for bad in _bad_values(store):
        _overwrite(store, "UPDATE intents SET command = :bad", bad)
        with pytest.raises(CorruptState, match="pending intent"):
            store.pending_intent(container.id)
