"""``--sim`` isolation (issue 15): each run's embedded universe gets its own state database,
so a container an earlier ``--sim`` run left holding a ship (here: killed mid-run, its lease
still valid) neither blocks nor leaks into the next run; and a playbook's ``agent:`` the
embedded simulator has no token for is said, not silently mapped. Real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.containers.support import REPO, TIMEOUT_S, env_for, st_run, write_playbook

pytestmark = pytest.mark.timeout(240)

HOLDER = """\
name: holder
ship: {role: COMMAND}
steps:
  - log: "holding"
  - wait: 1h
"""


def test_a_sim_run_shares_no_containers_or_ship_locks_with_an_earlier_one(
        tmp_path: Path) -> None:
    holder = tmp_path / "holder.yaml"
    holder.write_text(HOLDER)
    env = {**env_for(tmp_path), "ST_RUN_LEASE_TTL": "600"}
    first = subprocess.Popen([sys.executable, "-m", "runner", "--sim", str(holder)], cwd=REPO,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    assert first.stdout is not None
    try:
        while "holding" not in first.stdout.readline():
            pass
        # The first run still holds STRUN-SIM-1 (same ship symbol in every embedded universe).
        other = write_playbook(tmp_path / "mine.yaml", "mine", "mine runs")
        second = st_run(tmp_path, "--sim", str(other))
        assert second.returncode == 0, second.stdout + second.stderr
        assert "mine runs" in second.stdout and "is held by container" not in second.stdout
        listed = st_run(tmp_path, "status", "--sim", "--all", "--json")
        assert [c["name"] for c in json.loads(listed.stdout)] == ["mine"]
    finally:
        first.kill()
        first.wait(timeout=TIMEOUT_S)


def test_an_agent_the_sim_does_not_have_is_said(tmp_path: Path) -> None:
    playbook = tmp_path / "other.yaml"
    playbook.write_text("name: other\nagent: SOMEONE-ELSE\nship: {role: COMMAND}\n"
                        "steps:\n  - log: hi\n")
    result = st_run(tmp_path, "--sim", str(playbook))
    assert result.returncode == 0, result.stderr
    assert ("other: agent 'SOMEONE-ELSE' has no token here; it runs as the embedded "
            "simulator's one agent STRUN-SIM") in result.stdout
