"""Counts of every request and its outcome, for budget and per-ship reports.

One :class:`Metrics` per client. Counters are keyed by (what, label) and are plain ints;
wait times per priority class are kept as samples so benches can print percentiles.
Nothing here does I/O; a reporter (CLI, database) reads :meth:`snapshot`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Metrics:
    """Request accounting per endpoint, ship and container."""

    requests: Counter[str] = field(default_factory=Counter)  # by endpoint template
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (endpoint, outcome)
    by_ship: Counter[str] = field(default_factory=Counter)
    by_container: Counter[str] = field(default_factory=Counter)
    by_priority: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0  # 429 answers (with or without headers)
    retries: int = 0
    recoveries: Counter[str] = field(default_factory=Counter)  # lost responses: applied/not
    waits: dict[str, list[float]] = field(default_factory=dict)  # limiter wait per class
    # (method, endpoint, outcome, priority, container or "") of every answered attempt
    answers: Counter[tuple[str, str, str, str, str]] = field(default_factory=Counter)
    rate_limit_kinds: Counter[str] = field(default_factory=Counter)  # "bare", "account"...

    def request(self, endpoint: str, *, ship: str | None, container: str | None,
                priority: str) -> None:
        """One attempt was sent (retries count again)."""
        self.requests[endpoint] += 1
        self.by_priority[priority] += 1
        if ship:
            self.by_ship[ship] += 1
        if container:
            self.by_container[container] += 1

    def outcome(self, endpoint: str, outcome: str, *, method: str = "",
                priority: str = "", container: str | None = None) -> None:
        """How one attempt ended: ``"200"``, ``"429"``, ``"4244"``, ``"timeout"``...

        ``method``, ``priority`` and ``container`` also count it in :attr:`answers`, the
        joint key the Prometheus exporter (``runner.observe``) reads.
        """
        self.outcomes[(endpoint, outcome)] += 1
        self.answers[(method, endpoint, outcome, priority, container or "")] += 1
        if outcome == "429":
            self.rate_limited += 1

    def rate_limit(self, kind: str) -> None:
        """A 429 of ``kind``: ``"bare"`` (no rate-limit headers) or the server's limit type."""
        self.rate_limit_kinds[kind] += 1

    def retry(self) -> None:
        """A request is being tried again."""
        self.retries += 1

    def recovery(self, verdict: str) -> None:
        """A lost response was resolved by re-reading: ``"applied"`` or ``"not_applied"``."""
        self.recoveries[verdict] += 1

    def wait(self, priority: str, seconds: float) -> None:
        """The limiter held a request of class ``priority`` for ``seconds``."""
        self.waits.setdefault(priority, []).append(seconds)

    @property
    def total(self) -> int:
        """Attempts sent."""
        return sum(self.requests.values())

    def snapshot(self) -> dict[str, object]:
        """A plain-data copy for reports."""
        return {
            "total": self.total, "rate_limited": self.rate_limited, "retries": self.retries,
            "requests": dict(self.requests), "by_ship": dict(self.by_ship),
            "by_container": dict(self.by_container), "by_priority": dict(self.by_priority),
            "outcomes": {f"{e} {o}": n for (e, o), n in self.outcomes.items()},
            "recoveries": dict(self.recoveries),
        }


def percentile(samples: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``samples`` by nearest rank; 0.0 when empty."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]
