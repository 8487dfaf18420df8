"""``stop``, ``start``, ``restart``, ``describe`` and ``logs -f`` with real processes: a
``st-run sim`` server, a runner, and the commands in other processes on one SQLite file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.support import REPO, ST_RUN, Sim, runner_env, sim_process, start_runner, wait_for

FAR = "X1-EU98-X25"
SPEED = 15.0
"""Game seconds per wall second: the 155 s flight to FAR takes about 10 s, time enough for
a `st-run stop` process to land while the ship is in transit, even on a loaded machine."""

pytestmark = pytest.mark.timeout(240)


def hop(tmp_path: Path) -> Path:
    """A playbook with one long flight (a stop lands between its steps)."""
    playbook = tmp_path / "hop.yaml"
    playbook.write_text("name: hop\nship: {role: COMMAND}\nrestart: on-failure:2\nsteps:\n"
                        "  - dock\n"
                        f"  - navigate: {{to: {FAR}, mode: CRUISE}}\n"
                        "  - dock\n  - refuel\n  - log: arrived\n")
    return playbook


def st_run(sim: Sim, token: str, *args: str, timeout: float = 120
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ST_RUN, *args], cwd=REPO, env=runner_env(sim, token),
                          capture_output=True, text=True, timeout=timeout)


def navigations(sim: Sim, agent: str) -> list[object]:
    return [e for e in sim.ledger() if e["agent"] == agent and e["path"].endswith("/navigate")]


def test_stop_exits_3_stays_stopped_and_start_resumes(tmp_path: Path) -> None:
    playbook, db = hop(tmp_path), str(tmp_path / "s.db")
    with sim_process(seed=1, speed=SPEED) as sim:
        token = sim.register("HOPPER")
        runner = start_runner(sim, token, playbook, db)
        wait_for(lambda: navigations(sim, "HOPPER"))
        stopped = st_run(sim, token, "stop", "hop", "--db", db)
        assert stopped.returncode == 0 and "stop requested for hop" in stopped.stdout
        out, _ = runner.communicate(timeout=120)
        assert runner.returncode == 3, out  # its own exit code: stopped, not failed
        described = json.loads(st_run(sim, token, "describe", "hop", "--json", "--db",
                                      db).stdout)
        assert described["status"] == "STOPPED"
        assert described["desired"].startswith("stopped")
        assert described["restart_policy"] == "on-failure:2"
        assert described["checkpoint"] is not None
        started = st_run(sim, token, "start", "hop", "--db", db)
        assert started.returncode == 0, started.stdout + started.stderr
        assert "hop (id 1): STOPPED -> PENDING" in started.stdout
        assert "resuming hop" in started.stdout
        assert len(navigations(sim, "HOPPER")) == 1  # resumed, not run again
        again = json.loads(st_run(sim, token, "describe", "hop", "--json", "--db", db).stdout)
        assert again["status"] == "COMPLETED" and again["desired"] == "-"
        assert any("start requested" in e["message"] for e in again["restart_history"])
        refused = st_run(sim, token, "start", "ghost", "--db", db)
        assert refused.returncode == 1
        assert refused.stderr.strip() == "error: no container named or numbered 'ghost'"


def test_logs_follow_exits_when_its_container_ends(tmp_path: Path) -> None:
    playbook, db = hop(tmp_path), str(tmp_path / "s.db")
    with sim_process(seed=1, speed=SPEED) as sim:
        token = sim.register("FOLLOWER")
        runner = start_runner(sim, token, playbook, db)
        wait_for(lambda: navigations(sim, "FOLLOWER"))
        follower = subprocess.Popen([*ST_RUN, "logs", "hop", "-f", "--json", "--db", db],
                                    cwd=REPO, env=runner_env(sim, token),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = follower.communicate(timeout=120)  # returns only if -f ends by itself
        runner.communicate(timeout=60)
        assert runner.returncode == 0
        assert follower.returncode == 0, err
        messages = [json.loads(line)["message"] for line in out.splitlines()]
        assert "arrived" in messages and messages[-1] == "completed"


def test_restart_stops_then_resumes(tmp_path: Path) -> None:
    playbook, db = hop(tmp_path), str(tmp_path / "s.db")
    with sim_process(seed=1, speed=SPEED) as sim:
        token = sim.register("RESTARTER")
        runner = start_runner(sim, token, playbook, db)
        wait_for(lambda: navigations(sim, "RESTARTER"))
        restarted = st_run(sim, token, "restart", "hop", "--db", db)
        runner.communicate(timeout=60)
        assert runner.returncode == 3
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        assert "stopping hop" in restarted.stdout and "resuming hop" in restarted.stdout
        assert len(navigations(sim, "RESTARTER")) == 1
