"""Bench: 200 containers in one runner against the simulator with the real rate limits.

Starts ``st-run sim`` with the real server's limits (``2/1s,30/60s`` per agent: 2.5 req/s
sustained) and registers ``containers / 2`` agents (each starts with two ships), then runs one
container per ship in ONE supervisor in this process, each a ``repeat: forever`` of orbit and
dock (two state changes, each a request and a checkpoint). The two containers of an agent
compete for its 2.5 req/s through the client's limiter. After ``--minutes`` the supervisor is
asked to stop at safe points.

Prints, over the measured window (after ``--warmup`` seconds):
- share of capacity used: requests the simulator served / (agents x 2.5 req/s x window);
- 429 answers / requests (the simulator's counts, all agents, whole run), the client's count
  of 429s, and the grants the limiter handed back (resumed too late to send);
- fairness: limiter wait per request p50, p99, max and max/median (target: no request waits
  more than 10x the median), and p99 per priority class; requests per container
  min/median/max;
- memory: this process's RSS every ``--sample`` seconds; RSS at the end of warm-up, at the
  end, peak, and growth after warm-up (target: none).

``--stall-ms N`` blocks the event loop every ``--stall-every`` seconds (default 1) for an
exponential time of mean N ms: the lag spikes of a saturated CPU (issue 19's cause of 429s),
reproducible whatever else the machine runs.

Usage: ``.venv/bin/python bench/load.py [--containers 200] [--minutes 10] [--warmup 60]
[--stall-ms 0 --stall-every 1]``
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.api.client import SpaceTradersClient  # noqa: E402
from runner.api.limiter import LimiterConfig, Priority, RateLimiter  # noqa: E402
from runner.api.secrets import Token  # noqa: E402
from runner.runtime.adapters import AgentDirectory, Runtime  # noqa: E402
from runner.runtime.supervisor import Supervisor  # noqa: E402
from runner.state.store import Store  # noqa: E402
from tests.support.simproc import start_sim_process  # noqa: E402

PLAYBOOK = """name: load-{i}
ship: {ship}
agent: {agent}
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - dock
"""
CAPACITY = 2.5  # requests per second per agent: 2/s static + 30/60 s burst


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def _rank(priority: str) -> int:
    """Most urgent class first; unknown names last."""
    return Priority[priority].value if priority in Priority.__members__ else len(Priority)


def served(url: str) -> dict[str, dict[str, Any]]:
    """The simulator's per-agent stats (requests, 429s)."""
    return dict(httpx.get(f"{url}/_sim/stats", timeout=30).json()["data"])


async def register_all(url: str, agents: int, workdir: Path
                       ) -> tuple[dict[str, SpaceTradersClient], list[Path]]:
    clients: dict[str, SpaceTradersClient] = {}
    paths = []
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(agents):
            symbol = f"LOAD{i:04d}"
            while True:  # registration shares the per-IP limit: wait out its 429s
                answer = await http.post(f"{url}/register",
                                         json={"symbol": symbol, "faction": "COSMIC"})
                if answer.status_code != 429:
                    break
                await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
            answer.raise_for_status()
            token = answer.json()["data"]["token"]
            clients[symbol] = SpaceTradersClient(url, Token(token),
                                                 limiter=RateLimiter(LimiterConfig()))
            for ship in (1, 2):
                path = workdir / f"load-{symbol}-{ship}.yaml"
                path.write_text(PLAYBOOK.format(i=f"{i}-{ship}", ship=f"{symbol}-{ship}",
                                                agent=symbol))
                paths.append(path)
    return clients, paths


async def stall(mean_ms: float, every: float, seed: int = 1) -> None:
    """Every ``every`` seconds, block the event loop for an exponentially distributed time
    (mean ``mean_ms``): the lag spikes of a saturated CPU, the same in every run (a blocking
    sleep, so the machine's other users are not slowed)."""
    rng = random.Random(seed)
    while True:
        await asyncio.sleep(every)
        time.sleep(rng.expovariate(1000.0 / mean_ms))


