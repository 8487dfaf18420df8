"""A mining swarm on a real ``st-run sim`` process, shared by the swarm test and the drones
bench: a fleet bought through the game API, the two group playbooks (drones, haulers), and a
replay of the simulator's ledger that checks cargo never overflowed and nothing ran twice."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.watch.procs import Agent, register

BELT_GOODS = ("IRON_ORE", "COPPER_ORE", "ALUMINUM_ORE", "QUARTZ_SAND", "SILICON_CRYSTALS",
              "ICE_WATER")
"""What a COMMON_METAL_DEPOSITS asteroid yields in the simulator (runner/sim/catalog.py)."""

DRONES = """\
name: drones
ships: {role: EXCAVATOR}
steps:
  - navigate: {to: BELT}
  - repeat:
      times: LOADS
      steps:
        - repeat:
            until: ship.cargo.free == 0
            steps:
              - extract
        - transfer: {to: {role: HAULER, here: true}, symbol: all, wait: 2h}
"""

HAULERS = """\
name: haulers
ships: {role: HAULER}
steps:
  - repeat:
      forever: true
      steps:
        - navigate: {to: BELT}
        - wait: {until: "ship.cargo.free < 15", at_most: 1h}
        - navigate: {nearest: {buys: QUARTZ_SAND}}
        - sell: all
JETTISON"""

FORBIDDEN = ("4217", "4228", "4234", "4271")
"""Overfilled hold, extract into a full hold, ships apart, dock/orbit mismatch."""


def drone_playbook(belt: str, loads: int) -> str:
    return DRONES.replace("BELT", belt).replace("LOADS", str(loads))


def hauler_playbook(belt: str) -> str:
    """The haulers sell what the market buys and throw the rest overboard, so every trip
    starts with an empty hold."""
    jettison = "".join(f"        - jettison: {good}\n" for good in BELT_GOODS)
    return HAULERS.replace("BELT", belt).replace("JETTISON", jettison)


@dataclass
class Fleet:
    """An agent with bought drones and haulers, and the belt nearest its headquarters."""

    agent: Agent
    drones: list[str]
    haulers: list[str]
    belt: str
    capacity: dict[str, int] = field(default_factory=dict)
    ballast: int = 0


def _api(agent: Agent, method: str, path: str, body: Any = None) -> Any:
    answer = httpx.request(method, f"{agent.url}{path}", json=body, timeout=30,
                           headers={"Authorization": f"Bearer {agent.token}"})
    answer.raise_for_status()
    return answer.json()["data"]


def buy_fleet(url: str, symbol: str, drones: int, haulers: int,
              ballast: int = 0) -> Fleet:
    """Register ``symbol``, give it credits (control endpoint), buy the ships at its
    headquarters' shipyard through the game API and place them at the belt (control
    endpoint), before any runner starts. Each hauler starts with ``ballast`` units of
    QUARTZ_SAND aboard (what it has room for is then what the test wants)."""
    agent = register(url, symbol)
    httpx.put(f"{url}/_sim/agents/{symbol}/credits", json={"credits": 50_000_000},
              timeout=10).raise_for_status()
    hq = _api(agent, "GET", "/my/agent")["headquarters"]

    def buy(kind: str) -> str:
        bought = _api(agent, "POST", "/my/ships", {"shipType": kind, "waypointSymbol": hq})
        return str(bought["ship"]["symbol"])

    fleet = Fleet(agent, [buy("SHIP_MINING_DRONE") for _ in range(drones)],
                  [buy("SHIP_LIGHT_HAULER") for _ in range(haulers)], _belt(agent, hq))
    for ship in fleet.drones + fleet.haulers:
        # a drone has no fuel tank: it would drift to the belt for a game hour
        cargo = {"QUARTZ_SAND": ballast} if ship in fleet.haulers and ballast else {}
        httpx.patch(f"{url}/_sim/ships/{ship}", json={"waypoint": fleet.belt, "cargo": cargo},
                    timeout=10).raise_for_status()
        fleet.capacity[ship] = int(_api(agent, "GET", f"/my/ships/{ship}")["cargo"]["capacity"])
    fleet.ballast = ballast
    return fleet


def _belt(agent: Agent, hq: str) -> str:
    """The COMMON_METAL_DEPOSITS asteroid nearest headquarters."""
    system = hq.rsplit("-", 1)[0]
    waypoints: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = httpx.get(f"{agent.url}/systems/{system}/waypoints", timeout=30,
                           params={"page": page, "limit": 20},
                           headers={"Authorization": f"Bearer {agent.token}"})
        answer.raise_for_status()
        waypoints += answer.json()["data"]
        if page * 20 >= answer.json()["meta"]["total"]:
            break
        page += 1
    home = next(w for w in waypoints if w["symbol"] == hq)
    belts = [w for w in waypoints if w["type"] == "ASTEROID"
             and any(t["symbol"] == "COMMON_METAL_DEPOSITS" for t in w.get("traits", []))]
    return str(min(belts, key=lambda w: (math.dist((w["x"], w["y"]), (home["x"], home["y"])),
                                         w["symbol"]))["symbol"])


@dataclass
class Replay:
    """What the ledger says the fleet did."""

    most_aboard: dict[str, int]
    """Each hauler's fullest hold over the replay."""
    loads: dict[str, list[dict[str, int]]]
    """Each drone's loads in order: the goods of the transfers between two extracts."""
    changes: Counter[tuple[str, str]]
    """(ship, kind) -> accepted state changes: extract, transfer, sell, jettison, navigate..."""
    receivers: set[str]
    problems: list[str]


