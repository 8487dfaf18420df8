"""The container survives its Postgres going away (a real server behind a cuttable proxy).

``bench/db_outage.py``'s ``Proxy`` stands between the store and the shared Postgres; the cut
aborts every connection and refuses new ones, as a server that went down. The cut happens
right after a purchase was applied by the simulator and before its checkpoint is written:
the crucial case (the request must never be sent again, the checkpoint must land).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bench.db_outage import Proxy, pg_database
from runner.domain import commands as c
from runner.domain.status import ContainerStatus
from runner.runtime.game import GameApi
from runner.runtime.ports import Sent
from runner.state.store import Store
from tests.runtime.harness import Hooks, World, run_container
from tests.runtime.scripted import step

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BUY_AT_HQ = "EQUIPMENT"


@pytest.fixture
def world(pg_url: str, tmp_path: Path) -> Iterator[tuple[World, Proxy]]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    url = sa.make_url(pg_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    with pg_database() as dbname, \
            SimServer(SimConfig(seed=1, speed=200.0, rate_limit=None)) as server:
        data = httpx.post(f"{server.url}/register",
                          json={"symbol": "OUTAGE", "faction": "COSMIC"}, timeout=10
                          ).json()["data"]
        store = Store.open(url.set(port=proxy.listen_port, database=dbname)
                           .render_as_string(hide_password=False))
        ship = next(s for s in data["ships"] if s["registration"]["role"] == "COMMAND")
        yield World(server.url, data["token"], data["agent"]["symbol"], store,
                    ship["symbol"], ship["nav"]["waypointSymbol"]), proxy
        store.close()
    proxy.stop()


class CutsAfterFirstPurchase:
    """Sends for real; right after the first purchase is applied, cuts the database (and
    calls ``then``, by default restoring it, ``restore_after`` seconds later unless None)."""

    def __init__(self, game: GameApi, proxy: Proxy, restore_after: float | None,
                 then: Callable[[], None] | None = None) -> None:
        self.game, self.proxy, self.restore_after = game, proxy, restore_after
        self.then = then or (lambda: proxy.set_cut(False))
        self.sent_after_cut = 0
        self.cut = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def send(self, ship: Any, command: c.Command) -> Sent:
        if self.cut and self.proxy.cut:
            self.sent_after_cut += 1
        sent = await self.game.send(ship, command)
        if isinstance(command, c.Purchase) and not self.cut:
            self.cut = True
            self.proxy.set_cut(True)
            await asyncio.sleep(0.3)  # the cut is applied in the proxy's thread
            if self.restore_after is not None:
                threading.Timer(self.restore_after, self.then).start()
        return sent


def buys(world: World) -> list[Any]:
    return [step(0, "buy", symbol=BUY_AT_HQ, units=5, times=3),
            step(1, "log", message="bought")]


def test_checkpoint_of_an_applied_purchase_lands_after_the_outage(
        world: tuple[World, Proxy]) -> None:
    w, proxy = world
    wrappers: list[CutsAfterFirstPurchase] = []

    def wrap(game: GameApi) -> Any:
        if not wrappers:  # only the first executor cuts; a rebuilt one just sends
            wrappers.append(CutsAfterFirstPurchase(game, proxy, restore_after=3.0))
            return wrappers[0]
        return game

    view_lines: list[str] = []

    def keep_lines(executor: Any) -> None:  # the view keeps only its last few lines
        if not isinstance(executor.view.logs, list):
            executor.view.logs = view_lines

    hooks = Hooks(wrap_api=wrap, wrap_executor=keep_lines)
    outcome = asyncio.run(run_container(w, buys(w), hooks=hooks))
    assert outcome.status is ContainerStatus.COMPLETED, outcome
    assert w.count("/purchase") == 3  # the applied purchase was not sent again
    assert wrappers[0].sent_after_cut == 0  # nothing was sent while the database was away
    assert proxy.refused > 0  # the cut really refused the store's reconnections
    lines = [r.message for r in w.store.logs("c1", limit=None)]
    purchases = [m for m in lines if "urchase" in m or "bought" in m.lower()]
    assert len([m for m in purchases if m != "bought"]) == 3, lines  # no checkpoint lost
    assert not any("had been applied before the restart" in m for m in lines)
    assert any(m.startswith("database unreachable: ") for m in view_lines), view_lines
    assert any(m.startswith("database back after ") for m in view_lines), view_lines


def test_gives_up_with_one_line_after_the_limit(world: tuple[World, Proxy],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    w, proxy = world
    monkeypatch.setenv("ST_RUN_DB_OUTAGE_LIMIT", "2")
    wrappers: list[CutsAfterFirstPurchase] = []

    def wrap(game: GameApi) -> Any:
        wrappers.append(CutsAfterFirstPurchase(game, proxy, restore_after=None))
        return wrappers[-1]

    outcome = asyncio.run(run_container(w, buys(w), hooks=Hooks(wrap_api=wrap)))
    assert outcome.status is ContainerStatus.FAILED
    assert outcome.error is not None and outcome.error.startswith("database unreachable for 2 s")
    assert "\n" not in outcome.error
    assert w.count("/purchase") == 1  # nothing more was sent once the database was gone
    assert len(wrappers) == 1 and wrappers[0].sent_after_cut == 0


def test_a_lease_taken_during_the_outage_stops_the_container(
        world: tuple[World, Proxy], pg_url: str) -> None:
    """Another runner takes the container while our database connection is cut: after the
    outage our renewal finds the lease gone and the container stops, sending nothing more."""
    w, proxy = world
    direct = sa.create_engine(sa.make_url(pg_url).set(
        database=w.store.engine.url.database))
    wrappers: list[CutsAfterFirstPurchase] = []

    def take_then_restore() -> None:
        with direct.begin() as conn:  # not through the proxy: the other runner's database
            conn.execute(sa.text("UPDATE containers SET lease_owner = 'other-runner', "
                                 "lease_version = lease_version + 1"))
        proxy.set_cut(False)

    def wrap(game: GameApi) -> Any:
        wrappers.append(CutsAfterFirstPurchase(game, proxy, 1.5, take_then_restore))
        return wrappers[-1]

    try:
        outcome = asyncio.run(run_container(w, buys(w), hooks=Hooks(wrap_api=wrap)))
    finally:
        direct.dispose()
    assert outcome.lost and outcome.status is None
    assert w.count("/purchase") == 1
    assert len(wrappers) == 1 and wrappers[0].sent_after_cut == 0
    assert w.store.require_container("c1").lease_owner == "other-runner"
