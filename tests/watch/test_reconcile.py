"""reconcile(): the fleet follows the folder, as a table of cases."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runner.watch.reconcile import (
    DesiredFile,
    Managed,
    Reject,
    Rename,
    Replace,
    Start,
    Stop,
    reconcile,
)


def ok(path: str, digest: str) -> DesiredFile:
    return DesiredFile(path, digest)


def bad(path: str, digest: str, error: str = "boom") -> DesiredFile:
    return DesiredFile(path, digest, f"{path}:3:5: {error}")


def files(*items: DesiredFile) -> dict[str, DesiredFile]:
    return {f.path: f for f in items}


def fleet(*items: Managed) -> dict[str, Managed]:
    return {m.container: m for m in items}


def test_empty_is_nothing() -> None:
    assert reconcile({}, {}) == []


def test_new_valid_file_starts() -> None:
    assert reconcile(files(ok("a.yaml", "h1")), {}) == [Start("a.yaml", "h1")]


def test_new_invalid_file_is_rejected_without_container() -> None:
    assert reconcile(files(bad("a.yaml", "h1")), {}) == [
        Reject("a.yaml", "h1", "a.yaml:3:5: boom", None)]


def test_unchanged_file_is_nothing() -> None:
    assert reconcile(files(ok("a.yaml", "h1")), fleet(Managed("c1", "a.yaml", "h1"))) == []


def test_changed_valid_file_is_replaced() -> None:
    assert reconcile(files(ok("a.yaml", "h2")), fleet(Managed("c1", "a.yaml", "h1"))) == [
        Replace("c1", "a.yaml", "h1", "h2")]


def test_changed_invalid_file_keeps_old_running_and_reports() -> None:
    assert reconcile(files(bad("a.yaml", "h2")), fleet(Managed("c1", "a.yaml", "h1"))) == [
        Reject("a.yaml", "h2", "a.yaml:3:5: boom", "c1")]


def test_known_error_is_not_reported_twice() -> None:
    desired = files(bad("a.yaml", "h2"), bad("b.yaml", "h3"))
    running = fleet(Managed("c1", "a.yaml", "h1"))
    assert reconcile(desired, running, {"a.yaml": "h2", "b.yaml": "h3"}) == []
    # a different bad version is a new error
    assert reconcile(files(bad("a.yaml", "h4")), running, {"a.yaml": "h2"}) == [
        Reject("a.yaml", "h4", "a.yaml:3:5: boom", "c1")]


def test_fixing_a_bad_edit_back_to_the_running_version_is_nothing() -> None:
    assert reconcile(files(ok("a.yaml", "h1")), fleet(Managed("c1", "a.yaml", "h1")),
                     {"a.yaml": "h2"}) == []


def test_deleted_file_stops() -> None:
    assert reconcile({}, fleet(Managed("c1", "a.yaml", "h1"))) == [Stop("c1", "a.yaml")]


def test_rename_with_same_content_keeps_the_container() -> None:
    assert reconcile(files(ok("b.yaml", "h1")), fleet(Managed("c1", "a.yaml", "h1"))) == [
        Rename("c1", "a.yaml", "b.yaml")]


def test_rename_with_changed_content_is_stop_and_start() -> None:
    assert reconcile(files(ok("b.yaml", "h2")), fleet(Managed("c1", "a.yaml", "h1"))) == [
        Stop("c1", "a.yaml"), Start("b.yaml", "h2")]


def test_rename_never_steals_a_path_another_container_runs() -> None:
    # c1's file was deleted; b.yaml has c1's content but c2 runs b.yaml (it was edited to it)
    running = fleet(Managed("c1", "a.yaml", "h1"), Managed("c2", "b.yaml", "h2"))
    assert reconcile(files(ok("b.yaml", "h1")), running) == [
        Stop("c1", "a.yaml"), Replace("c2", "b.yaml", "h2", "h1")]


def test_two_renamed_copies_pair_up_deterministically() -> None:
    running = fleet(Managed("c1", "a.yaml", "h1"), Managed("c2", "b.yaml", "h1"))
    assert reconcile(files(ok("x/a.yaml", "h1"), ok("x/b.yaml", "h1")), running) == [
        Rename("c1", "a.yaml", "x/a.yaml"), Rename("c2", "b.yaml", "x/b.yaml")]


def test_copy_of_a_running_file_starts_a_second_container() -> None:
    running = fleet(Managed("c1", "a.yaml", "h1"))
    assert reconcile(files(ok("a.yaml", "h1"), ok("b.yaml", "h1")), running) == [
        Start("b.yaml", "h1")]


def test_rename_to_an_invalid_target_is_not_a_rename() -> None:
    running = fleet(Managed("c1", "a.yaml", "h1"))
    assert reconcile(files(bad("b.yaml", "h1")), running) == [
        Stop("c1", "a.yaml"), Reject("b.yaml", "h1", "b.yaml:3:5: boom", None)]


def test_git_pull_mix_orders_stops_then_renames_then_changes() -> None:
    running = fleet(Managed("c1", "gone.yaml", "h1"), Managed("c2", "moved.yaml", "h2"),
                    Managed("c3", "edit.yaml", "h3"), Managed("c4", "same.yaml", "h4"))
    desired = files(ok("new/moved.yaml", "h2"), ok("edit.yaml", "h3b"), ok("same.yaml", "h4"),
                    ok("added.yaml", "h5"), bad("broken.yaml", "h6"))
    assert reconcile(desired, running) == [
        Stop("c1", "gone.yaml"),
        Rename("c2", "moved.yaml", "new/moved.yaml"),
        Start("added.yaml", "h5"),
        Reject("broken.yaml", "h6", "broken.yaml:3:5: boom", None),
        Replace("c3", "edit.yaml", "h3", "h3b"),
    ]


# -- properties: applying the actions makes the fleet follow the folder, and is idempotent --

PATHS = st.sampled_from([f"p{i}.yaml" for i in range(6)])
DIGESTS = st.sampled_from(["h1", "h2", "h3", "h4"])


@st.composite
def worlds(draw: st.DrawFn) -> tuple[dict[str, DesiredFile], dict[str, Managed]]:
    desired = {}
    for path in draw(st.sets(PATHS, max_size=6)):
        error = f"{path}:1:1: bad" if draw(st.booleans()) and draw(st.booleans()) else None
        desired[path] = DesiredFile(path, draw(DIGESTS), error)
    running = {}
    for i, path in enumerate(sorted(draw(st.sets(PATHS, max_size=6)))):
        running[f"c{i}"] = Managed(f"c{i}", path, draw(DIGESTS))
    return desired, running


def apply(running: dict[str, Managed], actions: list[Any]
          ) -> tuple[dict[str, Managed], dict[str, str]]:
    fleet, known, fresh = dict(running), dict[str, str](), 0
    for action in actions:
        match action:
            case Stop(container, _):
                del fleet[container]
            case Rename(container, _, new_path):
                fleet[container] = Managed(container, new_path, fleet[container].digest)
            case Replace(container, path, _, digest):
                fleet[container] = Managed(container, path, digest)
            case Start(path, digest):
                fresh += 1
                fleet[f"new{fresh}"] = Managed(f"new{fresh}", path, digest)
            case Reject(path, digest, _, _):
                known[path] = digest
    return fleet, known


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_the_fleet_follows_the_folder(world: tuple[dict[str, DesiredFile], dict[str, Managed]]
                                      ) -> None:
    desired, running = world
    actions = reconcile(desired, running)
    fleet, known = apply(running, actions)
    by_path = {m.path: m for m in fleet.values()}
    assert len(by_path) == len(fleet)  # one container per path
    for path, file in desired.items():
        if file.valid:
            assert by_path[path].digest == file.digest  # every valid file runs, as it is
        elif path in by_path and by_path[path].digest != file.digest:
            assert known[path] == file.digest  # an invalid edit is reported, old one runs
    assert set(by_path) <= set(desired)  # nothing runs for a deleted file
    assert reconcile(desired, fleet, known) == []  # idempotent


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_no_container_is_touched_twice(world: tuple[dict[str, DesiredFile],
                                                    dict[str, Managed]]) -> None:
    desired, running = world
    touched = [getattr(a, "container", None) for a in reconcile(desired, running)
               if not isinstance(a, Reject)]
    touched = [c for c in touched if c is not None]
    assert len(touched) == len(set(touched))
