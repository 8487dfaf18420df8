"""Desired state in watch mode, with real processes: ``st-run stop NAME`` survives a watcher
restart, and ``st-run start -d NAME`` makes the running watcher resume it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.watch.runtime_fleet import SHUTDOWN_MARKER
from tests.support.simproc import start_sim_process
from tests.watch.procs import REPO, Agent, State, register, until, watcher

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

PATROL = """\
name: {name}
ship: {ship}
restart: always
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - log: "tick {{{{ loop.index }}}}"
        - dock
        - wait: 5s
"""


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with start_sim_process("--speed", "20", "--no-rate-limit") as (_, url):
        yield url


def cli(db: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "runner", *args, "--db", str(db)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def ticks(state: State, name: str) -> int:
    return sum("tick" in m for m in state.messages(name))


def test_a_user_stop_survives_a_watcher_restart_until_start(tmp_path: Path,
                                                              sim_url: str) -> None:
    agent: Agent = register(sim_url, "WDESIRED")
    folder, db, log = tmp_path / "playbooks", tmp_path / "state.db", tmp_path / "watch.log"
    folder.mkdir()
    source = PATROL.format(name="alpha", ship=agent.ships[0])
    (folder / "alpha.yaml").write_text(source)
    state = State(db)
    with watcher(folder, db, agent, log) as proc:
        until(lambda: ticks(state, "alpha") >= 1, "alpha ticking", on_fail=proc.output)
        assert "stop requested for alpha" in cli(db, "stop", "alpha")
        until(lambda: (r := state.container("alpha")) and r.status.value == "STOPPED",
              "alpha stopped", on_fail=proc.output)
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    assert SHUTDOWN_MARKER not in state.messages("alpha")  # the user stopped it, not we
    log.write_text("")
    with watcher(folder, db, agent, log) as proc:
        report = until(lambda: "alpha.yaml: db says" in proc.output() and proc.output(),
                       "start report", on_fail=proc.output)
        assert "alpha: STOPPED" in report and "left as it is" in report
        assert "by the watcher's shutdown" not in report
        before = ticks(state, "alpha")
        assert "STOPPED -> PENDING" in cli(db, "start", "alpha", "--detach")
        (folder / "alpha.yaml").write_text(source)  # same bytes: a re-scan, not a reload
        until(lambda: ticks(state, "alpha") > before, "alpha resumed by the watcher",
              on_fail=lambda: proc.output() + "\n".join(state.messages("alpha")))
        record = state.container("alpha")
        assert record is not None and record.status.value == "RUNNING"
        assert any("PENDING again (st-run start): resuming" in m
                   for m in state.messages("alpha"))
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    assert state.messages("alpha")[-1] == SHUTDOWN_MARKER  # this time the watcher stopped it
    state.close()
