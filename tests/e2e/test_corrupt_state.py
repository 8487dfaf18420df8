"""One container whose stored state cannot be read never stops the others (issue 22).

Real ``st-run run`` and ``st-run watch`` processes against a real ``st-run sim``, with one
container's checkpoint damaged in a real SQLite file (text that is not JSON) or in Postgres
(JSON of the wrong shape: its JSON type refuses text that is not JSON). The damaged
container is set aside with one line naming it and the reason, stored so ``status`` shows
it; the healthy one runs to its end.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from runner.domain.status import ContainerStatus
from runner.state.store import CorruptState, Store
from tests.e2e.support import Sim, run_runner, sim_process
from tests.watch.procs import Agent, State, until, watcher

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

PLAYBOOK = """\
name: {name}
ship: {ship}
steps:
  - dock
  - log: "{name} done"
"""


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    with sim_process(speed=50.0) as server:
        yield server


def _playbooks(folder: Path, symbol: str) -> tuple[Path, Path]:
    folder.mkdir(exist_ok=True)
    damaged, healthy = folder / "damaged.yaml", folder / "healthy.yaml"
    damaged.write_text(PLAYBOOK.format(name="damaged", ship=f"{symbol}-1"))
    healthy.write_text(PLAYBOOK.format(name="healthy", ship=f"{symbol}-2"))
    return damaged, healthy


def _damage(db: str, path: Path, ship: str, corruption: str) -> None:
    """A paused container ``damaged`` with one checkpoint, then its state overwritten."""
    store = Store.open(db)
    try:
        record = store.upsert_container("damaged", str(path.resolve()), "v1", ship, "default",
                                        source_text=path.read_text())
        lease = store.claim(record.id, "an-old-runner", 30)
        assert lease is not None
        store.checkpoint(lease, "1", 0, {"commands": [], "registered": {}}, "docked")
        store.release(lease)
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE checkpoints SET state = :bad"), {"bad": corruption})
        with pytest.raises(CorruptState):  # the state really is unreadable now
            store.last_checkpoint(record.id)
    finally:
        store.close()


def _sqlite(tmp_path: Path) -> str:
    return str(tmp_path / "state.db")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_run_sets_a_damaged_container_aside_and_runs_the_other(
        sim: Sim, tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        db, corruption = _sqlite(tmp_path), "{not json"
    else:
        db, corruption = request.getfixturevalue("pg_db_url"), '"not an object"'
    symbol = f"CORRUPT{backend[:2].upper()}"
    token = sim.register(symbol)
    damaged, healthy = _playbooks(tmp_path / "books", symbol)
    _damage(db, damaged, f"{symbol}-1", corruption)

    done = run_runner(sim, token, damaged, db, str(healthy))

    output = done.stdout + done.stderr
    assert "internal error" not in output
    assert done.returncode == 1, output
    reasons = [line for line in output.splitlines() if line.startswith("damaged: not started")]
    assert len(reasons) == 1, output
    assert "stored state cannot be read" in reasons[0] and "checkpoint" in reasons[0]
    assert "healthy: COMPLETED" in output
    store = Store.open(db)
    try:
        record = store.require_container("damaged")
        assert record.status is ContainerStatus.FAILED
        assert record.last_error is not None and "cannot be read" in record.last_error
        assert record.lease_owner is None
        assert store.require_container("healthy").status is ContainerStatus.COMPLETED
    finally:
        store.close()
    # `--fresh` starts the damaged one over.
    again = run_runner(sim, token, damaged, db, "--fresh")
    assert again.returncode == 0, again.stdout + again.stderr


def test_watch_sets_a_damaged_container_aside_and_runs_the_other(sim: Sim,
                                                                 tmp_path: Path) -> None:
    symbol = "CORRUPTWA"
    agent = Agent(sim.url, symbol, sim.register(symbol))
    folder = tmp_path / "books"
    damaged, _ = _playbooks(folder, symbol)
    db = tmp_path / "state.db"
    _damage(str(db), damaged, f"{symbol}-1", "{not json")
    state = State(db)
    try:
        with watcher(folder, db, agent, tmp_path / "watch.log") as proc:
            until(lambda: (r := state.container("healthy")) and
                  r.status is ContainerStatus.COMPLETED, "healthy completed",
                  on_fail=proc.output)
            record = until(lambda: (r := state.container("damaged")) and
                           r.status is ContainerStatus.FAILED and r, "damaged set aside",
                           on_fail=proc.output)
            assert record.last_error is not None and "cannot be read" in record.last_error
            proc.signal(signal.SIGTERM)
            assert proc.wait() == 0
            lines = [line for line in proc.output().splitlines()
                     if "damaged" in line and "cannot be read" in line]
            assert lines, proc.output()
            assert "internal error" not in proc.output()
    finally:
        state.close()
