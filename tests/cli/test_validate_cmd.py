"""``validate DIR`` as watch mode sees a folder (hidden folders skipped, one name per
playbook) and the warning for an ``-e`` var no template uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_status_cmd import REPO, run_cli

ROUTE = (REPO / "playbooks" / "route.yaml").read_text()
PLAN_CASE = REPO / "tests" / "compile" / "buy-split-and-sell"


def test_validate_skips_hidden_folders(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: {}\n")  # not a playbook
    (tmp_path / ".hidden.yaml").write_text("not: a playbook\n")
    (tmp_path / "route.yaml").write_text(ROUTE)
    (tmp_path / "route.yaml~").write_text("editor backup\n")
    code, out, err = run_cli(capsys, "validate", str(tmp_path))
    assert code == 0, err
    assert out.splitlines() == [f"{tmp_path / 'route.yaml'}: ok", "1 of 1 playbooks valid"]


def test_validate_flags_two_files_with_the_same_name(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_text(ROUTE)
    (tmp_path / "b.yaml").write_text(ROUTE)
    (tmp_path / "ok.yaml").write_text(ROUTE.replace("name: route", "name: other"))
    line = next(n for n, text in enumerate(ROUTE.splitlines(), 1) if text.startswith("name:"))
    code, _, err = run_cli(capsys, "validate", str(tmp_path))
    assert code == 2
    first, second = tmp_path / "a" / "one.yaml", tmp_path / "b.yaml"
    assert (f"{first}:{line}:7: playbook name `route` is also the name of {second}; each "
            "playbook names its own container, give each another `name:`") in err
    assert f"{second}:{line}:7: playbook name `route` is also the name of {first}" in err
    assert "ok.yaml" not in err
    assert err.strip().splitlines()[-1] == "error: 2 of 3 playbooks invalid (2 problems)"
    code, out, _ = run_cli(capsys, "validate", "--format", "json", str(tmp_path))
    files = {Path(f["file"]).name: f["valid"] for f in json.loads(out)["files"]}
    assert code == 2 and files == {"one.yaml": False, "b.yaml": False, "ok.yaml": True}


def test_an_unused_extra_var_is_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    trade = REPO / "playbooks" / "trade.yaml"
    code, out, err = run_cli(capsys, "validate", "-e", "unit=3", "-e", "good=FUEL", str(trade))
    assert code == 0 and "1 of 1 playbooks valid" in out
    assert err.strip().splitlines() == [
        f"warning: -e unit: no template in {trade} uses `unit`, so it changes nothing; "
        "did you mean `units`?"]
    code, _, err = run_cli(capsys, "validate", "-e", "units=3", str(trade))
    assert code == 0 and err == ""


def test_plan_warns_of_an_unused_extra_var(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "plan", "--json", "-e", "goood=FUEL", "--state",
                             str(PLAN_CASE / "state.json"), str(PLAN_CASE / "playbook.yaml"))
    assert code == 0 and json.loads(out)["steps"]
    assert "warning: -e goood: no template in " in err and "did you mean `good`?" in err


def test_run_warns_of_an_unused_extra_var(tmp_path: Path) -> None:
    """A real `st-run --sim` process: the warning comes first, the run goes on."""
    playbook = tmp_path / "hello.yaml"
    playbook.write_text("name: hello\nship: {role: COMMAND}\nvars: {greeting: hi}\n"
                        "steps:\n  - log: \"{{ greeting }}\"\n")
    done = subprocess.run([sys.executable, "-m", "runner", "--sim", str(playbook), "-e",
                           "greting=yo", "--db", str(tmp_path / "s.db")], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == (
        f"warning: -e greting: no template in {playbook} uses `greting`, so it changes "
        "nothing; did you mean `greeting`?")
    assert "hi" in done.stdout
