"""User and server text reaches the console as written, never as Rich markup (issue 22):
a playbook named ``evil[/bold]`` runs on a terminal, and ``status`` shows such names and
log lines literally."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from rich.console import Console

from runner.cli.main import main
from runner.domain.status import ContainerStatus
from runner.runtime.foreground import RunOptions, run_foreground
from runner.state.store import Store

EVIL = "evil[/bold]"
PLAYBOOK = f"""\
name: "{EVIL}"
ship: {{role: SATELLITE}}
steps:
  - log: "[red]not red[/red] :smile: [/]"
"""


def test_run_on_a_terminal_prints_names_and_logs_as_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil, second = tmp_path / "evil.yaml", tmp_path / "second.yaml"
    evil.write_text(PLAYBOOK)
    # The same ship: refused while the live view runs, naming the holder, evil[/bold].
    second.write_text(PLAYBOOK.replace(f'"{EVIL}"', "second"))
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=300, color_system=None)
    assert console.is_terminal
    options = RunOptions([evil, second], sim=True, db=str(tmp_path / "sim.db"), grace_s=5)

    code = asyncio.run(run_foreground(options, console))

    text = out.getvalue() + capsys.readouterr().out
    assert code == 1, text  # the second playbook was refused
    assert f"is held by container '{EVIL}'" in text
    assert f"{EVIL}: COMPLETED" in text
    assert "[red]not red[/red] :smile: [/]" in text


def test_status_prints_names_and_log_lines_as_written(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    db = str(tmp_path / "state.db")
    with Store.open(db) as store:
        record = store.upsert_container(EVIL, "evil.yaml", "h1", "A-1", "AGENT")
        store.set_status(record.id, ContainerStatus.RUNNING)
        store.log(record.id, "INFO", "[bold red]server said[/] :x:")
    main(["status", "--db", db])  # returns: exit 0
    out, _ = capsys.readouterr()
    assert EVIL in out and "[bold red]server said[/] :x:" in out
