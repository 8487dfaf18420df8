"""Bench: SIGKILL the runner at seeded random points of every example, on SQLite and Postgres.

For each backend and each playbook of ``playbooks/``: a reference run (no kills) on a fresh
``st-run sim`` gives the expected state changes and log lines. Then, on another fresh
simulator with the same seed and agent symbol, ``st-run run`` is started and SIGKILLed after
a seeded random delay, again and again (``--kills`` per playbook, fewer when the playbook
finishes first), and finally run to its end. The lease TTL is 1.5 s (``ST_RUN_LEASE_TTL``),
so each restart takes over the dead runner's containers quickly.

Checks: the last run exits 0 and the container is COMPLETED; the ledger's state changes
(purchase, sell, navigate, refuel, jettison, deliver, contract calls) equal the reference's
exactly (``mine``: nothing twice in a row, as its yields depend on extract timing); every
log line of a state-changing step in the reference (credits figures removed) is in the
crashed run's log in the database, and each state change of the ledger has its log line.

Prints one line per (backend, playbook) and a summary line ``crash: ...``.

Usage: ``.venv/bin/python bench/crash.py [--kills 10] [--backends sqlite,postgres] [--seed 7]``
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.support import Sim, sim_process  # noqa: E402
from tests.prove.ledger import action_of, changes, diff, repeated  # noqa: E402

PLAYBOOKS = REPO / "playbooks"
PG_URL = os.environ.get("ST_RUN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
INEXACT = {"mine"}
VERBS = {"purchase": "purchase", "sell": "sell", "navigate": "navigate to", "refuel": "refuel",
         "jettison": "jettison", "deliver": "deliver"}
"""Ledger action -> how the runner's log line for it starts."""


@dataclass
class Case:
    """One playbook on one backend: its kills and what is wrong."""

    backend: str
    playbook: str
    kills: int = 0
    starts: int = 0
    seconds: float = 0.0
    changes: int = 0
    problems: list[str] = field(default_factory=list)


