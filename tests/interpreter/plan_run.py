"""Plan = run, as a property: generated playbooks, planned in-process and run by a real
``st-run run`` against a real ``st-run sim``; the requests the simulator accepted (its
ledger) and the log lines must be exactly what the plan predicted, in order.

Used by ``tests/interpreter/test_plan_equals_run.py`` (a seeded set in CI) and by
``bench/plan_run_equivalence.py`` (hundreds). The grammar covers nested ``repeat`` (times,
and ``until`` loops whose body makes the condition true), ``tour``, ``when``,
``retries``/``until``, ``register``, ``ignore_errors`` over orbit, dock, navigate (also to a
waypoint one jump away: jumps), refuel, buy, sell, log, wait, scan (waypoints) and
supply_construction (the good bought, to the gate: headquarters exports the gate's
materials). Extraction is left out: its yield is random in the game.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from runner.domain import commands as c
from tests.e2e.support import REPO, ST_RUN, Sim, runner_env

MARK = "L|"  # every generated log line starts with it, so run output can be matched


@dataclass(frozen=True)
class Facts:
    """What the generator needs to know of the simulator's universe (seed-dependent)."""

    hq: str
    fuel_market: str  # another marketplace that sells fuel
    good: str  # a good sold at headquarters
    far: str | None = None  # a waypoint one jump away (the home gate built), if any


def facts_of(sim: Sim, token: str, *, jumps: bool = False) -> Facts:
    """The headquarters, a nearby fuel market and a good headquarters sells (one the gate's
    construction needs: the supply leaf hands it to the gate); with ``jumps``, the home
    gate is finished and ``far`` is a marketplace one jump away."""
    agent = sim.agent(token)
    hq = agent["headquarters"]
    system = hq.rsplit("-", 1)[0]
    waypoints = sim.get(f"/systems/{system}/waypoints", limit=20)
    here = next(w for w in waypoints if w["symbol"] == hq)
    markets = []
    for w in waypoints:
        if w["symbol"] != hq and any(t["symbol"] == "MARKETPLACE" for t in w["traits"]):
            market = sim.get(f"/systems/{system}/waypoints/{w['symbol']}/market")
            if any(g["symbol"] == "FUEL" for g in market.get("exports", []) + market.get(
                    "exchange", [])):
                markets.append(((w["x"] - here["x"]) ** 2 + (w["y"] - here["y"]) ** 2,
                                w["symbol"]))
    hq_market = sim.get(f"/systems/{system}/waypoints/{hq}/market")
    sold = sorted(g["symbol"] for g in hq_market.get("exports", []) + hq_market.get(
        "exchange", []) if g["symbol"] != "FUEL")
    gate_needs = {"FAB_MATS", "ADVANCED_CIRCUITRY"}
    far = _one_jump_away(sim, system, waypoints) if jumps else None
    return Facts(hq, min(markets)[1], next(g for g in sold if g in gate_needs), far)


def _one_jump_away(sim: Sim, system: str, waypoints: list[Any]) -> str | None:
    gate = next((w["symbol"] for w in waypoints if w["type"] == "JUMP_GATE"), None)
    if gate is None:
        return None
    sim.send("POST", f"/_sim/construction/{gate}", {"complete": True})
    for link in sim.get(f"/systems/{system}/waypoints/{gate}/jump-gate")["connections"]:
        there = link.rsplit("-", 1)[0]
        if sim.get(f"/systems/{there}/waypoints/{link}")["isUnderConstruction"]:
            continue
        markets = sorted(w["symbol"] for w in sim.get(f"/systems/{there}/waypoints", limit=20)
                         if w["type"] != "JUMP_GATE"
                         and any(t["symbol"] == "MARKETPLACE" for t in w["traits"]))
        if markets:
            return markets[0]
    return None


# ---- the grammar --------------------------------------------------------------------------

CONDITIONS = ("ship.nav.status == 'DOCKED'", "ship.nav.status == 'IN_ORBIT'",
              "ship.fuel.current >= 100", "ship.cargo.units > 0", "ship.cargo.units == 0")
LOOP_CONDITIONS = ("loop.index > 1", "loop.first", "loop.index == loop.length")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


