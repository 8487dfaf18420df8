"""Group file-system events into batches, with watchfiles' timing.

A batch opens with its first event and closes after ``quiet`` seconds without a new event,
or ``max_hold`` seconds after it opened, whichever comes first (watchfiles: step 50 ms,
debounce 1600 ms). So an editor's atomic save (write temp, rename over) or a ``git pull``
touching ten files becomes one batch, and a file rewritten in a tight loop still reloads at
least every 1.6 s.

Pure: the caller passes the time (any monotonic clock, in seconds); nothing here sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

QUIET_S = 0.050
"""Seconds without a new event that close a batch (watchfiles' ``step``)."""

MAX_HOLD_S = 1.6
"""Longest a batch is held open, in seconds, however busy the folder (watchfiles' ``debounce``)."""


@dataclass
class EventBatcher(Generic[T]):
    """Collects items (event paths) and says when the open batch is due.

    Items keep their first-seen order and are de-duplicated.
    """

    quiet: float = QUIET_S
    max_hold: float = MAX_HOLD_S
    _items: dict[T, None] = field(default_factory=dict)
    _opened_at: float | None = None
    _last_at: float | None = None

    def add(self, item: T, now: float) -> None:
        """Record one event seen at ``now``."""
        if self._opened_at is None:
            self._opened_at = now
        self._last_at = now
        self._items[item] = None

    def deadline(self) -> float | None:
        """When the open batch is due, or None when nothing is pending."""
        if self._opened_at is None or self._last_at is None:
            return None
        return min(self._last_at + self.quiet, self._opened_at + self.max_hold)

    def take(self, now: float) -> tuple[T, ...]:
        """Close and return the batch if it is due at ``now``; otherwise return ()."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return ()
        batch = tuple(self._items)
        self._items.clear()
        self._opened_at = self._last_at = None
        return batch

    @property
    def pending(self) -> int:
        """How many distinct items wait in the open batch."""
        return len(self._items)
