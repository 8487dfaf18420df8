"""What the live view shows about one container: a small mutable record the executor updates.

The executor and the container task write here (in memory, no I/O); the live view and the
plain-line printer read it. Nothing here is needed for correctness.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: Log lines kept per container for the live view.
VIEW_LOG_LINES = 4


@dataclass
class Transit:
    """A flight in progress, on the server's clock, with the wall time we started waiting."""

    origin: str
    destination: str
    departure: datetime
    arrival: datetime
    server_now: datetime
    speed: float
    wall_start: float = field(default_factory=time.monotonic)

    def progress(self, wall_now: float | None = None) -> tuple[float, float]:
        """``(fraction done, wall seconds left)`` extrapolated from when the wait began."""
        wall_now = time.monotonic() if wall_now is None else wall_now
        server_now = self.server_now + timedelta(seconds=(wall_now - self.wall_start) * self.speed)
        total = max((self.arrival - self.departure).total_seconds(), 1e-9)
        left = max((self.arrival - server_now).total_seconds(), 0.0)
        return min(1.0, max(0.0, 1.0 - left / total)), left / max(self.speed, 1e-9)


@dataclass
class ContainerView:
    """The live view's record of one container."""

    id: str
    name: str
    ship: str = "?"
    status: str = "PENDING"
    step_index: int = 0
    step_total: int = 0
    step_label: str = ""
    iterations: int = 0
    restarts: int = 0
    next_retry: datetime | None = None
    transit: Transit | None = None
    logs: deque[str] = field(default_factory=lambda: deque(maxlen=VIEW_LOG_LINES))

    @property
    def step_text(self) -> str:
        """``4/9 navigate`` style text for the current step."""
        if not self.step_total:
            return self.step_label
        return f"{self.step_index}/{self.step_total} {self.step_label}".strip()


#: Called with (view, line) whenever a container logs a line.
LogListener = Callable[[ContainerView, str], None]