@st.composite
def _leaf(draw: Any, facts: Facts, in_loop: bool, names: list[str]) -> list[str]:
    kind = draw(st.sampled_from(["orbit", "dock", "navigate", "refuel", "buy", "sell", "log",
                                 "log", "wait", "scan", "supply"]))
    where = draw(st.sampled_from([facts.hq, facts.fuel_market]
                                 + ([facts.far] if facts.far else [])))
    loop_bits = " {{ loop.index }}/{{ loop.length }}" if in_loop else ""
    body = {
        "orbit": "orbit", "dock": "dock", "refuel": "refuel",
        "navigate": f"navigate: {where}",
        "buy": f"buy: {{symbol: {facts.good}, units: {draw(st.integers(1, 3))}}}",
        "sell": f"sell: {{symbol: {facts.good}, units: {draw(st.integers(1, 2))}}}",
        "log": "log: " + _quote(MARK + draw(st.sampled_from(["a", "b", "c"])) + loop_bits
                                + " {{ ship.nav.waypoint }} {{ ship.nav.status }} "
                                  "{{ ship.fuel.current }} {{ ship.cargo.units }}"),
        "wait": f"wait: {draw(st.integers(1, 5))}s",
        "scan": "scan: waypoints",
        "supply": f"supply_construction: {{symbol: {facts.good}, units: all}}",
    }[kind]
    lines = [f"- {body}" if ":" in body else f"- {body}:"]  # `- orbit:` takes keywords
    conditions = CONDITIONS + (LOOP_CONDITIONS if in_loop else ())
    if draw(st.booleans()) and draw(st.booleans()):
        lines.append(f"  when: {_quote(draw(st.sampled_from(conditions)))}")
    if draw(st.integers(0, 4)) == 0:
        lines.append(f"  retries: {draw(st.integers(0, 2))}")
        lines.append("  delay: 0")
        lines.append(f"  until: {_quote(draw(st.sampled_from(CONDITIONS)))}")
    if draw(st.integers(0, 3)) == 0:
        lines.append("  ignore_errors: true")
    if draw(st.integers(0, 5)) == 0:
        name = f"r{len(names)}"
        names.append(name)
        lines.append(f"  register: {name}")
    return lines


@st.composite
def _steps(draw: Any, facts: Facts, depth: int, in_loop: bool, names: list[str]
           ) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["leaf", "leaf", "leaf", "repeat", "until", "tour"])
                    if depth < 2 else st.just("leaf"))
        if kind == "leaf":
            out += draw(_leaf(facts, in_loop, names))
            continue
        if kind == "tour":
            out += ["- tour:", f"    visit: [{facts.fuel_market}, {facts.hq}]",
                    "    order: as_written", "    steps:"]
        elif kind == "until":  # the body ends by making the condition true: one iteration
            target = draw(st.sampled_from(["dock", "orbit"]))
            status = "DOCKED" if target == "dock" else "IN_ORBIT"
            body = [*draw(_steps(facts, depth + 1, True, names)), f"- {target}"]
            out += ["- repeat:", f"    until: \"ship.nav.status == '{status}'\"",
                    "    steps:", *("      " + line for line in body)]
            continue
        else:
            out += ["- repeat:", f"    times: {draw(st.integers(1, 3))}", "    steps:"]
        out += ["      " + line for line in draw(_steps(facts, depth + 1, True, names))]
    return out


@st.composite
def playbooks(draw: Any, facts: Facts) -> str:
    """A playbook text from the grammar, for the command ship."""
    body = draw(_steps(facts, 0, False, []))
    return "name: prop\nship: {role: COMMAND}\nsteps:\n" + "\n".join("  " + b for b in body) \
        + "\n"


# ---- predicted and observed ---------------------------------------------------------------

Request = tuple[str, str, tuple[tuple[str, Any], ...]]


def request_of(command: c.Command, ship: str) -> Request | None:
    """The request a command makes (None for the runner's own: wait, log)."""
    base = f"/my/ships/{ship}"
    body: dict[str, Any] = {}
    match command:
        case c.Orbit():
            method, path = "POST", f"{base}/orbit"
        case c.Dock():
            method, path = "POST", f"{base}/dock"
        case c.SetFlightMode(mode=mode):
            method, path, body = "PATCH", f"{base}/nav", {"flightMode": str(mode)}
        case c.Navigate(destination=destination):
            method, path, body = "POST", f"{base}/navigate", {"waypointSymbol": destination}
        case c.Jump(destination=destination):
            method, path, body = "POST", f"{base}/jump", {"waypointSymbol": destination}
        case c.Refuel(units=units, from_cargo=from_cargo):
            method, path = "POST", f"{base}/refuel"
            body = {**({"units": units} if units is not None else {}),
                    **({"fromCargo": True} if from_cargo else {})}
        case c.Purchase(symbol=s, units=u) | c.Sell(symbol=s, units=u) \
                | c.Jettison(symbol=s, units=u):
            verb = type(command).__name__.lower()
            method, path, body = "POST", f"{base}/{verb}", {"symbol": s, "units": u}
        case c.Scan(kind=kind):
            method, path = "POST", f"{base}/scan/{kind}"
        case c.SupplyConstruction(waypoint=site, symbol=s, units=u):
            method = "POST"
            path = f"/systems/{site.rsplit('-', 1)[0]}/waypoints/{site}/construction/supply"
            body = {"shipSymbol": ship, "tradeSymbol": s, "units": u}
        case _:
            return None
    return method, path, tuple(sorted(body.items()))


