"""Server status, registration and the agent."""

from __future__ import annotations

import re

from runner.sim.api import Ctx, Reply
from runner.sim.clock import iso
from runner.sim.errors import invalid_input
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
    token, agent, ships, contract = ctx.world.register(symbol.upper(), faction.upper())
    uni = ctx.world.universe
    ships_json = [s.to_json(uni, ctx.now) for s in ships]
    faction_json = {"symbol": agent.faction, "name": agent.faction.title(),
                    "description": f"The {agent.faction.title()} faction.",
                    "headquarters": agent.headquarters.rsplit("-", 1)[0], "traits": [],
                    "isRecruiting": True}
    return 201, {"data": {"token": token, "agent": agent.to_json(), "faction": faction_json,
                          "contract": contract.to_json(), "ship": ships_json[0],
                          "ships": ships_json}}


@REGISTRY.route("GET", "/my/agent", "get-agent")
def my_agent(ctx: Ctx) -> Reply:
    return 200, {"data": ctx.me().to_json()}
