"""Which rate limiter each agent's client gets (issue 19).

The server limits requests per account (and per client address), so every st-run process
of one account draws on one budget. With a state store at hand (``run``, ``watch``), each
client gets a :class:`~runner.api.shared_limiter.SharedRateLimiter` whose pools live in the
store, keyed by ``account:NAME`` (and ``address:NAME`` when configured); without one, or
with ``ST_RUN_SHARED_LIMIT=off``, agents of one account share one in-process limiter.

Configuration:

- an agent's account: ``account = "NAME"`` in its ``[agents.X]`` table of the config file;
  ``$ST_RUN_ACCOUNT`` for the ``$SPACETRADERS_TOKEN`` agent. Without it an agent is an
  account of its own (as the server treats an agent registered without an account token).
- ``$ST_RUN_LIMIT_ADDRESS=NAME``: this runner's client address. Runners (processes or
  machines) with the same NAME share that address's pools as well (the server also limits
  per IP: set it when several accounts run behind one address). Unset: no address pools.
- ``$ST_RUN_SHARED_LIMIT=off``: one limiter per process (the old behaviour).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.api.limiter import Limiter, LimiterConfig, RateLimiter
from runner.errors import InvalidInput

if TYPE_CHECKING:
    from runner.state.store import Store

SHARED_ENV = "ST_RUN_SHARED_LIMIT"
ADDRESS_ENV = "ST_RUN_LIMIT_ADDRESS"
ACCOUNT_ENV = "ST_RUN_ACCOUNT"


def shared_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """``$ST_RUN_SHARED_LIMIT``: on (default) or off; anything else is ``InvalidInput``."""
    raw = (os.environ if environ is None else environ).get(SHARED_ENV, "").strip().lower()
    if raw in ("", "on", "1", "true", "yes"):
        return True
    if raw in ("off", "0", "false", "no"):
        return False
    raise InvalidInput(f"{SHARED_ENV}={raw!r}: expected on or off")


def limit_scopes(account: str, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The pools a request of ``account`` draws on: its account's, and its address's when
    ``$ST_RUN_LIMIT_ADDRESS`` names one."""
    address = (os.environ if environ is None else environ).get(ADDRESS_ENV, "").strip()
    return (f"account:{account}",) + ((f"address:{address}",) if address else ())


@dataclass
class Limiters:
    """Hands out limiters by account for one process: shared through ``store`` when given
    (one ledger owner per client), else one in-process limiter per account."""

    store: Store | None
    owner: str
    config: LimiterConfig = field(default_factory=LimiterConfig)
    environ: Mapping[str, str] | None = None
    _local: dict[str, RateLimiter] = field(default_factory=dict)

    def for_account(self, account: str, agent: str) -> Limiter:
        """The limiter of a client of ``agent``, an agent of ``account``."""
        if self.store is not None and shared_enabled(self.environ):
            from runner.api.shared_limiter import SharedRateLimiter
            from runner.state.limits import LimitLedger

            return SharedRateLimiter(LimitLedger(self.store.engine),
                                     limit_scopes(account, self.environ),
                                     f"{self.owner}:{agent}", self.config)
        return self._local.setdefault(account, RateLimiter(self.config))
