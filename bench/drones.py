"""Benchmark: 100 drone containers of ONE group playbook in one runner (issue 18).

Starts ``st-run sim --no-rate-limit`` in a subprocess, registers one agent, gives it credits
(control endpoint), buys N mining drones at its headquarters and places them at the belt
nearest it (control endpoint), then runs the group playbook ``ships: {role: EXCAVATOR}``
in ONE supervisor in this process (client limiter off): every drone mines until its hold is
full and throws the load overboard, ``--loads`` times (extract, jettison: journalled state
changes, and a reactor cooldown between extracts). Prints:

- peak RSS of the runner process;
- dispatch overhead per command, p50/p99: the time the executor spends on a command
  outside the HTTP request itself (as ``bench/containers.py`` measures it);
- requests per second the simulator served to the agent over the run (its stats);
- the fleet-poll cost: one look of the group at the agent's ships (``GET /my/ships``,
  paged, plus comparing the members), in wall ms, runner CPU ms and requests, measured
  while the 100 members run.

    .venv/bin/python bench/drones.py [--drones 100] [--loads 2] [--speed 20] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.containers import TimedRuntime, Timings, _pct  # noqa: E402
from runner.api.client import SpaceTradersClient  # noqa: E402
from runner.api.limiter import LimiterConfig, RateLimiter  # noqa: E402
from runner.api.secrets import Token  # noqa: E402
from runner.runtime.adapters import AgentDirectory, LoadedPlaybook  # noqa: E402
from runner.runtime.container import ContainerTask  # noqa: E402
from runner.runtime.executor import Executor  # noqa: E402
from runner.runtime.supervisor import Supervisor  # noqa: E402
from runner.state.store import Store  # noqa: E402
from tests.containers.swarm import BELT_GOODS, buy_fleet  # noqa: E402
from tests.support.simproc import start_sim_process  # noqa: E402

AGENT = "SWARMBENCH"
PLAYBOOK = """name: drones
ships: {{role: EXCAVATOR}}
agent: {agent}
steps:
  - repeat:
      times: {loads}
      steps:
        - repeat:
            until: ship.cargo.free == 0
            steps:
              - extract
{jettison}"""
POLLS = 10


class DroneRuntime(TimedRuntime):
    """``bench/containers.py``'s timings, less the time a command waits for the game
    (a reactor cooldown before an extract): what is left is the runner's own overhead."""

    async def build_executor(self, task: ContainerTask, loaded: LoadedPlaybook,
                             ship: str) -> Executor:
        executor = await super().build_executor(task, loaded, ship)
        waited = {"t": 0.0}
        sleep_wall, execute = executor._sleep_wall, executor._execute

        async def timed_sleep_wall(seconds: float) -> None:
            started = time.perf_counter()
            try:
                await sleep_wall(seconds)
            finally:
                waited["t"] += time.perf_counter() - started

        async def timed_execute(command: object, path: object, index: int) -> object:
            waited["t"] = 0.0
            result = await execute(command, path, index)  # type: ignore[arg-type]
            # the inner stopwatch appended this command's figure just now (no await since)
            self.timings.overheads[-1] -= waited["t"]
            return result

        executor._sleep_wall = timed_sleep_wall  # type: ignore[method-assign]
        executor._execute = timed_execute  # type: ignore[method-assign]
        return executor


def playbook(loads: int) -> str:
    jettison = "".join(f"        - jettison: {good}\n" for good in BELT_GOODS)
    return PLAYBOOK.format(agent=AGENT, loads=loads, jettison=jettison)


def served(url: str) -> int:
    stats = httpx.get(f"{url}/_sim/stats", timeout=30).json()["data"]
    return int(stats.get(AGENT, {}).get("requests", 0))


async def run(drones: int, loads: int, speed: float, db: str | None, workdir: Path) -> None:
    with start_sim_process("--no-rate-limit", "--speed", str(speed)) as (_, url):
        fleet = buy_fleet(url, AGENT, drones=drones, haulers=0)
        ships = len(fleet.drones) + 2
        client = SpaceTradersClient(url, Token(fleet.agent.token),
                                    limiter=RateLimiter(LimiterConfig.unlimited()))
        path = workdir / "drones.yaml"
        path.write_text(playbook(loads))
        store = Store.open(db or str(workdir / "bench.db"))
        directory = AgentDirectory({AGENT: client}, default=AGENT)
        timings = Timings()
        runtime = DroneRuntime(store, directory, timings)
        supervisor = Supervisor(store, directory, runtime=runtime)
        before = served(url)
        started = time.perf_counter()
        await supervisor.groups.start(runtime.load(path, {}))
        await asyncio.sleep(2.0)  # every member started and working
        walls, cpu = [], 0.0
        cpu_before = time.process_time()
        for _ in range(POLLS):
            look = time.perf_counter()
            await supervisor.groups.sync_agent(AGENT)
            walls.append((time.perf_counter() - look) * 1000)
        cpu = (time.process_time() - cpu_before) * 1000 / POLLS
        outcomes = await supervisor.wait()
        elapsed = time.perf_counter() - started
        requests = served(url) - before
        await directory.aclose()
        store.close()
    completed = sum(1 for o in outcomes.values() if o is not None
                    and o.status.value == "COMPLETED")
    report(drones, loads, speed, completed, timings, elapsed, requests, walls, cpu, ships)


def report(drones: int, loads: int, speed: float, completed: int, timings: Timings,
           elapsed: float, requests: int, walls: list[float], cpu: float, ships: int) -> None:
    overheads = sorted(timings.overheads)
    commands = len(overheads)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pages = -(-ships // 20)
    print(f"drones: {drones} members of one group playbook in one runner ({completed} "
          f"completed), {loads} loads each (extract until full, jettison), sim speed "
          f"{speed:g}x; {commands} commands, {elapsed:.1f} s wall")
    print(f"peak RSS: {peak_mb:.0f} MB (target < 250 MB)")
    print(f"dispatch overhead per command: p50 {statistics.median(overheads) * 1000:.2f} ms, "
          f"p99 {_pct(timings.overheads, 0.99):.2f} ms (target p99 < 20 ms)")
    print(f"  of which database (intent, checkpoint+log): p50 {_pct(timings.db, 0.5):.2f} ms, "
          f"p99 {_pct(timings.db, 0.99):.2f} ms")
    print(f"requests: {requests} served to the agent in {elapsed:.1f} s = "
          f"{requests / max(elapsed, 1e-9):.1f}/s ({timings.requests} of them state changes)")
    print(f"fleet poll ({ships} ships, {pages} GET /my/ships pages of 20, members compared): "
          f"p50 {statistics.median(walls):.1f} ms, max {max(walls):.1f} ms wall, "
          f"{cpu:.1f} ms runner CPU per look (while the members run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drones", type=int, default=100)
    parser.add_argument("--loads", type=int, default=2)
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.drones, args.loads, args.speed, args.db, Path(tmp)))


if __name__ == "__main__":
    main()
