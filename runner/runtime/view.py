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
class Countdown:
    """A wait in progress other than a flight (a cooldown, a ``wait``), in wall seconds."""

    label: str
    total_s: float
    wall_start: float = field(default_factory=time.monotonic)

    def progress(self, wall_now: float | None = None) -> tuple[float, float]:
        """``(fraction done, wall seconds left)``."""
        wall_now = time.monotonic() if wall_now is None else wall_now
        left = max(0.0, self.total_s - (wall_now - self.wall_start))
        return (1.0 - left / self.total_s if self.total_s > 0 else 1.0), left


@dataclass(frozen=True)
class PlannedTimes:
    """What the plan predicted, for the whole-playbook ETA: game seconds after the start
    when each top-level step ends, and whether loops without an end come on top."""

    step_ends_s: tuple[float, ...]
    unbounded: bool = False

    def left_s(self, step_index: int) -> float:
        """Game seconds the plan gives the steps from ``step_index`` (1-based) on."""
        if not self.step_ends_s:
            return 0.0
        done = self.step_ends_s[step_index - 2] if step_index >= 2 else 0.0
        return max(0.0, self.step_ends_s[-1] - done)


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
    countdown: Countdown | None = None
    sub_label: str = ""  # the step inside the current top-level loop, if any
    planned: PlannedTimes | None = None  # from the check before the start (not on resume)
    speed: float = 1.0  # game seconds per wall second
    step_started: float = field(default_factory=time.monotonic)  # wall, current top step
    logs: deque[str] = field(default_factory=lambda: deque(maxlen=VIEW_LOG_LINES))

    @property
    def step_text(self) -> str:
        """``4/9 navigate`` style text for the current step (``4/9 mine › extract`` inside a
        loop)."""
        label = f"{self.step_label} › {self.sub_label}" if self.sub_label else self.step_label
        if not self.step_total:
            return label
        return f"{self.step_index}/{self.step_total} {label}".strip()

    def eta_s(self, wall_now: float | None = None) -> float | None:
        """Wall seconds until the playbook ends: what the plan gives the steps from the
        current one on, less the time this step has run (never less than the current
        flight or wait has left); None without a plan."""
        if self.planned is None or not self.step_index:
            return None
        wall_now = time.monotonic() if wall_now is None else wall_now
        left = self.planned.left_s(self.step_index) / max(self.speed, 1e-9)
        left -= wall_now - self.step_started
        timer = self.transit or self.countdown
        timer_left = timer.progress(wall_now)[1] if timer is not None else 0.0
        return max(0.0, left, timer_left)


#: Called with (view, line) whenever a container logs a line.
LogListener = Callable[[ContainerView, str], None]
