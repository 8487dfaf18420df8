"""EventBatcher: watchfiles' timing (50 ms of quiet closes a batch, 1.6 s at most)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from runner.watch.batching import MAX_HOLD_S, QUIET_S, EventBatcher


def test_nothing_pending_means_no_deadline_and_empty_take() -> None:
    batcher: EventBatcher[str] = EventBatcher()
    assert batcher.deadline() is None
    assert batcher.take(100.0) == ()


def test_single_event_is_due_after_quiet() -> None:
    batcher: EventBatcher[str] = EventBatcher()
    batcher.add("a.yaml", 10.0)
    assert batcher.deadline() == 10.0 + QUIET_S
    assert batcher.take(10.0 + QUIET_S / 2) == ()
    assert batcher.take(10.0 + QUIET_S) == ("a.yaml",)
    assert batcher.deadline() is None


def test_atomic_save_is_one_batch() -> None:
    """Editor save: create temp, modify it, move it over the file, all within a few ms."""
    batcher: EventBatcher[str] = EventBatcher()
    for at, path in [(0.000, ".a.yaml.tmp"), (0.004, ".a.yaml.tmp"), (0.006, "a.yaml")]:
        batcher.add(path, at)
    assert batcher.take(0.050) == ()  # only 44 ms since the last event
    assert batcher.take(0.056) == (".a.yaml.tmp", "a.yaml")


def test_burst_of_ten_files_is_one_batch_deduplicated() -> None:
    batcher: EventBatcher[str] = EventBatcher()
    names = [f"p{i}.yaml" for i in range(10)]
    for i, name in enumerate(names * 2):
        batcher.add(name, i * 0.01)
    assert batcher.pending == 10
    last = 19 * 0.01
    assert batcher.take(last + QUIET_S - 0.001) == ()
    assert batcher.take(last + QUIET_S) == tuple(names)


def test_busy_folder_is_flushed_after_max_hold() -> None:
    batcher: EventBatcher[int] = EventBatcher()
    t = 0.0
    flushed_at = None
    while t < 5.0:
        batcher.add(int(t * 1000), t)
        t = round(t + 0.02, 6)  # an event every 20 ms: never 50 ms of quiet
        if batcher.take(t):
            flushed_at = t
            break
    assert flushed_at is not None
    assert MAX_HOLD_S <= flushed_at < MAX_HOLD_S + 0.021


def test_after_take_a_new_batch_opens_fresh() -> None:
    batcher: EventBatcher[str] = EventBatcher()
    batcher.add("a", 0.0)
    assert batcher.take(1.0) == ("a",)
    batcher.add("b", 2.0)
    assert batcher.deadline() == 2.0 + QUIET_S


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=0.2), min_size=1, max_size=40))
def test_a_batch_never_waits_longer_than_max_hold_nor_closes_before_quiet(
        gaps: list[float]) -> None:
    batcher: EventBatcher[int] = EventBatcher()
    t = 0.0
    opened = None
    last = 0.0
    for i, gap in enumerate(gaps):
        t += gap
        if batcher.take(t):
            assert opened is not None
            assert t >= last + QUIET_S or t >= opened + MAX_HOLD_S
            opened = None
        batcher.add(i, t)
        opened = t if opened is None else opened
        last = t
        deadline = batcher.deadline()
        assert deadline is not None
        assert deadline <= opened + MAX_HOLD_S
        assert deadline <= last + QUIET_S
