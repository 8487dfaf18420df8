"""The game clock: runs ``speed`` times faster than wall time and can be pushed forward."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime


class GameClock:
    """Game time in epoch seconds; starts at the wall time of creation.

    ``advance`` jumps game time forward (tests use it instead of sleeping).
    """

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        self.speed = speed
        self._start = time.time() if start is None else start
        self._mono0 = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        """Current game time, epoch seconds."""
        return self._start + (time.monotonic() - self._mono0) * self.speed + self._offset

    def advance(self, seconds: float) -> float:
        """Move game time forward by ``seconds``; returns the new game time."""
        if seconds < 0:
            raise ValueError("the game clock never runs backwards")
        self._offset += seconds
        return self.now()


def iso(ts: float) -> str:
    """An ISO-8601 UTC timestamp with milliseconds, as the real server writes them."""
    text = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def http_date(ts: float) -> str:
    """An RFC 7231 ``Date`` header value."""
    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


def parse_iso(text: str) -> float:
    """Epoch seconds from an ISO-8601 timestamp (``Z`` or offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
