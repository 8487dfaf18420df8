"""Helpers for tests and the bench that run a real ``st-run watch`` process against a real
``st-run sim`` process, and read the state store and the simulator's ledger."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa

from runner.state.records import ContainerRecord
from runner.state.store import Store

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 60.0
T = TypeVar("T")


def until(probe: Callable[[], T | None], what: str, timeout: float = WAIT_S,
          on_fail: Callable[[], str] | None = None) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = on_fail() if on_fail else ""
            raise AssertionError(f"timed out waiting for: {what}\n{detail}")
        time.sleep(0.02)


@dataclass
class Agent:
    """An agent registered on the simulator."""

    url: str
    symbol: str
    token: str

    @property
    def ships(self) -> list[str]:
        return [f"{self.symbol}-1", f"{self.symbol}-2"]


def register(url: str, symbol: str) -> Agent:
    answer = httpx.post(f"{url}/register", json={"symbol": symbol, "faction": "COSMIC"},
                        timeout=30)
    answer.raise_for_status()
    return Agent(url, symbol, answer.json()["data"]["token"])


def ledger(url: str, ship: str | None = None) -> list[dict[str, Any]]:
    """The simulator's accepted state changes (of ``ship``), in order."""
    answer = httpx.get(f"{url}/_sim/ledger", timeout=30)
    answer.raise_for_status()
    entries: list[dict[str, Any]] = answer.json()["data"]
    if isinstance(entries, dict):  # {"entries": [...]} or a bare list
        entries = entries.get("entries", [])
    return [e for e in entries if ship is None or e.get("ship") == ship]


class Watcher:
    """A ``st-run watch DIR`` subprocess; its stderr goes to a file for assertions."""

    def __init__(self, folder: Path, db: Path | str, agent: Agent, log: Path,
                 *extra: str) -> None:
        self.log = log
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "SPACETRADERS_TOKEN": agent.token,
               "ST_RUN_API_URL": agent.url}
        env.pop("ST_RUN_DB", None)
        self._err = log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "watch", str(folder), "--db", str(db), *extra],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=self._err, text=True)

    def output(self) -> str:
        return self.log.read_text()

    def signal(self, sig: signal.Signals = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = WAIT_S) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._err.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._err.close()


@contextlib.contextmanager
def watcher(folder: Path, db: Path | str, agent: Agent, log: Path,
            *extra: str) -> Iterator[Watcher]:
    """A watcher process, killed on the way out if the test did not end it."""
    proc = Watcher(folder, db, agent, log, *extra)
    try:
        yield proc
    finally:
        proc.kill()


class State:
    """Read-only views of the watcher's database, opened per call (another process writes)."""

    def __init__(self, db: Path | str) -> None:
        self.db = db  # a SQLite file, or a database URL
        self._store: Store | None = None

    def _ready(self) -> bool:
        return not isinstance(self.db, Path) or self.db.exists()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(str(self.db))
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def container(self, name: str) -> ContainerRecord | None:
        if not self._ready():
            return None
        return self.store.get_container(name)

    def messages(self, name: str | None = None) -> list[str]:
        if not self._ready():
            return []
        with contextlib.suppress(Exception):
            return [line.message for line in self.store.logs(name, limit=None)]
        return []

    def checkpoints(self, container_id: int) -> int:
        """Checkpoints of state changes (not the ones that record where a ``wait`` started:
        those keep its deadline, so a resumed wait waits only what is left)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT step_path, command_index, state FROM checkpoints "
                "WHERE container_id = :id"), {"id": container_id}).all()
        return sum(1 for path, index, state in rows if not _starts_a_wait(path, index, state))

    def running(self, name: str, source: str) -> ContainerRecord | None:
        """The container when it runs exactly ``source`` (the version checkpointed)."""
        record = self.container(name)
        if record is None or record.status.value != "RUNNING" or record.source_text != source:
            return None
        return record


WARMUP = """\
name: warmup
ship: {ship}
steps:
  - orbit
  - dock
"""


def warm_database(url: str, workdir: Path) -> Path:
    """A database whose universe cache is filled (and which holds no container).

    A runtime's first container in a fresh database fetches the whole system first; tests
    that copy this file skip that wait, which is not what they test.
    """
    agent = register(url, "WARMUP")
    folder, db = workdir / "warmup", workdir / "warm.db"
    folder.mkdir()
    (folder / "warmup.yaml").write_text(WARMUP.format(ship=agent.ships[0]))
    state = State(db)
    with watcher(folder, db, agent, workdir / "warmup.log") as proc:
        until(lambda: (r := state.container("warmup")) and r.status.value == "COMPLETED",
              "warm-up playbook completed", on_fail=proc.output)
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    with state.store.engine.begin() as conn:
        for table in ("logs", "checkpoints", "intents", "containers"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    with state.store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    state.close()
    return db


def copy_database(warm: Path, dest: Path) -> Path:
    """A private copy of a warm database (SQLite: the file is the database)."""
    dest.write_bytes(warm.read_bytes())
    return dest


def _starts_a_wait(path: str, index: int, state: object) -> bool:
    """True for the checkpoint a ``wait`` writes as it starts (command ``index + 1``)."""
    if isinstance(state, str):
        state = json.loads(state)
    waits = state.get("waits", {}) if isinstance(state, dict) else {}
    return f"{path}#{index + 1}" in waits
