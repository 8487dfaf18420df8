"""plan_recovery(): expected vs recovered at start, as a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from runner.domain.status import ContainerStatus as S
from runner.watch.reconcile import DesiredFile, Managed, Reject, Rename, Replace, Start, Stop
from runner.watch.recovery import Did, Remembered, plan_recovery

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ME = "watcher-1"


def rec(path: str, digest: str, status: S, *, cid: str = "", checkpointed: bool = True,
        owner: str | None = None, expires: datetime | None = None) -> Remembered:
    return Remembered(cid or f"id-{path}", path.removesuffix(".yaml"), path, digest, status,
                      step="steps[2]" if checkpointed else None, checkpointed=checkpointed,
                      lease_owner=owner, lease_expires_at=expires)


def ok(path: str, digest: str) -> DesiredFile:
    return DesiredFile(path, digest)


def dids(plan_report: tuple) -> dict[str, Did]:  # type: ignore[type-arg]
    return {line.path: line.did for line in plan_report}


def test_active_containers_resume_and_finished_ones_are_left() -> None:
    remembered = [rec("run.yaml", "h1", S.RUNNING), rec("back.yaml", "h2", S.BACKOFF),
                  rec("fresh.yaml", "h3", S.PENDING, checkpointed=False),
                  rec("done.yaml", "h4", S.COMPLETED), rec("halt.yaml", "h5", S.STOPPED),
                  rec("bad.yaml", "h6", S.FAILED)]
    desired = {r.path: ok(r.path, r.digest) for r in remembered}
    plan = plan_recovery(desired, remembered, ME, NOW)
    assert [r.path for r in plan.resume] == ["run.yaml", "back.yaml", "fresh.yaml"]
    assert plan.actions == ()
    assert set(plan.managed) == {r.container for r in remembered}
    assert dids(plan.report) == {
        "run.yaml": Did.RESUMED, "back.yaml": Did.RESUMED, "fresh.yaml": Did.RESTARTED,
        "done.yaml": Did.LEFT, "halt.yaml": Did.LEFT, "bad.yaml": Did.LEFT}


def test_new_files_start_and_invalid_ones_are_reported() -> None:
    desired = {"new.yaml": ok("new.yaml", "h1"),
               "broken.yaml": DesiredFile("broken.yaml", "h2", "broken.yaml:4:3: bad")}
    plan = plan_recovery(desired, [], ME, NOW)
    assert plan.actions == (Reject("broken.yaml", "h2", "broken.yaml:4:3: bad", None),
                            Start("new.yaml", "h1"))
    lines = {line.path: line for line in plan.report}
    assert lines["new.yaml"].did is Did.STARTED
    assert lines["broken.yaml"].did is Did.INVALID
    assert "broken.yaml:4:3: bad" in str(lines["broken.yaml"])


def test_changed_while_down_resumes_the_checkpointed_version_then_reloads() -> None:
    remembered = [rec("a.yaml", "old", S.RUNNING)]
    plan = plan_recovery({"a.yaml": ok("a.yaml", "new")}, remembered, ME, NOW)
    assert plan.resume == (remembered[0],)
    assert plan.actions == (Replace("id-a.yaml", "a.yaml", "old", "new"),)
    line = plan.report[0]
    assert line.did is Did.RELOAD and "resumed from checkpoint first" in line.reason


def test_broken_while_down_resumes_the_old_version_and_reports() -> None:
    remembered = [rec("a.yaml", "old", S.RUNNING)]
    desired = {"a.yaml": DesiredFile("a.yaml", "new", "a.yaml:1:1: oops")}
    plan = plan_recovery(desired, remembered, ME, NOW)
    assert plan.resume == (remembered[0],)
    assert plan.actions == (Reject("a.yaml", "new", "a.yaml:1:1: oops", "id-a.yaml"),)
    assert plan.report[0].did is Did.RESUMED and "a.yaml:1:1: oops" in plan.report[0].reason


def test_deleted_while_down_is_stopped_not_resumed() -> None:
    remembered = [rec("gone.yaml", "h1", S.RUNNING)]
    plan = plan_recovery({}, remembered, ME, NOW)
    assert plan.resume == ()
    assert plan.actions == (Stop("id-gone.yaml", "gone.yaml"),)
    assert plan.report[0].did is Did.STOPPED


def test_renamed_while_down_resumes_the_same_container() -> None:
    remembered = [rec("a.yaml", "h1", S.RUNNING)]
    plan = plan_recovery({"b.yaml": ok("b.yaml", "h1")}, remembered, ME, NOW)
    assert plan.resume == (remembered[0],)
    assert plan.actions == (Rename("id-a.yaml", "a.yaml", "b.yaml"),)
    assert plan.report[0].path == "b.yaml" and plan.report[0].did is Did.RENAMED


def test_lease_held_by_another_live_runner_is_not_recovered() -> None:
    held = rec("a.yaml", "h1", S.RUNNING, owner="other", expires=NOW + timedelta(seconds=20))
    expired = rec("b.yaml", "h2", S.RUNNING, owner="dead", expires=NOW - timedelta(seconds=1))
    mine = rec("c.yaml", "h3", S.RUNNING, owner=ME, expires=NOW + timedelta(seconds=20))
    desired = {r.path: ok(r.path, r.digest) for r in (held, expired, mine)}
    plan = plan_recovery(desired, [held, expired, mine], ME, NOW)
    assert [r.path for r in plan.resume] == ["b.yaml", "c.yaml"]
    assert plan.actions == ()  # no second container started for a.yaml
    assert plan.foreign == {"a.yaml"}
    line = next(line for line in plan.report if line.path == "a.yaml")
    assert line.did is Did.NOT_RECOVERED and "runner other holds its lease" in line.reason


def test_every_playbook_and_every_record_gets_exactly_one_line() -> None:
    remembered = [rec("a.yaml", "h1", S.RUNNING), rec("gone.yaml", "h2", S.COMPLETED)]
    desired = {"a.yaml": ok("a.yaml", "h1"), "b.yaml": ok("b.yaml", "h3")}
    plan = plan_recovery(desired, remembered, ME, NOW)
    assert [(line.path, line.did) for line in plan.report] == [
        ("a.yaml", Did.RESUMED), ("b.yaml", Did.STARTED), ("gone.yaml", Did.LEFT)]
    assert "its file is gone" in str(plan.report[2])
    assert plan.managed == {"id-a.yaml": Managed("id-a.yaml", "a.yaml", "h1"),
                            "id-gone.yaml": Managed("id-gone.yaml", "gone.yaml", "h2")}


def test_a_container_a_server_reset_stopped_runs_again_from_the_top() -> None:
    """A reset dropped its progress and noted why: started again (it is not a user's stop),
    and its line names the reset instead of a shutdown."""
    from dataclasses import replace

    from runner.domain.reset import OLD_UNIVERSE_NOTE

    memory = replace(rec("old.yaml", "h1", S.STOPPED, checkpointed=False),
                     stopped_by_watcher=True, last_error=f"{OLD_UNIVERSE_NOTE} (noticed)")
    plan = plan_recovery({"old.yaml": ok("old.yaml", "h1")}, [memory], ME, NOW)
    assert [r.path for r in plan.resume] == ["old.yaml"]
    assert dids(plan.report) == {"old.yaml": Did.RESTARTED}
    assert "STOPPED by a server reset" in memory.describe()
