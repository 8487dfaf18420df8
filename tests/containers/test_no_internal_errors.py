"""No internal errors (issue 15): ``run`` does ``plan``'s meaning checks before it creates a
container (a ship role nobody has, a destination that does not exist: one located line,
exit 2, nothing bought); a token from an old reset met at a read ends the run with one line
saying to register again (an agent from ``SPACETRADERS_TOKEN`` cannot be registered again
unattended) instead of backing off forever under ``restart: always``.
Real processes."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runner.domain.status import ContainerStatus
from runner.state.store import Store
from tests.containers.support import REPO, TIMEOUT_S, env_for, st_run
from tests.support.simproc import start_sim_process
from tests.watch.procs import register

pytestmark = pytest.mark.timeout(240)

NO_SUCH_ROLE = """\
name: refinery
ship: {role: REFINERY}
steps:
  - orbit
"""

BUYS_THEN_GETS_LOST = """\
name: lost
ship: {role: COMMAND}
steps:
  - navigate: {nearest: {traits: [MARKETPLACE], sells: FUEL}}
  - dock
  - buy: {symbol: FUEL, units: 1}
  - navigate: {to: X9-NOPE-A1}
"""


def _containers(db: Path) -> list[str]:
    with Store.open(str(db)) as store:
        return [c.name for c in store.list_containers(all=True)]


@pytest.mark.parametrize(("text", "expected"), [
    (NO_SUCH_ROLE, "refinery.yaml: no ship matches role REFINERY (roles: "),
    (BUYS_THEN_GETS_LOST, "lost.yaml:7:5: step 4 `navigate`: waypoint `X9-NOPE-A1`: system "
                          "X9-NOPE is not loaded (the galaxy data does not know it)"),
])
def test_run_refuses_what_plan_refuses_before_creating_a_container(
        tmp_path: Path, text: str, expected: str) -> None:
    name = "refinery" if "REFINERY" in text else "lost"
    playbook = tmp_path / f"{name}.yaml"
    playbook.write_text(text)
    db = tmp_path / "state.db"
    result = st_run(tmp_path, "--sim", "--db", str(db), str(playbook))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in result.stderr, result.stderr
    assert expected in lines[0]
    assert _containers(db) == []  # nothing created, nothing bought
    planned = st_run(tmp_path, "plan", "--sim", str(playbook))
    assert planned.returncode == 2 and expected.split(": ", 1)[1][:20] in planned.stderr


ALWAYS = """\
name: always
ship: {role: COMMAND}
restart: always
steps:
  - log: "begun"
  - wait: 40s
  - orbit
"""


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with start_sim_process("--speed", "20", "--no-rate-limit") as (_, url):
        yield url


def test_a_token_from_an_old_reset_stops_restart_always(tmp_path: Path, sim_url: str) -> None:
    agent = register(sim_url, f"RST{uuid.uuid4().hex[:6].upper()}")
    db = tmp_path / "state.db"
    playbook = tmp_path / "always.yaml"
    playbook.write_text(ALWAYS)
    env = {**env_for(tmp_path), "ST_RUN_API_URL": sim_url, "SPACETRADERS_TOKEN": agent.token}
    proc = subprocess.Popen([sys.executable, "-m", "runner", "--db", str(db), str(playbook)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        while "begun" not in proc.stdout.readline():
            pass
        httpx.post(f"{sim_url}/_sim/reset", timeout=30).raise_for_status()
        out, err = proc.communicate(timeout=TIMEOUT_S)  # backing off forever: a timeout
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert "register again" in out and "restart 1 in" not in out
    assert "its token comes from $SPACETRADERS_TOKEN" in out  # cannot register it again
    with Store.open(str(db)) as store:
        record = store.require_container("always")
        checkpointed = store.has_checkpoint(record.id)
    # its run is marked as the old universe's: no resume there, no restart (issue 19)
    assert record.status is ContainerStatus.STOPPED and record.restarts == 0
    assert "belongs to the old universe" in (record.last_error or "")
    assert not checkpointed
