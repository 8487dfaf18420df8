"""A container failing in a watcher is printed on the watcher's terminal (issue 19), not
only recorded for ``st-run status``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.watch.procs import REPO, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

FAILING = """\
name: lost
ship: STRUN-SIM-1
steps:
  - navigate: {to: X1-NOWHERE-Z9}
"""


def test_a_failed_container_is_printed_by_the_watcher(tmp_path: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "lost.yaml").write_text(FAILING)
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPACETRADERS_TOKEN", "ST_RUN_API_URL", "ST_RUN_DB")}
    log_path = tmp_path / "watch.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "runner", "--watch", str(folder), "--sim",
                             "--db", str(tmp_path / "sim.db")], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    try:
        line = until(lambda: next((x for x in log_path.read_text().splitlines()
                                   if "[lost] FAILED:" in x), None),
                     "the failure on the watcher's terminal", on_fail=log_path.read_text)
        assert "X1-NOWHERE-Z9" in line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
