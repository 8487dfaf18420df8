"""Containers: declaring, snapshots for resume, listing, ship holders, status, stop requests."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from runner.domain.status import ContainerStatus
from runner.state.store import ContainerBusy, LeaseLost, Store, UnknownContainer
from tests.state.conftest import Clock

S = ContainerStatus


def declare(store: Store, name: str = "ore", ship: str = "SHIP-1", content_hash: str = "h1",
            text: str = "v1", **kwargs: object):  # type: ignore[no-untyped-def]
    return store.upsert_container(name, f"pb/{name}.yaml", content_hash, ship, "AGENT",
                                  source_text=text, **kwargs)  # type: ignore[arg-type]


def test_new_container_is_pending_with_its_snapshot(store: Store, clock: Clock) -> None:
    rec = store.upsert_container("ore", "pb/ore.yaml", "abc", "SHIP-1", "AGENT",
                                 git_revision="f" * 40, source_text="steps: []")
    assert rec.status is S.PENDING
    assert (rec.name, rec.playbook_path, rec.content_hash, rec.git_revision, rec.source_text) == (
        "ore", "pb/ore.yaml", "abc", "f" * 40, "steps: []")
    assert (rec.restarts, rec.iterations, rec.lease_version, rec.stop_requested) == (0, 0, 0,
                                                                                       False)
    assert rec.created_at == rec.updated_at == clock.now


def test_snapshot_is_replaced_until_the_first_checkpoint(store: Store) -> None:
    first = declare(store, content_hash="h1", text="v1")
    assert declare(store, content_hash="h2", text="v2").source_text == "v2"
    lease = store.claim(first.id, "r", 30)
    assert lease is not None
    store.checkpoint(lease, "steps[0]", 0, {})
    resumed = declare(store, content_hash="h3", text="v3", ship="SHIP-2")
    assert (resumed.content_hash, resumed.source_text) == ("h2", "v2")  # the started version
    assert resumed.ship == "SHIP-2"
    assert resumed.id == first.id


def test_fresh_resets_progress_and_replaces_snapshot(store: Store) -> None:
    rec = declare(store)
    lease = store.claim(rec.id, "r", 30)
    assert lease is not None
    store.checkpoint(lease, "steps[0]", 0, {})
    store.release(lease)
    fresh = declare(store, content_hash="h9", text="v9", fresh=True)
    assert (fresh.content_hash, fresh.source_text, fresh.step_path) == ("h9", "v9", None)
    assert store.last_checkpoint(rec.id) is None


def test_completed_container_starts_over_when_declared_again(store: Store) -> None:
    rec = declare(store)
    lease = store.claim(rec.id, "r", 30)
    assert lease is not None
    store.checkpoint(lease, "steps[5]", 0, {})
    store.set_status(lease, S.COMPLETED)
    again = declare(store, content_hash="h2", text="v2")
    assert (again.status, again.content_hash, again.step_path) == (S.PENDING, "h2", None)
    assert store.last_checkpoint(rec.id) is None


def test_get_by_name_or_id(store: Store) -> None:
    rec = declare(store)
    assert store.get_container("ore") == rec
    assert store.get_container(rec.id) == rec
    assert store.get_container(str(rec.id)) == rec
    assert store.get_container("nope") is None
    with pytest.raises(UnknownContainer, match="'nope'"):
        store.require_container("nope")


def test_list_active_by_default(store: Store) -> None:
    for name, status in [("a", S.PENDING), ("b", S.RUNNING), ("c", S.BACKOFF), ("d", S.PARKED),
                         ("e", S.COMPLETED), ("f", S.FAILED), ("g", S.STOPPED)]:
        rec = declare(store, name, ship=f"SHIP-{name}")
        store.set_status(rec.id, status)
    assert [r.name for r in store.list_containers()] == ["a", "b", "c", "d"]
    assert [r.name for r in store.list_containers(all=True)] == list("abcdefg")


def test_ship_holder_is_the_active_container_of_that_ship(store: Store) -> None:
    done = declare(store, "old", ship="SHIP-1")
    store.set_status(done.id, S.COMPLETED)
    assert store.ship_holder("SHIP-1", "AGENT") is None
    holder = declare(store, "new", ship="SHIP-1")
    found = store.ship_holder("SHIP-1", "AGENT")
    assert found is not None and found.id == holder.id
    assert store.ship_holder("SHIP-1", "OTHER-AGENT") is None
    assert store.ship_holder("SHIP-2", "AGENT") is None


def test_status_transitions_stamp_times(store: Store, clock: Clock) -> None:
    rec = declare(store)
    retry = clock.now + timedelta(seconds=40)
    backoff = store.set_status(rec.id, S.BACKOFF, restarts=2, next_restart_at=retry,
                               error="4000 cooldown")
    assert (backoff.restarts, backoff.next_restart_at, backoff.last_error) == (
        2, retry, "4000 cooldown")
    clock.advance(40)
    running = store.set_status(rec.id, S.RUNNING, step_path="steps[1]")
    assert (running.started_at, running.next_restart_at, running.finished_at) == (
        clock.now, None, None)
    assert (running.restarts, running.last_error, running.step_path) == (
        2, "4000 cooldown", "steps[1]")
    started = running.started_at
    clock.advance(5)
    again = store.set_status(rec.id, S.RUNNING, iterations=3)
    assert again.started_at == started and again.iterations == 3  # still the same run
    clock.advance(5)
    failed = store.set_status(rec.id, S.FAILED, error=None)
    assert (failed.finished_at, failed.last_error) == (clock.now, None)


def test_stop_request_is_seen_and_cleared_by_stopping(store: Store) -> None:
    rec = declare(store)
    assert store.claim(rec.id, "runner-a", 30) is not None
    assert store.stop_requested(rec.id) is False
    asked = store.request_stop("ore")
    assert asked.stop_requested and store.stop_requested(rec.id)
    stopped = store.set_status(rec.id, S.STOPPED)
    assert not stopped.stop_requested and stopped.status is S.STOPPED


def test_stop_of_a_finished_container_changes_nothing(store: Store) -> None:
    rec = declare(store)
    store.set_status(rec.id, S.COMPLETED)
    assert store.request_stop(rec.id).stop_requested is False


def test_stop_of_unknown_container(store: Store) -> None:
    with pytest.raises(UnknownContainer):
        store.request_stop("ghost")


def test_stop_of_an_orphaned_container_stops_it_at_once(store: Store, clock: Clock) -> None:
    """Its runner died (lease expired): nobody would honour a request, so it stops now."""
    rec = declare(store)
    lease = store.claim(rec.id, "dead-runner", 30)
    assert lease is not None
    store.set_status(lease, S.BACKOFF, next_restart_at=clock.now + timedelta(seconds=60))
    clock.advance(31)
    stopped = store.request_stop("ore")
    assert (stopped.status, stopped.stop_requested, stopped.finished_at) == (
        S.STOPPED, False, clock.now)
    assert stopped.lease_owner is None and stopped.next_restart_at is None
    with pytest.raises(LeaseLost):
        store.checkpoint(lease, "steps[0]", 0, {})


def test_stop_of_a_never_claimed_container(store: Store) -> None:
    assert store.request_stop(declare(store).id).status is S.STOPPED


def test_replace_snapshot_keeps_checkpoints(store: Store) -> None:
    rec = declare(store, content_hash="h1", text="v1")
    lease = store.claim(rec.id, "r", 30)
    assert lease is not None
    store.checkpoint(lease, "steps[2]", 0, {"x": 1})
    new = store.replace_snapshot(lease, "h2", "v2", "a" * 40, "pb/moved.yaml")
    assert (new.content_hash, new.source_text, new.git_revision, new.playbook_path) == (
        "h2", "v2", "a" * 40, "pb/moved.yaml")
    assert store.last_checkpoint(rec.id) is not None


def test_fresh_is_refused_while_another_runner_holds_the_lease(store: Store,
                                                               clock: Clock) -> None:
    rec = declare(store)
    lease = store.claim(rec.id, "runner-a", 30)
    assert lease is not None
    store.checkpoint(lease, "steps[1]", 0, {})
    with pytest.raises(ContainerBusy, match="runner-a"):
        declare(store, fresh=True)
    assert store.last_checkpoint(rec.id) is not None
    clock.advance(31)  # runner-a stalled: its lease expired
    declare(store, fresh=True)
    assert store.last_checkpoint(rec.id) is None
    with pytest.raises(LeaseLost):  # the stalled runner cannot add to the new run
        store.checkpoint(lease, "steps[2]", 0, {})


def test_concurrent_declarations_of_one_name_agree(db_url: str) -> None:
    """Runners started together declare the same container: one row, same id for all."""
    stores = [Store.open(db_url) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    ids: list[int] = []
    errors: list[BaseException] = []

    def declare_it(s: Store) -> None:
        barrier.wait()
        try:
            ids.append(s.upsert_container("shared", "p.yaml", "h", "SHIP-1", "AGENT").id)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=declare_it, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(ids) == 6 and len(set(ids)) == 1
    assert [r.name for r in stores[0].list_containers(all=True)] == ["shared"]
    for s in stores:
        s.close()


def test_end_universe_drops_progress_and_notes_why(store: Store) -> None:
    """A run from before a server reset is not resumed in the new universe: STOPPED, no
    checkpoint, its note as last error and log line; declaring it again starts it over."""
    rec = declare(store)
    lease = store.claim(rec.id, "r", 30)
    assert lease is not None
    store.checkpoint(lease, "steps[0]", 0, {})
    store.release(lease)
    assert store.end_universe(rec.id, "universe reset: old")
    ended = store.require_container(rec.id)
    assert (ended.status, ended.last_error, ended.step_path) == (S.STOPPED, "universe reset: old",
                                                                 None)
    assert store.last_checkpoint(rec.id) is None and not store.has_checkpoint(rec.id)
    assert store.logs(rec.id, limit=1)[-1].message == "universe reset: old"
    assert store.claim(rec.id, "r2", 30) is not None  # the old lease's holder is fenced off


def test_end_universe_leaves_a_container_another_runner_drives(store: Store) -> None:
    rec = declare(store)
    lease = store.claim(rec.id, "other-runner", 30)
    assert lease is not None
    store.set_status(lease, S.RUNNING)
    store.checkpoint(lease, "steps[0]", 0, {})
    assert not store.end_universe(rec.id, "universe reset: old")
    assert store.has_checkpoint(rec.id)
    assert not store.end_universe(10_000, "no such container")
