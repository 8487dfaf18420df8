"""Time for the runtime: the local clock (injectable for tests) and waits on the server's clock.

Every wait for arrival or cooldown is computed on the *server's* clock: the target time comes
from the server (``route.arrival``, ``cooldown.expiration``) and "now" is the server's ``Date``
header, so a skewed local clock cannot make the runner act early. Against the simulator,
``x-sim-speed`` turns remaining game seconds into wall seconds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

#: Extra wall seconds added to every wait for a server-reported time, so the server's lazy
#: state update (arrival happens when ``route.arrival`` has passed) is surely done.
ARRIVAL_MARGIN_S = 0.05


class Clock(Protocol):
    """The local clock as the supervisor sees it: UTC now, and an awaitable sleep."""

    def now(self) -> datetime:
        """The current UTC time."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic clock (for measuring durations)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


@dataclass
class ManualClock:
    """A clock that only moves when told to, or when someone sleeps on it (for tests).

    ``sleep`` advances time by the requested amount at once and yields to the event loop, so
    a back-off of five minutes takes no wall time and the timing can be asserted exactly.
    """

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.current.timestamp()

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.current += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


def wall_seconds_until(target: datetime, server_now: datetime, speed: float = 1.0) -> float:
    """Wall seconds to wait until the server's clock reaches ``target`` (0 if already past).

    ``speed`` is the server's clock rate (``x-sim-speed``; 1 for the real game).
    """
    game_seconds = (target - server_now).total_seconds()
    if game_seconds <= 0:
        return 0.0
    return game_seconds / max(speed, 1e-9) + ARRIVAL_MARGIN_S


@dataclass(frozen=True)
class ServerClockReading:
    """One observation of the server clock: its time and speed, and our monotonic time then."""

    server_time: datetime
    speed: float
    local_monotonic: float

    def now(self, local_monotonic: float) -> datetime:
        """The server's time now, extrapolated from this reading."""
        elapsed = (local_monotonic - self.local_monotonic) * self.speed
        return self.server_time + timedelta(seconds=elapsed)
