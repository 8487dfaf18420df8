"""Identity (issue 15): a container belongs to one agent and one playbook file. Another file
with the same ``name:`` is refused with one line naming both files, unless ``--replace``;
watch mode's start report says so instead of "db says nothing; started". Real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from runner.state.store import Store
from tests.containers.support import REPO, TIMEOUT_S, env_for, st_run, write_playbook

pytestmark = pytest.mark.timeout(240)


def test_another_file_with_a_taken_name_is_refused_unless_replace(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    first = write_playbook(tmp_path / "dirA" / "demo.yaml", "demo", "from A")
    second = write_playbook(tmp_path / "dirB" / "demo.yaml", "demo", "from B")
    done = st_run(tmp_path, "--sim", "--db", db, str(first))
    assert done.returncode == 0, done.stderr
    refused = st_run(tmp_path, "--sim", "--db", db, str(second))
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert str(first) in lines[0] and str(second) in lines[0] and "--replace" in lines[0]
    assert "from B" not in refused.stdout
    with Store.open(db) as store:
        record = store.require_container("demo")
        assert record.playbook_path == str(first)
    replaced = st_run(tmp_path, "--sim", "--db", db, "--replace", str(second))
    assert replaced.returncode == 0, replaced.stderr
    assert "from B" in replaced.stdout and "from A" not in replaced.stdout
    assert f"now runs {second}" in replaced.stdout
    with Store.open(db) as store:
        assert store.require_container("demo").playbook_path == str(second)
    # The same file again (even by a relative path) is the same container: no refusal.
    again = st_run(tmp_path, "--sim", "--db", db, "dirB/demo.yaml", cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_watch_reports_a_taken_name_truthfully(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    first = write_playbook(tmp_path / "dirA" / "demo.yaml", "demo", "from A")
    folder = tmp_path / "dirB"
    write_playbook(folder / "demo.yaml", "demo", "from B")
    assert st_run(tmp_path, "--sim", "--db", db, str(first)).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "runner", "--sim", "watch", str(folder),
                             "--db", db], cwd=REPO, env=env_for(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if "demo.yaml: db says" in line:
                break
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    report = next(line for line in seen if "demo.yaml: db says" in line)
    assert "db says nothing" not in report and "; started" not in report
    assert f"from {first}" in report and "belongs to another file" in report
    assert "from B" not in "".join(seen) + rest
    with Store.open(db) as store:
        assert store.require_container("demo").playbook_path == str(first)
