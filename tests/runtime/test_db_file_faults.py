"""The SQLite file deleted or replaced mid-run, and a full disk: the container holds as
during a database outage (nothing more is sent) instead of writing into the void.

A real simulator, client and SQLite file; the fault strikes right after a purchase was
applied by the simulator and before its checkpoint is written (the crucial moment).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from runner.domain import commands as c
from runner.domain.status import ContainerStatus
from runner.runtime.game import GameApi
from runner.runtime.outage import is_transient
from runner.runtime.ports import Sent
from runner.state.engine import DatabaseDiskFull, DatabaseFileGone, StateNotWritable
from runner.state.store import Store
from tests.runtime.harness import Hooks, World, run_container
from tests.runtime.scripted import step

BUY_AT_HQ = "EQUIPMENT"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    from runner.sim.config import SimConfig
    from runner.sim.server import SimServer

    with SimServer(SimConfig(seed=1, speed=200.0, rate_limit=None)) as server:
        data = httpx.post(f"{server.url}/register",
                          json={"symbol": "FILES", "faction": "COSMIC"}, timeout=10
                          ).json()["data"]
        store = Store.open(str(tmp_path / "state" / "state.db"))
        ship = next(s for s in data["ships"] if s["registration"]["role"] == "COMMAND")
        yield World(server.url, data["token"], data["agent"]["symbol"], store,
                    ship["symbol"], ship["nav"]["waypointSymbol"])
        store.close()


class FaultAfterFirstPurchase:
    """Sends for real; right after the first purchase is applied, ``fault()`` strikes (and
    ``mend()`` runs ``mend_after`` seconds later unless None). Counts what is sent between."""

    def __init__(self, game: GameApi, fault: Callable[[], None], mend: Callable[[], None],
                 mend_after: float | None) -> None:
        self.game, self.fault, self.mend, self.mend_after = game, fault, mend, mend_after
        self.struck = self.mended = False
        self.sent_while_broken = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def send(self, ship: Any, command: c.Command) -> Sent:
        if self.struck and not self.mended:
            self.sent_while_broken += 1
        sent = await self.game.send(ship, command)
        if isinstance(command, c.Purchase) and not self.struck:
            self.struck = True
            self.fault()
            if self.mend_after is not None:
                threading.Timer(self.mend_after, self._mend).start()
        return sent

    def _mend(self) -> None:
        self.mend()
        self.mended = True


def buys() -> list[Any]:
    return [step(0, "buy", symbol=BUY_AT_HQ, units=5, times=3),
            step(1, "log", message="bought")]


def run_with(world: World, fault: Callable[[], None], mend: Callable[[], None],
             mend_after: float | None) -> tuple[Any, FaultAfterFirstPurchase, list[str]]:
    wrappers: list[FaultAfterFirstPurchase] = []
    lines: list[str] = []

    def wrap(game: GameApi) -> Any:
        if not wrappers:  # only the first executor strikes; a rebuilt one just sends
            wrappers.append(FaultAfterFirstPurchase(game, fault, mend, mend_after))
            return wrappers[0]
        return game

    def keep_lines(executor: Any) -> None:
        if not isinstance(executor.view.logs, list):
            executor.view.logs = lines

    outcome = asyncio.run(run_container(world, buys(), hooks=Hooks(
        wrap_api=wrap, wrap_executor=keep_lines)))
    return outcome, wrappers[0], lines


def test_a_deleted_database_file_holds_the_container_until_it_is_back(world: World,
                                                                      tmp_path: Path) -> None:
    db = world.store.file
    assert db is not None
    kept = tmp_path / "kept.db"

    def delete() -> None:
        os.link(db, kept)  # the same inode, so it can come back as it was
        db.unlink()

    outcome, wrapper, lines = run_with(world, delete, lambda: os.replace(kept, db), 2.0)
    assert wrapper.sent_while_broken == 0  # nothing sent with nowhere to record it
    assert outcome.status is ContainerStatus.COMPLETED, outcome
    assert world.count("/purchase") == 3  # the applied purchase was not sent again
    held = [m for m in lines if m.startswith("database unreachable: ")]
    assert held and f"the state database {db} was deleted" in held[0], lines
    assert any(m.startswith("database back after ") for m in lines), lines


def test_a_replaced_database_file_holds_then_gives_up(world: World, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_RUN_DB_OUTAGE_LIMIT", "2")
    db = world.store.file
    assert db is not None
    other = tmp_path / "other.db"
    Store.open(str(other)).close()

    def replace() -> None:
        shutil.copy(other, db.with_suffix(".new"))
        os.replace(db.with_suffix(".new"), db)

    outcome, wrapper, lines = run_with(world, replace, lambda: None, None)
    assert wrapper.sent_while_broken == 0 and world.count("/purchase") == 1
    assert outcome.status is ContainerStatus.FAILED
    assert outcome.error is not None and "was replaced by another file" in outcome.error
    assert any(f"{db} was replaced by another file" in m for m in lines), lines


def test_a_full_disk_is_one_line_naming_the_file_and_holds(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full" (a page limit stands in for the disk)."""
    path = tmp_path / "state.db"
    store = Store.open(str(path))
    record = store.upsert_container("c", "pb.yaml", "h", "SHIP-1", "AGENT")
    pages = sa.text("PRAGMA page_count")
    with store.engine.connect() as conn:
        used = int(conn.execute(pages).scalar_one())

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {used + 2}")

    store.engine.dispose()
    sa.event.listen(store.engine, "connect", limit)
    with pytest.raises(DatabaseDiskFull) as full:
        for _ in range(10_000):
            store.log(record.id, "INFO", "x" * 2000)
    assert str(full.value).startswith(f"the disk holding the state database {path} is full")
    assert is_transient(full.value)  # the container holds, as during an outage
    assert "\n" not in str(full.value)
    store.close()


