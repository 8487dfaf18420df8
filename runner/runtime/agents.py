"""Agents for a run against a real (or external simulated) server: tokens from the environment.

``SPACETRADERS_TOKEN`` (and ``ST_RUN_API_URL``, default the real server) give one agent that
serves every playbook. Named agents from the config file are used when ``runner.api.config``
provides them.
"""

from __future__ import annotations

import os
from typing import Any

from runner.api.client import SpaceTradersClient, api_url_from_env
from runner.api.secrets import Token
from runner.runtime.adapters import AgentDirectory, NoAgent

ENV_AGENT = "default"


def agents_from_environment(agent: str | None = None) -> AgentDirectory:
    """Clients for the configured agents; ``agent`` (``--agent``) picks the default one."""
    url = api_url_from_env()
    token = os.environ.get("SPACETRADERS_TOKEN", "").strip()
    if token:
        client = SpaceTradersClient(url, Token(token))
        return AgentDirectory({agent or ENV_AGENT: client}, default=agent or ENV_AGENT,
                              any_name=True)
    clients = _configured(url)
    if not clients:
        raise NoAgent("no agent token: set SPACETRADERS_TOKEN, register one with "
                      "`st-run register SYMBOL --faction F`, or try `st-run --sim PLAYBOOK`")
    default = agent or next(iter(clients))
    if default not in clients:
        raise NoAgent(f"no token for agent {default!r}; known agents: {', '.join(clients)}")
    return AgentDirectory(clients, default=default)


def _configured(url: str) -> dict[str, Any]:
    """Clients for the agents in the user's config file (empty when there is none)."""
    try:
        from runner.api import config  # type: ignore[attr-defined]
    except ImportError:
        return {}
    loader = getattr(config, "load_agents", None)
    if loader is None:
        return {}
    return {name: SpaceTradersClient(url, token) for name, token in loader().items()}
