"""The server's clock as seen from the client: "how long until server time T?".

Every response carries a ``Date`` header (whole seconds) and, from the simulator, an
``x-sim-speed`` header (game seconds per wall second; the real server sends none, speed 1).
:class:`ServerClock` keeps a lower bound of the server's time: a response received at local
time ``t`` with ``Date: D`` proves that server time at ``t`` was at least ``D``. Waiting
from a lower bound errs on the late side, which is what arrivals and cooldowns want: a
ship re-read a moment late is fine, one re-read early is a wasted request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class ServerClock:
    """Maps server time onto local wall seconds. Feed it with :meth:`observe`."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 margin: float = 0.05) -> None:
        self._clock = clock
        self.margin = margin  # extra wall seconds added to every wait
        self.speed = 1.0
        self._base: float | None = None  # max over samples of (server_ts - speed * local_t)

    def observe(self, headers: Mapping[str, str], received_at: float | None = None) -> None:
        """Learn from one response's headers, received at local time ``received_at``."""
        local = self._clock() if received_at is None else received_at
        speed = _float(headers.get("x-sim-speed"))
        if speed is not None and speed > 0 and speed != self.speed:
            self.speed, self._base = speed, None  # the mapping changed: start over
        server = _http_date(headers.get("date"))
        if server is None:
            return
        base = server - self.speed * local
        if self._base is None or base > self._base:
            self._base = base

    @property
    def known(self) -> bool:
        """True once a response has told the server's time."""
        return self._base is not None

    def now(self) -> datetime:
        """The server's current time (a lower bound; local UTC until one response arrived)."""
        if self._base is None:
            return datetime.now(UTC)
        return datetime.fromtimestamp(self._base + self.speed * self._clock(), UTC)

    def seconds_until(self, when: datetime) -> float:
        """Wall seconds to sleep until the server's clock reaches ``when`` (0 if passed)."""
        remaining = (when - self.now()).total_seconds()
        return max(0.0, remaining / self.speed + self.margin) if remaining > 0 else 0.0

    def wall_seconds(self, game_seconds: float) -> float:
        """Wall seconds for a duration stated in server seconds (cooldown totals...)."""
        return max(0.0, game_seconds) / self.speed


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
