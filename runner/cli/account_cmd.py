"""``st-run register`` and ``st-run health``: the agent's account, from the terminal.

``register SYMBOL --faction F`` creates an agent and saves its token to the config file
(mode 0600) under ``--name`` (default: the symbol), making it the default agent.
``health`` checks, one line each, the server, the token, the config file and the database,
and exits 1 if any check failed.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import click

from runner.api import Priority, SpaceTradersClient, Token
from runner.api.errors import ApiError, AuthError, ServerUnavailable, TokenFromOldReset
from runner.api.models import Registration
from runner.api.retry import RetryPolicy
from runner.config import (
    AgentEntry,
    account_token,
    config_path,
    load_config,
    permissions_problem,
    resolve_api_url,
    resolve_token,
    save_config,
)
from runner.errors import InvalidInput, StRunError

# One quick attempt per check: health should answer in seconds, not back off for minutes.
HEALTH_RETRY = RetryPolicy(max_total=2)


@click.command()
@click.argument("symbol")
@click.option("--faction", required=True, help="Starting faction, e.g. COSMIC.")
@click.option("--name", help="Name to save the agent under (default: the symbol).")
@click.option("--api-url", help="API root (default: $ST_RUN_API_URL or the real server).")
@click.option("--email", help="Optional e-mail for the agent (real server).")
@click.option("--no-default", is_flag=True, help="Do not make this the default agent.")
@click.option("--force", is_flag=True,
              help="Replace the token already saved under the same name.")
def register(symbol: str, faction: str, name: str | None, api_url: str | None,
             email: str | None, no_default: bool, force: bool) -> None:
    """Register agent SYMBOL and save its token to the config file.

    A token already saved under the same name is kept (exit 2) unless --force.
    """
    config = load_config()
    if not force:
        refuse_overwrite(config.agents, [name] if name else [symbol, symbol.upper()])
    url = api_url or resolve_api_url(config=config)
    registration = asyncio.run(_register(url, symbol, faction, email, account_token()))
    entry = AgentEntry(registration.agent.symbol, registration.token,
                       registration.faction or faction.upper(), url)
    key = name or registration.agent.symbol
    path = save_config(config.with_agent(key, entry, make_default=not no_default))
    default = "" if no_default else ", default agent"
    click.echo(f"registered {entry.symbol} ({entry.faction}) at {url}: "
               f"{registration.agent.credits} credits, {len(registration.ships)} ships, "
               f"HQ {registration.agent.headquarters}")
    click.echo(f"token saved to {path} as {key!r}{default}")


def refuse_overwrite(saved: Mapping[str, AgentEntry], keys: Sequence[str]) -> None:
    """``InvalidInput`` when a token is saved under one of ``keys`` (checked before the
    agent is registered, so that a refusal wastes no registration)."""
    taken = next((key for key in keys if key in saved), None)
    if taken is not None:
        raise InvalidInput(f"a token for agent {saved[taken].symbol} is already saved as "
                           f"{taken!r} in {config_path()}; use --force to replace it, or "
                           "--name to save the new one under another name")


async def _register(url: str, symbol: str, faction: str, email: str | None,
                    account: Token | None) -> Registration:
    async with SpaceTradersClient(url, None, retry=HEALTH_RETRY) as client:
        return await client.register(symbol, faction.upper(), account_token=account,
                                     email=email, priority=Priority.ACTION)


@dataclass(frozen=True)
class Check:
    """One health check's outcome: ``ok`` None means skipped (not a failure)."""

    name: str
    ok: bool | None
    detail: str


@click.command()
@click.option("--agent", "agent_name", help="Saved agent to check (default: the default).")
@click.option("--api-url", help="API root (default: $ST_RUN_API_URL or the agent's).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"ok": ..., "checks": [{"name", "ok", "detail"}]}.')
def health(agent_name: str | None, api_url: str | None, as_json: bool) -> None:
    """Check the server, the token, the config file and the database; exit 1 if any
    check failed (a skipped check is not a failure)."""
    config = load_config()
    url = api_url or resolve_api_url(agent_name, config)
    token = resolve_token(agent_name, config)
    checks = asyncio.run(_api_checks(url, token))
    checks.append(_config_check())
    checks.extend(hook() for hook in HEALTH_HOOKS)
    failed = [c.name for c in checks if c.ok is False]
    if as_json:
        click.echo(json.dumps(health_json(checks), indent=2))
    else:
        for check in checks:
            mark = {True: "ok  ", False: "FAIL", None: "skip"}[check.ok]
            click.echo(f"{mark} {check.name}: {check.detail}")
    if failed:
        raise StRunError(f"health: {', '.join(failed)} failed")


def health_json(checks: Sequence[Check]) -> dict[str, object]:
    """``health --json``: ``ok`` is false when any check failed (``ok`` null: skipped)."""
    return {"ok": not any(c.ok is False for c in checks),
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]}


async def _api_checks(url: str, token: Token | None) -> list[Check]:
    async with SpaceTradersClient(url, token, retry=HEALTH_RETRY, timeout=15.0) as client:
        server = await _server_check(client)
        if not server.ok:
            return [server, Check("token", None, "not checked: the server is unreachable")]
        return [server, await _token_check(client, token)]


async def _server_check(client: SpaceTradersClient) -> Check:
    try:
        status = await client.get_status(priority=Priority.ACTION)
    except ServerUnavailable as exc:  # its message names the server already
        return Check("server", False, exc.message)
    except ApiError as exc:
        return Check("server", False, f"{client.base_url}: {exc.message}")
    except StRunError as exc:
        return Check("server", False, f"{client.base_url}: {exc.message}")
    reset = f", next reset {status.next_reset:%Y-%m-%d %H:%M} UTC" if status.next_reset else ""
    return Check("server", True, f"{client.base_url} {status.version} "
                                 f"(reset {status.reset_date}{reset})")


async def _token_check(client: SpaceTradersClient, token: Token | None) -> Check:
    if token is None:
        return Check("token", False, f"no token: set $SPACETRADERS_TOKEN or run "
                                     f"`st-run register` (config file {config_path()})")
    try:
        agent = await client.get_agent(priority=Priority.ACTION)
    except TokenFromOldReset:
        return Check("token", False, "the token is from an old reset (the universe was "
                                     "wiped): register a new agent")
    except AuthError as exc:
        return Check("token", False, f"refused: {exc.message}")
    except StRunError as exc:
        return Check("token", False, exc.message)
    return Check("token", True, f"agent {agent.symbol}, {agent.credits} credits, "
                                f"{agent.ship_count} ships, HQ {agent.headquarters}")


def _config_check() -> Check:
    path = config_path()
    problem = permissions_problem(path)
    if problem:
        return Check("config", False, problem)
    if not path.exists():
        return Check("config", None, f"{path} does not exist (no saved agents)")
    try:
        agents = load_config(path).agents
    except StRunError as exc:
        return Check("config", False, exc.message)
    return Check("config", True, f"{path}: {len(agents)} agent(s), mode 600")


def _database_check() -> Check:
    """The hook for the state store: ``runner.state.health.check_database() -> (ok, detail)``.

    Until that function exists the check is skipped, never failed.
    """
    try:
        module = importlib.import_module("runner.state.health")
    except ModuleNotFoundError:
        return Check("database", None, "not checked yet (runner.state.health.check_database "
                                       "does not exist)")
    ok, detail = module.check_database()
    return Check("database", bool(ok), str(detail))


HEALTH_HOOKS: list[Callable[[], Check]] = [_database_check]
"""Checks run after the API and config checks; other parts may append theirs."""
