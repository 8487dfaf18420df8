"""Agents for a run against a real (or external simulated) server.

``$SPACETRADERS_TOKEN`` (with ``$ST_RUN_API_URL``, default the real server) gives one agent
that serves every playbook, unless ``--agent`` names a saved one. Otherwise the agents saved
in the user's config file (``st-run register``) are used, each at its own API URL; a
playbook's ``agent:`` picks one, the config's default agent serves the others.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

from runner.api.client import SpaceTradersClient
from runner.config import TOKEN_ENV, load_config, resolve_api_url, token_from
from runner.runtime.adapters import AgentDirectory, NoAgent
from runner.runtime.limits import ACCOUNT_ENV, Limiters

if TYPE_CHECKING:
    from runner.state.store import Store

ENV_AGENT = "default"


def agents_from_environment(agent: str | None = None, *, store: Store | None = None,
                            owner: str | None = None) -> AgentDirectory:
    """Clients for the configured agents; ``agent`` (``--agent``) picks the default one.

    With ``store``, each client's rate limiter is shared through it with every other st-run
    process of the same account (``runner.runtime.limits``); ``owner`` names this process.
    """
    limiters = Limiters(store, owner or _owner())
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token and agent is None:
        account = os.environ.get(ACCOUNT_ENV, "").strip() or \
            "token-" + hashlib.sha256(token.encode()).hexdigest()[:16]
        client = SpaceTradersClient(resolve_api_url(None), token_from(token, f"${TOKEN_ENV}"),
                                    limiter=limiters.for_account(account, ENV_AGENT))
        return AgentDirectory({ENV_AGENT: client}, default=ENV_AGENT, any_name=True,
                              who=f"the agent of ${TOKEN_ENV}")
    config = load_config()
    clients: dict[str, Any] = {
        name: SpaceTradersClient(resolve_api_url(name, config), entry.token,
                                 limiter=limiters.for_account(entry.account or entry.symbol,
                                                              name))
        for name, entry in config.agents.items()}
    if not clients:
        raise NoAgent("no agent token: set SPACETRADERS_TOKEN, register one with "
                      "`st-run register SYMBOL --faction F`, or try `st-run --sim PLAYBOOK`")
    default = agent or config.default_agent or next(iter(clients))
    if default not in clients:
        raise NoAgent(f"no agent named {default!r} in the config file; known: "
                      f"{', '.join(sorted(clients))}")
    return AgentDirectory(clients, default=default)


def _owner() -> str:
    from runner.runtime.supervisor import runner_id

    return runner_id()
