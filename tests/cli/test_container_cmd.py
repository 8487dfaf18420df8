"""``describe``, ``rm``, ``start --detach`` and ``status -o wide`` against real databases,
through ``main`` (the store fixture: ore-run RUNNING, probe BACKOFF, done COMPLETED)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runner.domain.status import ContainerStatus
from runner.state.manage import START_NOTE
from runner.state.store import Store
from tests.cli.test_status_cmd import REPO, run_cli


def test_describe_shows_values_checkpoint_policy_and_history(
        store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    ore = store.require_container("ore-run")
    store.replace_snapshot(ore.id, "c0ffee" * 8, "name: ore-run\nrestart: always\nsteps: []\n")
    lease = store.claim(ore.id, "runner-a", ttl_s=3600)
    assert lease is not None
    store.checkpoint(lease, "steps[3]", 1, {"registered": {"sale": {"units": 10}}},
                     "sold 10 IRON_ORE")
    store.log(ore.id, "ERROR", "failed: 4000 cooldown; restart 1 in 5s at 12:00:00Z")
    code, out, _ = run_cli(capsys, "describe", "ore-run", "--db", db)
    assert code == 0
    fields = dict(line.split(":", 1) for line in out.splitlines() if not line.startswith(" "))
    assert fields["Name"].strip() == f"ore-run (id {ore.id})"
    assert fields["Status"].strip().startswith("RUNNING")
    assert fields["Agent"].strip() == "AGENT" and fields["Ship"].strip() == "AGENT-1"
    assert fields["Playbook"].strip() == "playbooks/ore.yaml"
    assert fields["Version"].strip() == "c0ffeec0ffee"
    assert fields["Restart policy"].strip() == "always"
    assert fields["Step"].strip() == "steps[3] (iteration 0)"
    assert fields["Checkpoint"].strip().startswith("steps[3] command 1 at ")
    assert fields["Lease"].strip().startswith("runner-a (renew within")
    assert '  sale = {"units": 10}' in out.splitlines()
    history = out.split("Restart history:")[1].split("Recent log:")[0]
    assert "restart 1 in 5s" in history and "sold 10" not in history


def test_describe_json_and_last_error(store: Store, db: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "describe", "probe", "--json", "--db", db)
    assert code == 0
    data = json.loads(out)
    assert (data["status"], data["last_error"], data["restarts"]) == ("BACKOFF", "4000 cooldown",
                                                                      2)
    assert data["registered"] == {} and data["checkpoint"] is None
    assert data["restart_policy"] == "unknown (no stored version)"
    assert data["desired"] == "running"


def test_describe_unknown_is_one_line(store: Store, db: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "describe", "ghost", "--db", db)
    assert (code, out) == (1, "")
    assert err.strip() == "error: no container named or numbered 'ghost'"


def test_rm_removes_finished_and_refuses_active(store: Store, db: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    done = store.require_container("done")
    code, out, err = run_cli(capsys, "rm", "ore-run", "--db", db)
    assert code == 1 and "RUNNING: stop it first with `st-run stop ore-run`" in err
    code, out, _ = run_cli(capsys, "rm", "done", "--db", db)
    assert code == 0 and out.strip() == f"removed done (id {done.id}, COMPLETED)"
    assert store.get_container("done") is None
    assert all(line.container_id != done.id for line in store.logs())
    assert store.get_container("ore-run") is not None


def test_rm_all_finished(store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    store.request_stop("probe")  # no live runner: STOPPED at once
    code, out, _ = run_cli(capsys, "rm", "--all-finished", "--db", db)
    assert code == 0
    assert sorted(line.split()[1] for line in out.splitlines()) == ["done", "probe"]
    assert [r.name for r in store.list_containers(all=True)] == ["ore-run"]
    code, out, _ = run_cli(capsys, "rm", "--all-finished", "--db", db)
    assert code == 0 and out.strip() == "no finished containers"
    code, _, err = run_cli(capsys, "rm", "--db", db)
    assert code == 2 and "--all-finished" in err


def test_start_detach_records_desired_state(store: Store, db: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A stopped container stays stopped until `start`; `start -d` makes it PENDING, with
    its checkpoints kept, for a watcher to resume."""
    code, _, _ = run_cli(capsys, "stop", "probe", "--db", db)
    probe = store.require_container("probe")
    assert code == 0 and probe.status is ContainerStatus.STOPPED
    _, out, _ = run_cli(capsys, "describe", "probe", "--json", "--db", db)
    assert json.loads(out)["desired"].startswith("stopped")
    code, out, _ = run_cli(capsys, "start", "probe", "--detach", "--db", db)
    assert code == 0 and "STOPPED -> PENDING" in out
    after = store.require_container("probe")
    assert after.status is ContainerStatus.PENDING and after.finished_at is None
    assert store.logs("probe")[-1].message == START_NOTE
    _, out, _ = run_cli(capsys, "describe", "probe", "--json", "--db", db)
    assert json.loads(out)["desired"] == "running"


