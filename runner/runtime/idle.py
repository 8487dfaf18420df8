"""The idle-loop guard: a ``repeat`` iteration that did nothing must not spin.

An iteration "did something" when it sent at least one API request or waited on the server
(transit, cooldown, a ``wait`` step). An iteration that did neither is followed by a pause that
doubles from ``initial`` up to ``maximum``; the first such pause of a run is announced once
("idle"), and any real work resets the pause.
"""

from __future__ import annotations

from dataclasses import dataclass

#: First pause after an iteration that sent no request and waited for nothing (seconds).
IDLE_INITIAL_S = 1.0
#: Longest pause between idle iterations (seconds).
IDLE_MAX_S = 30.0


@dataclass
class IterationActivity:
    """What one loop iteration did; the executor bumps these counters."""

    requests: int = 0
    waits: int = 0

    @property
    def idle(self) -> bool:
        """True when the iteration sent nothing and waited for nothing."""
        return self.requests == 0 and self.waits == 0


@dataclass
class IdleGuard:
    """Decides the pause after each iteration and whether to say "idle"."""

    initial: float = IDLE_INITIAL_S
    maximum: float = IDLE_MAX_S
    _next: float = 0.0
    _announced: bool = False

    def after_iteration(self, activity: IterationActivity) -> tuple[float, bool]:
        """Return ``(pause_seconds, announce)`` for the iteration that just ended."""
        if not activity.idle:
            self._next = 0.0
            self._announced = False
            return 0.0, False
        self._next = self.initial if self._next == 0.0 else min(self._next * 2, self.maximum)
        announce = not self._announced
        self._announced = True
        return self._next, announce
