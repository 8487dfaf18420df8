"""Bench: every example playbook completes against ``st-run sim --faults``, each change once.

Starts ``st-run sim --faults SPEC`` (default: 10% 500s, 5% drop-before, 5% drop-after, 3% bare
429s, 3% bare 502s, 3% 2 s latency spikes) and runs every playbook of ``playbooks/`` at once,
each as ``st-run run`` in its own process with its own agent (token in
``SPACETRADERS_TOKEN``) and SQLite database. Then a fault-free ``st-run sim`` with the same
seed runs the same playbooks with the same agent symbols: the reference.

Checks, per playbook, from the simulator's ledger: the run COMPLETED (exit 0); its
state changes (purchase, sell, navigate, refuel, jettison, deliver, contract calls) equal
the reference's exactly, except for ``mine`` (its extraction yields depend on how many
extracts the server applied, and a lost extract answer is a legitimate extra extract), where
no state change may appear twice in a row; and the faults really happened (``/_sim/stats``).

Prints one line per playbook and a summary line ``faults: ...``.

Usage: ``.venv/bin/python bench/faults.py [--spec SPEC] [--speed 100] [--playbooks a,b]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.support import Sim, sim_process  # noqa: E402
from tests.prove.ledger import changes, diff, repeated  # noqa: E402

SPEC = "500:10%,drop-before:5%,drop-after:5%,429:3%,502:3%,latency=2s:3%"
PLAYBOOKS = REPO / "playbooks"
INEXACT = {"mine"}  # compared by "nothing twice in a row" only (see the docstring)


@dataclass
class Run:
    """One playbook's run against one simulator."""

    playbook: str
    agent: str
    code: int | None = None
    output: str = ""
    seconds: float = 0.0
    changes: list[tuple[str, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def register(sim: Sim, symbol: str) -> tuple[str, str]:
    """Register ``symbol`` (or a variant when a lost answer already took it): (symbol, token).

    Registration is a game endpoint, so it gets faults too.
    """
    for attempt in range(30):
        name = symbol if attempt == 0 else f"{symbol[:11]}{attempt}"
        try:
            response = httpx.post(f"{sim.url}/register", json={"symbol": name,
                                                               "faction": "COSMIC"}, timeout=30)
        except httpx.TransportError:
            continue
        if response.status_code in (200, 201):
            return name, str(response.json()["data"]["token"])
    raise RuntimeError(f"could not register {symbol} through the faults")


def start(sim: Sim, token: str, playbook: Path, db: Path, home: Path, log: Path
          ) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_RUN_", "SPACETRADERS"))}
    env.update(SPACETRADERS_TOKEN=token, ST_RUN_API_URL=sim.url, PYTHONUNBUFFERED="1",
               XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"))
    with log.open("wb") as out:  # a file, not a pipe: nobody has to drain it
        return subprocess.Popen([sys.executable, "-m", "runner", "run", str(playbook), "--db",
                                 str(db)], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def run_all(sim: Sim, runs: list[Run], folder: Path, timeout: float) -> None:
    """Run every playbook at once, each as its agent; fill in codes, outputs and changes."""
    folder.mkdir(parents=True, exist_ok=True)
    tokens = {}
    for run in runs:
        run.agent, tokens[run.agent] = register(sim, run.agent)
    started = time.monotonic()
    procs = {run.playbook: start(sim, tokens[run.agent], PLAYBOOKS / f"{run.playbook}.yaml",
                                 folder / f"{run.playbook}.db", folder,
                                 folder / f"{run.playbook}.log")
             for run in runs}
    pending = {run.playbook: run for run in runs}
    while pending and time.monotonic() - started < timeout:
        for name, run in list(pending.items()):
            if procs[name].poll() is not None:
                run.code, run.seconds = procs[name].returncode, time.monotonic() - started
                del pending[name]
        time.sleep(0.05)
    for name, run in pending.items():
        procs[name].kill()
        procs[name].wait()
        run.seconds = time.monotonic() - started
    for run in runs:
        run.output = (folder / f"{run.playbook}.log").read_text(errors="replace")
        if run.playbook in pending:
            run.output += "\n[killed: timeout]"
    ledger = sim.ledger()
    stats = sim.get("/_sim/stats")
    for run in runs:
        run.changes = changes(ledger, run.agent)
        run.stats = stats.get(run.agent, {})


def judge(faulty: Run, reference: Run | None) -> list[str]:
    """What is wrong with ``faulty`` (empty: completed, each change once)."""
    problems = []
    if faulty.code != 0 or f"{faulty.playbook}: COMPLETED" not in faulty.output:
        problems.append(f"did not complete (exit {faulty.code}): "
                        + " | ".join(faulty.output.strip().splitlines()[-3:]))
    problems += repeated(faulty.changes)
    if reference is not None and faulty.playbook not in INEXACT:
        if reference.code != 0:
            problems.append(f"the fault-free reference failed: {reference.output[-300:]}")
        elif (d := diff(reference.changes, faulty.changes)):
            problems.append("ledger differs from the fault-free run: " + d)
    return problems


def suite(playbooks: list[str], spec: str, *, seed: int = 1, speed: float = 100.0,
          timeout: float = 600.0, reference: bool = True) -> tuple[list[Run], dict[str, list[str]]]:
    """Run ``playbooks`` under ``spec`` (and fault-free); the runs and each one's problems."""
    with tempfile.TemporaryDirectory(prefix="st-faults-") as tmp:
        folder = Path(tmp)
        runs = [Run(name, f"F{name.upper()[:8]}") for name in playbooks]
        ref_runs = [Run(run.playbook, run.agent) for run in runs]

        def faulty() -> None:
            with sim_process(seed=seed, speed=speed, extra=["--faults", spec]) as sim:
                run_all(sim, runs, folder / "faulty", timeout)

        def clean() -> None:
            with sim_process(seed=seed, speed=speed) as sim:
                run_all(sim, ref_runs, folder / "reference", timeout)

        # both at once: the simulators are separate processes, the agents are named alike
        # (changes() replaces the symbol, so a renamed faulty agent still compares)
        with ThreadPoolExecutor(2) as pool:
            jobs = [pool.submit(faulty)] + ([pool.submit(clean)] if reference else [])
            for job in jobs:
                job.result()
        refs = {ref.playbook: ref for ref in ref_runs} if reference else {}
    return runs, {run.playbook: judge(run, refs.get(run.playbook)) for run in runs}


def fault_counts(run: Run) -> str:
    faults = run.stats.get("faults", {})
    return ", ".join(f"{k} {v}" for k, v in sorted(faults.items())) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=SPEC)
    parser.add_argument("--speed", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--playbooks", default=",".join(sorted(p.stem for p in
                                                               PLAYBOOKS.glob("*.yaml"))))
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    names = [n for n in args.playbooks.split(",") if n]
    print(f"faults spec: {args.spec} (seed {args.seed}, speed {args.speed})")
    runs, problems = suite(names, args.spec, seed=args.seed, speed=args.speed,
                           timeout=args.timeout)
    for run in runs:
        verdict = "ok" if not problems[run.playbook] else "; ".join(problems[run.playbook])
        check = "no repeats" if run.playbook in INEXACT else "ledger == fault-free run"
        print(f"  {run.playbook:9} exit {run.code} in {run.seconds:5.1f}s, "
              f"{run.stats.get('requests', 0)} requests, faults: {fault_counts(run)}; "
              f"{len(run.changes)} state changes ({check}): {verdict}")
    bad = [name for name, found in problems.items() if found]
    injected = sum(sum(r.stats.get("faults", {}).values()) for r in runs)
    print(f"faults: {len(runs) - len(bad)}/{len(runs)} playbooks completed with every state "
          f"change once; {injected} faults injected; "
          f"{sum(len(r.changes) for r in runs)} state changes checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