@dataclass
class Outcome:
    requests: list[Request]
    logs: list[str]
    ok: bool
    detail: str = ""


def predicted(playbook: Path, sim: Sim, token: str, db: Path) -> Outcome:
    """``plan`` in-process against the simulator (the CLI's own universe loader), with the
    run's state database: plan reads the universe from its cache, never from the user's."""
    from runner.cli.playbook_cmd import Universe
    from runner.playbook import PlaybookError, compile_playbook, load_playbook

    book = load_playbook(playbook)
    env = {**runner_env(sim, token), "ST_RUN_DB": str(db)}
    with _env(env), Universe(None, False, None) as universe:
        system, ship, agent, ships = universe.for_playbook(book)
        atlas = universe.atlas(book, ship, system, agent)
    try:
        plan = compile_playbook(book, system, ship, agent, ships=ships, atlas=atlas)
    except PlaybookError as exc:
        return Outcome([], [], False, "; ".join(p.message for p in exc.problems))
    requests = [r for r in (request_of(cmd, ship.symbol) for cmd in plan.trace) if r]
    logs = [cmd.message for cmd in plan.trace if isinstance(cmd, c.Log)]
    return Outcome(requests, logs, True)


def observed(playbook: Path, sim: Sim, token: str, db: Path) -> Outcome:
    """``st-run run`` as a subprocess; the ledger's accepted requests and the log lines."""
    agent = sim.agent(token)["symbol"]
    since = len(sim.ledger())
    result = subprocess.run([*ST_RUN, "run", str(playbook), "--db", str(db)], cwd=REPO,
                            env={**runner_env(sim, token), "NO_COLOR": "1", "COLUMNS": "300"},
                            capture_output=True, text=True, timeout=120)
    requests = []
    for entry in sim.ledger(since):
        if entry["agent"] != agent:
            continue
        path = re.sub(r"^/v2", "", entry["path"])
        body = entry.get("body") or {}
        requests.append((entry["method"], path, tuple(sorted(body.items()))))
    logs = [line[line.index(MARK):] for line in result.stdout.splitlines() if MARK in line]
    return Outcome(requests, logs, result.returncode == 0, result.stdout + result.stderr)


class _env:
    """Set environment variables for a block (the CLI's universe loader reads them)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values, self.saved = values, dict(os.environ)

    def __enter__(self) -> None:
        os.environ.update(self.values)

    def __exit__(self, *exc: object) -> None:
        os.environ.clear()
        os.environ.update(self.saved)


def compare(text: str, sim: Sim, tmp: Path, index: int) -> tuple[bool, str]:
    """Plan and run one playbook on a fresh agent; (equal, what differed).

    The runs share one database in ``tmp`` (each its own container name), so the system
    the first run fetched is read from the store's cache by the others."""
    token = sim.register(f"PROP{os.getpid() % 1000}X{index}")
    path = tmp / f"prop{index}.yaml"
    path.write_text(text.replace("name: prop\n", f"name: prop{index}\n", 1), encoding="utf-8")
    plan = predicted(path, sim, token, tmp / "state.db")
    run = observed(path, sim, token, tmp / "state.db")
    if not plan.ok:  # the plan refuses it: the run must not succeed either
        return (not run.ok, f"plan refused ({plan.detail}) but run succeeded")
    if not run.ok:
        return False, f"plan ok but run failed:\n{run.detail[-2000:]}"
    if plan.requests != run.requests:
        return False, _diff("requests", plan.requests, run.requests)
    if plan.logs != run.logs:
        return False, _diff("logs", plan.logs, run.logs)
    return True, ""


def _diff(what: str, plan: list[Any], run: list[Any]) -> str:
    lines = [f"{what} differ: plan {len(plan)}, run {len(run)}"]
    for i in range(max(len(plan), len(run))):
        a = plan[i] if i < len(plan) else "-"
        b = run[i] if i < len(run) else "-"
        lines.append(f"{'  ' if a == b else '!!'} {i}: plan {a}  |  run {b}")
    return "\n".join(lines)


def seeds() -> Iterator[int]:
    """Simulator seeds the checks cycle through."""
    yield from (1, 2, 3)
