"""``st-run watch DIR --sim``: the embedded simulator, no token needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.watch.procs import REPO, State, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

PLAYBOOK = """\
name: simwatch
ship: STRUN-SIM-1
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - log: "{tag} tick"
        - dock
        - wait: 5s
"""


def test_watch_with_the_embedded_simulator(tmp_path: Path) -> None:
    folder, db = tmp_path / "playbooks", tmp_path / "sim.db"
    folder.mkdir()
    (folder / "simwatch.yaml").write_text(PLAYBOOK.format(tag="v1"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPACETRADERS_TOKEN", "ST_RUN_API_URL", "ST_RUN_DB")}
    log = (tmp_path / "watch.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "runner", "--watch", str(folder), "--sim",
                             "--db", str(db)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=log)
    state = State(db)
    try:
        def output() -> str:
            return (tmp_path / "watch.log").read_text()

        until(lambda: "v1 tick" in "\n".join(state.messages("simwatch")), "v1 ticking",
              on_fail=output)
        (folder / "simwatch.yaml").write_text(PLAYBOOK.format(tag="v2"))
        until(lambda: "v2 tick" in "\n".join(state.messages("simwatch")), "v2 ticking",
              on_fail=output)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        state.close()
