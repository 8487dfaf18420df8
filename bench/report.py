"""Run every benchmark of the issues and write ``bench/REPORT.md``.

Each bench runs as its own process, one after another (they would skew each other's
timings), with ``--short`` flags when asked. Its whole printed output goes into the report
verbatim (every figure), and a table puts the key figures next to their targets from the
issues, with "met" computed only where the figure parses as a number; the rest says
"see output". The report also records the machine: CPU model, cores, memory, load average,
Python, date, and the git revision.

``--use NAME=FILE`` takes a bench's output from a file of an earlier run (for a long run done
separately, e.g. ``bench/load.py --minutes 10``); the report says so and shows the command.

Usage: ``.venv/bin/python bench/report.py [--short] [--only a,b] [--use load=/tmp/load.txt]``
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "REPORT.md"

Check = Callable[[float], bool]


@dataclass
class Figure:
    """A figure pulled out of a bench's output by ``pattern`` (group 1 = the number)."""

    label: str
    pattern: str
    target: str
    met: Check | None = None
    expect: str | None = None
    """Met when the captured text equals this (``"all"``: an ``N/M`` with N == M)."""


@dataclass
class Bench:
    name: str
    issue: int
    full: list[str]
    short: list[str]
    figures: list[Figure] = field(default_factory=list)
    timeout: float = 1800.0


