"""The retry policy as a table: failures so far -> decision."""

from __future__ import annotations

import pytest

from runner.api.retry import Backoff, Failure, FailureKind, RetryPolicy

K = FailureKind
POLICY = RetryPolicy(rand=lambda: 0.5)


def fails(kind: FailureKind, n: int, retry_after: float | None = None) -> list[Failure]:
    return [Failure(kind, retry_after)] * n


@pytest.mark.parametrize(("failures", "retry", "delay"), [
    # 429 from the game's limiter: wait what the server says (+ a little jitter)
    (fails(K.RATE_LIMITED, 1, 0.8), True, 0.825),
    (fails(K.RATE_LIMITED, 7, 0.8), True, 0.825),
    # ... and never gives up on one: a 429 is transient by definition (issue 19)
    (fails(K.RATE_LIMITED, 8, 0.8), True, 0.825),
    (fails(K.RATE_LIMITED, 5000, 0.8), True, 0.825),
    (fails(K.RATE_LIMITED, 5000), True, 7.5),
    (fails(K.SERVER_ERROR, 5) + fails(K.RATE_LIMITED, 40, 0.8), True, 0.825),
    # 429 with no headers and no figure: long exponential back-off
    (fails(K.BARE_429, 1), True, 7.5),
    (fails(K.BARE_429, 3), True, 30.0),
    (fails(K.BARE_429, 5), False, 0.0),
    # 502 from the DDoS layer: minutes
    (fails(K.BAD_GATEWAY, 1), True, 45.0),
    (fails(K.BAD_GATEWAY, 3), True, 180.0),
    (fails(K.BAD_GATEWAY, 4), False, 0.0),
    # 500 / 3000: short exponential back-off, bounded
    (fails(K.SERVER_ERROR, 1), True, 0.375),
    (fails(K.SERVER_ERROR, 2), True, 0.75),
    (fails(K.SERVER_ERROR, 5), True, 6.0),
    (fails(K.SERVER_ERROR, 6), False, 0.0),
    (fails(K.TIMEOUT, 1), True, 0.75),
    (fails(K.CONNECTION, 1), True, 0.375),
    (fails(K.MAINTENANCE, 1), True, 22.5),
    # a game rule is never retried
    (fails(K.FATAL, 1), False, 0.0),
    # mixed failures: the cap on all attempts holds
    (fails(K.SERVER_ERROR, 5) + fails(K.CONNECTION, 5) + fails(K.TIMEOUT, 2), False, 0.0),
    # a Retry-After on another kind is a floor
    ([Failure(K.SERVER_ERROR, 3.0)], True, 3.0),
])
def test_decisions(failures: list[Failure], retry: bool, delay: float) -> None:
    decision = POLICY.decide(failures)
    assert decision.retry is retry
    assert decision.delay == pytest.approx(delay)
    if not retry:
        assert "gave up" in decision.reason or "not retried" in decision.reason


def test_jitter_spreads_between_half_and_full_ceiling() -> None:
    rule = Backoff(1.0, 100.0, attempts=10)
    assert rule.delay(4, 0.0) == 4.0 and rule.delay(4, 0.999) == pytest.approx(7.996)
    assert rule.delay(20, 0.0) == 50.0  # capped


def test_scaled_policy_keeps_attempts() -> None:
    fast = POLICY.scaled(0.01)
    assert fast.decide(fails(K.BAD_GATEWAY, 1)).delay == pytest.approx(0.45)
    assert not fast.decide(fails(K.BAD_GATEWAY, 4)).retry
