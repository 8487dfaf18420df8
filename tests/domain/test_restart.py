"""The restart policy: parsing (strings, mappings, errors) and ``decide`` as a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runner.domain.restart import (
    Backoff,
    Outcome,
    RestartDecision,
    RestartMode,
    RestartPolicy,
    decide,
    parse_policy,
    restarts_on_start,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


NO = RestartPolicy(RestartMode.NO)
ON_FAILURE = RestartPolicy(RestartMode.ON_FAILURE)
ON_FAILURE_3 = RestartPolicy(RestartMode.ON_FAILURE, max_restarts=3)
ALWAYS = RestartPolicy(RestartMode.ALWAYS)
UNLESS_STOPPED = RestartPolicy(RestartMode.UNLESS_STOPPED)
FAST = RestartPolicy(RestartMode.ALWAYS, backoff=Backoff(1, 3, 20), reset_after_s=60)

F, C, S = Outcome.FAILED, Outcome.COMPLETED, Outcome.STOPPED

# policy, outcome, restarts so far, started seconds ago -> restart?, delay, new restarts
CASES = [
    ("no: failure is final", NO, F, 0, 5, False, 0, 0),
    ("no: success is final", NO, C, 0, 5, False, 0, 0),
    ("on-failure: first failure waits 10s", ON_FAILURE, F, 0, 5, True, 10, 1),
    ("on-failure: doubling", ON_FAILURE, F, 1, 5, True, 20, 2),
    ("on-failure: doubling again", ON_FAILURE, F, 2, 5, True, 40, 3),
    ("on-failure: 10*2^4=160", ON_FAILURE, F, 4, 5, True, 160, 5),
    ("on-failure: capped at 300s", ON_FAILURE, F, 5, 5, True, 300, 6),
    ("on-failure: still capped after many", ON_FAILURE, F, 5000, 5, True, 300, 5001),
    ("on-failure: success is final", ON_FAILURE, C, 2, 5, False, 0, 2),
    ("on-failure:3 third restart allowed", ON_FAILURE_3, F, 2, 5, True, 40, 3),
    ("on-failure:3 gives up at 3", ON_FAILURE_3, F, 3, 5, False, 0, 3),
    ("on-failure:3 healthy run resets budget", ON_FAILURE_3, F, 3, 600, True, 10, 1),
    ("on-failure: healthy run resets back-off", ON_FAILURE, F, 6, 600, True, 10, 1),
    ("on-failure: just short of healthy", ON_FAILURE, F, 6, 599, True, 300, 7),
    ("on-failure: never started keeps count", ON_FAILURE, F, 2, None, True, 40, 3),
    ("always: success restarts too", ALWAYS, C, 0, 5, True, 10, 1),
    ("always: failure restarts", ALWAYS, F, 1, 5, True, 20, 2),
    ("always: explicit stop is final", ALWAYS, S, 1, 5, False, 0, 1),
    ("unless-stopped: failure restarts", UNLESS_STOPPED, F, 0, 5, True, 10, 1),
    ("unless-stopped: success restarts", UNLESS_STOPPED, C, 0, 5, True, 10, 1),
    ("unless-stopped: explicit stop is final", UNLESS_STOPPED, S, 0, 5, False, 0, 0),
    ("no: explicit stop", NO, S, 0, 5, False, 0, 0),
    ("stop after healthy run reports reset count", ALWAYS, S, 4, 700, False, 0, 0),
    ("custom curve: 1s", FAST, F, 0, 1, True, 1, 1),
    ("custom curve: 3s", FAST, F, 1, 1, True, 3, 2),
    ("custom curve: 9s", FAST, F, 2, 1, True, 9, 3),
    ("custom curve: capped 20s", FAST, F, 3, 1, True, 20, 4),
    ("custom curve: reset after 60s", FAST, F, 3, 60, True, 1, 1),
]


@pytest.mark.parametrize(("policy", "outcome", "restarts", "started", "restart", "delay",
                          "after"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decide(policy: RestartPolicy, outcome: Outcome, restarts: int, started: float | None,
                restart: bool, delay: float, after: int) -> None:
    started_at = None if started is None else ago(started)
    decision = decide(policy, outcome, restarts, started_at, NOW)
    assert (decision.restart, decision.delay_s, decision.restarts) == (restart, delay, after)
    assert decision.reason


def test_reasons_say_why() -> None:
    assert "gave up after 3" in decide(ON_FAILURE_3, F, 3, ago(1), NOW).reason
    assert "stopped" in decide(ALWAYS, S, 0, ago(1), NOW).reason
    assert decide(ON_FAILURE, F, 0, ago(1), NOW) == RestartDecision(
        True, 10.0, 1, "failed; restart 1 in 10s")


def test_a_crash_loop_follows_the_kubernetes_curve() -> None:
    """Replaying decisions on a controllable clock: 10, 20, 40, ... 300, 300."""
    restarts, clock, delays = 0, NOW, []
    for _ in range(8):
        started = clock
        clock += timedelta(seconds=3)  # each run crashes after 3 s
        decision = decide(ON_FAILURE, F, restarts, started, clock)
        delays.append(decision.delay_s)
        restarts = decision.restarts
        clock += timedelta(seconds=decision.delay_s)
    assert delays == [10, 20, 40, 80, 160, 300, 300, 300]


@pytest.mark.parametrize(("policy", "stopped", "expected"), [
    (ALWAYS, True, True), (ALWAYS, False, True),
    (UNLESS_STOPPED, True, False), (UNLESS_STOPPED, False, True),
    (ON_FAILURE, False, False), (NO, False, False),
])
def test_restarts_on_supervisor_start(policy: RestartPolicy, stopped: bool,
                                      expected: bool) -> None:
    assert restarts_on_start(policy, stopped) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("no", RestartPolicy(RestartMode.NO)),
    (False, RestartPolicy(RestartMode.NO)),  # YAML 1.1: `restart: no`
    ("always", RestartPolicy(RestartMode.ALWAYS)),
    ("unless-stopped", RestartPolicy(RestartMode.UNLESS_STOPPED)),
    ("on-failure", RestartPolicy(RestartMode.ON_FAILURE)),
    ("on-failure:5", RestartPolicy(RestartMode.ON_FAILURE, max_restarts=5)),
    (" on-failure : 0 ", RestartPolicy(RestartMode.ON_FAILURE, max_restarts=0)),
])
def test_parse_words(text: object, expected: RestartPolicy) -> None:
    assert parse_policy(text) == expected


def test_parse_mapping_with_durations() -> None:
    policy = RestartPolicy.parse({
        "policy": "on-failure", "max_restarts": 4,
        "backoff": {"initial": "500ms", "factor": 3, "max": "2m"}, "reset_after": "1h"})
    assert policy == RestartPolicy(RestartMode.ON_FAILURE, 4, Backoff(0.5, 3.0, 120.0), 3600.0)
    assert str(policy) == "on-failure:4"


def test_parse_mapping_defaults_are_kubernetes() -> None:
    policy = parse_policy({"policy": "always"})
    assert policy.backoff == Backoff(10.0, 2.0, 300.0)
    assert policy.reset_after_s == 600.0
    assert policy.max_restarts is None
    assert parse_policy({"policy": "always", "reset_after": 30}).reset_after_s == 30.0


@pytest.mark.parametrize(("value", "message"), [
    ("sometimes", "expected no, on-failure[:N], always or unless-stopped"),
    ("always:3", "only on-failure takes a count"),
    ("on-failure:x", "whole number"),
    ("on-failure:-1", "whole number"),
    (True, "invalid restart policy True"),
    (3, "invalid restart policy 3"),
    ({"max_restarts": 3}, "needs a policy"),
    ({"policy": "always", "retries": 3}, "unknown restart key(s) retries"),
    ({"policy": "on-failure:2", "max_restarts": 3}, "either as on-failure:N or max_restarts"),
    ({"policy": "always", "backoff": 5}, "backoff must be a mapping"),
    ({"policy": "always", "backoff": {"start": 1}}, "unknown restart backoff key(s) start"),
    ({"policy": "always", "backoff": {"initial": "soon"}}, "duration like 10s"),
    ({"policy": "always", "backoff": {"initial": 0}}, "initial must be positive"),
    ({"policy": "always", "backoff": {"factor": 0.5}}, "factor must be at least 1"),
    ({"policy": "always", "backoff": {"factor": "2"}}, "factor must be a number"),
    ({"policy": "always", "backoff": {"initial": "1m", "max": "10s"}}, "below initial"),
    ({"policy": "always", "reset_after": -5}, "non-negative duration"),
])
def test_parse_errors_are_clear_value_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_policy(value)
    assert message in str(info.value)


def test_backoff_with_factor_one_is_constant() -> None:
    assert [Backoff(5, 1, 60).delay(n) for n in range(3)] == [5, 5, 5]
