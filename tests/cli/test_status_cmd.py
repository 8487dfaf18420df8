"""``st-run status``, ``logs`` and ``stop`` against a real database file, through ``main``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runner.cli.main import main
from runner.cli.status_cmd import follow_logs, human, parse_since, runner_rows
from runner.domain.status import ContainerStatus
from runner.errors import InvalidInput
from runner.state.models import logs as log_table
from runner.state.store import LogRecord, Store

REPO = Path(__file__).resolve().parents[2]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``st-run ARGS`` in-process; returns (exit code, stdout, stderr)."""
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_status_table_shows_active_containers(store: Store, db: str,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_cli(capsys, "status", "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:7] == ["ID", "NAME", "AGENT", "SHIP", "STATUS", "STEP",
                                    "VERSION"]
    ore = next(line for line in lines if "ore-run" in line)
    assert "RUNNING" in ore and "steps[2]" in ore and "bought 10 IRON_ORE" in ore
    assert ore.split()[2] == "AGENT"  # the agent it runs as
    assert ore.split()[6] == "h1"  # the version (content hash) it runs
    probe = next(line for line in lines if "probe" in line)
    assert "BACKOFF" in probe and "in 4m" in probe and "4000 cooldown" in probe
    assert "done" not in out


def test_status_shows_the_version_each_container_runs(
        store: Store, db: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 7: ``status`` shows which version (content hash) each container runs; a
    replaced snapshot (a reload) shows the new one."""
    monkeypatch.setenv("COLUMNS", "200")
    v1, v2 = "a1b2c3d4e5f6" + "0" * 52, "f6e5d4c3b2a1" + "1" * 52
    probe = store.require_container("probe")
    store.replace_snapshot(probe.id, v1, "name: probe")
    _, out, _ = run_cli(capsys, "status", "--db", db)
    row = next(line for line in out.splitlines() if "probe" in line)
    assert row.split()[6] == v1[:12] and v1[:13] not in row
    store.replace_snapshot(probe.id, v2, "name: probe # edited")
    _, out, _ = run_cli(capsys, "status", "--db", db)
    row = next(line for line in out.splitlines() if "probe" in line)
    assert row.split()[6] == v2[:12]
    _, out, _ = run_cli(capsys, "status", "--json", "--db", db)
    assert {i["name"]: i["content_hash"] for i in json.loads(out)} == {"ore-run": "h1",
                                                                       "probe": v2}


def test_status_all_includes_finished(store: Store, db: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "status", "--all", "--db", db)
    assert code == 0 and "COMPLETED" in out and "done" in out


def test_status_json_shape(store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "status", "--json", "--db", db)
    assert code == 0
    items = json.loads(out)
    assert [i["name"] for i in items] == ["ore-run", "probe"]
    for item in items:
        assert {"id", "name", "ship", "status", "restarts", "step"} <= item.keys()
        assert item["status"] in {s.value for s in ContainerStatus}
    ore, probe = items
    assert (ore["ship"], ore["status"], ore["step"], ore["restarts"]) == (
        "AGENT-1", "RUNNING", "steps[2]", 0)
    assert (ore["content_hash"], probe["content_hash"]) == ("h1", "h2")
    assert ore["last_log"] == "bought 10 IRON_ORE" and ore["uptime_s"] >= 0
    assert ore["started_at"].endswith("Z")
    assert (probe["status"], probe["restarts"], probe["last_error"]) == ("BACKOFF", 2,
                                                                          "4000 cooldown")
    assert datetime.fromisoformat(probe["next_restart_at"]).tzinfo is not None
    _, out_all, _ = run_cli(capsys, "status", "--all", "--json", "--db", db)
    assert [i["status"] for i in json.loads(out_all)] == ["RUNNING", "BACKOFF", "COMPLETED"]


def test_status_of_an_empty_database(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    Store.open(db).close()
    code, out, _ = run_cli(capsys, "status", "--db", db)
    assert code == 0 and "no active containers" in out
    _, out, _ = run_cli(capsys, "status", "--json", "--db", db)
    assert json.loads(out) == []


def test_status_reads_st_run_db(store: Store, db: str, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_RUN_DB", db)
    _, out, _ = run_cli(capsys, "status", "--json")
    assert len(json.loads(out)) == 2


def test_logs_history_text(store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "logs", "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert [line.split(maxsplit=4)[2:] for line in lines] == [
        ["ore-run", "INFO", "navigated to X1-A1-B2"], ["ore-run", "INFO", "bought 10 IRON_ORE"],
        ["done", "INFO", "finished"]]


def test_logs_json_of_one_container(store: Store, db: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    for selector in ("ore-run", str(store.require_container("ore-run").id)):
        code, out, _ = run_cli(capsys, "logs", selector, "--json", "--db", db)
        assert code == 0
        objects = [json.loads(line) for line in out.splitlines()]
        assert [o["message"] for o in objects] == ["navigated to X1-A1-B2", "bought 10 IRON_ORE"]
        for o in objects:
            assert {"time", "container", "level", "message"} <= o.keys()
            assert o["container"] == "ore-run" and o["level"] == "INFO"
            assert o["time"].endswith("Z")
            assert datetime.fromisoformat(o["time"]).utcoffset() == timedelta(0)


def test_logs_since(store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "logs", "--since", "10m", "--json", "--db", db)
    assert len(out.splitlines()) == 3
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    _, out, _ = run_cli(capsys, "logs", "--since", future, "--json", "--db", db)
    assert out == ""


def test_logs_lines_keeps_the_newest(store: Store, db: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "logs", "-n", "1", "--json", "--db", db)
    assert [json.loads(line)["message"] for line in out.splitlines()] == ["finished"]


@pytest.mark.parametrize("command", ["logs", "stop"])
def test_unknown_container_is_one_line_exit_1(store: Store, db: str, command: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, command, "ghost", "--db", db)
    assert code == 1 and out == ""
    assert err.strip() == "error: no container named or numbered 'ghost'"


def test_bad_since_is_exit_2(store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "logs", "--since", "yesterday", "--db", db)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--since" in err


def test_stop_running_container_sets_the_flag(store: Store, db: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "stop", "ore-run", "--db", db)
    assert code == 0 and "stop requested for ore-run" in out
    ore = store.require_container("ore-run")
    assert ore.stop_requested and ore.status is ContainerStatus.RUNNING
    _, out, _ = run_cli(capsys, "status", "--json", "--db", db)
    assert json.loads(out)[0]["stop_requested"] is True


def test_stop_orphaned_and_finished(store: Store, db: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "stop", "probe", "--db", db)
    assert "marked STOPPED" in out
    assert store.require_container("probe").status is ContainerStatus.STOPPED
    _, out, _ = run_cli(capsys, "stop", "done", "--db", db)
    assert "already COMPLETED" in out


def test_follow_loop_emits_new_lines_in_order(store: Store) -> None:
    """The polling loop on a real database, with lines committed between polls."""
    emitted: list[LogRecord] = []
    ore = store.require_container("ore-run")
    start = store.logs()[-1].id
    polls = iter(range(4))

    def between_polls(_: float) -> None:
        store.log(ore.id, "INFO", f"poll {len(emitted)}")

    last = follow_logs(store, "ore-run", start, emitted.append, sleep=between_polls,
                       keep_going=lambda: next(polls, None) is not None)
    assert [r.message for r in emitted] == ["poll 0", "poll 1"]
    assert last == emitted[-1].id


@pytest.mark.timeout(120)
def test_logs_follow_in_another_process(store: Store, db: str) -> None:
    """`st-run logs -f --json` in a subprocess prints lines another process commits."""
    ore = store.require_container("ore-run")
    proc = subprocess.Popen([sys.executable, "-m", "runner", "logs", "ore-run", "-f", "--json",
                             "--db", db], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        history = [json.loads(proc.stdout.readline())["message"] for _ in range(2)]
        assert history == ["navigated to X1-A1-B2", "bought 10 IRON_ORE"]
        lease = store.claim(ore.id, "runner-a", ttl_s=3600)
        assert lease is not None
        store.checkpoint(lease, "steps[3]", 0, {}, "sold 10 IRON_ORE")
        store.log(store.require_container("probe").id, "INFO", "not this one")
        store.log(ore.id, "ERROR", "4600: need 900, have 12")
        live = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert [(o["level"], o["message"]) for o in live] == [
            ("INFO", "sold 10 IRON_ORE"), ("ERROR", "4600: need 900, have 12")]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("2h", 7200),
                                               ("1d", 86400), ("1.5m", 90)])
def test_parse_since_ages(text: str, seconds: float) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_since(text, now) == now - timedelta(seconds=seconds)


def test_parse_since_times() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_since("2025-12-31T10:00:00Z", now) == datetime(2025, 12, 31, 10, tzinfo=UTC)
    assert parse_since("2025-12-31T10:00:00", now) == datetime(2025, 12, 31, 10, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        parse_since("soon", now)


@pytest.mark.parametrize(("seconds", "text"), [(5, "5s"), (185, "3m05s"), (7800, "2h10m"),
                                               (273600, "3d4h")])
def test_human_durations(seconds: float, text: str) -> None:
    assert human(seconds) == text


def test_status_and_logs_read_while_a_runner_holds_the_write_lock(
        store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A runner mid-transaction (uncommitted checkpoint) never blocks the read commands."""
    ore = store.require_container("ore-run")
    with store.engine.connect() as conn:
        conn = conn.execution_options(st_run_write=True)
        with conn.begin():
            conn.execute(log_table.insert().values(container_id=ore.id, time=datetime.now(UTC),
                                                   level="INFO", message="uncommitted"))
            code, out, _ = run_cli(capsys, "status", "--json", "--db", db)
            assert code == 0 and json.loads(out)[0]["last_log"] == "bought 10 IRON_ORE"
            code, out, _ = run_cli(capsys, "logs", "ore-run", "--json", "--db", db)
            assert code == 0 and "uncommitted" not in out
    _, out, _ = run_cli(capsys, "logs", "ore-run", "--json", "--db", db)
    assert json.loads(out.splitlines()[-1])["message"] == "uncommitted"


def test_sim_flag_reads_the_sim_database(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setenv("ST_RUN_DB", str(tmp_path / "real.db"))
    Store.open(str(tmp_path / "real.db")).close()
    old = Store.open(str(tmp_path / "st-run" / "sim" / "20260101T000000000000-1.sim.db"))
    old.upsert_container("older-run", "playbooks/route.yaml", "h", "SIM-1", "SIMAGENT")
    old.close()
    sim = Store.open(str(tmp_path / "st-run" / "sim" / "20260102T000000000000-1.sim.db"))
    sim.upsert_container("sim-route", "playbooks/route.yaml", "h", "SIM-1", "SIMAGENT")
    sim.close()
    _, out, _ = run_cli(capsys, "status", "--sim", "--json")
    assert [i["name"] for i in json.loads(out)] == ["sim-route"]
    _, out, _ = run_cli(capsys, "status", "--json")
    assert json.loads(out) == []


def test_status_runners_lists_the_lease_owners(store: Store, db: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Two runners on one database see each other (issue 19): each lease owner with the
    containers it holds; a runner that stopped renewing shows as lapsed."""
    other = store.upsert_container("scout", "playbooks/scout.yaml", "h4", "AGENT-4", "AGENT")
    lease = store.claim(other.id, "hostb:4242:abc", ttl_s=1)
    assert lease is not None
    store.set_status(lease, ContainerStatus.RUNNING)
    code, out, _ = run_cli(capsys, "status", "--runners", "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["RUNNER", "HOST", "PID", "HEARTBEAT", "HELD", "LEASE",
                                "CONTAINERS"]
    a = next(line for line in lines if line.startswith("runner-a"))
    assert a.split()[-2:] == ["live", "ore-run"]
    code, out, _ = run_cli(capsys, "status", "--runners", "--json", "--db", db)
    rows = {row["runner"]: row for row in json.loads(out)}
    assert rows["hostb:4242:abc"]["host"] == "hostb" and rows["hostb:4242:abc"]["pid"] == "4242"
    assert rows["hostb:4242:abc"]["containers"] == ["scout"]
    assert rows["runner-a"]["lapsed"] is False
    later = datetime.now(UTC) + timedelta(days=1)  # nobody renewed: every runner lapsed
    assert all(row.lapsed for row in runner_rows(store.list_containers(), later))


def test_status_runners_shows_each_registered_runner_with_its_heartbeat(
        store: Store, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A watcher's ``runners`` row (issue 19): its host, pid, last heartbeat and how many
    containers it holds, even when it holds none; one that stopped beating is lapsed."""
    from runner.state.runners import Runners

    runners = Runners(store.engine)
    runners.beat("hostc:77:w1", "hostc", 77, ttl_s=30)
    runners.beat("runner-a", "hosta", 11, ttl_s=30)
    runners.beat("hostd:88:w2", "hostd", 88, ttl_s=0.001)
    code, out, _ = run_cli(capsys, "status", "--runners", "--json", "--db", db)
    assert code == 0
    rows = {row["runner"]: row for row in json.loads(out)}
    assert rows["hostc:77:w1"]["held"] == 0 and rows["hostc:77:w1"]["lapsed"] is False
    assert rows["hostc:77:w1"]["host"] == "hostc" and rows["hostc:77:w1"]["pid"] == "77"
    assert rows["hostc:77:w1"]["heartbeat_at"] is not None
    assert rows["runner-a"]["held"] == 1 and rows["runner-a"]["containers"] == ["ore-run"]
    assert rows["runner-a"]["pid"] == "11"
    assert rows["hostd:88:w2"]["lapsed"] is True
    code, out, _ = run_cli(capsys, "status", "--runners", "--db", db)
    line = next(line for line in out.splitlines() if line.startswith("hostc:77:w1"))
    assert line.split()[3:] == ["0s", "ago", "0", "live", "-"]
    runners.leave("hostc:77:w1")
    assert "hostc:77:w1" not in runners.live()
    code, out, _ = run_cli(capsys, "status", "--runners", "--db", db)
    assert "hostc:77:w1" not in out
