"""``--metrics`` and ``--dashboard``: a bad or busy address is one line and exit 2."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.support import ST_RUN

REPO = Path(__file__).resolve().parents[2]


def st_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ST_RUN, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={"XDG_STATE_HOME": str(tmp_path), "PATH": "/usr/bin"})


@pytest.mark.parametrize("command", [["run", "--sim", "playbooks/route.yaml"],
                                     ["watch", "--sim", "playbooks"]])
def test_a_bad_address_is_refused_before_anything_starts(tmp_path: Path,
                                                         command: list[str]) -> None:
    done = st_run(tmp_path, *command, "--dashboard", "somewhere")
    assert done.returncode == 2
    assert done.stderr == ("error: --dashboard 'somewhere': expected [HOST]:PORT, e.g. :8080 "
                           "or 0.0.0.0:8080\n")


def test_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = st_run(tmp_path, "run", "--sim", "playbooks/route.yaml",
                      "--metrics", f"127.0.0.1:{port}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == \
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "Traceback" not in done.stderr
