"""The game server going away for a while: hold the containers, do not fail them.

A server that answers 5xx or does not answer at all (after the client's own retries) is the
server's fault, not the playbook's: the container holds (sends nothing, keeps its lease),
probes the server with back-off, and runs again from its last checkpoint once it answers.
Only after ``ST_RUN_SERVER_OUTAGE_LIMIT`` seconds of outage does it count as a failure (the
restart policy decides then). One line when the server goes away and one when it is back,
for all containers of a runner together (``ServerOutage``).
"""

from __future__ import annotations

from collections.abc import Mapping

from runner.api.errors import RateLimited, ResponseLost, ServerUnavailable
from runner.envconfig import SERVER_OUTAGE_LIMIT_ENV, seconds_from_env
from runner.runtime.outage import DatabaseOutage, RetryPolicy

LIMIT_ENV = SERVER_OUTAGE_LIMIT_ENV
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
    return RetryPolicy(give_up_after_s=seconds_from_env(LIMIT_ENV, DEFAULT_LIMIT_S, environ))


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
