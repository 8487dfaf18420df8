"""Bench: the opening (``playbooks/fleet/``) from a fresh agent, for a span of game hours.

Starts ``st-run sim`` (its economy on, no rate limit, fast clock) and one ``st-run watch``
process on the example folder with a fresh agent (a command frigate and a probe), lets it
play for ``--hours`` of game time, then stops the watcher with SIGTERM and prints:

- credits per game hour: the agent's credits at the end minus at the start (ships bought
  are counted apart: they are assets, not lost credits);
- requests per game minute, from the simulator's own count, against the real server's
  budget of 150 per minute (2/s plus a burst of 30 per 60 s). With a fast clock the runner
  is not held to that budget here (the simulator's windows are wall-clock), so the figure
  says whether this fleet would fit in it at speed 1;
- the ships at the end by role, and each ship's idle share: the share of samples (one every
  ``--sample`` wall seconds) in which it was neither in transit nor cooling down (an
  extraction, a survey, a jump) - a hauler waiting at the belt for ore counts as idle;
- the jump gate's construction progress (units delivered / required, all materials);
- the errors that mean a race between ships (4217, 4228, 4234, 4271) in the runner's logs
  (0 expected), and the containers that ended FAILED.

    .venv/bin/python bench/fleet.py [--hours 3] [--speed 60] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import re
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.simproc import start_sim_process  # noqa: E402
from tests.watch.procs import State, register, watcher  # noqa: E402

BUDGET_PER_MIN = 150
RACE_CODES = (4217, 4228, 4234, 4271)
RACE = re.compile(r"\b(4217|4228|4234|4271) [A-Z]\w*:")  # how an API error is logged


class Game:
    """The simulator as the bench reads it: the agent's view and the control endpoints."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})

    def get(self, path: str) -> Any:
        answer = self.http.get(path)
        answer.raise_for_status()
        return answer.json()["data"]

    def now(self) -> datetime:
        data = self.get("/_sim/clock")
        return datetime.fromisoformat(str(data["gameTime"]).replace("Z", "+00:00"))

    def credits(self) -> int:
        return int(self.get("/my/agent")["credits"])

    def ships(self) -> list[dict[str, Any]]:
        ships: list[dict[str, Any]] = []
        for page in range(1, 50):
            batch = self.get(f"/my/ships?limit=20&page={page}")
            ships += batch
            if len(batch) < 20:
                break
        return ships

    def gate_progress(self, system: str) -> tuple[int, int]:
        gates = self.get(f"/systems/{system}/waypoints?type=JUMP_GATE")
        if not gates:
            return 0, 0
        site = self.get(f"/systems/{system}/waypoints/{gates[0]['symbol']}/construction")
        materials = site.get("materials", [])
        return (sum(m["fulfilled"] for m in materials), sum(m["required"] for m in materials))

    def requests(self, agent: str) -> int:
        entry = self.get("/_sim/stats").get(agent, {})
        return int(entry.get("requests", 0))

    def ledger(self) -> list[dict[str, Any]]:
        data = self.get("/_sim/ledger")
        return list(data.get("entries", []) if isinstance(data, dict) else data)


def busy(ship: dict[str, Any]) -> bool:
    """In transit, or its reactor cooling down (extract, survey, jump, siphon)."""
    cooldown = ship.get("cooldown") or {}
    return ship["nav"]["status"] == "IN_TRANSIT" or cooldown.get("remainingSeconds", 0) > 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0, help="game hours to play")
    parser.add_argument("--speed", type=float, default=60.0, help="game seconds per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=float, default=1.0, help="wall seconds per sample")
    parser.add_argument("--folder", default=str(REPO / "playbooks" / "fleet"))
    parser.add_argument("--show", type=int, default=0, help="print the last N log lines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, start_sim_process(
            "--speed", str(args.speed), "--no-rate-limit", "--seed", str(args.seed)) as (_, url):
        agent = register(url, "FLEETBENCH")
        game = Game(url, agent.token)
        start_credits, started = game.credits(), game.now()
        system = game.get("/my/agent")["headquarters"].rsplit("-", 1)[0]
        idle: collections.Counter[str] = collections.Counter()
        samples: collections.Counter[str] = collections.Counter()
        roles: dict[str, str] = {}
        log = Path(tmp) / "watch.log"
        with watcher(Path(args.folder), Path(tmp) / "state.db", agent, log) as proc:
            while (game.now() - started).total_seconds() < args.hours * 3600:
                if proc.proc.poll() is not None:
                    print(f"the watcher ended early (exit {proc.proc.returncode}):\n"
                          f"{proc.output()[-3000:]}")
                    return 1
                for ship in game.ships():
                    roles[ship["symbol"]] = ship["registration"]["role"]
                    samples[ship["symbol"]] += 1
                    idle[ship["symbol"]] += not busy(ship)
                time.sleep(args.sample)
            proc.signal(signal.SIGTERM)
            code = proc.wait(timeout=120)
            output = proc.output()
        hours = (game.now() - started).total_seconds() / 3600
        report(game, agent.symbol, system, hours, start_credits, roles, idle, samples)
        state = State(Path(tmp) / "state.db")
        messages = state.messages()
        if args.show:
            for line in state.store.logs(None, limit=args.show):
                print(f"    {line.container or '-'}: {line.message}")
        state.close()
        races = [m for m in messages if RACE.search(m)]
        print(f"  race errors (4217/4228/4234/4271) in the runner's logs: {len(races)} "
              "(0 expected)")
        for line in races[:5]:
            print(f"    {line}")
        failed = [line for line in output.splitlines() if "FAILED" in line or "error:" in line]
    print(f"  watcher exit code {code} (0 expected); {len(failed)} error/FAILED lines on its "
          "terminal" + (":" if failed else ""))
    for line in failed[:10]:
        print(f"    {line}")
    return 0 if code == 0 else 1


def report(game: Game, agent: str, system: str, hours: float, start_credits: int,
           roles: dict[str, str], idle: collections.Counter[str],
           samples: collections.Counter[str]) -> None:
    entries = game.ledger()
    bought = sum(1 for e in entries
                 if str(e.get("path", "")).endswith("/my/ships") and e.get("method") == "POST")
    credits = game.credits()
    requests = game.requests(agent)
    fulfilled, required = game.gate_progress(system)
    print(f"fleet opening, {hours:.2f} game hours, {len(roles)} ships at the end "
          f"({', '.join(f'{n} {r}' for r, n in collections.Counter(roles.values()).items())})")
    print(f"  credits: {start_credits} -> {credits}: {(credits - start_credits) / hours:+.0f} "
          f"per game hour, with {bought} ships bought meanwhile")
    per_min = requests / (hours * 60)
    print(f"  requests: {requests} = {per_min:.1f} per game minute "
          f"({per_min / BUDGET_PER_MIN:.0%} of the real server's {BUDGET_PER_MIN}/min)")
    for ship in sorted(samples):
        print(f"  idle {roles[ship]:<10} {ship:<16} {idle[ship] / samples[ship]:.0%} "
              f"of {samples[ship]} samples")
    share = f"{fulfilled / required:.1%}" if required else "no gate site"
    print(f"  jump gate construction: {fulfilled}/{required} units ({share})")
    print(f"  ledger: {len(entries)} state changes accepted")


if __name__ == "__main__":
    sys.exit(main())
