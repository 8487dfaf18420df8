"""Bad databases are one clear line with the right exit code, never an internal error; the
read-only commands never create a database. Real processes, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_status_cmd import REPO

READ_ONLY = [["status"], ["status", "--all", "--json"], ["logs"], ["describe", "x"],
             ["stop", "x"], ["rm", "x"], ["start", "x", "-d"]]


def st_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "ST_RUN_DB"}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=REPO, env=full,
                          capture_output=True, text=True, timeout=60)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("command", READ_ONLY)
def test_read_only_commands_never_create_a_database(tmp_path: Path,
                                                    command: list[str]) -> None:
    typo = tmp_path / "TYPO"
    result = st_run(*command, "--db", str(typo))
    assert result.returncode == 1
    assert one_line(result) == (f"error: no state database at {typo} (nothing has run with "
                                "it yet; check --db or $ST_RUN_DB)")
    assert list(tmp_path.iterdir()) == []


def test_status_without_any_database_yet_is_empty_and_creates_nothing(tmp_path: Path) -> None:
    result = st_run("status", env={"XDG_STATE_HOME": str(tmp_path)})
    assert result.returncode == 0 and "no active containers" in result.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["status"], ["logs"], ["describe", "x"]])
def test_a_corrupt_database_is_named(tmp_path: Path, command: list[str]) -> None:
    bad = tmp_path / "state.db"
    bad.write_bytes(b"this is not SQLite" + bytes(range(256)) * 20)
    result = st_run(*command, "--db", str(bad))
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("error: cannot open the state database ")
    assert str(bad) in line and "file is not a database" in line


def test_a_corrupt_database_stops_a_run_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "state.db"
    bad.write_bytes(b"garbage" * 1000)
    result = st_run("--sim", str(REPO / "playbooks" / "route.yaml"), "--db", str(bad))
    assert result.returncode == 1
    assert str(bad) in one_line(result)


@pytest.mark.parametrize("command", [["status"], ["--sim", "playbooks/route.yaml"]])
def test_xdg_state_home_that_is_a_file(tmp_path: Path, command: list[str]) -> None:
    blocker = tmp_path / "state-home"
    blocker.write_text("not a folder")
    result = st_run(*command, env={"XDG_STATE_HOME": str(blocker)})
    assert result.returncode == 1
    line = one_line(result)
    assert f"{blocker} is a file, not a folder" in line and "XDG_STATE_HOME" in line


@pytest.mark.parametrize("command", [["status"], ["playbooks/route.yaml"]])
def test_an_unsupported_database_url(command: list[str]) -> None:
    result = st_run(*command, "--db", "mysql://user@localhost/st")
    assert result.returncode == 2
    assert one_line(result) == ("error: invalid database URL 'mysql://user@localhost/st': "
                                "st-run stores its state in SQLite (a file path) or Postgres "
                                "(postgresql://...), not mysql")