def replay(ledger: list[dict[str, Any]], fleet: Fleet) -> Replay:
    """Replay the ledger's transfers, sells and jettisons per hauler (a hold that would go
    past its capacity or below zero is a problem) and group each drone's transfers into
    loads (a good handed over twice within one load is a problem: a repeated transfer)."""
    aboard: dict[str, Counter[str]] = {h: Counter({"QUARTZ_SAND": fleet.ballast})
                                       for h in fleet.haulers}
    most = dict.fromkeys(fleet.haulers, 0)
    loads: dict[str, list[dict[str, int]]] = {d: [] for d in fleet.drones}
    open_load: dict[str, bool] = dict.fromkeys(fleet.drones, False)
    changes: Counter[tuple[str, str]] = Counter()
    receivers: set[str] = set()
    problems: list[str] = []
    for entry in ledger:
        ship, path, body = entry.get("ship"), entry["path"], entry.get("body") or {}
        if ship is None or entry.get("agent") != fleet.agent.symbol:
            continue
        kind = path.rsplit("/", 1)[-1]
        changes[ship, kind] += 1
        if kind == "extract" and ship in loads:
            open_load[ship] = False
        elif kind == "transfer" and ship in loads:
            target, good, units = body["shipSymbol"], body["tradeSymbol"], body["units"]
            receivers.add(target)
            if not open_load[ship]:
                loads[ship].append({})
                open_load[ship] = True
            load = loads[ship][-1]
            if good in load:
                problems.append(f"seq {entry['seq']}: {ship} handed {good} twice in one load")
            load[good] = load.get(good, 0) + units
            if target not in aboard:
                problems.append(f"seq {entry['seq']}: {ship} handed cargo to {target}")
                continue
            aboard[target][good] += units
            total = sum(aboard[target].values())
            most[target] = max(most[target], total)
            if total > fleet.capacity[target]:
                problems.append(f"seq {entry['seq']}: {target} holds {total} > "
                                f"{fleet.capacity[target]}")
        elif kind in ("sell", "jettison") and ship in aboard:
            aboard[ship][body["symbol"]] -= body["units"]
            if aboard[ship][body["symbol"]] < 0:
                problems.append(f"seq {entry['seq']}: {ship} {kind} more {body['symbol']} "
                                "than it held")
    return Replay(most, loads, changes, receivers, problems)


def logged_changes(lines: list[str]) -> Counter[str]:
    """The state changes a container's log lines account for, by kind: one line per command
    applied (written with its checkpoint, in one transaction), also for one found applied
    after a restart (``... had been applied before the restart``)."""
    kinds = {"extract": "extract", "transfer ": "transfer", "sell ": "sell",
             "jettison ": "jettison", "navigate ": "navigate", "orbit": "orbit", "dock": "dock",
             "refuel": "refuel"}
    counted: Counter[str] = Counter()
    for line in lines:
        kind = next((k for prefix, k in kinds.items() if line.startswith(prefix)), None)
        if kind is not None:
            counted[kind] += 1
    return counted


def forbidden_errors(url: str, agent: str) -> dict[str, int]:
    """The forbidden error codes the simulator answered ``agent`` (its stats count every
    error answer by code: a runner may fix one up without logging it)."""
    stats = httpx.get(f"{url}/_sim/stats", timeout=30).json()["data"].get(agent, {})
    return {code: n for code, n in stats.get("errors", {}).items() if code in FORBIDDEN}


def forbidden_lines(lines: list[str]) -> list[str]:
    """Lines that carry one of the error codes a cooperating fleet must never trigger."""
    pattern = re.compile(r"\b(" + "|".join(FORBIDDEN) + r")\b")
    return [line for line in lines if pattern.search(line)]