async def run(containers: int, minutes: float, warmup: float, sample: float,
              workdir: Path, url: str, stall_ms: float = 0.0, stall_every: float = 1.0
              ) -> None:
    agents = max(1, containers // 2)
    clients, paths = await register_all(url, agents, workdir)
    store = Store.open(str(workdir / "load.db"))
    directory = AgentDirectory(dict(clients), default=next(iter(clients)))
    supervisor = Supervisor(store, directory, runtime=Runtime(store, directory))
    me = psutil.Process()
    memory: list[tuple[float, float]] = []
    began = time.monotonic()
    for path in paths:
        await supervisor.start(path)
    staller = asyncio.create_task(stall(stall_ms, stall_every)) if stall_ms > 0 else None
    print(f"load: {len(paths)} containers for {agents} agents started in "
          f"{time.monotonic() - began:.1f}s; running {minutes:g} min", flush=True)
    began = time.monotonic()
    end = began + minutes * 60
    before: dict[str, dict[str, Any]] | None = None
    measured_from = began + warmup
    while time.monotonic() < end:
        await asyncio.sleep(min(sample, max(0.0, end - time.monotonic())))
        now = time.monotonic()
        memory.append((now - began, me.memory_info().rss / 2**20))
        if before is None and now >= measured_from:
            before, measured_from = await asyncio.to_thread(served, url), now
    after = await asyncio.to_thread(served, url)
    if staller is not None:
        staller.cancel()
    window = time.monotonic() - measured_from
    await supervisor.shutdown(10.0)
    await supervisor.wait()
    await directory.aclose()
    store.close()
    report(clients, before or {}, after, window, warmup, memory)


def report(clients: dict[str, SpaceTradersClient], before: dict[str, dict[str, Any]],
           after: dict[str, dict[str, Any]], window: float, warmup: float,
           memory: list[tuple[float, float]]) -> None:
    agents = list(clients)
    done = sum(after.get(a, {}).get("requests", 0) - before.get(a, {}).get("requests", 0)
               for a in agents)
    limited = sum(sum(after.get(a, {}).get("rateLimited", {}).values()) for a in agents)
    share = done / (len(agents) * CAPACITY * window) if window > 0 else float("nan")
    waits = [w for c in clients.values() for ws in c.metrics.waits.values() for w in ws]
    per_container = [n for c in clients.values() for n in c.metrics.by_container.values()]
    client_429 = sum(c.metrics.rate_limited for c in clients.values())
    median = statistics.median(waits) if waits else float("nan")
    print(f"capacity used: {share * 100:.1f}% of {len(agents)} x {CAPACITY} req/s over "
          f"{window:.0f}s after a {warmup:g}s warm-up ({done} requests, "
          f"{done / max(window, 1e-9):.1f} req/s)")
    late = sum(getattr(c.limiter, "late", 0) for c in clients.values())
    total = sum(after.get(a, {}).get("requests", 0) for a in agents)
    print(f"429s: {limited} from the simulator in {total} requests (whole run), {client_429} "
          f"seen by the clients; {late} grants resumed past their window's guard and "
          "handed back")
    ratio = max(waits) / median if waits and median > 0 else float("nan")
    print(f"limiter wait per request: p50 {median * 1000:.0f} ms, p99 "
          f"{pct(waits, 0.99) * 1000:.0f} ms, max {max(waits, default=0) * 1000:.0f} ms, "
          f"max/median {ratio:.1f} (target <= 10); {len(waits)} waits")
    by_class: dict[str, list[float]] = {}
    for c in clients.values():
        for name, ws in c.metrics.waits.items():
            by_class.setdefault(name, []).extend(ws)
    print("limiter wait p99 per priority class: " + ", ".join(
        f"{name} {pct(ws, 0.99) * 1000:.0f} ms ({len(ws)})"
        for name, ws in sorted(by_class.items(), key=lambda kv: _rank(kv[0]))))
    if per_container:
        print(f"requests per container: min {min(per_container)}, median "
              f"{statistics.median(per_container):.0f}, max {max(per_container)}")
    warm = [rss for t, rss in memory if t >= warmup] or [rss for _, rss in memory]
    if warm:
        print(f"RSS: {warm[0]:.0f} MB after warm-up, {warm[-1]:.0f} MB at the end, peak "
              f"{max(rss for _, rss in memory):.0f} MB; growth after warm-up "
              f"{warm[-1] - warm[0]:+.0f} MB over {memory[-1][0] - warmup:.0f}s")
        print("RSS over time (s: MB): " + ", ".join(
            f"{t:.0f}: {rss:.0f}" for t, rss in memory[:: max(1, len(memory) // 12)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds not measured")
    parser.add_argument("--sample", type=float, default=5.0, help="RSS sampling, seconds")
    parser.add_argument("--stall-ms", type=float, default=0.0,
                        help="block the event loop for this mean time (ms), see --stall-every")
    parser.add_argument("--stall-every", type=float, default=1.0,
                        help="seconds between event-loop stalls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="st-load-") as tmp, \
            start_sim_process("--seed", "1") as (_, url):
        asyncio.run(run(args.containers, args.minutes, args.warmup, args.sample, Path(tmp),
                        url, args.stall_ms, args.stall_every))


if __name__ == "__main__":
    main()