BENCHES = [
    Bench("sim_throughput", 2, [], ["--requests", "1000"], [
        Figure("simulator over loopback, one core", r"loopback uvicorn:\s+(\d+) req/s",
               "> 1,000 req/s", lambda v: v > 1000),
        Figure("server capacity per CPU-second", r"server capacity :\s+(\d+) req",
               "> 1,000 req/s", lambda v: v > 1000),
    ]),
    Bench("rate_limit", 3, [], ["--seconds", "70", "--measure", "60"], [
        Figure("share of 2.5 req/s capacity", r"= ([\d.]+)% of 2.5", ">= 97 %",
               lambda v: v >= 97),
        Figure("429s seen by the client", r"429s seen by the client: (\d+)", "0",
               lambda v: v == 0),
        Figure("highest class (ACTION) p99 wait (s)", r"ACTION\s+n=\s*\d+\s+p50\s+"
               r"[\d.]+ s\s+p99\s+([\d.]+) s", "< 1 s", lambda v: v < 1),
    ]),
    Bench("routing", 4, [], ["--quick"]),
    Bench("compile", 5, [], ["--runs", "10"], [
        Figure("validate + compile, 200 steps (median ms)",
               r"validate \+ compile\s+median\s+([\d.]+) ms", "< 50 ms", lambda v: v < 50),
        Figure("st-run validate, 20 playbooks, bytecode cache (median ms)",
               r"with a bytecode cache\s+median\s+([\d.]+) ms", "< 400 ms", lambda v: v < 400),
    ]),
    Bench("containers", 6, [], ["--iterations", "3"], [
        Figure("peak RSS, 100 containers (MB)", r"peak RSS: (\d+) MB", "< 250 MB",
               lambda v: v < 250),
        Figure("dispatch overhead p99 (ms)", r"p99 ([\d.]+) ms \(target", "< 20 ms",
               lambda v: v < 20),
    ]),
    Bench("watch", 7, [], ["--edits", "15"], [
        Figure("reload latency p95 (ms)", r"p95 (\d+) ms", "< 1000 ms", lambda v: v < 1000),
        Figure("orbit/dock repeated back to back", r"(\d+) repeated back to back", "0",
               lambda v: v == 0),
    ]),
    Bench("faults", 8, [], ["--playbooks", "route,trade,tour"], [
        Figure("playbooks completed, each change once (first run)",
               r"faults: (\d+/\d+) playbooks completed", "all examples", expect="all"),
        Figure("faults injected", r"; (\d+) faults injected", "> 0", lambda v: v > 0),
    ]),
    Bench("crash", 8, [], ["--kills", "3", "--playbooks", "route,trade,tour"], [
        Figure("SIGKILLs", r"crash: (\d+) SIGKILLs", ">= 50 (full run)", lambda v: v >= 50),
        Figure("runs finished with every change once, no log lost",
               r"runs; (\d+/\d+) finished", "all", expect="all"),
    ]),
    Bench("db_outage", 8, [], ["--outage", "10", "--iterations", "20"], [
        Figure("runner survives a 30 s Postgres outage", r"db_outage: (survived|DID NOT survive)",
               "survived", expect="survived"),
        Figure("rounds logged (checkpoints kept, incl. a rerun)",
               r"(\d+/\d+) rounds logged", "all", expect="all"),
    ]),
    Bench("load", 8, [], ["--minutes", "2", "--warmup", "30"], [
        Figure("share of 2.5 req/s per agent used (%)", r"capacity used: ([\d.]+)%",
               "no target (issue 3: >= 97 % for one agent)"),
        Figure("429s from the simulator", r"429s: (\d+) from the simulator", "0",
               lambda v: v == 0),
        Figure("limiter wait max/median", r"max/median ([\d.]+)", "<= 10", lambda v: v <= 10),
        Figure("RSS growth after warm-up (MB)", r"growth after warm-up ([+-]?\d+) MB",
               "no growth (<= +10 MB)", lambda v: v <= 10),
    ]),
    Bench("plan_run_equivalence", 14, [], ["--examples", "60"], [
        Figure("generated playbooks planned and run", r"(?m)^(\d+) tried, \d+ equal \(",
               ">= 500", lambda v: v >= 500),
        Figure("of them, run = plan (ledger and log lines)", r"(?m)^\d+ tried, (\d+) equal \(",
               "all of them"),
    ]),
    Bench("templates", 21, [], ["--examples", "500"], [
        Figure("event-loop lag while the payloads evaluate (ms)",
               r"worst lag of a 10 ms ticker while payloads evaluate (\d+) ms",
               "a few hundred ms at most", lambda v: v < 500),
        Figure("fuzz: worst evaluation (ms CPU)", r"worst (\d+) ms CPU", "bounded (0.3 s)",
               lambda v: v < 300),
        Figure("fuzz: worst RSS growth (MB)", r"worst RSS growth ([\d.]+) MB", "< 100 MB",
               lambda v: v < 100),
    ]),
    Bench("shared_limit", 19, [], ["--seconds", "60", "--warmup", "60"], [
        Figure("429s, four processes, shared limiter", r"shared limiter: .*?\n\s+429 answers: "
               r"(\d+) in the window", "0", lambda v: v == 0),
        Figure("share of 2.5 req/s, shared limiter (%)", r"shared limiter: .*?\n.*?\n\s+"
               r"served: [\d.]+ req/s = ([\d.]+) %", ">= 95 %", lambda v: v >= 95),
        Figure("429s with the shared limiter switched off", r"SHARED_LIMIT=off\): .*?\n\s+429 "
               r"answers: (\d+) in the window", "(for comparison)"),
    ]),
    Bench("startup_requests", 22, [], [], [
        Figure("requests to start 1 container", r"1 container\(s\): (\d+) requests",
               "no target (the reference)"),
        Figure("requests to start 2 containers", r"2 container\(s\): (\d+) requests",
               "about the figure for 1, not twice it"),
        Figure("requests to start 5 containers", r"5 container\(s\): (\d+) requests",
               "about the figure for 1, not 5 times it"),
    ]),
]
"""Every bench, its issue, its short-run flags and its figures with their targets."""


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in
                      Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        memory = f"{mem_kb / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                         capture_output=True, text=True).stdout.strip()
    return [f"- CPU: {cpu}, {os.cpu_count()} cores (shared with other sessions: load "
            f"average {os.getloadavg()[0]:.1f} at the start)",
            f"- memory: {memory}",
            f"- Python {platform.python_version()} on {platform.platform()}",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; git revision {rev}"]


def run_bench(bench: Bench, short: bool) -> tuple[str, str, float, int | None]:
    """(command shown, output, seconds, exit code or None on timeout)."""
    args = [sys.executable, f"bench/{bench.name}.py", *(bench.short if short else bench.full)]
    shown = " ".join([".venv/bin/python", *args[1:]])
    started = time.monotonic()
    try:
        done = subprocess.run(args, cwd=REPO, capture_output=True, text=True,
                              timeout=bench.timeout, errors="replace")
        output, code = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.returncode
                                      and done.stderr else ""), done.returncode
    except subprocess.TimeoutExpired as exc:
        text = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) \
            else (exc.stdout or "")
        output, code = text + f"\n[killed after {bench.timeout:.0f} s]", None
    return shown, output, time.monotonic() - started, code


