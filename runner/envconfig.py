"""Settings read from the environment: a bad value is one clear line and exit 2, never a
silent default (``ST_RUN_LEASE_TTL=abc`` must not quietly mean 30 s)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from runner.errors import InvalidInput


def seconds_from_env(name: str, default: float,
                     environ: Mapping[str, str] | None = None) -> float:
    """``$name`` as a number of seconds greater than 0; ``default`` when unset or empty.

    Raises ``InvalidInput`` naming the variable and its value for anything else.
    """
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InvalidInput(f"${name}={raw!r}: expected a number of seconds greater than 0")
    return value


LEASE_TTL_ENV = "ST_RUN_LEASE_TTL"
"""Seconds a container's lease lives without renewal (tests shorten it)."""

DB_OUTAGE_LIMIT_ENV = "ST_RUN_DB_OUTAGE_LIMIT"
"""Seconds to wait for an unreachable database before failing a container."""

SERVER_OUTAGE_LIMIT_ENV = "ST_RUN_SERVER_OUTAGE_LIMIT"
"""Seconds a container waits for an unreachable game server before it counts as failed."""

FLEET_POLL_ENV = "ST_RUN_FLEET_POLL"
"""Seconds between two looks at an agent's ships for its group playbooks (default 60)."""
RESET_CHECK_ENV = "ST_RUN_RESET_CHECK_S"
"""Seconds between two checks of the server's ``resetDate`` (a server reset)."""


def check_seconds_settings() -> None:
    """Refuse a bad value of any seconds setting now, before a command starts anything
    (the runtime reads each again where it is used)."""
    for name in (LEASE_TTL_ENV, DB_OUTAGE_LIMIT_ENV, SERVER_OUTAGE_LIMIT_ENV, FLEET_POLL_ENV,
                 RESET_CHECK_ENV):
        seconds_from_env(name, 1.0)
