"""The real server's rate limiter: per key, a static fixed-window pool, then a burst pool.

Windows are wall-clock (``time.monotonic``), even when the game clock runs faster. A pool's
window starts at its first use after the previous window ended, and refills completely then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from runner.sim.config import Pool, RateLimitSpec


@dataclass
class _Window:
    pool: Pool
    used: int = 0
    start: float = 0.0

    def refresh(self, now: float) -> None:
        if self.used and now - self.start >= self.pool.window:
            self.used = 0

    def take(self, now: float) -> bool:
        if self.used >= self.pool.limit:
            return False
        if self.used == 0:
            self.start = now
        self.used += 1
        return True

    def resets_in(self, now: float) -> float:
        return max(0.0, self.start + self.pool.window - now)


@dataclass(frozen=True)
class Decision:
    """The limiter's answer: ``pool`` that served the request, or ``None`` for a 429.

    ``remaining``: requests left in both pools; ``reset_in``: wall seconds until the static
    pool refills.
    """

    pool: str | None
    retry_after: float = 0.0
    remaining: int = 0
    reset_in: float = 0.0
    limited_by: str = ""
    kind: str = "ACCOUNT"  # the 429 body's and x-ratelimit-type's value for this key


class RateLimiter:
    """Per-key pools; ``check`` takes one request from the static pool, else the burst pool."""

    def __init__(self, spec: RateLimitSpec, monotonic: Callable[[], float] = time.monotonic):
        self.spec = spec
        self._now = monotonic
        self._keys: dict[str, tuple[_Window, _Window | None]] = {}

    def check(self, key: str, kind: str = "ACCOUNT") -> Decision:
        now = self._now()
        static, burst = self._keys.setdefault(
            key, (_Window(self.spec.static), _Window(self.spec.burst) if self.spec.burst else None))
        static.refresh(now)
        if burst:
            burst.refresh(now)
        pool = "static" if static.take(now) else "burst" if burst and burst.take(now) else None
        left = static.pool.limit - static.used + (burst.pool.limit - burst.used if burst else 0)
        if pool is not None:
            return Decision(pool, remaining=left, reset_in=static.resets_in(now), kind=kind)
        # Both pools are dry: the static pool refills first and lets the next request in.
        wait = static.resets_in(now)
        return Decision(None, retry_after=wait, remaining=0, reset_in=wait,
                        limited_by="burst" if burst else "static", kind=kind)