def test_a_deleted_file_is_noticed_by_every_write(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = Store.open(str(path))
    record = store.upsert_container("c", "pb.yaml", "h", "SHIP-1", "AGENT")
    lease = store.claim(record.id, "me", 30)
    assert lease is not None
    path.unlink()
    for write in (lambda: store.heartbeat(lease), lambda: store.log(record.id, "INFO", "x"),
                  lambda: store.record_intent(lease, "steps[0]", 0, {}, {}),
                  lambda: store.claim(record.id, "me", 30)):
        with pytest.raises(DatabaseFileGone, match="was deleted"):
            write()
    store.close()


@pytest.mark.parametrize("where", ["ST_RUN_DB", "XDG_STATE_HOME"])
def test_a_state_place_that_cannot_be_written_is_one_line_naming_it(tmp_path: Path,
                                                                    where: str) -> None:
    """sysfs refuses to create anything, even for root: a real unwritable directory."""
    from tests.prove.support import assert_clean_failure, st_run

    target = "/sys/st-run-test/state.db" if where == "ST_RUN_DB" else "/sys/st-run-test"
    playbook = tmp_path / "pb.yaml"
    playbook.write_text("ship: {role: COMMAND}\nsteps: [dock]\n")
    # `run` must create its database (read-only commands such as `status` never do)
    result = st_run(tmp_path, "run", str(playbook), env={where: target})
    assert_clean_failure(result, 1)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot create the state database "
                                                   "/sys/st-run-test"), result.err


def test_a_read_only_database_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = Store.open(str(path))

    def read_only(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")

    store.engine.dispose()
    sa.event.listen(store.engine, "connect", read_only)
    with pytest.raises(StateNotWritable) as refused:
        store.upsert_container("c", "pb.yaml", "h", "SHIP-1", "AGENT")
    assert str(refused.value).startswith(f"the state database {path} is read-only")
    store.close()
