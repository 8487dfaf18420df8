"""``st-run register`` and ``st-run health`` as real processes against the simulator."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import sim_control

REPO = Path(__file__).resolve().parents[2]


def st_run(*args: str, home: Path, url: str | None = None,
           token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPACETRADERS_TOKEN", "ST_RUN_API_URL", "ST_RUN_CONFIG", "ST_RUN_DB")}
    env["XDG_CONFIG_HOME"] = str(home)
    env["XDG_STATE_HOME"] = str(home / "state")
    if url:
        env["ST_RUN_API_URL"] = url
    if token:
        env["SPACETRADERS_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def test_register_saves_the_token_0600_and_health_passes(sim_server: Any, home: Path) -> None:
    done = st_run("register", "CLI_AGENT", "--faction", "cosmic", "--name", "main",
                  home=home, url=sim_server.url)
    assert done.returncode == 0, done.stderr
    assert "registered CLI_AGENT (COSMIC)" in done.stdout and "as 'main'" in done.stdout
    config = home / "st-run" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    text = config.read_text()
    assert 'default_agent = "main"' in text and "token = " in text
    token = text.split('token = "', 1)[1].split('"', 1)[0]
    assert token not in done.stdout + done.stderr  # never printed

    health = st_run("health", home=home)  # URL and token both come from the config file
    assert health.returncode == 0, health.stdout + health.stderr
    lines = health.stdout.splitlines()
    assert lines[0].startswith("ok   server:")
    assert lines[1].startswith("ok   token: agent CLI_AGENT")
    assert any(line.startswith("ok   config:") for line in lines)
    assert any(line.startswith("ok   database:") for line in lines)
    assert token not in health.stdout + health.stderr


def test_health_explains_a_token_from_an_old_reset(sim_server: Any, home: Path) -> None:
    assert st_run("register", "RESET_ME", "--faction", "COSMIC", home=home,
                  url=sim_server.url).returncode == 0
    sim_control(sim_server.url, "POST", "reset")
    health = st_run("health", home=home)
    assert health.returncode == 1
    assert "ok   server:" in health.stdout
    assert "FAIL token: the token is from an old reset" in health.stdout
    assert health.stderr.strip() == "error: health: token failed"


def test_health_without_token_or_server(home: Path) -> None:
    no_server = st_run("health", home=home, url="http://127.0.0.1:9/v2", token="x" * 40)
    assert no_server.returncode == 1
    assert "FAIL server: http://127.0.0.1:9/v2" in no_server.stdout
    assert "skip token: not checked" in no_server.stdout
    assert "Traceback" not in no_server.stderr


def test_health_without_token(sim_server: Any, home: Path) -> None:
    done = st_run("health", home=home, url=sim_server.url)
    assert done.returncode == 1 and "FAIL token: no token" in done.stdout


def test_register_errors_are_one_line(sim_server: Any, home: Path) -> None:
    first = st_run("register", "TWICE", "--faction", "COSMIC", home=home, url=sim_server.url)
    assert first.returncode == 0
    again = st_run("register", "TWICE", "--faction", "COSMIC", "--force", home=home,
                   url=sim_server.url)  # --force: past the saved-token check, to the server
    assert again.returncode == 1
    assert again.stderr.strip().count("\n") == 0
    assert "RegisterAgentConflictSymbol (4111)" in again.stderr
    missing = st_run("register", "NOFACTION", home=home, url=sim_server.url)
    assert missing.returncode == 2 and "--faction" in missing.stderr
