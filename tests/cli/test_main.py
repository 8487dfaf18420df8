"""The top-level command: short forms, lazy loading, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from runner.cli.main import rewrite_args


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], []),
        (["--help"], ["--help"]),
        (["--version"], ["--version"]),
        (["playbooks/route.yaml"], ["run", "playbooks/route.yaml"]),
        (["--sim", "a.yaml", "b.yaml"], ["run", "--sim", "a.yaml", "b.yaml"]),
        (["--watch", "playbooks/"], ["watch", "playbooks/"]),
        (["--watch=playbooks/", "--sim"], ["watch", "playbooks/", "--sim"]),
        (["status", "--all"], ["status", "--all"]),
        (["validate", "x.yaml"], ["validate", "x.yaml"]),
    ],
)
def test_short_forms_map_onto_subcommands(argv: list[str], expected: list[str]) -> None:
    assert rewrite_args(argv) == expected


def _st_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_commands_without_traceback() -> None:
    result = _st_run("--help")
    assert result.returncode == 0
    assert "Usage: st-run" in result.stdout
    assert "Traceback" not in result.stderr


def test_unknown_option_is_a_one_line_usage_error() -> None:
    result = _st_run("status", "--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_bad_option_value_is_one_line() -> None:
    result = _st_run("sim", "--seed", "not-a-number")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")


def test_a_command_exit_code_reaches_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ctx.exit(3)` inside a command must exit 3, not 0 (click returns it as a value)."""
    import click

    from runner.cli import main as main_module

    @click.command()
    @click.pass_context
    def failing(ctx: click.Context) -> None:
        ctx.exit(3)

    monkeypatch.setitem(main_module.COMMANDS, "failing", "tests.cli.test_main:_failing")
    monkeypatch.setattr(sys.modules[__name__], "_failing", failing, raising=False)
    with pytest.raises(SystemExit) as exited:
        main_module.main(["failing"])
    assert exited.value.code == 3
