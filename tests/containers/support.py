"""Real ``st-run`` processes for the container tests: each runs ``python -m runner`` with its
own state folder, so no test sees another's databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120


def env_for(state: Path) -> dict[str, str]:
    """The environment of a test process: its own XDG state and config, no ST_RUN_DB."""
    env = {k: v for k, v in os.environ.items() if k not in ("ST_RUN_DB", "NO_COLOR")}
    env.update(XDG_STATE_HOME=str(state / "state"), XDG_CONFIG_HOME=str(state / "config"))
    return env


def st_run(state: Path, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run ``st-run ARGS`` to its end."""
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=cwd,
                          env=env_for(state), capture_output=True, text=True,
                          timeout=TIMEOUT_S)


def write_playbook(path: Path, name: str, line: str) -> Path:
    """A one-step playbook that logs ``line`` with the command ship."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"name: {name}\nship: {{role: COMMAND}}\nsteps:\n  - log: \"{line}\"\n")
    return path
