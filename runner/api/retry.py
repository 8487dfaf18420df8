"""When to try a failed request again: a pure decision, tested as a table.

The transport classifies each failure into a :class:`Failure` and asks
:meth:`RetryPolicy.decide`; the answer is a :class:`RetryDecision` (retry or give up, and
how long to wait). The policy never sleeps and never sends anything.

Back-off is exponential with full jitter, per failure kind: rate-limit refusals honour the
server's ``Retry-After``; bare 429s from the cloud front end and 502s from the DDoS layer
wait much longer (the server asks for minutes). Every kind but one has a bounded number of
attempts, so a request that fails the same way every time is reported, not retried forever.
The exception is a 429 from the game's limiter: it is transient by definition (the server
says when to come back, and the limiter paces the retry), so it is retried without bound and
does not count towards ``max_total``; a run never fails on one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum


class FailureKind(StrEnum):
    """Why one attempt failed."""

    RATE_LIMITED = "rate_limited"  # 429 from the game's limiter, with x-ratelimit headers
    BARE_429 = "bare_429"  # 429 without headers: the cloud front end
    BAD_GATEWAY = "bad_gateway"  # 502: the DDoS layer, wait minutes
    SERVER_ERROR = "server_error"  # 500 / code 3000 / 503 / 504
    MAINTENANCE = "maintenance"  # codes 3100 / 3200: maintenance or reset in progress
    TIMEOUT = "timeout"  # no answer in time
    CONNECTION = "connection"  # refused, reset or dropped connection
    FATAL = "fatal"  # anything else: a game rule or a bad request, never retried


@dataclass(frozen=True)
class Failure:
    """One failed attempt: its kind and the server's requested wait, if it gave one."""

    kind: FailureKind
    retry_after: float | None = None


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off for one failure kind: ``base * 2**(n-1)`` capped at ``cap``,
    with full jitter, for at most ``attempts`` tries in total (None: no bound)."""

    base: float
    cap: float
    attempts: int | None

    def delay(self, failures: int, rand: float) -> float:
        """Wait before the next try after the ``failures``-th failure (``rand`` in [0, 1))."""
        ceiling = min(self.cap, self.base * 2.0 ** min(failures - 1, 60))
        return ceiling / 2 + rand * ceiling / 2  # half fixed, half jitter: never ~0


DEFAULT_BACKOFF: Mapping[FailureKind, Backoff] = {
    FailureKind.RATE_LIMITED: Backoff(0.5, 10.0, attempts=None),
    FailureKind.BARE_429: Backoff(10.0, 120.0, attempts=5),
    FailureKind.BAD_GATEWAY: Backoff(60.0, 300.0, attempts=4),
    FailureKind.SERVER_ERROR: Backoff(0.5, 30.0, attempts=6),
    FailureKind.MAINTENANCE: Backoff(30.0, 300.0, attempts=10),
    FailureKind.TIMEOUT: Backoff(1.0, 30.0, attempts=5),
    FailureKind.CONNECTION: Backoff(0.5, 30.0, attempts=6),
}


@dataclass(frozen=True)
class RetryDecision:
    """What to do after a failure: retry after ``delay`` seconds, or give up."""

    retry: bool
    delay: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded, jittered retries per failure kind.

    ``max_total`` bounds all attempts of one request whatever the mix of failures (game
    429s, which are never final, are not counted).
    ``rand`` returns a number in [0, 1); tests pass a constant.
    """

    backoff: Mapping[FailureKind, Backoff] = field(default_factory=lambda: dict(DEFAULT_BACKOFF))
    max_total: int = 12
    rand: Callable[[], float] = random.random

    def decide(self, failures: list[Failure]) -> RetryDecision:
        """Given every failure of this request so far (the last one just happened)."""
        last = failures[-1]
        rule = self.backoff.get(last.kind)
        if rule is None:
            return RetryDecision(False, reason=f"{last.kind} is not retried")
        same = sum(1 for f in failures if f.kind is last.kind)
        counted = sum(1 for f in failures if f.kind is not FailureKind.RATE_LIMITED)
        if (rule.attempts is not None and same >= rule.attempts) or counted >= self.max_total:
            return RetryDecision(False, reason=f"gave up after {len(failures)} attempts "
                                               f"({same} x {last.kind})")
        if last.retry_after is not None and last.kind is FailureKind.RATE_LIMITED:
            # the server said exactly when; a little jitter spreads the herd
            return RetryDecision(True, last.retry_after + 0.05 * self.rand(), str(last.kind))
        delay = rule.delay(same, self.rand())
        if last.retry_after is not None:
            delay = max(delay, last.retry_after)
        return RetryDecision(True, delay, str(last.kind))

    def scaled(self, factor: float) -> RetryPolicy:
        """The same policy with every wait multiplied by ``factor`` (tests, simulators)."""
        return replace(self, backoff={k: Backoff(b.base * factor, b.cap * factor, b.attempts)
                                      for k, b in self.backoff.items()})
