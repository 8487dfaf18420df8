"""Benchmark: plan = run over many generated playbooks (issue 14).

Each example is a playbook drawn from the grammar of ``tests/interpreter/plan_run.py``
(nested repeat with times/until, tour, when, retries + until, register, ignore_errors over
orbit, dock, navigate, refuel, buy, sell, log and wait), planned in-process and run by a real
``st-run run`` against a real ``st-run sim`` on a fresh agent. An example is *equal* when the
simulator's ledger and the run's log lines are exactly what the plan predicted, in order
(or, for a playbook the plan refuses, when the run does not succeed either). The simulators
cycle through seeds 1-3. Differences are written to ``--out``.

    .venv/bin/python bench/plan_run_equivalence.py [--examples 500] [--out diffs.txt]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.e2e.support import sim_process  # noqa: E402
from tests.interpreter.plan_run import compare, facts_of, playbooks  # noqa: E402


def run_seed(seed: int, examples: int, tmp: Path, out: list[str]) -> tuple[int, int]:
    """(tried, equal) for ``examples`` playbooks on a simulator with ``seed``."""
    counts = {"tried": 0, "equal": 0}
    tmp = tmp / f"seed{seed}"  # one database per universe: its cached systems are its own
    tmp.mkdir()
    with sim_process(seed=seed, speed=500.0) as sim:
        facts = facts_of(sim, sim.register(f"EQFACTS{seed}"))

        @settings(max_examples=examples, deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def one(data: st.DataObject) -> None:
            text = data.draw(playbooks(facts))
            index = seed * 100_000 + counts["tried"]
            counts["tried"] += 1
            equal, detail = compare(text, sim, tmp, index)
            if equal:
                counts["equal"] += 1
            else:
                out.append(f"--- seed {seed} example {index}\n{detail}\n{text}")
            if counts["tried"] % 25 == 0:  # a partial figure survives an interrupted run
                print(f"  seed {seed}: {counts['tried']} tried, {counts['equal']} equal",
                      flush=True)

        one()
    return counts["tried"], counts["equal"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--out", default="plan_run_diffs.txt")
    args = parser.parse_args()
    started = time.monotonic()
    diffs: list[str] = []
    tried = equal = 0
    with tempfile.TemporaryDirectory() as tmp:
        share = -(-args.examples // 3)
        for seed in (1, 2, 3):
            t, e = run_seed(seed, min(share, args.examples - tried), Path(tmp), diffs)
            tried, equal = tried + t, equal + e
            print(f"seed {seed}: {t} tried, {e} equal", flush=True)
            Path(args.out).write_text("\n".join(diffs), encoding="utf-8")
    print(f"{tried} tried, {equal} equal ({time.monotonic() - started:.0f} s; "
          f"differences in {args.out})")


if __name__ == "__main__":
    main()
