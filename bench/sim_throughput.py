"""How many requests per second the simulator serves (it must never be a benchmark's limit).

Prints two figures for a mix of typical calls (agent, ship, nav, market, orbit/dock):
- in-process: httpx's ASGI transport straight into the app (no sockets);
- loopback: ``st-run sim`` in a subprocess (one uvicorn worker = one core), driven over
  keep-alive connections by a minimal asyncio HTTP/1.1 client in this process (httpx itself
  tops out at a few hundred req/s per process, which would measure the client, not the
  server); the httpx figure is printed too, as what one real client sees;
- server capacity: the same loopback run divided by the CPU time the server process used,
  i.e. requests per second on one full core, whatever else loads the machine.
The galaxy has ``--systems`` systems (2000 by default, the issue-16 target); the time
``st-run sim --systems N`` takes to print its URL is printed too.
Run: ``.venv/bin/python bench/sim_throughput.py [--requests N] [--concurrency C]
[--systems S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner.sim.app import create_app
from runner.sim.config import SimConfig
from tests.support.simproc import start_sim_process

REAL_LIMIT = 2.5  # sustained req/s the real server allows one agent


async def _setup(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    reg = (await client.post("/register", json={"symbol": "BENCH", "faction": "COSMIC"})).json()
    client.headers["Authorization"] = f"Bearer {reg['data']['token']}"
    hq = reg["data"]["agent"]["headquarters"]
    system = hq.rsplit("-", 1)[0]
    return [("GET", "/my/agent"), ("GET", "/my/ships/BENCH-1"), ("GET", "/my/ships/BENCH-1/nav"),
            ("GET", f"/systems/{system}/waypoints/{hq}/market"),
            ("POST", "/my/ships/BENCH-1/orbit"), ("POST", "/my/ships/BENCH-1/dock")]


async def _drive(client: httpx.AsyncClient, total: int, concurrency: int) -> float:
    mix = await _setup(client)
    calls = itertools.cycle(mix)
    done = 0

    async def worker() -> None:
        nonlocal done
        while done < total:
            done += 1
            method, path = next(calls)
            response = await client.request(method, path)
            if response.status_code >= 300:
                raise SystemExit(f"{method} {path} -> {response.status_code}: {response.text}")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def in_process(total: int, concurrency: int, systems: int) -> float:
    app = create_app(SimConfig(rate_limit=None, systems=systems))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench/v2") as client:
        return await _drive(client, total, concurrency)


async def loopback_httpx(url: str, total: int) -> float:
    """One httpx client, one request at a time: what a bot sees."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await _drive(client, total, 1)


async def loopback_raw(url: str, total: int, concurrency: int) -> float:
    """Keep-alive connections speaking bare HTTP/1.1: what the server can serve."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        mix = await _setup(client)
        token = client.headers["Authorization"]
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    requests = [f"{m} /v2{p} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n"
                f"Content-Length: 0\r\n\r\n".encode() for m, p in mix]
    per_conn = total // concurrency

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        for request in itertools.islice(itertools.cycle(requests), per_conn):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 2"):
                raise SystemExit(f"unexpected response: {head[:80]!r}")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return per_conn * concurrency / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--systems", type=int, default=2000)
    args = parser.parse_args()
    galaxy = ("--no-rate-limit", "--systems", str(args.systems))
    print(f"galaxy          : {args.systems} systems")
    rate = asyncio.run(in_process(args.requests, args.concurrency, args.systems))
    print(f"in-process ASGI : {rate:8.0f} req/s  ({rate / REAL_LIMIT:,.0f}x the real 2.5 req/s)")
    began = time.perf_counter()
    with start_sim_process(*galaxy) as (proc, url):
        print(f"startup         : {time.perf_counter() - began:8.2f} s until `st-run sim "
              f"--systems {args.systems}` printed its URL")
        server = psutil.Process(proc.pid)
        cpu_before = sum(server.cpu_times()[:2])
        served = asyncio.run(loopback_raw(url, args.requests, args.concurrency))
        cpu = sum(server.cpu_times()[:2]) - cpu_before
    with start_sim_process(*galaxy) as (_, url):
        one_client = asyncio.run(loopback_httpx(url, min(args.requests, 1000)))
    print(f"loopback uvicorn: {served:8.0f} req/s  ({served / REAL_LIMIT:,.0f}x the real 2.5 "
          f"req/s; server process on one core, {args.concurrency} keep-alive connections)")
    print(f"server capacity : {args.requests / cpu:8.0f} req per CPU-second of the server "
          f"process (uvicorn http={_http_impl()}; independent of machine load)")
    print(f"one httpx client: {one_client:8.0f} req/s  (sequential, over loopback)")


def _http_impl() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


if __name__ == "__main__":
    main()
