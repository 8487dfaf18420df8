"""A real ``st-run watch`` process on a temporary folder against a real ``st-run sim``.

Create, edit (valid, invalid), rename and delete playbooks and check the containers follow,
then SIGTERM mid-run and restart. The simulator's ledger proves no state change was sent
twice: each ship's orbits and docks strictly alternate (a repeated step would repeat one of
them, which the simulator accepts as a no-op but still records), and every accepted change
has exactly one checkpoint in the container's journal.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.simproc import start_sim_process
from tests.watch.procs import (
    REPO,
    Agent,
    State,
    Watcher,
    copy_database,
    ledger,
    register,
    until,
    warm_database,
    watcher,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

PATROL = """\
name: {name}
ship: {ship}
restart: always
steps:
  - repeat:
      forever: true
      steps:
        - orbit
        - log: "{tag} tick {{{{ loop.index }}}}"
        - dock
        - wait: 5s
"""

BROKEN = """\
name: {name}
ship: {ship}
steps:
  - orbitt
"""


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with start_sim_process("--speed", "20", "--no-rate-limit") as (_, url):
        yield url


@pytest.fixture(scope="module")
def warm_db(sim_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return warm_database(sim_url, tmp_path_factory.mktemp("warm"))


@pytest.fixture
def db(warm_db: Path, tmp_path: Path) -> Path:
    """This test's database: a copy of one whose universe cache is already filled."""
    return copy_database(warm_db, tmp_path / "state.db")


@pytest.fixture
def agent(sim_url: str, request: pytest.FixtureRequest) -> Agent:
    symbol = "W" + "".join(c for c in request.node.name.upper() if c.isalnum())[-10:]
    return register(sim_url, symbol)


def patrol(name: str, ship: str, tag: str) -> str:
    return PATROL.format(name=name, ship=ship, tag=tag)


def assert_each_change_sent_once(state: State, agent: Agent, name: str, ship: str, *,
                                 journal_complete: bool = True) -> None:
    """Orbits and docks strictly alternate in the ledger (a step done twice would repeat
    one), and, unless the runner was killed mid-command, each has its checkpoint."""
    entries = [e for e in ledger(agent.url, ship) if e["method"] == "POST"]
    actions = [e["path"].rsplit("/", 1)[-1] for e in entries]
    assert actions, f"no state change for {ship}"
    assert all(a in ("orbit", "dock") for a in actions), actions
    assert all(x != y for x, y in itertools.pairwise(actions)), \
        f"a step was done twice: {actions}"
    record = state.container(name)
    assert record is not None
    checkpoints = state.checkpoints(record.id)
    if journal_complete:
        assert checkpoints == len(actions)
    else:  # a command sent just before the kill may lack its checkpoint: orbit and dock
        # are idempotent, so the resumed runner finds them done and sends nothing
        assert len(actions) - 1 <= checkpoints <= len(actions)


def other_terminal(db: Path) -> dict[str, Any]:
    """What ``st-run status --json`` and ``st-run logs alpha --json`` show right now."""
    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "runner", *args, "--db", str(db)],
                              cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    status = next(c for c in json.loads(cli("status", "--json")) if c["name"] == "alpha")
    logs = [json.loads(line)["message"] for line in cli("logs", "alpha", "--json").splitlines()]
    return {"status": status, "logs": logs}


