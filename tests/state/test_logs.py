"""Logs: commit order, filters by container and time, polling by id for ``logs -f``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from runner.state.store import Store, UnknownContainer
from tests.state.conftest import Clock


def test_logs_come_back_in_commit_order(store: Store, clock: Clock) -> None:
    a = store.upsert_container("a", "a.yaml", "h", "S-1", "AG")
    b = store.upsert_container("b", "b.yaml", "h", "S-2", "AG")
    for i in range(6):
        store.log(a.id if i % 2 == 0 else b.id, "INFO", f"line {i}")
        clock.advance(1)
    store.log(None, "WARNING", "runner-wide")
    lines = store.logs()
    assert [r.message for r in lines] == [f"line {i}" for i in range(6)] + ["runner-wide"]
    assert [r.id for r in lines] == sorted(r.id for r in lines)
    assert [r.container for r in lines] == ["a", "b", "a", "b", "a", "b", None]
    assert [r.message for r in store.logs("b")] == ["line 1", "line 3", "line 5"]
    assert [r.message for r in store.logs(a.id)] == ["line 0", "line 2", "line 4"]


def test_since_filters_by_time(store: Store, clock: Clock) -> None:
    start = clock.now
    for i in range(5):
        store.log(None, "INFO", f"t{i}")
        clock.advance(60)
    assert [r.message for r in store.logs(since=start + timedelta(seconds=120))] == [
        "t2", "t3", "t4"]


def test_limit_keeps_the_newest_in_order(store: Store) -> None:
    for i in range(10):
        store.log(None, "INFO", str(i))
    assert [r.message for r in store.logs(limit=3)] == ["7", "8", "9"]


def test_after_id_polls_forward(store: Store) -> None:
    first = [store.log(None, "INFO", str(i)) for i in range(3)]
    assert store.logs(after_id=first[-1].id) == []
    new = [store.log(None, "INFO", str(i)) for i in range(3, 8)]
    page = store.logs(after_id=first[-1].id, limit=2)
    assert [r.message for r in page] == ["3", "4"]
    assert [r.message for r in store.logs(after_id=page[-1].id)] == ["5", "6", "7"]
    assert new[-1].id > first[-1].id


def test_log_returns_what_was_committed(store: Store, clock: Clock) -> None:
    rec = store.upsert_container("c", "c.yaml", "h", "S-1", "AG")
    line = store.log(rec.id, "error", "4600: need 900, have 12")
    assert (line.level, line.container, line.time) == ("ERROR", "c", clock.now)
    assert store.logs("c") == [line]


def test_latest_logs_per_container(store: Store) -> None:
    a = store.upsert_container("a", "a.yaml", "h", "S-1", "AG")
    b = store.upsert_container("b", "b.yaml", "h", "S-2", "AG")
    c = store.upsert_container("c", "c.yaml", "h", "S-3", "AG")
    for msg in ("a1", "a2"):
        store.log(a.id, "INFO", msg)
    store.log(b.id, "INFO", "b1")
    latest = store.latest_logs([a.id, b.id, c.id])
    assert {k: v.message for k, v in latest.items()} == {a.id: "a2", b.id: "b1"}
    assert store.latest_logs([]) == {}


def test_logs_of_unknown_container(store: Store) -> None:
    with pytest.raises(UnknownContainer):
        store.logs("ghost")
