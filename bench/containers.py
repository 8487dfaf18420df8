"""Benchmark: N containers in one runner against the simulator (rate limits off).

Starts ``st-run sim --no-rate-limit`` in a subprocess, registers N agents (one ship each),
and runs N containers in ONE supervisor in this process, each looping orbit, buy 1 FUEL,
sell it (orbit, dock, purchase, dock, sell: every one a journalled state change). Prints:

- peak RSS of the runner process;
- step dispatch overhead per command, p50/p99: the time the executor spends on a command
  outside the HTTP request itself (preconditions, intent, checkpoint + log transaction,
  bookkeeping, event-loop scheduling);
- database writes per command (intents, checkpoints, logs, status), and the runner's
  heartbeat transactions (all leases renewed in one per interval) separately.

Targets (issue 6): RSS < 250 MB, p99 overhead < 20 ms.

    .venv/bin/python bench/containers.py [--containers 100] [--iterations 10] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runner.api.client import SpaceTradersClient  # noqa: E402
from runner.api.limiter import LimiterConfig, RateLimiter  # noqa: E402
from runner.api.secrets import Token  # noqa: E402
from runner.runtime.adapters import AgentDirectory, LoadedPlaybook, Runtime  # noqa: E402
from runner.runtime.container import LEASE_TTL_S, ContainerTask  # noqa: E402
from runner.runtime.executor import Executor  # noqa: E402
from runner.runtime.supervisor import Supervisor  # noqa: E402
from runner.state.store import Store  # noqa: E402

PLAYBOOK = """name: bench-{i}
ship: {ship}
agent: {agent}
steps:
  - repeat:
      times: {iterations}
      steps:
        - orbit
        - buy: {{symbol: FUEL, units: 1}}
        - sell: {{symbol: FUEL}}
"""


class Timings:
    """Per-command wall times: the whole command, and the HTTP request inside it."""

    def __init__(self) -> None:
        self.overheads: list[float] = []
        self.db: list[float] = []
        self.requests = 0


class TimedRuntime(Runtime):
    """The real runtime with two stopwatches around each command."""

    def __init__(self, store: Store, agents: AgentDirectory, timings: Timings) -> None:
        super().__init__(store, agents)
        self.timings = timings
        self.journals: list[Any] = []

    async def build_executor(self, task: ContainerTask, loaded: LoadedPlaybook,
                             ship: str) -> Executor:
        executor = await super().build_executor(task, loaded, ship)
        self.journals.append(task.journal)
        timings = self.timings
        api = executor.api
        original_send = api.send
        in_request = {"t": 0.0}

        async def timed_send(ship_state: Any, command: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original_send(ship_state, command)
            finally:
                in_request["t"] += time.perf_counter() - started
                timings.requests += 1

        in_db = {"t": 0.0}
        journal = task.journal
        for name in ("record_intent", "checkpoint", "log", "set_progress", "stop_requested"):
            setattr(journal, name, _timed(getattr(journal, name), in_db))
        original_execute = executor._execute

        async def timed_execute(command: Any, path: Any, index: int) -> Any:
            in_request["t"] = in_db["t"] = 0.0
            started = time.perf_counter()
            result = await original_execute(command, path, index)
            total = time.perf_counter() - started
            timings.overheads.append(total - in_request["t"])
            timings.db.append(in_db["t"])
            return result

        api.send = timed_send  # type: ignore[method-assign]
        executor._execute = timed_execute  # type: ignore[method-assign]
        return executor


def _timed(fn: Any, acc: dict[str, float]) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            acc["t"] += time.perf_counter() - started
    return timed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def start_sim() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "runner", "sim", "--port", "0", "--no-rate-limit",
         "--speed", "100"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        raise SystemExit(f"simulator did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


async def run(count: int, iterations: int, db: str | None, workdir: Path) -> None:
    sim, url = start_sim()
    try:
        agents: dict[str, Any] = {}
        paths = []
        with httpx.Client(timeout=30) as http:
            for i in range(count):
                symbol = f"BENCH{i:04d}"
                data = http.post(f"{url}/register",
                                 json={"symbol": symbol, "faction": "COSMIC"}).json()["data"]
                agents[symbol] = SpaceTradersClient(
                    url, Token(data["token"]), limiter=RateLimiter(LimiterConfig.unlimited()))
                path = workdir / f"bench-{i}.yaml"
                path.write_text(PLAYBOOK.format(i=i, ship=f"{symbol}-1", agent=symbol,
                                                iterations=iterations))
                paths.append(path)
        store = Store.open(db or str(workdir / "bench.db"))
        directory = AgentDirectory(agents, default=next(iter(agents)))
        timings = Timings()
        runtime = TimedRuntime(store, directory, timings)
        supervisor = Supervisor(store, directory, runtime=runtime)
        started = time.perf_counter()
        for path in paths:
            await supervisor.start(path)
        outcomes = await supervisor.wait()
        elapsed = time.perf_counter() - started
        await directory.aclose()
        store.close()
        report(count, iterations, outcomes, timings, runtime, elapsed,
               getattr(supervisor, "leases", None))
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def report(count: int, iterations: int, outcomes: dict[str, Any], timings: Timings,
           runtime: TimedRuntime, elapsed: float, leases: Any) -> None:
    completed = sum(1 for o in outcomes.values() if o and o.status
                    and o.status.value == "COMPLETED")
    overheads = sorted(timings.overheads)
    commands = len(overheads)
    writes = sum(j.writes for j in runtime.journals)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p50 = statistics.median(overheads) * 1000
    p99 = overheads[min(commands - 1, int(commands * 0.99))] * 1000
    print(f"containers: {count} in one runner ({completed} completed), {iterations} "
          f"iterations of orbit/buy/sell each; {commands} commands, {timings.requests} requests, "
          f"{elapsed:.1f} s wall")
    print(f"peak RSS: {peak_mb:.0f} MB (target < 250 MB)")
    print(f"dispatch overhead per command: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
          f"(target p99 < 20 ms)")
    print(f"  of which database (intent, checkpoint+log): p50 {_pct(timings.db, 0.5):.2f} ms, "
          f"p99 {_pct(timings.db, 0.99):.2f} ms")
    print(f"database writes per command: {writes / max(commands, 1):.2f} "
          "(intent + checkpoint-with-log per state change; step progress; heartbeats "
          "not counted)")
    if leases is not None:  # the runner's one heartbeat for all its containers
        print(f"heartbeat transactions: {leases.writes} in {elapsed:.1f} s for {count} "
              f"containers ({leases.writes / max(elapsed, 1e-9):.2f}/s; one per container "
              f"would be ~{count / (LEASE_TTL_S / 3):.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.containers, args.iterations, args.db, Path(tmp)))


if __name__ == "__main__":
    main()
