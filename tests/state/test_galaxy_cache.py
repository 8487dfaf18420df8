"""The galaxy cache: one row per system, one fetch time, replaced as a whole."""

from __future__ import annotations

from runner.domain.galaxy import Galaxy, GalaxySystem
from runner.state.store import Store
from tests.state.conftest import Clock

GALAXY = Galaxy.of([
    GalaxySystem("X1-A", 0, 0, "X1-A-I1", True, ("X1-B-I1",), "X1-A-A1", 5100),
    GalaxySystem("X1-B", 900, -40, "X1-B-I1", False, ("X1-A-I1",)),
    GalaxySystem("X1-C", -5, 7),
])


def test_galaxy_round_trip_with_its_fetch_time(store: Store, clock: Clock) -> None:
    assert store.cached_galaxy() is None
    store.cache_galaxy(GALAXY)
    found = store.cached_galaxy()
    assert found is not None
    assert found.fetched_at == clock.now
    assert sorted(found.systems.items()) == sorted(GALAXY.systems.items())
    clock.advance(90)
    assert found.age_s(clock.now) == 90


def test_galaxy_is_replaced_not_merged(store: Store, clock: Clock) -> None:
    store.cache_galaxy(GALAXY)
    clock.advance(60)
    store.cache_galaxy(Galaxy.of([GalaxySystem("X1-D", 1, 1)], clock.now))
    found = store.cached_galaxy()
    assert found is not None
    assert list(found.systems) == ["X1-D"] and found.fetched_at == clock.now
