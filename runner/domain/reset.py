"""Server resets, as pure decisions: when one happened, and whether an agent can rejoin.

The live server wipes agents, ships and tokens every week or two. Two signs reveal it: an
agent token answered 4113 (its reset date does not match the server's), or the
``resetDate`` of ``GET /`` changed. :class:`ResetDetector` turns those observations into at
most one :class:`ResetSeen` per agent and reset; :func:`decide_rejoin` says whether the
runner can register the agent again by itself or must tell the user what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RESET_CHECK_S = 300.0
"""Seconds between two ``GET /`` checks of ``resetDate`` (one cheap request per server;
a 4113 answer reveals a reset sooner)."""

OLD_UNIVERSE_NOTE = "universe reset: this run belongs to the old universe"
"""How the note (last error and log line) of a container a reset ended begins."""


@dataclass(frozen=True)
class ResetSeen:
    """A reset to handle for ``agent``: ``cause`` says how it was noticed."""

    agent: str
    cause: str


@dataclass
class ResetDetector:
    """Remembers each server's ``resetDate`` and which agents are already being handled.

    ``status`` and ``token_dead`` return the agents to handle now (never one twice for the
    same reset); ``handled`` ends an agent's handling, after which a new sign counts again.
    """

    known: dict[str, str] = field(default_factory=dict)
    """The last ``resetDate`` seen, by server URL."""
    busy: set[str] = field(default_factory=set)
    """Agents whose reset is being handled."""

    def status(self, server: str, reset_date: str, agents: list[str]) -> list[ResetSeen]:
        """``GET /`` of ``server`` said ``reset_date``; ``agents`` are the ones it serves.
        The first answer is the baseline (nothing to handle)."""
        before = self.known.get(server)
        self.known[server] = reset_date
        if before is None or before == reset_date:
            return []
        cause = f"the server's resetDate changed from {before} to {reset_date}"
        return [seen for agent in agents if (seen := self._take(agent, cause)) is not None]

    def token_dead(self, agent: str) -> ResetSeen | None:
        """``agent``'s token answered 4113 (from an old reset)."""
        return self._take(agent, "its token answered 4113 (from an old reset)")

    def handled(self, agent: str) -> None:
        """``agent``'s reset was handled (or given up on): the next sign counts again."""
        self.busy.discard(agent)

    def _take(self, agent: str, cause: str) -> ResetSeen | None:
        if agent in self.busy:
            return None
        self.busy.add(agent)
        return ResetSeen(agent, cause)


def check_due(last_check: float | None, now: float, interval_s: float = RESET_CHECK_S
              ) -> bool:
    """True when ``resetDate`` should be checked again (never checked: at once)."""
    return last_check is None or now - last_check >= interval_s


@dataclass(frozen=True)
class Rejoin:
    """Register ``symbol`` for ``faction`` again with the account token."""

    symbol: str
    faction: str


@dataclass(frozen=True)
class CannotRejoin:
    """The agent cannot be registered again unattended: ``what_to_do`` says why and how."""

    what_to_do: str


def decide_rejoin(agent: str, symbol: str | None, faction: str | None,
                  has_account_token: bool) -> Rejoin | CannotRejoin:
    """Whether ``agent`` (saved with ``symbol`` and ``faction``) can be registered again.

    It needs the account token (the server refuses a registration without it) and the
    symbol and faction it was registered with (saved in the config file by ``register``).
    """
    if symbol is None:
        return CannotRejoin(f"agent {agent}: its token comes from $SPACETRADERS_TOKEN, so "
                            "st-run cannot save a new one: register again (`st-run register "
                            "SYMBOL --faction F`) and restart the watcher without "
                            "SPACETRADERS_TOKEN")
    if not has_account_token:
        return CannotRejoin(f"agent {agent}: no account token to register {symbol} again: "
                            "run `st-run register "
                            f"{symbol} --faction {faction or 'F'} --force` (the new token is "
                            "taken up as soon as it is saved), or set "
                            "SPACETRADERS_ACCOUNT_TOKEN (from the SpaceTraders dashboard) "
                            "and restart")
    if not faction:
        return CannotRejoin(f"agent {agent}: its faction is not saved in the config file: "
                            f"run `st-run register {symbol} --faction F --force`")
    return Rejoin(symbol, faction)