def test_start_refuses_a_container_a_live_runner_drives(
        store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "start", "ore-run", "--db", db)
    assert code == 1
    assert err.strip() == ("error: ore-run (id 1) is already RUNNING, run by runner-a; "
                           "nothing to start")


def test_status_wide_has_playbook_and_lease(store: Store, db: str,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run_cli(capsys, "status", "-o", "wide", "--db", db)
    assert code == 0
    header = out.splitlines()[0].split()
    assert header[:3] == ["ID", "NAME", "AGENT"]
    assert {"PLAYBOOK", "ITERATIONS", "GIT", "LEASE"} <= set(header)
    ore = next(line for line in out.splitlines() if "ore-run" in line)
    assert "playbooks/ore.yaml" in ore and "runner-a (renew within" in ore


def test_status_shows_a_lapsed_lease(store: Store, db: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A RUNNING container whose runner stopped renewing shows UNKNOWN, not RUNNING."""
    ore = store.require_container("ore-run")
    store.lease_clock = lambda: datetime.now(UTC) - timedelta(hours=2)  # an old claim
    lease = store.claim(ore.id, "runner-a", ttl_s=30)
    assert lease is not None
    code, out, _ = run_cli(capsys, "status", "-o", "wide", "--db", db)
    row = next(line for line in out.splitlines() if "ore-run" in line)
    assert code == 0 and "UNKNOWN" in row and "lapsed" in row
    _, out, _ = run_cli(capsys, "status", "--json", "--db", db)
    assert json.loads(out)[0]["lease_lapsed"] is True


def test_status_piped_is_not_cut_to_80_columns(store: Store, db: str) -> None:
    """In a real process whose stdout is a pipe, the long last log line stays whole."""
    long_line = "sold " + "IRON_ORE " * 30 + "END"
    store.log(store.require_container("ore-run").id, "INFO", long_line)
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "80", "TERM": "xterm"}
    result = subprocess.run([sys.executable, "-m", "runner", "status", "--db", db],
                            cwd=REPO, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "ore-run" in line)
    assert row.endswith(long_line) and len(row) > 80
    assert "\x1b[" not in result.stdout


def test_start_detach_of_a_completed_container_says_what_runs_it(
        store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "start", "done", "-d", "--db", db)
    assert code == 1 and "a watcher runs it again when its file changes" in err
    assert store.require_container("done").status is ContainerStatus.COMPLETED


def test_start_with_a_negative_grace_changes_nothing(
        store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    store.request_stop("probe")
    code, _, err = run_cli(capsys, "start", "probe", "--grace", "-3", "--db", db)
    assert code == 2 and err.strip() == "error: --grace must be 0 or more seconds"
    assert store.require_container("probe").status is ContainerStatus.STOPPED


def test_describe_names_an_unreadable_checkpoint(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "s.db")
    with Store.open(db) as s:
        box = s.upsert_container("box", "box.yaml", "h", "S-1", "A")
        lease = s.claim(box.id, "r", ttl_s=60)
        assert lease is not None
        s.checkpoint(lease, "steps[0]", 0, {"registered": {}}, "docked")
        with s.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE checkpoints SET state = '{not json'")
    code, out, err = run_cli(capsys, "describe", "box", "--db", db)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("Checkpoint:"))
    assert "unreadable (" in line and "not valid JSON" in line
    assert "Recent log:" in out and "docked" in out
