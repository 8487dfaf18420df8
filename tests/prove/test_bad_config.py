"""Bad configuration is one clear line and exit 2, never a silent default: ``st-run run`` and
``st-run watch`` as processes, with bad environment variables and options."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.prove.support import EXAMPLES, assert_clean_failure, st_run

BAD = [("ST_RUN_LEASE_TTL", "abc"), ("ST_RUN_LEASE_TTL", "-5"), ("ST_RUN_LEASE_TTL", "0"),
       ("ST_RUN_LEASE_TTL", "nan"), ("ST_RUN_DB_OUTAGE_LIMIT", "soon"),
       ("ST_RUN_DB_OUTAGE_LIMIT", "-1")]


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_a_bad_environment_value_is_one_line_and_exit_2(tmp_path: Path, name: str,
                                                        value: str) -> None:
    result = st_run(tmp_path, "--sim", str(EXAMPLES / "route.yaml"), env={name: value},
                    timeout=120)
    assert_clean_failure(result, 2)
    line = one_line(result.err)
    assert line == f"error: ${name}={value!r}: expected a number of seconds greater than 0"


def test_a_bad_environment_value_stops_watch_too(tmp_path: Path) -> None:
    folder = tmp_path / "fleet"
    folder.mkdir()
    result = st_run(tmp_path, "watch", str(folder), "--sim",
                    env={"ST_RUN_DB_OUTAGE_LIMIT": "soon"}, timeout=60)
    assert_clean_failure(result, 2)
    assert "ST_RUN_DB_OUTAGE_LIMIT='soon'" in one_line(result.err)


@pytest.mark.parametrize("command", ["run", "watch"])
def test_a_negative_grace_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    target = str(EXAMPLES / "route.yaml") if command == "run" else str(tmp_path)
    result = st_run(tmp_path, command, "--sim", "--grace=-3", target, timeout=60)
    assert_clean_failure(result, 2)
    assert one_line(result.err) == "error: --grace=-3: expected 0 or more seconds"


def test_good_values_are_taken(tmp_path: Path) -> None:
    result = st_run(tmp_path, "--sim", "--grace=0", str(EXAMPLES / "route.yaml"),
                    env={"ST_RUN_LEASE_TTL": "12.5", "ST_RUN_DB_OUTAGE_LIMIT": " 60 "},
                    timeout=180)
    assert result.code == 0, result.text
