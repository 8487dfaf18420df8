"""The ``runners`` table (issue 19, several runners on one database): heartbeats, who is
live, containers held, leaving; and on Postgres the hand-over notification a peer hears."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from runner.state.runners import Runners
from runner.state.store import Store
from runner.watch.peers import Peers
from tests.state.conftest import Clock


def test_a_runner_is_live_while_it_beats_and_gone_when_it_leaves(store: Store,
                                                                  clock: Clock) -> None:
    runners = Runners(store.engine, clock)
    runners.beat("h:1:a", "h", 1, ttl_s=10)
    runners.beat("h:2:b", "h", 2, ttl_s=10)
    assert runners.live() == {"h:1:a", "h:2:b"}
    clock.advance(8)
    runners.beat("h:1:a", "h", 1, ttl_s=10)  # a beats, b does not
    clock.advance(3)
    assert runners.live() == {"h:1:a"}
    rows = {r.owner: r for r in runners.list()}
    assert rows["h:2:b"].live is False and rows["h:1:a"].live is True
    assert rows["h:1:a"].heartbeat_at == clock.now - timedelta(seconds=3)
    assert rows["h:1:a"].expires_at == rows["h:1:a"].heartbeat_at + timedelta(seconds=10)
    runners.leave("h:1:a")
    assert runners.live() == set()
    assert [r.owner for r in runners.list()] == ["h:2:b"]  # lapsed, shown until forgotten
    clock.advance(3600)
    runners.beat("h:3:c", "h", 3, ttl_s=10)  # housekeeping: b lapsed an hour ago
    assert [r.owner for r in runners.list()] == ["h:3:c"]


def test_holds_counts_the_unexpired_leases_of_each_runner(store: Store, clock: Clock) -> None:
    runners = Runners(store.engine, clock)
    runners.beat("h:1:a", "h", 1, ttl_s=10)
    for name in ("one", "two", "three"):
        record = store.upsert_container(name, f"{name}.yaml", "h", name.upper(), "AGENT")
        assert store.claim(record.id, "h:1:a" if name != "three" else "h:9:z", 5)
    rows = {r.owner: r for r in runners.list()}
    assert rows["h:1:a"].holds == 2 and "h:9:z" not in rows  # z never registered
    clock.advance(6)  # every lease lapsed; a still beats
    runners.beat("h:1:a", "h", 1, ttl_s=10)
    assert runners.list()[0].holds == 0


@pytest.mark.postgres
def test_a_peer_hears_a_runner_leave_at_once(pg_db_url: str) -> None:
    """Leaving notifies (Postgres): a waiting peer wakes without polling, and reads the
    row already gone; a runner's own notification does not count as a peer's."""
    async def scenario() -> None:
        store = Store.open(pg_db_url)
        try:
            listener = Peers(store, "h:1:listener", 30)
            leaver = Peers(store, "h:2:leaver", 30)
            async with listener:
                await asyncio.wait_for(listener.listening.wait(), 10)
                async with leaver:
                    assert listener.alive("h:2:leaver")
                    changed = listener.changed()
                    assert not changed.is_set()
                await asyncio.wait_for(changed.wait(), 10)
                assert listener.heard == 1
                assert not listener.alive("h:2:leaver")
                assert not listener.alive("h:1:listener")  # itself: never a peer
        finally:
            store.close()

    asyncio.run(scenario())
