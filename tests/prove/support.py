"""Helpers of the prove suites: ``st-run`` as a subprocess in an isolated home, with a timeout.

Every call runs ``python -m runner ARGS`` with fresh ``XDG_STATE_HOME``/``XDG_CONFIG_HOME`` (no
token, no database of the machine's user) and a timeout, so a hang is a test failure, not a
stuck CI job.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BROKEN = REPO / "tests" / "playbook" / "broken"
CORPUS = Path(__file__).resolve().parent / "corpus"
EXAMPLES = REPO / "playbooks"
ST_RUN = [sys.executable, "-m", "runner"]


@dataclass
class Result:
    """What a finished (or timed-out) ``st-run`` process left behind."""

    code: int | None  # None: it did not end within the timeout (killed)
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def isolated_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a user with no token and no config, state under ``home``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SPACETRADERS_", "ST_RUN_"))}
    env.update(XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"),
               PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


def st_run(home: Path, *args: str, timeout: float = 60, cwd: Path | None = None,
           env: Mapping[str, str] | None = None) -> Result:
    """Run ``st-run ARGS``; a process still alive after ``timeout`` is killed (code None)."""
    try:
        done = subprocess.run([*ST_RUN, *args], cwd=cwd or REPO, env=isolated_env(home, env),
                              capture_output=True, text=True, timeout=timeout,
                              errors="replace", stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        return Result(None, _text(exc.stdout), _text(exc.stderr))
    return Result(done.returncode, done.stdout, done.stderr)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def located(text: str, file: str) -> list[str]:
    """The ``FILE:LINE:COL: message`` lines about ``file`` in ``text`` (prefix ``error: `` ok)."""
    pattern = re.compile(rf"^(?:error: )?{re.escape(file)}:\d+:\d+: \S")
    return [line for line in text.splitlines() if pattern.match(line)]


def assert_clean_failure(result: Result, code: int = 2) -> None:
    """Ended in time with ``code`` and without a Python traceback."""
    assert result.code is not None, f"no exit within the timeout (hang): {result.text[-500:]}"
    assert "Traceback" not in result.text, result.text[-2000:]
    assert "internal error" not in result.text, result.text[-2000:]
    assert result.code == code, (result.code, result.text[-2000:])
