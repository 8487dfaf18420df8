"""The database going away for a while: which errors are transient, how long to wait.

A container whose store write fails with a transient error (connection refused, reset or
closed, a connection SQLAlchemy invalidated, SQLite's "database is locked") does not fail:
it sends no further game request (a state change it cannot record must not happen) and
retries the pending write with back-off until it lands or ``RetryPolicy.give_up_after_s``
has passed. ``decide`` is the pure policy; ``DatabaseOutage`` prints one line when the
database goes away and one when it is back, for all containers of a runner together.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy.exc as sa_exc

from runner.envconfig import DB_OUTAGE_LIMIT_ENV, seconds_from_env

#: Environment variable: seconds to wait for the database before failing a container.
GIVE_UP_ENV = DB_OUTAGE_LIMIT_ENV

#: Fragments of driver messages that mean "the server is not there right now".
_TRANSIENT_TEXT = (
    "database is locked", "connection refused", "connection reset", "connection is closed",
    "server closed the connection", "could not connect", "terminating connection",
    "connection timed out", "timeout expired", "consuming input failed",
    "the connection is lost", "connection failed", "no connection to the server",
    "broken pipe", "ssl syscall error", "server conn crashed", "connection to server",
    "connection already closed",
)


def is_transient(exc: BaseException) -> bool:
    """True for a database error that may go away by itself (retry), else False.

    Schema errors (SQLite's "no such table" is an OperationalError too) are not transient.
    """
    if isinstance(exc, ConnectionError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(fragment in text for fragment in _TRANSIENT_TEXT)


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off for a store write: ``first_s`` doubling up to ``max_s``; give up after
    ``give_up_after_s`` seconds of outage in total."""

    first_s: float = 0.5
    max_s: float = 5.0
    give_up_after_s: float = 300.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """The default policy, with ``$ST_RUN_DB_OUTAGE_LIMIT`` seconds when it is set (a
        value that is not a positive number is ``InvalidInput``, exit 2)."""
        return cls(give_up_after_s=seconds_from_env(GIVE_UP_ENV, cls.give_up_after_s))


def decide(policy: RetryPolicy, attempt: int, elapsed_s: float) -> float | None:
    """Seconds to wait before retry number ``attempt`` (1-based), or None to give up.

    Never waits past the give-up time: the last wait is cut short so that the final retry
    happens at it.
    """
    remaining = policy.give_up_after_s - elapsed_s
    if remaining <= 0:
        return None
    delay: float = min(policy.max_s, policy.first_s * 2.0 ** max(0, attempt - 1))
    return min(delay, remaining)


def describe(exc: BaseException) -> str:
    """One line naming the database problem (the driver's first line, no SQL)."""
    inner = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    first = (str(inner).strip().splitlines() or [type(inner).__name__])[0]
    return f"{type(inner).__name__}: {first}"


class DatabaseOutage:
    """Counts the containers held by an unreachable database; says when it goes and returns.

    ``say`` prints a runner-level line; ``live`` is how many containers the runner has.
    """

    def __init__(self, say: Callable[[str], None], live: Callable[[], int] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.say = say
        self.live = live
        self.monotonic = monotonic
        self.held = 0
        self.since: float | None = None

    def enter(self, exc: BaseException) -> None:
        """A container is held; the first one announces the outage."""
        self.held += 1
        if self.held == 1:
            self.since = self.monotonic()
            count = self.live() if self.live is not None else 1
            noun = "container" if count == 1 else "containers"
            self.say(self.gone_line(exc, f"{count} {noun}"))

    def leave(self, back: bool = True) -> None:
        """A container is no longer held; the last one out says the database is back."""
        self.held = max(0, self.held - 1)
        if self.held == 0 and self.since is not None:
            if back:
                self.say(self.back_line(self.monotonic() - self.since))
            self.since = None

    def gone_line(self, exc: BaseException, held: str) -> str:
        """The line announcing the outage (``held``: "3 containers")."""
        return (f"database unreachable: {describe(exc)}; holding {held} "
                "(no game requests until it is back)")

    def back_line(self, seconds: float) -> str:
        """The line announcing the end of the outage."""
        return f"database back after {seconds:.0f} s"
