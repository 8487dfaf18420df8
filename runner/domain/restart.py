"""Restart policy of a supervised container: Docker's words, Kubernetes' back-off curve.

``no | on-failure[:N] | always | unless-stopped``, or a mapping::

    restart:
      policy: on-failure
      max_restarts: 5
      backoff: {initial: 10s, factor: 2, max: 5m}
      reset_after: 10m

``decide`` is a pure function from (policy, how the run ended, restarts so far, when the run
started, now) to a ``RestartDecision``; the supervisor only acts on it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from runner.domain.duration import parse_duration

DEFAULT_INITIAL_S = 10.0
"""Seconds before the first restart (Kubernetes' CrashLoopBackOff starts at 10 s)."""

DEFAULT_FACTOR = 2.0
"""Each further restart waits this many times longer."""

DEFAULT_MAX_S = 300.0
"""The back-off never exceeds this many seconds (5 min)."""

DEFAULT_RESET_AFTER_S = 600.0
"""A run that stayed up this many seconds (10 min) resets the restart count and back-off."""


class RestartMode(StrEnum):
    """When a finished container is started again (Docker's restart policies)."""

    NO = "no"
    ON_FAILURE = "on-failure"
    ALWAYS = "always"
    UNLESS_STOPPED = "unless-stopped"


class Outcome(StrEnum):
    """How a run of a container ended."""

    COMPLETED = "completed"  # the playbook finished
    FAILED = "failed"  # an error ended it
    STOPPED = "stopped"  # the user asked it to stop (st-run stop, Ctrl-C)


@dataclass(frozen=True)
class Backoff:
    """Delay before restart number ``n`` (0-based): ``min(max_s, initial_s * factor**n)``."""

    initial_s: float = DEFAULT_INITIAL_S
    factor: float = DEFAULT_FACTOR
    max_s: float = DEFAULT_MAX_S

    def delay(self, attempt: int) -> float:
        """Seconds to wait before restart ``attempt`` (0 for the first restart)."""
        if self.factor == 1:
            return min(self.max_s, self.initial_s)
        # Compare exponents, not powers: factor**attempt overflows for long crash loops.
        if attempt * math.log(self.factor) >= math.log(self.max_s / self.initial_s):
            return self.max_s
        return min(self.max_s, self.initial_s * self.factor**attempt)


@dataclass(frozen=True)
class RestartPolicy:
    """A parsed restart policy; ``max_restarts`` None means unlimited."""

    mode: RestartMode = RestartMode.NO
    max_restarts: int | None = None
    backoff: Backoff = field(default_factory=Backoff)
    reset_after_s: float = DEFAULT_RESET_AFTER_S

    def __str__(self) -> str:
        if self.mode is RestartMode.ON_FAILURE and self.max_restarts is not None:
            return f"on-failure:{self.max_restarts}"
        return self.mode.value

    @classmethod
    def parse(cls, value: object) -> RestartPolicy:
        """Parse a playbook's ``restart:`` value; raises ``ValueError`` saying what is wrong."""
        return parse_policy(value)


@dataclass(frozen=True)
class RestartDecision:
    """What the supervisor does after a run ended.

    ``restarts`` is the container's restart count to store: incremented when restarting,
    reset to 0 after a healthy run. ``delay_s`` is 0 when not restarting.
    """

    restart: bool
    delay_s: float
    restarts: int
    reason: str


def decide(policy: RestartPolicy, outcome: Outcome, restarts: int,
           last_started_at: datetime | None, now: datetime) -> RestartDecision:
    """Decide whether and when to restart a container whose run just ended.

    A run that lasted at least ``policy.reset_after_s`` was healthy: the restart count (and
    so the back-off and the ``max_restarts`` budget) starts again from 0.
    """
    if _ran_healthy(policy, last_started_at, now):
        restarts = 0
    if outcome is Outcome.STOPPED:
        return RestartDecision(False, 0.0, restarts, "stopped by request")
    if policy.mode is RestartMode.NO:
        return RestartDecision(False, 0.0, restarts, f"restart policy is no ({outcome})")
    if policy.mode is RestartMode.ON_FAILURE and outcome is Outcome.COMPLETED:
        return RestartDecision(False, 0.0, restarts, "completed; on-failure does not restart")
    if policy.max_restarts is not None and restarts >= policy.max_restarts:
        return RestartDecision(False, 0.0, restarts,
                               f"gave up after {restarts} restart(s) (max {policy.max_restarts})")
    delay = policy.backoff.delay(restarts)
    return RestartDecision(True, delay, restarts + 1,
                           f"{outcome}; restart {restarts + 1} in {_seconds(delay)}")


def restarts_on_start(policy: RestartPolicy, stopped_by_request: bool) -> bool:
    """Whether a supervisor starting up brings a stopped container back.

    Docker's difference between ``always`` and ``unless-stopped``: after a restart of the
    supervisor, ``always`` starts even containers the user stopped; ``unless-stopped`` not.
    """
    if policy.mode is RestartMode.ALWAYS:
        return True
    return policy.mode is RestartMode.UNLESS_STOPPED and not stopped_by_request


def _ran_healthy(policy: RestartPolicy, started: datetime | None, now: datetime) -> bool:
    return started is not None and (now - started).total_seconds() >= policy.reset_after_s


def _seconds(value: float) -> str:
    return f"{value:g}s"


# -- parsing -------------------------------------------------------------------------------

_MODES = "no, on-failure[:N], always or unless-stopped"
_KEYS = ("policy", "max_restarts", "backoff", "reset_after")
_BACKOFF_KEYS = ("initial", "factor", "max")


def parse_policy(value: object) -> RestartPolicy:
    """A ``RestartPolicy`` from a string or mapping; ``ValueError`` with a clear message."""
    if value is False:  # YAML 1.1 reads a bare `no` as false
        return RestartPolicy(RestartMode.NO)
    if isinstance(value, str):
        mode, max_restarts = _parse_mode(value)
        return RestartPolicy(mode, max_restarts)
    if isinstance(value, Mapping):
        return _parse_mapping(value)
    raise ValueError(f"invalid restart policy {value!r}: expected {_MODES}, or a mapping "
                     f"with keys {', '.join(_KEYS)}")


def _parse_mode(text: str) -> tuple[RestartMode, int | None]:
    name, sep, count = text.strip().partition(":")
    try:
        mode = RestartMode(name.strip())
    except ValueError:
        raise ValueError(f"invalid restart policy {text!r}: expected {_MODES}") from None
    if not sep:
        return mode, None
    if mode is not RestartMode.ON_FAILURE:
        raise ValueError(f"invalid restart policy {text!r}: only on-failure takes a count")
    return mode, _non_negative_int(count.strip(), f"restart policy {text!r}")


def _parse_mapping(value: Mapping[object, object]) -> RestartPolicy:
    unknown = [str(k) for k in value if k not in _KEYS]
    if unknown:
        raise ValueError(f"unknown restart key(s) {', '.join(unknown)}: "
                         f"expected {', '.join(_KEYS)}")
    if "policy" not in value:
        raise ValueError(f"restart mapping needs a policy: {_MODES}")
    policy = value["policy"]
    mode, max_restarts = (RestartMode.NO, None) if policy is False else _parse_mode(str(policy))
    if "max_restarts" in value:
        if max_restarts is not None:
            raise ValueError("restart: give the count either as on-failure:N or max_restarts")
        max_restarts = _non_negative_int(value["max_restarts"], "restart max_restarts")
    backoff = _parse_backoff(value.get("backoff", {}))
    reset_after = (_duration(value["reset_after"], "restart reset_after")
                   if "reset_after" in value else DEFAULT_RESET_AFTER_S)
    return RestartPolicy(mode, max_restarts, backoff, reset_after)


def _parse_backoff(value: object) -> Backoff:
    if not isinstance(value, Mapping):
        raise ValueError(f"restart backoff must be a mapping with keys "
                         f"{', '.join(_BACKOFF_KEYS)}, not {value!r}")
    unknown = [str(k) for k in value if k not in _BACKOFF_KEYS]
    if unknown:
        raise ValueError(f"unknown restart backoff key(s) {', '.join(unknown)}: "
                         f"expected {', '.join(_BACKOFF_KEYS)}")
    initial = _duration(value.get("initial", DEFAULT_INITIAL_S), "restart backoff initial")
    maximum = _duration(value.get("max", DEFAULT_MAX_S), "restart backoff max")
    factor = _number(value.get("factor", DEFAULT_FACTOR), "restart backoff factor")
    if initial <= 0:
        raise ValueError(f"restart backoff initial must be positive, not {initial:g}s")
    if factor < 1:
        raise ValueError(f"restart backoff factor must be at least 1, not {factor:g}")
    if maximum < initial:
        raise ValueError(f"restart backoff max ({maximum:g}s) is below initial ({initial:g}s)")
    return Backoff(initial, factor, maximum)


def _duration(value: object, what: str) -> float:
    """Seconds from a duration (``runner.domain.duration``: ``500ms``, ``1m30s``, ``1d``)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise ValueError(f"{what} must be a non-negative duration, not {value!r}")
    try:
        return parse_duration(value)
    except ValueError:
        raise ValueError(f"{what} must be a duration like 10s, 5m or 1h30m, "
                         f"not {value!r}") from None


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, not {value!r}")
    return float(value)


def _non_negative_int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected a whole number >= 0, not {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdigit():
        number = int(value)
    else:
        raise ValueError(f"{what}: expected a whole number >= 0, not {value!r}")
    if number < 0:
        raise ValueError(f"{what}: expected a whole number >= 0, not {value!r}")
    return number
