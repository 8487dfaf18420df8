"""Server clock mapping (pure). The before/after rules for lost answers are the commands' own
(``tests/domain/test_command_rules.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runner.api.clock import ServerClock

T0 = datetime(2025, 4, 9, 12, 0, 0, tzinfo=UTC)


def test_clock_is_a_lower_bound_from_date_headers() -> None:
    local = [100.0]
    clock = ServerClock(clock=lambda: local[0], margin=0.0)
    clock.observe({"date": "Wed, 09 Apr 2025 12:00:00 GMT"})
    local[0] = 100.4
    clock.observe({"date": "Wed, 09 Apr 2025 12:00:00 GMT"})  # older bound: ignored
    assert clock.now() == T0 + timedelta(seconds=0.4)
    assert clock.seconds_until(T0 + timedelta(seconds=10)) == pytest.approx(9.6)
    assert clock.seconds_until(T0 - timedelta(seconds=10)) == 0.0


def test_clock_with_simulator_speed() -> None:
    local = [0.0]
    clock = ServerClock(clock=lambda: local[0], margin=0.0)
    clock.observe({"date": "Wed, 09 Apr 2025 12:00:00 GMT", "x-sim-speed": "10"})
    assert clock.speed == 10
    assert clock.seconds_until(T0 + timedelta(seconds=100)) == pytest.approx(10.0)
    local[0] = 1.0  # one wall second = ten game seconds
    assert clock.now() == T0 + timedelta(seconds=10)
    assert clock.wall_seconds(70) == 7.0
    clock.observe({"date": "Wed, 09 Apr 2025 12:01:00 GMT"})  # the game clock jumped ahead
    assert clock.now() == T0 + timedelta(seconds=60)


def test_clock_ignores_garbage() -> None:
    clock = ServerClock()
    clock.observe({"date": "not a date", "x-sim-speed": "fast"})
    assert not clock.known and clock.speed == 1.0