def runner_env(sim: Sim, token: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_RUN_", "SPACETRADERS"))}
    env.update(SPACETRADERS_TOKEN=token, ST_RUN_API_URL=sim.url, PYTHONUNBUFFERED="1",
               ST_RUN_LEASE_TTL="1.5", XDG_STATE_HOME=str(home / "state"),
               XDG_CONFIG_HOME=str(home / "config"))
    return env


def start(sim: Sim, token: str, playbook: str, db: str, home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "runner", "run",
                             str(PLAYBOOKS / f"{playbook}.yaml"), "--db", db], cwd=REPO,
                            env=runner_env(sim, token, home), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


@contextmanager
def database(backend: str, folder: Path, name: str) -> Iterator[str]:
    """A fresh SQLite file, or a fresh Postgres database dropped afterwards."""
    if backend == "sqlite":
        yield str(folder / f"{name}.db")
        return
    import sqlalchemy as sa

    dbname = f"strun_crash_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{dbname}"'))
    try:
        yield sa.make_url(PG_URL).set(database=dbname).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()


def log_lines(db: str, playbook: str) -> list[str]:
    """The container's log messages from the database, credits figures removed."""
    from runner.state.store import Store

    store = Store.open(db)
    try:
        return [re.sub(r"\s*\(credits -?\d+\)", "", r.message)
                for r in store.logs(playbook, limit=None)]
    finally:
        store.close()


def status(db: str, playbook: str) -> str:
    from runner.state.store import Store

    store = Store.open(db)
    try:
        return store.require_container(playbook).status.value
    finally:
        store.close()


def completed(db: str, playbook: str) -> bool:
    """True when the database says the container finished (killed between that and exit)."""
    try:
        return status(db, playbook) == "COMPLETED"
    except Exception:  # not created yet: killed during start-up
        return False


def state_lines(lines: list[str]) -> Counter[str]:
    return Counter(line for line in lines if line.startswith(tuple(VERBS.values())))


def reference(backend: str, playbook: str, agent: str, seed: int, speed: float, home: Path
              ) -> tuple[list[tuple[str, str]], list[str], float]:
    """(state changes, log lines, seconds) of an uninterrupted run."""
    with sim_process(seed=seed, speed=speed) as sim, \
            database(backend, home, f"ref-{playbook}") as db:
        token = sim.register(agent)
        began = time.monotonic()
        done = start(sim, token, playbook, db, home).wait(timeout=600)
        took = time.monotonic() - began
        if done != 0:
            raise RuntimeError(f"reference run of {playbook} on {backend} exited {done}")
        return changes(sim.ledger(), agent), log_lines(db, playbook), took


def crash_case(backend: str, playbook: str, kills: int, rng: random.Random, seed: int,
               speed: float, home: Path) -> Case:
    case = Case(backend, playbook)
    agent = f"K{playbook.upper()[:6]}{backend[0].upper()}"
    expected, expected_logs, took = reference(backend, playbook, agent, seed, speed, home)
    began = time.monotonic()
    with sim_process(seed=seed, speed=speed) as sim, \
            database(backend, home, f"crash-{playbook}") as db:
        token = sim.register(agent)
        finished = False
        for _ in range(kills):
            runner = start(sim, token, playbook, db, home)
            case.starts += 1
            # from start-up (~1 s) to half the reference run: most kills land mid-run
            time.sleep(rng.uniform(0.3, max(1.5, took * 0.5)))
            if runner.poll() is None:
                runner.send_signal(signal.SIGKILL)
                case.kills += 1
            code = runner.wait()
            if code == 0 or completed(db, playbook):
                # killed after it finished: running it again would start over (by design)
                finished = True
                break
        if not finished:
            case.starts += 1
            code = start(sim, token, playbook, db, home).wait(timeout=600)
            if code != 0:
                case.problems.append(f"final run exited {code}")
        got = changes(sim.ledger(), agent)
        logs = log_lines(db, playbook)
        final = status(db, playbook)
    case.seconds = time.monotonic() - began
    case.changes = len(got)
    if final != "COMPLETED":
        case.problems.append(f"container ended {final}")
    case.problems += repeated(got)
    if playbook not in INEXACT and (d := diff(expected, got)):
        case.problems.append("ledger differs from the uninterrupted run: " + d)
    if playbook not in INEXACT:
        missing = state_lines(expected_logs) - state_lines(logs)
        if missing:
            case.problems.append(f"log lines lost: {sorted(missing.elements())}")
    ledger_kinds = Counter(VERBS[action_of(path)] for path, _ in got
                           if action_of(path) in VERBS)
    logged_kinds = Counter(verb for line in logs for verb in VERBS.values()
                           if line.startswith(verb))
    if ledger_kinds - logged_kinds:
        case.problems.append(f"state changes without a log line: {ledger_kinds - logged_kinds}")
    return case


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10, help="kills per playbook and backend")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--playbooks", default=",".join(sorted(p.stem for p in
                                                               PLAYBOOKS.glob("*.yaml"))))
    parser.add_argument("--seed", type=int, default=7, help="seed of the kill points")
    parser.add_argument("--speed", type=float, default=50.0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = []
    with tempfile.TemporaryDirectory(prefix="st-crash-") as tmp:
        for backend in [b for b in args.backends.split(",") if b]:
            for playbook in [p for p in args.playbooks.split(",") if p]:
                case = crash_case(backend, playbook, args.kills, rng, 1, args.speed, Path(tmp))
                cases.append(case)
                verdict = "ok" if not case.problems else "; ".join(case.problems)
                print(f"  {backend:8} {playbook:9} {case.kills:2} kills, {case.starts:2} starts, "
                      f"{case.changes:2} state changes, {case.seconds:5.1f}s: {verdict}",
                      flush=True)
    kills = sum(c.kills for c in cases)
    bad = [c for c in cases if c.problems]
    print(f"crash: {kills} SIGKILLs over {len(cases)} runs; {len(cases) - len(bad)}/{len(cases)} "
          f"finished with every state change once and no log line lost")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
