"""Bench: does the client use the whole rate limit without a single 429?

Starts ``st-run sim`` (real limits: 2/1 s static + 30/60 s burst) as a subprocess, registers
one agent and runs 40 ships' worth of concurrent work through ONE SpaceTradersClient for
``--seconds`` of wall time (default 190):

* each of 40 ship workers repeats a cycle: an ACTION (orbit or dock, real state changes on
  the agent's ships), a NAVIGATION read (nav), a QUERY read (market), then "travels" for a
  random 60..120 s, as a mining or trading ship would;
* 4 BACKGROUND scanners page through the system's waypoints without pause, so demand always
  exceeds the server's capacity.

Prints the achieved rate over the last ``--measure`` seconds (a multiple of the 60 s burst
window, default 180) as a share of the sustained capacity 2.5 req/s, the 429s seen by the
client and counted by the server, and the p50/p99 wait in the limiter per priority class.
Targets: >= 97% of capacity, zero 429s, ACTION p99 < 1 s.

Usage: ``.venv/bin/python bench/rate_limit.py [--seconds 190] [--measure 180]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.api import Priority, SpaceTradersClient  # noqa: E402
from runner.api.metrics import percentile  # noqa: E402

CAPACITY = 2.5  # requests per second: 2/s static + 30 per 60 s burst


@contextlib.contextmanager
def simulator() -> object:
    proc = subprocess.Popen([sys.executable, "-m", "runner", "sim", "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if "listening on " not in line:
            raise SystemExit(f"simulator did not start: {line!r}")
        yield line.split("listening on ", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


class Clocked(httpx.AsyncBaseTransport):
    """A transport that notes when each non-429 answer arrived, to measure a late window."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.ok: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if response.status_code != 429:
            self.ok.append(time.monotonic())
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def ship_worker(client: SpaceTradersClient, ships: list[str], market: str,
                      stop: float, rng: random.Random, index: int) -> None:
    name = f"ship-{index}"
    await asyncio.sleep(rng.uniform(0, 90))  # ships start their cycles spread out
    while time.monotonic() < stop:
        ship = ships[index % len(ships)]
        if rng.random() < 0.5:
            await client.orbit(ship, priority=Priority.ACTION, container=name)
        else:
            await client.dock(ship, priority=Priority.ACTION, container=name)
        await client.get_nav(ship, priority=Priority.NAVIGATION, container=name)
        await client.get_market(market, priority=Priority.QUERY, container=name)
        await asyncio.sleep(rng.uniform(60, 120))


async def scanner(client: SpaceTradersClient, system: str, stop: float, index: int) -> None:
    while time.monotonic() < stop:
        await client.list_waypoints(system, priority=Priority.BACKGROUND,
                                    container=f"scan-{index}")


async def run(url: str, seconds: float, measure: float) -> None:
    async with SpaceTradersClient(url, None) as anonymous:
        registration = await anonymous.register(f"BENCH{random.randrange(10**6)}", "COSMIC")
    clocked = Clocked()
    client = SpaceTradersClient(url, registration.token, transport=clocked)
    async with client:
        ships = [s.symbol for s in await client.list_ships()]
        hq = registration.agent.headquarters
        system = "-".join(hq.split("-")[:2])
        client.metrics.waits.clear()
        start = time.monotonic()
        stop = start + seconds
        rng = random.Random(7)
        jobs = [ship_worker(client, ships, hq, stop, rng, i) for i in range(40)]
        jobs += [scanner(client, system, stop, i) for i in range(4)]
        tasks = [asyncio.create_task(job) for job in jobs]
        await asyncio.wait(tasks, timeout=seconds)
        end = time.monotonic()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with httpx.AsyncClient() as raw:
            stats = (await raw.get(f"{url}/_sim/stats")).json()["data"]
    window_start = end - measure
    in_window = sum(1 for t in clocked.ok if t >= window_start)
    rate = in_window / measure
    print(f"wall time {end - start:.0f} s; measured over the last {measure:.0f} s")
    print(f"achieved {rate:.3f} req/s = {rate / CAPACITY:.1%} of {CAPACITY} req/s "
          f"(whole run: {len(clocked.ok) / (end - start):.3f} req/s incl. the first burst)")
    agent_stats = stats.get(registration.agent.symbol, stats)
    print(f"429s seen by the client: {client.metrics.rate_limited}; "
          f"server-side counts for the agent: {agent_stats.get('rateLimited')}")
    print(f"requests sent: {client.metrics.total}, retries: {client.metrics.retries}")
    for prio in Priority:
        waits = client.metrics.waits.get(prio.name, [])
        print(f"  {prio.name:<11} n={len(waits):4d}  p50 {percentile(waits, 0.5):6.3f} s"
              f"  p99 {percentile(waits, 0.99):6.3f} s  max {max(waits, default=0):6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=190.0)
    parser.add_argument("--measure", type=float, default=180.0)
    args = parser.parse_args()
    with simulator() as url:
        asyncio.run(run(str(url), args.seconds, min(args.measure, args.seconds)))


if __name__ == "__main__":
    main()
