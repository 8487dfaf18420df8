"""Cargo reservations (issue 18): room in a ship's hold promised to one container, seen by
every other container on the store, and released with the holder's lease."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from runner.state.models import cargo_reservations
from runner.state.records import Lease
from runner.state.reservations import CargoReservations
from runner.state.store import Store
from tests.state.conftest import Clock


def holder(store: Store, name: str, ttl_s: float = 30) -> Lease:
    record = store.upsert_container(name, f"pb/{name}.yaml", "h", f"SHIP-{name}", "AGENT")
    lease = store.claim(record.id, f"runner-{name}", ttl_s=ttl_s)
    assert lease is not None
    return lease


def rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count())
                                .select_from(cargo_reservations)).scalar_one())


def test_a_reservation_is_seen_by_the_others_not_by_its_holder(store: Store) -> None:
    a, b = (CargoReservations(store, holder(store, n)) for n in ("a", "b"))
    assert a.reserve("HAULER-1", 10) == 0
    assert b.reserve("HAULER-1", 5) == 10
    assert a.reserved_by_others("HAULER-1") == 5
    assert a.reserve("HAULER-1", 12) == 5  # replaces its own, still sees b's
    assert b.reserved_by_others("HAULER-1") == 12
    assert b.reserved_by_others("HAULER-2") == 0


def test_release_drops_only_the_holders_reservations(store: Store) -> None:
    a, b = (CargoReservations(store, holder(store, n)) for n in ("a", "b"))
    a.reserve("HAULER-1", 10)
    a.reserve("HAULER-2", 3)
    b.reserve("HAULER-1", 5)
    a.release()
    assert b.reserved_by_others("HAULER-1") == 0
    assert a.reserved_by_others("HAULER-1") == 5
    assert rows(store) == 1


def test_a_dead_holders_reservation_lapses_with_its_lease(store: Store, clock: Clock) -> None:
    dead = CargoReservations(store, holder(store, "dead", ttl_s=5))
    other = CargoReservations(store, holder(store, "other", ttl_s=60))
    dead.reserve("HAULER-1", 10)
    clock.advance(4)
    assert other.reserved_by_others("HAULER-1") == 10
    clock.advance(2)  # no heartbeat: the lease expired, the reservation no longer counts
    assert other.reserved_by_others("HAULER-1") == 0
    assert other.reserve("HAULER-1", 10) == 0


def test_a_new_holder_of_the_container_voids_the_old_reservation(store: Store,
                                                                 clock: Clock) -> None:
    old = holder(store, "drone", ttl_s=30)
    CargoReservations(store, old).reserve("HAULER-1", 10)
    other = CargoReservations(store, holder(store, "other"))
    assert other.reserved_by_others("HAULER-1") == 10
    store.release(old)  # the runner stopped; another claims the container (a new version)
    new = store.claim(old.container_id, "runner-new", ttl_s=30)
    assert new is not None and new.version > old.version
    assert other.reserved_by_others("HAULER-1") == 0
    CargoReservations(store, new).release()  # what the resumed executor does first
    assert rows(store) == 0


def test_racing_holders_see_each_other(store: Store) -> None:
    """Reservations of one target are serialised: of any two, the later sees the earlier."""
    holders = [CargoReservations(store, holder(store, f"d{i}")) for i in range(6)]
    seen: dict[int, int] = {}
    start = threading.Barrier(len(holders))

    def reserve(i: int) -> None:
        start.wait()
        seen[i] = holders[i].reserve("HAULER-1", 10)

    threads = [threading.Thread(target=reserve, args=(i,)) for i in range(len(holders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen.values()) == [0, 10, 20, 30, 40, 50]


def test_a_zombie_holder_never_drops_the_new_holders_reservation(store: Store) -> None:
    old = holder(store, "drone", ttl_s=30)
    store.release(old)
    new = store.claim(old.container_id, "runner-new", ttl_s=30)
    assert new is not None
    CargoReservations(store, new).reserve("HAULER-1", 10)
    CargoReservations(store, old).release()  # the old runner, late, cleans up after itself
    other = CargoReservations(store, holder(store, "other"))
    assert other.reserved_by_others("HAULER-1") == 10
