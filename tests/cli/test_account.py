"""``register --force``, ``health --json`` and connection errors that name the server, as
real processes against the simulator on a loopback socket."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_account_cmd import REPO, st_run

DEAD = "http://127.0.0.1:9/v2"
"""A URL nothing listens on (the discard port)."""


def saved_token(home: Path, name: str) -> str:
    text = (home / "st-run" / "config.toml").read_text()
    section = text.split(f"[agents.{name}]", 1)[1]
    return section.split('token = "', 1)[1].split('"', 1)[0]


def test_register_keeps_a_saved_token_without_force(sim_server: Any, tmp_path: Path) -> None:
    first = st_run("register", "KEEPER", "--faction", "COSMIC", home=tmp_path,
                   url=sim_server.url)
    assert first.returncode == 0, first.stderr
    token = saved_token(tmp_path, "KEEPER")
    again = st_run("register", "KEEPER", "--faction", "COSMIC", home=tmp_path,
                   url=sim_server.url)
    assert again.returncode == 2
    config = tmp_path / "st-run" / "config.toml"
    assert again.stderr.strip() == (
        f"error: a token for agent KEEPER is already saved as 'KEEPER' in {config}; use "
        "--force to replace it, or --name to save the new one under another name")
    assert saved_token(tmp_path, "KEEPER") == token
    named = st_run("register", "OTHER", "--faction", "COSMIC", "--name", "KEEPER",
                   home=tmp_path, url=sim_server.url)
    assert named.returncode == 2 and saved_token(tmp_path, "KEEPER") == token
    forced = st_run("register", "NEWER", "--faction", "COSMIC", "--name", "KEEPER", "--force",
                    home=tmp_path, url=sim_server.url)
    assert forced.returncode == 0, forced.stderr
    assert saved_token(tmp_path, "KEEPER") != token


def test_health_json(sim_server: Any, tmp_path: Path) -> None:
    assert st_run("register", "HEALTHY", "--faction", "COSMIC", home=tmp_path,
                  url=sim_server.url).returncode == 0
    done = st_run("health", "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]] == ["server", "token", "config", "database"]
    assert data["checks"][1]["ok"] is True and "HEALTHY" in data["checks"][1]["detail"]
    failing = st_run("health", "--json", home=tmp_path, url=DEAD, token="x" * 40)
    assert failing.returncode == 1
    data = json.loads(failing.stdout)
    assert data["ok"] is False
    server, token = data["checks"][:2]
    assert server["ok"] is False and server["detail"].startswith(f"{DEAD}: ")
    assert server["detail"].count(DEAD) == 1
    assert token["ok"] is None


@pytest.mark.parametrize("command", [
    ["register", "NOBODY", "--faction", "COSMIC", "--api-url", DEAD],
    ["plan", str(REPO / "playbooks" / "route.yaml")],
    [str(REPO / "playbooks" / "route.yaml")],
])
def test_connection_errors_name_the_server(tmp_path: Path, command: list[str]) -> None:
    done = st_run(*command, home=tmp_path, url=DEAD, token="x" * 40)
    assert done.returncode == 1
    assert DEAD in done.stdout + done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
