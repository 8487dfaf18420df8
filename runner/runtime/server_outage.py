"""The game server going away for a while: hold the containers, do not fail them.

A server that answers 5xx or does not answer at all (after the client's own retries) is the
server's fault, not the playbook's: the container holds (sends nothing, keeps its lease),
probes the server with back-off, and runs again from its last checkpoint once it answers.
Only after ``ST_RUN_SERVER_OUTAGE_LIMIT`` seconds of outage does it count as a failure (the
restart policy decides then). One line when the server goes away and one when it is back,
for all containers of a runner together (``ServerOutage``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from runner.api.errors import RateLimited, ResponseLost, ServerUnavailable
from runner.errors import InvalidInput
from runner.runtime.outage import DatabaseOutage, RetryPolicy

#: Environment variable: seconds a container waits for the server before it counts as failed.
LIMIT_ENV = "ST_RUN_SERVER_OUTAGE_LIMIT"
#: Default of ``ST_RUN_SERVER_OUTAGE_LIMIT``: ten minutes, longer than a usual restart.
DEFAULT_LIMIT_S = 600.0


def is_server_outage(exc: BaseException) -> bool:
    """True when the server did not answer usefully after the client's retries: 5xx,
    maintenance, timeouts, refused or dropped connections (``ServerUnavailable``), or a
    state change whose answer kept getting lost (``ResponseLost``: a resume re-reads the
    ship and compares, as after a crash), or a front end that keeps answering bare 429s
    (``RateLimited``: a 429 is never the playbook's failure; the game's own 429s are
    retried by the client without bound and never get here)."""
    return isinstance(exc, ServerUnavailable | ResponseLost | RateLimited)


def server_retry_from_env(environ: Mapping[str, str] | None = None) -> RetryPolicy:
    """The hold's back-off, with ``$ST_RUN_SERVER_OUTAGE_LIMIT`` seconds (default 600).

    Raises ``InvalidInput`` (exit 2) for a value that is not a positive number of seconds.
    """
    raw = (os.environ if environ is None else environ).get(LIMIT_ENV, "").strip()
    if not raw:
        return RetryPolicy(give_up_after_s=DEFAULT_LIMIT_S)
    try:
        limit = float(raw)
    except ValueError:
        limit = math.nan
    if not math.isfinite(limit) or limit <= 0:
        raise InvalidInput(f"{LIMIT_ENV}={raw!r}: expected a number of seconds greater than 0")
    return RetryPolicy(give_up_after_s=limit)


class ServerOutage(DatabaseOutage):
    """Counts the containers held by an unreachable game server; says when it goes and
    when it is back."""

    def gone_line(self, exc: BaseException, held: str) -> str:
        message = exc.message if isinstance(exc, ServerUnavailable | ResponseLost | RateLimited) \
            else str(exc)
        return (f"game server unreachable: {message}; holding {held} (each resumes from its "
                "checkpoint when the server answers again)")

    def back_line(self, seconds: float) -> str:
        return f"game server back after {seconds:.0f} s"
