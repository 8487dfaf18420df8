"""The database-outage policy as tables: which errors are transient, how long to wait."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy.exc as sa_exc

from runner.errors import InvalidInput
from runner.runtime.outage import DatabaseOutage, RetryPolicy, decide, describe, is_transient


def operational(message: str) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("UPDATE containers ...", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(("exc", "transient"), [
    (operational("database is locked"), True),
    (operational("connection failed: Connection refused"), True),
    (operational("server closed the connection unexpectedly"), True),
    (operational("consuming input failed: Connection reset by peer"), True),
    (operational("the connection is closed"), True),
    (operational("terminating connection due to administrator command"), True),
    (operational("no such table: containers"), False),  # a schema problem, not an outage
    (sa_exc.InterfaceError("SELECT 1", {}, Exception("connection already closed")), True),
    (sa_exc.DBAPIError("SELECT 1", {}, Exception("boom"), connection_invalidated=True), True),
    (sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")), False),
    (ConnectionResetError("reset"), True),
    (ValueError("database is locked"), False),  # only database errors are retried
    (RuntimeError("connection refused"), False),
])
def test_transient_classification(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


POLICY = RetryPolicy(first_s=0.5, max_s=5.0, give_up_after_s=300.0)


@pytest.mark.parametrize(("attempt", "elapsed", "delay"), [
    (1, 0.0, 0.5),
    (2, 0.5, 1.0),
    (3, 1.5, 2.0),
    (4, 3.5, 4.0),
    (5, 7.5, 5.0),      # capped
    (40, 200.0, 5.0),   # stays capped
    (60, 298.0, 2.0),   # never waits past the limit
    (61, 300.0, None),  # gives up
    (62, 512.0, None),
])
def test_back_off_table(attempt: int, elapsed: float, delay: float | None) -> None:
    assert decide(POLICY, attempt, elapsed) == delay


def test_policy_limit_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_RUN_DB_OUTAGE_LIMIT", "12")
    assert RetryPolicy.from_env().give_up_after_s == 12
    monkeypatch.setenv("ST_RUN_DB_OUTAGE_LIMIT", "soon")  # refused, not a silent default
    with pytest.raises(InvalidInput, match="ST_RUN_DB_OUTAGE_LIMIT='soon'"):
        RetryPolicy.from_env()
    monkeypatch.delenv("ST_RUN_DB_OUTAGE_LIMIT")
    assert RetryPolicy.from_env() == RetryPolicy()


def test_describe_names_the_driver_error_in_one_line() -> None:
    exc = operational("connection failed: Connection refused\n\tIs the server running?")
    assert describe(exc) == "OperationalError: connection failed: Connection refused"


def test_one_line_when_it_goes_and_one_when_it_is_back() -> None:
    lines: list[str] = []
    now = [100.0]
    outage = DatabaseOutage(lines.append, lambda: 3, monotonic=lambda: now[0])
    exc = operational("Connection refused")
    for _ in range(3):
        outage.enter(exc)
    now[0] = 131.2
    for _ in range(3):
        outage.leave()
    assert lines == ["database unreachable: OperationalError: Connection refused; holding 3 "
                     "containers (no game requests until it is back)",
                     "database back after 31 s"]
