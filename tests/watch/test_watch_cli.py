"""``st-run watch`` / ``st-run --watch``: bad input is one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.cli.main import main


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


@pytest.mark.parametrize("form", [["watch"], ["--watch"]])
def test_missing_directory_is_one_line_exit_2(tmp_path: Path, form: list[str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*form, str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {tmp_path / 'nope'}: no such directory"


def test_a_file_is_not_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").write_text("name: a\n")
    assert run([f"--watch={tmp_path / 'a.yaml'}"]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_bad_sim_speed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["watch", str(tmp_path), "--sim", "--sim-speed", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --sim-speed must be positive"


def test_no_token_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SPACETRADERS_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert run(["watch", str(tmp_path), "--db", str(tmp_path / "state.db")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "token" in err[0]
