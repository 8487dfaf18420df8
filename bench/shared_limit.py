"""Bench: four st-run processes on one account share its rate limit (issue 19).

Starts ``st-run sim`` with the real per-account limits (``2/1s,30/60s``: 2.5 req/s per
account), creates one account and registers two agents with its token (they share the
account's pools). Then four st-run processes run on one state database:

- agent A: ``st-run watch`` of a folder with an orbit/dock loop (actions), and a one-off
  ``st-run run`` of a scan_market loop (reads);
- agent B: the same.

Every loop repeats forever, so together they want far more than 2.5 req/s (saturated). Each
process first loads the system (one GET per marketplace), which under a quarter of the
budget takes a minute or two: the warm-up covers it. The
run is done twice: with the shared limiter (the default) and with ``ST_RUN_SHARED_LIMIT=off``
(one limiter per process: today's figure for comparison). Printed per run, over the measured
window (after ``--warmup`` seconds): the simulator's 429 answers, the account's served
requests per second and their share of 2.5 req/s, and limiter waits per priority class
across all four processes (p50, p99, max; from each process's DEBUG ``event=request`` log
lines).

Usage: ``.venv/bin/python bench/shared_limit.py [--seconds 240] [--warmup 120] [--db URL]``
(``--db postgresql+psycopg://...`` runs the four processes on Postgres instead of SQLite.)
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.simproc import start_sim_process  # noqa: E402

CAPACITY = 2.5
DOCK = """name: dock-{agent}
ship: {{role: COMMAND}}
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - dock
"""
SCAN = """name: scan-{agent}
ship: {{role: SATELLITE}}
steps:
  - repeat:
      forever: true
      steps:
        - scan_market
"""
# Runs the st-run CLI with runner.api's DEBUG lines (one per request, with its wait) in a file.
LAUNCHER = """
import logging, sys
logging.basicConfig(filename=sys.argv[1], level=logging.WARNING,
                    format="%(created).3f %(message)s")
logging.getLogger("runner.api").setLevel(logging.DEBUG)
from runner.cli.main import main
main(sys.argv[2:])
"""
WAITED = re.compile(r"^(?P<t>[\d.]+) event=request .*priority=(?P<p>\w+) waited=(?P<w>[\d.]+)s")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def account_agents(url: str) -> dict[str, str]:
    """One account, two agents registered with its token: symbol -> agent token."""
    account = httpx.post(f"{url}/_sim/accounts", json={}, timeout=30).json()["data"]
    tokens = {}
    for symbol in ("SHAREA", "SHAREB"):
        answer = httpx.post(f"{url}/register", json={"symbol": symbol, "faction": "COSMIC"},
                            headers={"Authorization": f"Bearer {account['token']}"},
                            timeout=30)
        answer.raise_for_status()
        tokens[symbol] = answer.json()["data"]["token"]
    return tokens


def stats(url: str) -> dict[str, dict[str, Any]]:
    return dict(httpx.get(f"{url}/_sim/stats", timeout=30).json()["data"])


def totals(data: dict[str, dict[str, Any]], agents: list[str]) -> tuple[int, int]:
    """(served, refused) summed over ``agents``."""
    served = sum(sum(data.get(a, {}).get("servedByPool", {}).values()) for a in agents)
    refused = sum(sum(data.get(a, {}).get("rateLimited", {}).values()) for a in agents)
    return served, refused


def launch(workdir: Path, name: str, args: list[str],
           env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = workdir / f"{name}.log"
    out = open(workdir / f"{name}.out", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-c", LAUNCHER, str(log), *args], env=env,
                            stdout=out, stderr=subprocess.STDOUT, cwd=str(REPO))


def one_run(url: str, tokens: dict[str, str], workdir: Path, db: str, shared: bool,
            seconds: float, warmup: float) -> None:
    label = "shared limiter" if shared else "one limiter per process (ST_RUN_SHARED_LIMIT=off)"
    procs = []
    for symbol, token in tokens.items():
        folder = workdir / f"watch-{symbol}"
        folder.mkdir()
        (folder / "dock.yaml").write_text(DOCK.format(agent=symbol))
        scan = workdir / f"scan-{symbol}.yaml"
        scan.write_text(SCAN.format(agent=symbol))
        env = {**os.environ, "ST_RUN_API_URL": url, "SPACETRADERS_TOKEN": token,
               "ST_RUN_ACCOUNT": "bench-account", "ST_RUN_DB": db,
               "ST_RUN_SHARED_LIMIT": "on" if shared else "off",
               "XDG_CONFIG_HOME": str(workdir / "config")}
        procs.append(launch(workdir, f"watch-{symbol}", ["watch", str(folder)], env))
        procs.append(launch(workdir, f"run-{symbol}", ["run", str(scan)], env))
    began = time.monotonic()
    time.sleep(warmup)
    before, t0 = stats(url), time.time()
    time.sleep(max(0.0, seconds - warmup))
    after, t1 = stats(url), time.time()
    for proc in procs:
        proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    agents = list(tokens)
    served0, refused0 = totals(before, agents)
    served1, refused1 = totals(after, agents)
    window = t1 - t0
    rate = (served1 - served0) / window
    waits: dict[str, list[float]] = {}
    for log in workdir.glob("*.log"):
        for line in log.read_text().splitlines():
            match = WAITED.match(line)
            if match and t0 <= float(match["t"]) <= t1:
                waits.setdefault(match["p"], []).append(float(match["w"]))
    print(f"\n{label}: 4 processes, {seconds - warmup:.0f} s measured after {warmup:.0f} s "
          f"warm-up (run took {time.monotonic() - began:.0f} s)")
    print(f"  429 answers: {refused1 - refused0} in the window, {refused1} in the whole run")
    print(f"  served: {rate:.2f} req/s = {100 * rate / CAPACITY:.1f} % of {CAPACITY} req/s")
    for priority in ("ACTION", "NAVIGATION", "QUERY", "BACKGROUND"):
        values = waits.get(priority)
        if values:
            print(f"  limiter wait {priority:<10} n={len(values):>5}  p50 "
                  f"{pct(values, 0.5) * 1000:6.0f} ms  p99 {pct(values, 0.99) * 1000:6.0f} ms"
                  f"  max {max(values) * 1000:6.0f} ms")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--warmup", type=float, default=120.0)
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file)")
    parser.add_argument("--only", choices=("shared", "off"), default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folders (logs)")
    args = parser.parse_args()
    modes = [m == "shared" for m in (("shared", "off") if args.only is None else (args.only,))]
    for shared in modes:
        with ExitStack() as stack:
            workdir = Path(tempfile.mkdtemp(prefix="shared-limit-")) if args.keep else \
                Path(stack.enter_context(tempfile.TemporaryDirectory()))
            if args.keep:
                print(f"work folder: {workdir}")
            _proc, url = stack.enter_context(start_sim_process(
                "--speed", "10", "--rate-limit", "2/1s,30/60s"))
            tokens = account_agents(url)
            db = args.db or str(workdir / "state.db")
            one_run(url, tokens, workdir, db, shared, args.seconds, args.warmup)


if __name__ == "__main__":
    main()
