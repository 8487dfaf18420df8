"""Server status, registration and the agent."""

from __future__ import annotations

import re
from typing import Any

from runner.sim.api import JSON, Ctx, Reply, paged
from runner.sim.clock import iso
from runner.sim.errors import ERROR_CODES, ApiError, invalid_input, not_found
from runner.sim.routes import REGISTRY

FACTIONS = frozenset(["COSMIC", "VOID", "GALACTIC", "QUANTUM", "DOMINION", "ASTRO", "CORSAIRS",
                      "OBSIDIAN", "AEGIS", "UNITED", "SOLITARY", "COBALT", "OMEGA", "ECHO",
                      "LORDS", "CULT", "ANCIENTS", "SHADOW", "ETHEREAL"])
_SYMBOL = re.compile(r"^[A-Za-z0-9_-]{3,14}$")


@REGISTRY.route("GET", "/", "status", auth=False)
def status(ctx: Ctx) -> Reply:
    world = ctx.world
    return 200, {
        "status": "SpaceTraders simulator is up", "version": "v2.3.0",
        "resetDate": world.reset_date[:10], "description": "An offline SpaceTraders simulator.",
        "stats": {"accounts": len(world.agents), "agents": len(world.agents),
                  "ships": len(world.ships), "systems": len(world.universe.systems),
                  "waypoints": len(world.universe.waypoints)},
        "leaderboards": {
            "mostCredits": [{"agentSymbol": a.symbol, "credits": a.credits}
                            for a in sorted(world.agents.values(), key=lambda a: -a.credits)[:10]],
            "mostSubmittedCharts": []},
        "health": {"lastMarketUpdate": iso(ctx.now)},
        "serverResets": {"next": iso(ctx.now + 14 * 86400), "frequency": "fortnightly"},
        "announcements": [], "links": [],
    }


@REGISTRY.route("POST", "/register", "register", auth=False)
def register(ctx: Ctx) -> Reply:
    symbol = ctx.field("symbol", str)
    faction = ctx.field("faction", str)
    if not _SYMBOL.match(symbol):
        raise invalid_input("Agent symbol must be 3 to 14 letters, digits, '-' or '_'.",
                            errors=[{"field": "symbol", "problem": "3..14 characters"}])
    if faction.upper() not in FACTIONS:
        raise invalid_input(f"Unknown faction {faction!r}.",
                            errors=[{"field": "faction", "problem": "unknown faction"}])
    if ctx.sim.config.require_account_token and ctx.account is None:
        raise ApiError(401, 4116, "Registering an agent needs an account token: send "
                       "'Authorization: Bearer <account token>'.")
    token, agent, ships, contract = ctx.world.register(symbol.upper(), faction.upper(),
                                                       ctx.account)
    uni = ctx.world.universe
    ships_json = [s.to_json(uni, ctx.now) for s in ships]
    faction_json = faction_object(ctx, agent.faction)
    return 201, {"data": {"token": token, "agent": agent.to_json(), "faction": faction_json,
                          "contract": contract.to_json(), "ship": ships_json[0],
                          "ships": ships_json}}


@REGISTRY.route("GET", "/my/agent", "get-agent")
def my_agent(ctx: Ctx) -> Reply:
    return 200, {"data": ctx.me().to_json()}


def faction_object(ctx: Ctx, symbol: str) -> JSON:
    """The spec's Faction object; headquarters is the faction's starting system."""
    uni = ctx.world.universe
    hq = uni.headquarters(symbol)
    return {"symbol": symbol, "name": symbol.title(), "description": f"The {symbol.title()} "
            "faction.", "headquarters": uni.waypoints[hq].system if hq in uni.waypoints else "",
            "traits": [], "isRecruiting": True}


@REGISTRY.route("GET", "/error-codes", "get-error-codes", auth=False)
def error_codes(ctx: Ctx) -> Reply:
    """The error catalogue (live server only; not wrapped in ``data``)."""
    return 200, {"errorCodes": [{"code": c, "name": n} for c, n in ERROR_CODES.items()]}


@REGISTRY.route("GET", "/my/account", "get-my-account")
def my_account(ctx: Ctx) -> Reply:
    agent = ctx.me()
    account = ctx.world.accounts.get(agent.account_id)
    data = account.to_json() if account else {
        "id": agent.account_id, "email": "", "createdAt": ctx.world.reset_date}
    return 200, {"data": {"account": data}}


@REGISTRY.route("GET", "/factions", "get-factions", auth=False)
def factions(ctx: Ctx) -> Reply:
    return 200, paged(ctx.query, [faction_object(ctx, f) for f in sorted(FACTIONS)])


@REGISTRY.route("GET", "/factions/{factionSymbol}", "get-faction", auth=False)
def faction(ctx: Ctx) -> Reply:
    symbol = ctx.params["factionSymbol"].upper()
    if symbol not in FACTIONS:
        raise not_found("Faction", symbol)
    return 200, {"data": faction_object(ctx, symbol)}


@REGISTRY.route("GET", "/my/factions", "get-my-factions")
def my_factions(ctx: Ctx) -> Reply:
    """Reputation with each faction: the starting faction likes you a little."""
    mine = ctx.me().faction
    rows = [{"symbol": f, "reputation": 100 if f == mine else 0} for f in sorted(FACTIONS)]
    return 200, paged(ctx.query, rows)


@REGISTRY.route("GET", "/my/agent/events", "get-my-agent-events")
def my_events(ctx: Ctx) -> Reply:
    return 200, {"data": list(ctx.world.events.get(ctx.me().symbol, []))}


def _public(agent: Any) -> JSON:
    data: JSON = agent.to_json()
    data.pop("accountId", None)
    return data


@REGISTRY.route("GET", "/agents", "get-agents", auth=False)
def agents(ctx: Ctx) -> Reply:
    return 200, paged(ctx.query, [_public(a) for a in ctx.world.agents.values()])


@REGISTRY.route("GET", "/agents/{agentSymbol}", "get-public-agent", auth=False)
def agent(ctx: Ctx) -> Reply:
    found = ctx.world.agents.get(ctx.params["agentSymbol"].upper())
    if found is None:
        raise not_found("Agent", ctx.params["agentSymbol"])
    return 200, {"data": _public(found)}
