"""Template bounds (issue 21, section 1): payloads, fuzz, and the event loop's lag.

Prints:
- every payload of the issue and one per rule of the bounded sandbox: how it ended, its
  wall and CPU time, and the process's peak memory growth;
- N random templates and expressions from the fuzz test's grammar (hypothesis), generated
  first, then evaluated: how many, the slowest, the worst memory growth of the process
  while evaluating them (its compile caches included);
- the worst lag of a 10 ms ticker task on the event loop while all of the payloads and a
  heavy legal template are evaluated on that loop (as the executor evaluates them).

Usage: python bench/templates.py [--examples N]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from runner.playbook import StepError, evaluate, render  # noqa: E402
from tests.playbook.test_template import names  # noqa: E402
from tests.playbook.test_template_bounds import (  # noqa: E402
    ISSUE_EXPRESSIONS,
    ISSUE_PAYLOADS,
    LEGAL_HEAVY,
    RULES,
)
from tests.playbook.test_template_fuzz import EXPRESSIONS, TEMPLATES, Figures  # noqa: E402

PAYLOADS = [*((k, v, False) for k, v in ISSUE_PAYLOADS.items()),
            *((k, v, True) for k, v in ISSUE_EXPRESSIONS.items()),
            *((k, v, False) for k, v in RULES.items())]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(text: str, expression: bool) -> str:
    try:
        value = evaluate(text, names()) if expression else render(text, names())
    except StepError as exc:
        return exc.message.split("`: ", 1)[-1]
    return f"value of {len(str(value)):,} characters"


def payloads() -> None:
    print(f"{len(PAYLOADS)} payloads:")
    start_peak = peak_mb()
    for name, text, expression in PAYLOADS:
        wall, cpu = time.monotonic(), time.thread_time()
        outcome = run_one(text, expression)
        wall, cpu = time.monotonic() - wall, time.thread_time() - cpu
        print(f"  {name:36} {wall * 1000:6.0f} ms wall {cpu * 1000:6.0f} ms CPU  "
              f"peak +{peak_mb() - start_peak:5.1f} MB  {outcome[:70]}")


def fuzz(examples: int) -> None:
    """Generate first, then evaluate: the memory figure is the evaluator's (hypothesis keeps
    tens of MB of its own while it generates)."""
    cases: list[tuple[str, bool]] = []

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(EXPRESSIONS.map(lambda e: (e, True)),
                          TEMPLATES.map(lambda t: (t, False))))
    def generate(case: tuple[str, bool]) -> None:
        cases.append(case)

    generate()
    figures = Figures()
    for text, expression in cases:
        figures.check(text, expression)
    print(f"fuzz: {figures.report()}")


def loop_lag() -> None:
    async def scenario() -> float:
        lags: list[float] = []

        async def ticker() -> None:
            while True:
                before = time.monotonic()
                await asyncio.sleep(0.01)
                lags.append(time.monotonic() - before - 0.01)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        for _name, text, expression in [*PAYLOADS, ("legal", LEGAL_HEAVY, False)] * 3:
            run_one(text, expression)
            await asyncio.sleep(0.02)
        task.cancel()
        return max(lags)

    print(f"event loop: worst lag of a 10 ms ticker while payloads evaluate "
          f"{asyncio.run(scenario()) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    args = parser.parse_args()
    render("{{ ship.symbol }}", names())  # warm up
    payloads()
    loop_lag()
    fuzz(args.examples)


if __name__ == "__main__":
    main()
