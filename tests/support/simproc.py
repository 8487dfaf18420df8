"""Run ``st-run sim`` as a real subprocess for loopback tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
URL_PREFIX = "st-run sim listening on "


@contextlib.contextmanager
def start_sim_process(*args: str, timeout: float = 30.0
                      ) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``python -m runner sim --port 0 ARGS...``; yield (process, url); stop it cleanly.

    ``url`` is the ``http://127.0.0.1:PORT/v2`` the server printed as its first line. On exit
    the process gets SIGTERM and must end with status 0 (an AssertionError otherwise).
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "runner", "sim", "--port", "0", *args],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith(URL_PREFIX):
            proc.kill()
            _, err = proc.communicate(timeout=timeout)
            raise AssertionError(f"st-run sim did not start: {line!r} {err.strip()!r}")
        yield proc, line[len(URL_PREFIX):]
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError("st-run sim ignored SIGTERM") from None
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
