"""Regression tests of the step keywords' meaning, through the real CLI on the embedded
simulator (``st-run --sim``): what `plan` shows and what `run` does agree.

Each case was wrong on main before the interpreter fixes (issue 14): nested loop variables,
``loop.length`` at run time, ``until`` exhaustion, ``timeout`` under ``ignore_errors``, the
idle throttle on finite loops, ``restart:`` durations, and a templated ``tour: visit``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def st_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("SPACETRADERS_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def playbook(tmp_path: Path, text: str, name: str = "pb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def logged(output: str, prefix: str) -> list[str]:
    """The container's log lines that start with ``prefix`` (time stamps dropped)."""
    return re.findall(rf"(?m)\b({re.escape(prefix)}[^\n]*)$", output)


NESTED = """\
name: nested
ship: {role: COMMAND}
steps:
  - repeat:
      times: 2
      steps:
        - repeat:
            times: 3
            steps:
              - log: "inner {{ loop.index }}/{{ loop.length }} of {{ loop.parent.index }}"
        - log: "outer {{ loop.index }}/{{ loop.length }}"
"""


def test_nested_loops_keep_their_own_variables_in_run_and_plan(tmp_path: Path) -> None:
    path = playbook(tmp_path, NESTED)
    run = st_run(tmp_path, "--sim", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert logged(run.stdout, "outer ") == ["outer 1/2", "outer 2/2"]
    assert logged(run.stdout, "inner ") == [f"inner {i}/3 of {o}" for o in (1, 2)
                                            for i in (1, 2, 3)]
    plan = st_run(tmp_path, "plan", "--sim", str(path))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "outer 1/2" in plan.stdout and "inner 1/3 of 1" in plan.stdout


def test_finite_loop_of_cheap_steps_is_not_throttled(tmp_path: Path) -> None:
    path = playbook(tmp_path, """\
name: cheap
ship: {role: COMMAND}
steps:
  - repeat: {times: 6, steps: [{log: "tick {{ loop.index }}"}]}
""")
    run = st_run(tmp_path, "--sim", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(logged(run.stdout, "tick ")) == 6
    assert "idle:" not in run.stdout


UNTIL = """\
name: until
ship: {{role: COMMAND}}
steps:
  - log: trying
    retries: 2
    delay: 0
    until: ship.fuel.current < 0
    ignore_errors: {ignore}
  - log: after
"""


def test_until_that_never_holds_fails_the_step(tmp_path: Path) -> None:
    # plan sees the exhaustion; run checks meaning as plan does before it starts (issue 15)
    path = playbook(tmp_path, UNTIL.format(ignore="false"))
    for args in (["plan", "--sim"], ["--sim"]):
        run = st_run(tmp_path, *args, str(path))
        assert run.returncode == 2, run.stdout + run.stderr
        assert "`until: ship.fuel.current < 0` is still false" in run.stderr
        assert not logged(run.stdout, "trying") and not logged(run.stdout, "after")


def test_until_exhaustion_is_ignored_with_ignore_errors(tmp_path: Path) -> None:
    run = st_run(tmp_path, "--sim", str(playbook(tmp_path, UNTIL.format(ignore="true"))))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ignored" in run.stdout
    assert logged(run.stdout, "after") == ["after"]


def test_timeout_is_a_failure_that_ignore_errors_covers(tmp_path: Path) -> None:
    path = playbook(tmp_path, """\
name: slow
ship: {role: COMMAND}
steps:
  - wait: 2h
    timeout: 1s
    ignore_errors: true
  - log: carried on
""")
    run = st_run(tmp_path, "--sim", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "timed out after 1s" in run.stdout
    assert logged(run.stdout, "carried on") == ["carried on"]


def test_restart_durations_that_validate_also_run(tmp_path: Path) -> None:
    path = playbook(tmp_path, """\
name: policy
ship: {role: COMMAND}
restart: {policy: on-failure, reset_after: 1d, backoff: {initial: 1m30s, max: 2h}}
steps:
  - log: hello
""")
    assert st_run(tmp_path, "validate", str(path)).returncode == 0
    run = st_run(tmp_path, "--sim", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert logged(run.stdout, "hello") == ["hello"]


def test_a_bad_restart_policy_is_a_located_error_before_any_container(tmp_path: Path) -> None:
    path = playbook(tmp_path, """\
name: policy
ship: {role: COMMAND}
restart: {policy: on-failure, backoff: {initial: 10m, max: 1m}}
steps:
  - log: hello
""")
    for args in (("validate", str(path)), ("--sim", str(path))):
        result = st_run(tmp_path, *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"{path}:3:10: restart backoff max" in result.stdout + result.stderr
    status = st_run(tmp_path, "status", "--all")
    assert "policy" not in status.stdout


@pytest.mark.parametrize("visit", ['"{{ stops }}"', '"{{ [ship.nav.waypoint] }}"'])
def test_tour_visit_may_be_a_lone_template_that_keeps_its_list_type(
        tmp_path: Path, visit: str) -> None:
    path = playbook(tmp_path, f"""\
name: tour
ship: {{role: COMMAND}}
vars: {{stops: []}}
steps:
  - tour:
      visit: {visit}
      steps:
        - log: "at {{{{ loop.item }}}} {{{{ loop.index }}}}/{{{{ loop.length }}}}"
""")
    result = st_run(tmp_path, "validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    if "ship.nav" in visit:
        run = st_run(tmp_path, "--sim", str(path))
        assert run.returncode == 0, run.stdout + run.stderr
        assert len(logged(run.stdout, "at X1-")) == 1
        assert logged(run.stdout, "at X1-")[0].endswith(" 1/1")


def test_a_failed_run_says_what_it_bought_that_is_still_aboard(tmp_path: Path) -> None:
    """Issue 21: a container that ends FAILED with cargo it bought still aboard says so."""
    path = playbook(tmp_path, """\
name: stuck
ship: {role: COMMAND}
steps:
  - buy: {symbol: "{{ good }}", units: 3}
  - wait: 2h
    timeout: 1s
""")
    good = "EQUIPMENT"  # headquarters sells it on the embedded simulator's seed 1
    run = st_run(tmp_path, "--sim", str(path), "-e", f"good={good}")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "failed with cargo this container bought still aboard" in run.stdout
    assert f": 3 {good}" in run.stdout



GAME = """\
name: learn
ship: {role: COMMAND}
steps:
  - negotiate_contract:
    when: contract is none
  - log: "CONTRACT {{ contract.good }} {{ contract.destination }} {{ contract.left }}"
  - log: "MARKET {{ market(agent.headquarters).exports | join(',') }}"
  - log: "YARD {{ shipyard(ship.nav.waypoint).types | length > 0 }}"
  - log: "GATE {{ construction.materials | list | join(',') }}"
"""


def test_templates_see_the_contract_markets_shipyards_and_construction(tmp_path: Path) -> None:
    """Issue 17: a playbook learns the contract's good, a market's goods, a shipyard's types
    and the gate's bill, without curl; plan shows what run logs."""
    path = playbook(tmp_path, GAME)
    assert st_run(tmp_path, "validate", str(path)).returncode == 0
    run = st_run(tmp_path, "--sim", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    contract = logged(run.stdout, "CONTRACT ")[0].split()
    assert len(contract) == 4 and contract[2].startswith("X1-") and int(contract[3]) > 0
    assert "FAB_MATS" in logged(run.stdout, "MARKET ")[0]
    assert logged(run.stdout, "YARD ") == ["YARD True"]
    assert logged(run.stdout, "GATE ") == ["GATE FAB_MATS,ADVANCED_CIRCUITRY,QUANTUM_STABILIZERS"]
    plan = st_run(tmp_path, "plan", "--sim", str(path))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    for line in (*logged(run.stdout, "CONTRACT "), *logged(run.stdout, "GATE ")):
        assert line in plan.stdout


def test_a_tour_through_the_ships_own_waypoint_runs_its_steps_there_too(tmp_path: Path) -> None:
    """A stop that is the ship's waypoint was taken for the tour solver's start and dropped
    (its steps never ran there, in plan and run alike); it is visited first now."""
    path = playbook(tmp_path, """\
name: here
ship: {role: COMMAND}
steps:
  - tour:
      visit: ["{{ ship.nav.waypoint }}", {nearest: {traits: [MARKETPLACE], not_here: true}}]
      steps:
        - log: "AT {{ loop.index }}/{{ loop.length }}"
""")
    run = st_run(tmp_path, "--sim", str(path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert logged(run.stdout, "AT ") == ["AT 1/2", "AT 2/2"]
    plan = st_run(tmp_path, "plan", "--sim", str(path))
    assert "AT 1/2" in plan.stdout and "AT 2/2" in plan.stdout
