"""Playbook speed: validate+compile of a 200-step playbook, and `st-run validate` cold.

Prints (targets from issue 5):
- load+validate, compile, and both together for a generated 200-step playbook on the real
  82-waypoint sample system (target: median < 50 ms together);
- wall time of `st-run validate DIR` with 20 playbooks in a fresh process (target < 400 ms),
  next to the bare interpreter start-up on this machine for scale;
- wall time of `st-run --help` in a fresh process and its ratio to a bare `python -c pass`
  (target from issue 15: < 100 ms).

Usage: python bench/compile.py [--runs N] [--only compile|cli|help]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runner.playbook import compile_playbook, load_playbook_text  # noqa: E402
from runner.playbook.state_file import build_ship  # noqa: E402
from tests.playbook.universe import sample_system  # noqa: E402

SAMPLES = Path(os.environ.get("ST_RUN_SAMPLES_DIR",
                              REPO.parent / "shared" / "spacetraders-universe-samples"))


ORES = ["IRON_ORE", "COPPER_ORE", "ALUMINUM_ORE", "QUARTZ_SAND", "ICE_WATER"]


def big_playbook(steps: int = 200) -> str:
    """A 200-step playbook: flights by selector and symbol, trading, loops, logs. Every block
    differs (ores, thresholds, messages), so no cache sees the same text twice in a row."""
    lines = ["ship: {role: COMMAND}", "vars: {good: IRON_ORE, low: 100}", "steps:"]
    count, i = 0, 0
    while count < steps:
        ore = ORES[i % len(ORES)]
        fill = {"@I": str(i), "@R": str(i % 3), "@ORE": ore, "@D": str(5 + i),
                "@T": str(1 + i % 3), "@W": str(1 + i)}
        block = [
            "  - navigate: {nearest: {type: ASTEROID, traits: [COMMON_METAL_DEPOSITS]}}",
            "  - extract:\n    retries: @R\n    until: ship.cargo.units > @I",
            "  - navigate: {nearest: {buys: @ORE}}",
            "  - sell: all" if i % 2 else "  - sell: {symbol: IRON_ORE}\n    ignore_errors: true",
            "  - refuel:\n    when: ship.fuel.current < low + @I",
            '  - log: "block @I at {{ ship.nav.waypoint }} fuel {{ ship.fuel.current }}"',
            "  - navigate: {nearest: {traits: [MARKETPLACE], sells: FUEL, not_here: true}}",
            "  - scan_market:\n    name: scan @I\n    delay: @Ds",
            "  - navigate: headquarters",
            "  - repeat:\n      times: @T\n      steps:\n        - wait: @Ws\n"
            '        - log: "{{ loop.index }} of @I"',
        ]
        for token, value in sorted(fill.items(), key=lambda kv: -len(kv[0])):
            block = [line.replace(token, value) for line in block]
        for item in block:
            if count >= steps:
                break
            lines.append(item)
            count += 3 if item.startswith("  - repeat") else 1
        i += 1
    return "\n".join(lines) + "\n"


def cold(fn):  # type: ignore[no-untyped-def]
    """Run ``fn`` with the template caches emptied first."""
    from runner.playbook import template

    for cached in (template._analyse, template._compiled_expression,
                   template._compiled_template):
        cached.cache_clear()
    return fn()


CPU: list[float] = []  # CPU milliseconds of the last timed() call's runs


def timed(fn, runs: int, *, children: bool = False) -> list[float]:  # type: ignore[no-untyped-def]
    """Wall milliseconds per run; CPU milliseconds (this process, or its children) in CPU.

    CPU time is reported too because this machine is shared: wall time includes waiting for
    a core, CPU time is the work itself.
    """
    out = []
    CPU.clear()
    for _ in range(runs):
        cpu = _cpu(children)
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
        CPU.append((_cpu(children) - cpu) * 1000)
    return out


def _cpu(children: bool) -> float:
    if children:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    return time.process_time()


def summary(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    print(f"  {name:<28} median {statistics.median(ms):7.2f} ms   p90 {p90:7.2f} ms   "
          f"min {ms[0]:7.2f} ms   (CPU median {statistics.median(CPU):7.2f} ms)")


def bench_compile(runs: int) -> None:
    text = big_playbook()
    system = sample_system(str(SAMPLES))
    ship = build_ship({"symbol": "B-1", "at": "X1-AD75-A1", "fuel": [400, 400],
                       "cargo": {"capacity": 40, "inventory": {"IRON_ORE": 10}},
                       "mounts": ["MOUNT_MINING_LASER_I"]})
    from runner.domain.ship import Agent

    agent = Agent("B", "X1-AD75-A1", 100_000, "COSMIC")
    book = load_playbook_text(text)
    plan = compile_playbook(book, system, ship, agent)  # warm caches (routing graph, regexes)
    steps = sum(1 for _ in book.walk())
    print(f"200-step playbook: {steps} steps in the tree, {len(plan.legs)} legs, "
          f"{plan.requests} requests; system {system.symbol} ({len(system)} waypoints)")
    # Template caches are cleared before every run, so each run parses every template afresh;
    # the routing graph of the system stays cached, as it does in a running st-run.
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    summary("load + validate", timed(lambda: cold(lambda: load_playbook_text(text)), runs))
    summary("compile", timed(lambda: cold(lambda: compile_playbook(book, system, ship, agent)),
                             runs))
    both = timed(lambda: cold(lambda: compile_playbook(load_playbook_text(text), system, ship,
                                                       agent)), runs)
    summary("validate + compile", both)
    print(f"  target: median < 50 ms -> {'OK' if statistics.median(both) < 50 else 'MISSED'}")


def bench_cli(runs: int) -> None:
    st_run = shutil.which("st-run", path=str(Path(sys.executable).parent)) or "st-run"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        examples = sorted((REPO / "playbooks").glob("*.yaml"))
        for i in range(20):
            source = examples[i % len(examples)]
            # each copy its own name: two files claiming one name are refused by validate
            text = re.sub(r"(?m)^name: (.+)$", rf"name: \g<1>-{i:02d}", source.read_text())
            (folder / f"{i:02d}-{source.name}").write_text(text)
        (folder / "19-big.yaml").write_text(big_playbook())
        # Two set-ups: this environment as it is (it may forbid .pyc files, so every process
        # compiles every module again), and with a bytecode cache as an installed st-run has.
        pycache = Path(tmp) / "pycache"
        cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached_env["PYTHONPYCACHEPREFIX"] = str(pycache)
        command = [st_run, "validate", str(folder)]
        as_is = timed(lambda: subprocess.run(command, check=True, capture_output=True), runs,
                      children=True)
        print("st-run validate, 20 playbooks (one of 200 steps), fresh process each run:")
        no_pyc = "no .pyc files" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "as set up"
        summary(f"this environment ({no_pyc})", as_is)
        subprocess.run(command, check=True, capture_output=True, env=cached_env)  # warm-up
        cold = timed(lambda: subprocess.run(command, check=True, capture_output=True,
                                            env=cached_env), runs, children=True)
        summary("with a bytecode cache", cold)
        bare = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), runs,
                     children=True)
        summary("python -c pass (for scale)", bare)
    ratio = statistics.median(cold) / statistics.median(bare)
    print(f"  ratio to bare start-up: {ratio:.1f}x; target (wall, with the cache): "
          f"median < 400 ms -> "
          f"{'OK' if statistics.median(cold) < 400 else 'MISSED'}")


HELP_TARGET_MS = 100.0
"""`st-run --help` target (issue 15): it lists the commands without importing them."""


def bench_help(runs: int) -> None:
    """Wall time of `st-run --help` in a fresh process, as a ratio to `python -c pass`."""
    st_run = shutil.which("st-run", path=str(Path(sys.executable).parent)) or "st-run"
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        command = [st_run, "--help"]
        subprocess.run(command, check=True, capture_output=True, env=env)  # warm the cache
        help_ms = timed(lambda: subprocess.run(command, check=True, capture_output=True,
                                               env=env), runs, children=True)
        print("st-run --help, fresh process each run (with a bytecode cache):")
        summary("st-run --help", help_ms)
        bare = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True,
                                            env=env), runs, children=True)
        summary("python -c pass (for scale)", bare)
    median = statistics.median(help_ms)
    ratio = median / statistics.median(bare)
    print(f"  ratio to bare start-up: {ratio:.1f}x; target: median < {HELP_TARGET_MS:.0f} ms "
          f"-> {'OK' if median < HELP_TARGET_MS else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", choices=["compile", "cli", "help"],
                        help="run one part of the bench")
    args = parser.parse_args()
    if args.only in (None, "compile"):
        bench_compile(args.runs)
    if args.only in (None, "cli"):
        bench_cli(max(5, args.runs // 3))
    if args.only in (None, "help"):
        bench_help(max(10, args.runs // 2))


if __name__ == "__main__":
    main()
