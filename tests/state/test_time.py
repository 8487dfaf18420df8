"""Times are aware UTC on the way out, whatever zone they came in with, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from runner.domain.status import ContainerStatus
from runner.state.store import Store

PARIS_SUMMER = timezone(timedelta(hours=2))


def test_non_utc_input_round_trips_as_the_same_instant_in_utc(store: Store) -> None:
    rec = store.upsert_container("t", "t.yaml", "h", "S-1", "AG")
    local = datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=PARIS_SUMMER)
    store.set_status(rec.id, ContainerStatus.BACKOFF, next_restart_at=local)
    got = store.require_container(rec.id).next_restart_at
    assert got == local
    assert got is not None and got.tzinfo is UTC
    assert (got.hour, got.microsecond) == (12, 123456)


def test_every_stored_time_is_aware_utc(store: Store) -> None:
    rec = store.upsert_container("t", "t.yaml", "h", "S-1", "AG")
    lease = store.claim(rec.id, "r", 30)
    assert lease is not None and lease.expires_at.tzinfo is UTC
    store.set_status(lease, ContainerStatus.RUNNING)
    store.checkpoint(lease, "steps[0]", 0, {}, "x")
    rec = store.require_container(rec.id)
    for value in (rec.created_at, rec.updated_at, rec.started_at, rec.lease_expires_at,
                  store.logs()[0].time, store.last_checkpoint(rec.id).created_at):  # type: ignore[union-attr]
        assert value is not None and value.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(store: Store) -> None:
    rec = store.upsert_container("t", "t.yaml", "h", "S-1", "AG")
    with pytest.raises(Exception, match="naive datetime"):
        store.set_status(rec.id, ContainerStatus.BACKOFF,
                         next_restart_at=datetime(2026, 1, 1, 12, 0))


def test_since_compares_instants_across_zones(store: Store) -> None:
    store.log(None, "INFO", "noon utc")  # the test clock says 2026-03-01 12:00 UTC
    just_before = datetime(2026, 3, 1, 13, 59, tzinfo=timezone(timedelta(hours=2)))
    assert [r.message for r in store.logs(since=just_before)] == ["noon utc"]
    just_after = datetime(2026, 3, 1, 7, 1, tzinfo=timezone(timedelta(hours=-5)))
    assert store.logs(since=just_after) == []