def figure_rows(bench: Bench, output: str) -> list[str]:
    rows = []
    for figure in bench.figures:
        match = re.search(figure.pattern, output)
        if match is None:
            rows.append(f"| {bench.name} | {figure.label} | not printed | {figure.target} | "
                        "no |")
            continue
        value = match.group(1)
        met = "see output"
        if figure.met is not None:
            met = "yes" if figure.met(float(value)) else "**no**"
        elif figure.expect == "all":
            done, _, total = value.partition("/")
            met = "yes" if done == total else "**no**"
        elif figure.expect is not None:
            met = "yes" if value == figure.expect else "**no**"
        rows.append(f"| {bench.name} | {figure.label} | {value} | {figure.target} | {met} |")
    # lines that carry their own target (routing, compile, ...) go in as they are
    for line in output.splitlines():
        if "target" in line and not any(f.pattern and re.search(f.pattern, line)
                                        for f in bench.figures):
            text = line.strip().replace("|", "/")
            before, _, target = text.partition("target")
            label, _, measured = before.partition(": ")
            if not measured:
                label, measured = "(line above)", before
            rows.append(f"| {bench.name} | {label.strip()[:60]} | {measured.strip()[:200]} | "
                        f"{target.strip(' :')[:80]} | see output |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="short runs (flags per bench)")
    parser.add_argument("--only", default="", help="comma-separated bench names")
    parser.add_argument("--use", action="append", default=[], metavar="NAME=FILE",
                        help="take NAME's output from FILE (an earlier run with the bench's "
                        "default, full-length flags)")
    args = parser.parse_args()
    used = dict(item.split("=", 1) for item in args.use)
    chosen = [b for b in BENCHES if not args.only or b.name in args.only.split(",")]
    header = ["# Benchmark report", "",
              f"Generated by `bench/report.py{' --short' if args.short else ''}"
              + "".join(f" --use {n}=..." for n in used) + "`. Benches ran one after another "
              "(other sessions share the machine, see the load average). "
              + ("Short mode: each bench ran with the reduced flags shown above its output; "
                 "figures from short runs are noisier than full ones. " if args.short else "")
              + ("Benches marked 'an earlier full run' ran at full length before this report, "
                 "their outputs were taken from files." if used else ""),
              "", "## Machine", "", *machine(), ""]
    table = ["## Figures and targets", "",
             "| bench | figure | measured | target | met |", "|---|---|---|---|---|"]
    details = ["## Outputs", ""]
    status = 0
    code: int | None
    for bench in chosen:
        if bench.name in used:
            output = Path(used[bench.name]).read_text(errors="replace")
            shown = f"(an earlier full run: .venv/bin/python bench/{bench.name}.py, its default "
            shown += "flags; several runs when the output shows several)"
            seconds, code = 0.0, 0
        else:
            print(f"running bench/{bench.name}.py ...", flush=True)
            shown, output, seconds, code = run_bench(bench, args.short)
        status |= 0 if code == 0 else 1
        table += figure_rows(bench, output)
        ended = "exit code not recorded (see the output)" if bench.name in used else \
            f"exit {code if code is not None else 'none (timeout)'}, {seconds:.0f} s"
        details += [f"### {bench.name} (issue {bench.issue})", "", f"`{shown}`: {ended}", "",
                    "```",
                    output.strip(), "```", ""]
    OUT.write_text("\n".join(header + table + [""] + details))
    print(f"wrote {OUT.relative_to(REPO)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
