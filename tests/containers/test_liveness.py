"""Liveness (issue 15): a reader that goes away (``st-run PLAYBOOK | head``) does not end a
run, and a lease whose holder is provably dead (this host, its PID gone) is taken over at
once instead of after its time to live. Real processes."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.domain.status import ContainerStatus
from runner.state.store import Store, UnknownContainer
from tests.containers.support import REPO, TIMEOUT_S, env_for
from tests.support.simproc import start_sim_process
from tests.watch.procs import register, until

pytestmark = pytest.mark.timeout(240)

CHATTY = """\
name: chatty
ship: {role: COMMAND}
steps:
  - log: "first"
  - wait: 40s
  - log: "second"
  - log: "third"
"""


def test_a_closed_stdout_does_not_end_the_run(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    playbook = tmp_path / "chatty.yaml"
    playbook.write_text(CHATTY)
    proc = subprocess.Popen([sys.executable, "-m", "runner", "--sim", "--db", db,
                             str(playbook)], cwd=REPO, env=env_for(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while "first" not in proc.stdout.readline():
            pass
        proc.stdout.close()  # the reader goes away (`| head -3`) while the wait runs
        code = proc.wait(timeout=TIMEOUT_S)
        errors = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors
    with Store.open(db) as store:
        record = store.require_container("chatty")
        assert record.status is ContainerStatus.COMPLETED
        assert "third" in [line.message for line in store.logs("chatty", limit=None)]


SLOW = """\
name: slow
ship: {role: COMMAND}
steps:
  - log: "begun"
  - wait: 60s
  - log: "ended"
"""


def _messages(db: str, name: str) -> list[str]:
    """The container's log lines, or none while the runner has not created it yet."""
    if not Path(db).exists():
        return []
    with Store.open(db) as store, contextlib.suppress(UnknownContainer):
        return [line.message for line in store.logs(name, limit=None)]
    return []


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with start_sim_process("--speed", "20", "--no-rate-limit") as (_, url):
        yield url


def test_a_dead_holder_is_taken_over_at_once(tmp_path: Path, sim_url: str) -> None:
    agent = register(sim_url, f"LIVE{uuid.uuid4().hex[:6].upper()}")
    db = str(tmp_path / "state.db")
    playbook = tmp_path / "slow.yaml"
    playbook.write_text(SLOW)
    # A lease that would take ten minutes to lapse: only a takeover ends this test in time.
    env = {**env_for(tmp_path), "ST_RUN_API_URL": sim_url, "SPACETRADERS_TOKEN": agent.token,
           "ST_RUN_LEASE_TTL": "600"}
    command = [sys.executable, "-m", "runner", "--db", db, str(playbook)]
    first = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        until(lambda: "begun" in _messages(db, "slow") or None,
              "the first runner to log 'begun'")
        with Store.open(db) as store:
            held = store.require_container("slow")
        assert held.lease_owner is not None and f":{first.pid}:" in held.lease_owner
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=TIMEOUT_S)
    finally:
        if first.poll() is None:
            first.kill()
    second = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    assert second.returncode == 0, second.stderr
    assert f"its runner {held.lease_owner} is gone" in second.stdout
    assert "taking it over if it is not renewed" not in second.stdout
    with Store.open(db) as store:
        assert store.require_container("slow").status is ContainerStatus.COMPLETED
        messages = [line.message for line in store.logs("slow", limit=None)]
    assert messages.count("begun") == 1 and "ended" in messages  # resumed, not restarted
