"""The top-level command: short forms, lazy loading, one-line errors."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli.main import COMMANDS, SUMMARIES, LazyGroup, rewrite_args


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


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--sim", "--watch", "dir/"], ["watch", "dir/", "--sim"]),
        (["--sim", "--watch=dir/"], ["watch", "dir/", "--sim"]),
        (["--sim", "validate", "x.yaml"], ["validate", "--sim", "x.yaml"]),
        (["--sim", "status", "--all"], ["status", "--sim", "--all"]),
        (["--sim", "playbooks/route.yaml"], ["run", "--sim", "playbooks/route.yaml"]),
        (["--sim"], ["run", "--sim"]),
        (["--sim", "--help"], ["--help"]),
    ],
)
def test_sim_is_accepted_anywhere_on_the_line(argv: list[str], expected: list[str]) -> None:
    assert rewrite_args(argv) == expected


def test_sim_before_watch_reaches_the_watch_command(tmp_path: Path) -> None:
    """`st-run --sim --watch DIR` used to fail with "No such option '--watch'"."""
    result = _st_run("--sim", "--watch", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'missing'}: no such directory"


def test_a_mistyped_command_gets_a_suggestion(tmp_path: Path) -> None:
    result = _st_run("stauts")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown command `stauts`; did you mean `status`?"
    result = _st_run("frobnicate")
    assert result.returncode == 2 and "unknown command `frobnicate`" in result.stderr
    missing = tmp_path / "route.yaml"  # looks like a playbook: that is what is missing
    result = _st_run(str(missing))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {missing}: no such playbook file"


def test_help_imports_no_subcommand_module() -> None:
    """`st-run --help` lists every command from the table, importing none of them."""
    probe = ("import sys\nfrom runner.cli.main import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "loaded = sorted(m for m in sys.modules if m.startswith('runner.cli.') "
             "and m.endswith('_cmd'))\n"
             "print('LOADED', loaded, 'httpx' in sys.modules, 'rich' in sys.modules, "
             "'sqlalchemy' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "LOADED [] False False False" in result.stdout
    for name in COMMANDS:
        assert f"\n  {name} " in result.stdout, name


def test_every_command_has_a_summary_and_loads() -> None:
    assert set(SUMMARIES) == set(COMMANDS)
    for name in COMMANDS:
        assert LazyGroup._load(name) is not None, name


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script(shell: str) -> None:
    result = _st_run("completion", shell)
    assert result.returncode == 0
    assert "_ST_RUN_COMPLETE" in result.stdout


def test_completion_completes_command_names() -> None:
    """What the bash script asks st-run when the user types `st-run sta<TAB>`."""
    env = {**os.environ, "_ST_RUN_COMPLETE": "bash_complete", "COMP_WORDS": "st-run sta",
           "COMP_CWORD": "1"}
    result = subprocess.run([sys.executable, "-m", "runner"], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 0
    assert result.stdout.split() == ["plain,start", "plain,status"]


def test_completion_of_an_unknown_shell_is_a_usage_error() -> None:
    result = _st_run("completion", "tcsh")
    assert result.returncode == 2 and result.stderr.startswith("error: ")


def _in_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run ``st-run ARGS`` with stdout and stderr on a pseudo-terminal; its output."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "runner", *args], stdout=slave,
                            stderr=slave, env={**os.environ, "TERM": "xterm", **env})
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_no_color_is_honoured(tmp_path: Path, how: str) -> None:
    from runner.state.store import Store

    db = str(tmp_path / "s.db")
    with Store.open(db) as store:
        box = store.upsert_container("box", "box.yaml", "h", "S-1", "A")
        store.log(box.id, "ERROR", "4600: need 900, have 12")
    env = {k: "" for k in ("NO_COLOR",)}
    coloured = _in_a_terminal(["logs", "--db", db], env)
    assert "\x1b[31m" in coloured  # ERROR in red on a terminal
    if how == "flag":
        plain = _in_a_terminal(["logs", "--no-color", "--db", db], env)
    else:
        plain = _in_a_terminal(["logs", "--db", db], {"NO_COLOR": "1"})
    assert "4600: need 900" in plain and "\x1b[" not in plain
