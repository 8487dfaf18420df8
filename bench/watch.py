"""Bench: reload latency of ``st-run watch`` (file written -> new version running).

Starts ``st-run sim`` (no rate limit, speed 20) and ``st-run watch DIR`` as real
subprocesses with a SQLite database, starts one ``repeat: forever`` playbook (orbit, log,
dock, wait), then rewrites the file ``--edits`` times (default 50) with a new version. Each
latency is measured from just before the write to the moment the database shows the
container RUNNING with exactly the new text as its version (what ``st-run status`` reads),
polled every 20 ms. Before each edit the running version must have done some work (its
log line appeared), then a random 0.1-0.8 s passes, so edits land at different points of
the loop (mid-request, mid-wait), as they would for a fleet that has been running a while.

Also checks from the simulator's ledger that no state change was sent twice (orbit and dock
strictly alternate). Prints p50, p95 and max. Target: p95 < 1 s.

Usage: ``.venv/bin/python bench/watch.py [--edits 50]``
"""

from __future__ import annotations

import argparse
import itertools
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.simproc import start_sim_process  # noqa: E402
from tests.watch.procs import State, ledger, register, until, watcher  # noqa: E402

PLAYBOOK = """\
name: bench
ship: {ship}
restart: always
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - log: "version {version}"
        - dock
        - wait: 10s
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp, \
            start_sim_process("--speed", "20", "--no-rate-limit") as (_, url):
        root = Path(tmp)
        folder, db = root / "playbooks", root / "state.db"
        folder.mkdir()
        agent = register(url, "BENCHWATCH")
        ship = agent.ships[0]
        state = State(db)
        path = folder / "bench.yaml"
        path.write_text(PLAYBOOK.format(ship=ship, version=0))
        latencies: list[float] = []
        with watcher(folder, db, agent, root / "watch.log") as proc:
            until(lambda: state.running("bench", path.read_text()), "first version running",
                  on_fail=proc.output)
            for version in range(1, args.edits + 1):
                until(lambda v=version - 1: f"version {v}" in state.messages("bench"),
                      f"version {version - 1} at work", on_fail=proc.output)
                time.sleep(rng.uniform(0.1, 0.8))
                source = PLAYBOOK.format(ship=ship, version=version)
                started = time.perf_counter()
                path.write_text(source)
                until(lambda s=source: state.running("bench", s), f"version {version}",
                      on_fail=proc.output)
                latencies.append(time.perf_counter() - started)
            proc.signal(signal.SIGTERM)
            code = proc.wait()
        actions = [e["path"].rsplit("/", 1)[-1] for e in ledger(url, ship)
                   if e["method"] == "POST"]
        doubled = sum(a == b for a, b in itertools.pairwise(actions))
        state.close()
    p50, p95 = statistics.median(latencies), percentile(latencies, 95)
    print(f"reload latency over {len(latencies)} edits (file written -> new version RUNNING):")
    print(f"  p50 {p50 * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   max "
          f"{max(latencies) * 1000:.0f} ms   (target p95 < 1000 ms: "
          f"{'met' if p95 < 1.0 else 'NOT met'})")
    print(f"  ledger: {len(actions)} orbit/dock changes, {doubled} repeated back to back "
          f"(must be 0); watcher exit code {code} (must be 0)")
    return 0 if doubled == 0 and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