def test_containers_follow_the_folder(tmp_path: Path, agent: Agent, db: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    ship = agent.ships[0]
    v1, v2 = patrol("alpha", ship, "v1"), patrol("alpha", ship, "v2")
    state = State(db)
    (folder / "alpha.yaml").write_text(v1)
    with watcher(folder, db, agent, tmp_path / "watch.log") as proc:
        def why() -> str:
            return proc.output() + "\n".join(state.messages())

        first = until(lambda: state.running("alpha", v1), "alpha v1 running", on_fail=why)
        until(lambda: "v1 tick 2" in state.messages("alpha"), "two v1 iterations", on_fail=why)

        (folder / "alpha.yaml").write_text(v2)  # valid edit: replaced at a safe point
        until(lambda: state.running("alpha", v2), "alpha v2 running", on_fail=why)
        until(lambda: any("v2 tick" in m for m in state.messages("alpha")), "v2 ticks",
              on_fail=why)

        (folder / "alpha.yaml").write_text(BROKEN.format(name="alpha", ship=ship))
        error = until(lambda: next((m for m in state.messages("alpha")
                                    if "invalid playbook" in m), None), "error", on_fail=why)
        assert "alpha.yaml:4:" in error and "keeping version" in error
        ticks = sum("v2 tick" in m for m in state.messages("alpha"))
        until(lambda: sum("v2 tick" in m for m in state.messages("alpha")) > ticks + 1,
              "the old version keeps running", on_fail=why)
        assert state.running("alpha", v2)
        seen = other_terminal(db)  # `st-run status` / `st-run logs` from another process
        assert seen["status"]["status"] == "RUNNING"
        assert seen["status"]["content_hash"] == hashlib.sha256(v2.encode()).hexdigest()
        assert any("alpha.yaml changed: reloading" in m for m in seen["logs"])
        assert any("invalid playbook" in m and "alpha.yaml:4:" in m for m in seen["logs"])
        assert "alpha.yaml:4:" in seen["status"]["last_error"]

        (folder / "alpha.yaml").write_text(v2)  # fixed: same as what runs, no reload
        (folder / "alpha.yaml").rename(folder / "renamed.yaml")
        moved = until(lambda: (r := state.container("alpha")) and
                      r.playbook_path.endswith("renamed.yaml") and r, "path follows rename",
                      on_fail=why)
        assert moved.id == first.id and moved.status.value == "RUNNING"
        assert moved.last_error is None  # the note went with the fix
        assert sum("started alpha" in m for m in state.messages("alpha")) == 1

        (folder / "renamed.yaml").unlink()
        until(lambda: (r := state.container("alpha")) and r.status.value == "STOPPED",
              "alpha stopped", on_fail=why)
        assert_each_change_sent_once(state, agent, "alpha", ship)
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    state.close()


def test_new_invalid_file_is_reported_and_never_started(tmp_path: Path, agent: Agent,
                                                        db: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    state = State(db)
    with watcher(folder, db, agent, tmp_path / "watch.log") as proc:
        until(lambda: "expected vs recovered" in proc.output(), "watcher up")
        (folder / "bad.yaml").write_text(BROKEN.format(name="bad", ship=agent.ships[0]))
        until(lambda: "bad.yaml:4:" in proc.output(), "located error", on_fail=proc.output)
        assert any("bad.yaml:4:" in m for m in state.messages())
        assert state.container("bad") is None
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    state.close()


def test_sigterm_mid_run_then_restart_resumes_every_container(tmp_path: Path, agent: Agent,
                                                               db: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    names = ["one", "two"]
    sources = {n: patrol(n, ship, "first") for n, ship in zip(names, agent.ships, strict=True)}
    for name, source in sources.items():
        (folder / f"{name}.yaml").write_text(source)
    state = State(db)
    log = tmp_path / "watch.log"
    with watcher(folder, db, agent, log) as proc:
        for name in names:
            until(lambda n=name: "first tick 2" in state.messages(n), f"{name} iterating",
                  on_fail=proc.output)
        ids = {n: state.container(n).id for n in names}  # type: ignore[union-attr]
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    for name in names:
        record = state.container(name)
        assert record is not None and record.lease_owner is None  # leases released
        assert state.checkpoints(record.id) > 0
    log.write_text("")
    with watcher(folder, db, agent, log) as proc:
        report = until(lambda: "started" not in proc.output() and
                       proc.output().count("resumed from checkpoint") == 2 and proc.output(),
                       "both resumed in the start report", on_fail=proc.output)
        assert "one.yaml: db says one: " in report and "two.yaml: db says two: " in report
        for name in names:
            before = sum("tick" in m for m in state.messages(name))
            until(lambda n=name, b=before: sum("tick" in m for m in state.messages(n)) > b,
                  f"{name} ticking again", on_fail=proc.output)
            record = state.container(name)
            assert record is not None and record.id == ids[name]
            assert record.status.value == "RUNNING"
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    for name, ship in zip(names, agent.ships, strict=True):
        assert_each_change_sent_once(state, agent, name, ship)
    state.close()


def test_second_signal_exits_at_once_and_the_next_watcher_takes_over(
        tmp_path: Path, agent: Agent, db: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    ship = agent.ships[0]
    (folder / "solo.yaml").write_text(patrol("solo", ship, "before"))
    state = State(db)
    log = tmp_path / "watch.log"
    with watcher(folder, db, agent, log, "--lease-ttl", "4") as proc:
        until(lambda: "before tick 2" in state.messages("solo"), "solo iterating",
              on_fail=proc.output)
        # Two different signals: two of the same kind may merge into one while pending.
        proc.signal(signal.SIGINT)
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 130
    with state.store.engine.connect() as conn:  # the database is intact
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    record = state.container("solo")
    assert record is not None
    log.write_text("")
    (folder / "solo.yaml").write_text(patrol("solo", ship, "after"))  # edited while down
    with watcher(folder, db, agent, log) as proc:
        # The dead runner's lease is waited out if it has not expired yet (it is on this host
        # and its pid is gone; its ttl is 4 s), then the container resumes the version it
        # checkpointed and reloads the edit.
        until(lambda: "after tick" in "\n".join(state.messages("solo")), "solo resumed",
              on_fail=proc.output)
        report = proc.output()
        assert "solo.yaml: db says solo: " in report
        assert "will reload the new version at a safe point" in report
        assert state.container("solo").id == record.id  # type: ignore[union-attr]
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    assert_each_change_sent_once(state, agent, "solo", ship, journal_complete=False)
    state.close()


def test_second_playbook_for_a_held_ship_waits_until_the_first_is_deleted(
        tmp_path: Path, agent: Agent, db: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    ship = agent.ships[0]
    state = State(db)
    (folder / "first.yaml").write_text(patrol("first", ship, "one"))
    with watcher(folder, db, agent, tmp_path / "watch.log") as proc:
        until(lambda: state.running("first", patrol("first", ship, "one")), "first running",
              on_fail=proc.output)
        (folder / "second.yaml").write_text(patrol("second", ship, "two"))
        until(lambda: "second.yaml: not started" in proc.output(), "refusal",
              on_fail=proc.output)
        assert f"ship {ship} is held by container 'first'" in proc.output()
        assert state.container("second") is None
        (folder / "first.yaml").unlink()
        until(lambda: state.running("second", patrol("second", ship, "two")),
              "second takes the ship over", on_fail=proc.output)
        assert state.container("first").status.value == "STOPPED"  # type: ignore[union-attr]
        assert proc.output().count("second.yaml: not started") == 1
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    state.close()


ONCE = """\
name: once
ship: {ship}
steps:
  - orbit
  - log: "{tag} done"
  - dock
"""


def test_a_completed_playbook_runs_again_only_when_edited(tmp_path: Path, agent: Agent,
                                                          db: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    ship = agent.ships[1]
    state = State(db)
    (folder / "once.yaml").write_text(ONCE.format(ship=ship, tag="first"))
    with watcher(folder, db, agent, tmp_path / "watch.log") as proc:
        def completed(tag: str) -> bool:
            record = state.container("once")
            return bool(record and record.status.value == "COMPLETED"
                        and f"{tag} done" in state.messages("once"))

        until(lambda: completed("first"), "first version completed", on_fail=proc.output)
        (folder / "unrelated.yaml").write_text("this: [is not a playbook\n")  # a re-scan
        until(lambda: "unrelated.yaml" in proc.output(), "re-scan", on_fail=proc.output)
        assert state.container("once").status.value == "COMPLETED"  # type: ignore[union-attr]
        (folder / "once.yaml").write_text(ONCE.format(ship=ship, tag="second"))
        until(lambda: completed("second"), "second version completed", on_fail=proc.output)
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    actions = [e["path"].rsplit("/", 1)[-1] for e in ledger(agent.url, ship)
               if e["method"] == "POST"]
    assert actions == ["orbit", "dock", "orbit", "dock"]
    state.close()


@pytest.mark.postgres
def test_follow_and_resume_on_postgres(tmp_path: Path, agent: Agent, pg_db_url: str) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    ship = agent.ships[0]
    name = f"pgwatch-{uuid.uuid4().hex[:8]}"  # the Postgres database is shared
    v1, v2 = patrol(name, ship, "v1"), patrol(name, ship, "v2")
    (folder / "fleet.yaml").write_text(v1)
    state = State(pg_db_url)
    log = tmp_path / "watch.log"
    try:
        with watcher(folder, pg_db_url, agent, log) as proc:
            until(lambda: "v1 tick 1" in state.messages(name), "v1 ticking",
                  on_fail=proc.output)
            (folder / "fleet.yaml").write_text(v2)
            until(lambda: state.running(name, v2), "v2 running", on_fail=proc.output)
            proc.signal(signal.SIGTERM)
            assert proc.wait() == 0
        ticks = sum("tick" in m for m in state.messages(name))
        with watcher(folder, pg_db_url, agent, log) as proc:
            until(lambda: sum("tick" in m for m in state.messages(name)) > ticks,
                  "resumed on Postgres", on_fail=proc.output)
            assert "fleet.yaml: db says " in proc.output()
            assert "resumed from checkpoint" in proc.output()
            proc.signal(signal.SIGTERM)
            assert proc.wait() == 0
        assert_each_change_sent_once(state, agent, name, ship)
    finally:
        with state.store.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM containers WHERE name = :n"), {"n": name})
            conn.execute(sa.text("DELETE FROM logs WHERE container_id IS NULL "
                                 "AND message LIKE :m"), {"m": f"watch: %{folder}%"})
        state.close()


def stop_outside_a_write(proc: Watcher, db: Path) -> None:
    """SIGSTOP ``proc`` at a moment it holds no SQLite write lock. A process frozen inside a
    write transaction blocks every other writer of the file until it wakes: SQLite's own
    limit (several machines use Postgres), not the hang this test is about."""
    for _ in range(100):
        proc.signal(signal.SIGSTOP)
        probe = sqlite3.connect(db, timeout=0.2)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return
        except sqlite3.OperationalError:
            proc.signal(signal.SIGCONT)
            time.sleep(0.03)
        finally:
            probe.close()
    raise AssertionError("the first watcher always held the write lock")


def test_a_second_watcher_takes_over_from_one_that_stopped_renewing(
        tmp_path: Path, agent: Agent, db: Path) -> None:
    """The first watcher hangs (SIGSTOP: alive, but renewing nothing). The second reports
    the container as held, then takes it over once the lease lapses, and the first, woken
    up, is fenced off: no state change is sent twice."""
    folder = tmp_path / "playbooks"
    folder.mkdir()
    ship = agent.ships[0]
    (folder / "solo.yaml").write_text(patrol("solo", ship, "tick"))
    state = State(db)

    def ticks() -> int:
        return sum("tick tick" in m for m in state.messages("solo"))

    def holder() -> str | None:
        record = state.container("solo")
        return None if record is None else record.lease_owner

    with watcher(folder, db, agent, tmp_path / "a.log", "--lease-ttl", "4") as first:
        until(lambda: ticks() >= 2, "solo iterating", on_fail=first.output)
        stop_outside_a_write(first, db)
        with watcher(folder, db, agent, tmp_path / "b.log") as second:
            until(lambda: "could not recover" in second.output(), "held at start",
                  on_fail=second.output)
            until(lambda: "stopped renewing its lease" in second.output(), "taken over",
                  on_fail=second.output)
            me = re.search(r"\(runner (\S+), database", second.output())
            assert me is not None
            until(lambda: holder() == me[1],
                  "the second watcher holds the lease", on_fail=second.output)
            taken_at = ticks()
            until(lambda: ticks() >= taken_at + 2, "solo iterating under the second watcher",
                  on_fail=second.output)
            first.signal(signal.SIGCONT)  # wakes up fenced: its writes are refused
            until(lambda: "lost the lease" in "\n".join(state.messages("solo"))
                  or ticks() >= taken_at + 4, "runs on", on_fail=first.output)
            assert holder() == me[1]
            second.signal(signal.SIGTERM)
            assert second.wait() == 0
        first.signal(signal.SIGTERM)
        first.wait()
    assert_each_change_sent_once(state, agent, "solo", ship, journal_complete=False)
    state.close()
