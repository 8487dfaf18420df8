"""Run ``st-run sim`` as a real subprocess for loopback tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
URL_PREFIX = "st-run sim listening on "


@contextlib.contextmanager
def start_sim_process(*args: str, timeout: float = 30.0
                      ) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``python -m runner sim --port 0 ARGS...``; yield (process, url); stop it cleanly.

    ``url`` is the ``http://127.0.0.1:PORT/v2`` the server printed as its first line. On exit
    a still-running server gets SIGTERM and must end with status 0 (AssertionError otherwise;
    a server the test stopped itself is left alone).
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # stderr goes to a file: a pipe nobody reads would block a chatty server.
    with tempfile.TemporaryFile(mode="w+") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "sim", "--port", "0", *args],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        stopped_by_us = False
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if not line.startswith(URL_PREFIX):
                proc.kill()
                proc.wait(timeout=timeout)
                raise AssertionError(f"st-run sim did not start: {line!r} {_read(stderr)!r}")
            yield proc, line[len(URL_PREFIX):]
        finally:
            if proc.poll() is None:
                stopped_by_us = True
                _terminate(proc, timeout)
            if proc.stdout:
                proc.stdout.close()
        # Reached only when the body did not raise: a server we stopped must exit cleanly.
        if stopped_by_us and proc.returncode != 0:
            raise AssertionError(f"st-run sim exited with {proc.returncode} after SIGTERM: "
                                 f"{_read(stderr)[-500:]!r}")


def _read(stream: IO[str]) -> str:
    stream.seek(0)
    return stream.read().strip()


def _terminate(proc: subprocess.Popen[str], timeout: float) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("st-run sim ignored SIGTERM") from None
