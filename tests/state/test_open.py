"""Opening the store: where it lives, file permissions, SQLite settings, migrations."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from runner.errors import InvalidInput, StRunError
from runner.state.engine import resolve_url
from runner.state.migrate import SCHEMA_REVISION, current_revision, head_revision
from runner.state.models import Base
from runner.state.store import Store

REPO = Path(__file__).resolve().parents[2]


def test_sqlite_file_is_private_and_its_directory_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.db"
    store = Store.open(str(path))
    store.upsert_container("a", "a.yaml", "h", "S", "AG")  # forces the WAL file into being
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = path.with_name("state.db-wal")
        if wal.exists():
            assert stat.S_IMODE(wal.stat().st_mode) & 0o077 == 0
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        store.close()


def test_existing_file_with_loose_mode_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    Store.open(str(path)).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_default_location_follows_xdg_state_home(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ST_RUN_DB", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    Store.open().close()
    assert (tmp_path / "xdg" / "st-run" / "state.db").is_file()


def test_url_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_RUN_DB", str(tmp_path / "env.db"))
    assert resolve_url() == f"sqlite:///{tmp_path / 'env.db'}"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"
    monkeypatch.delenv("ST_RUN_DB")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert resolve_url() == f"sqlite:///{tmp_path / 'st-run' / 'state.db'}"


def test_invalid_url_is_a_user_error() -> None:
    with pytest.raises(InvalidInput, match="invalid database URL"):
        Store.open("nonsense://::")


def test_migrations_produce_exactly_the_models(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        assert current_revision(store.engine) == head_revision()
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        store.close()


def test_reopening_is_a_no_op(db_url: str) -> None:
    Store.open(db_url).close()
    store = Store.open(db_url)
    store.upsert_container("a", "a.yaml", "h", "S", "AG")
    store.close()
    again = Store.open(db_url)
    assert again.get_container("a") is not None
    again.close()


def test_no_column_could_hold_a_token() -> None:
    columns = {c.name for t in Base.metadata.tables.values() for c in t.columns}
    assert not any("token" in c or "secret" in c or "password" in c for c in columns)


CHILD = """
import sys, time
from pathlib import Path
from runner.state.store import Store
go = Path(sys.argv[2])
Path(sys.argv[3]).touch()
while not go.exists():
    time.sleep(0.005)
store = Store.open(sys.argv[1])
store.upsert_container(sys.argv[4], "p.yaml", "h", sys.argv[4], "AG")
store.close()
"""


def test_two_processes_migrating_at_once(db_url: str, tmp_path: Path) -> None:
    """Several fresh processes open the same empty database at the same moment."""
    go = tmp_path / "go"
    children = []
    for i in range(3):
        ready = tmp_path / f"ready{i}"
        proc = subprocess.Popen([sys.executable, "-c", CHILD, db_url, str(go), str(ready),
                                 f"c{i}"], cwd=REPO, stderr=subprocess.PIPE, text=True)
        children.append((proc, ready))
    deadline = time.monotonic() + 120
    while not all(ready.exists() for _, ready in children):
        assert time.monotonic() < deadline, "children did not start"
        assert all(p.poll() is None for p, _ in children), "a child died before the start"
        time.sleep(0.01)
    go.touch()
    for proc, _ in children:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = Store.open(db_url)
    try:
        assert current_revision(store.engine) == head_revision()
        assert sorted(r.name for r in store.list_containers()) == ["c0", "c1", "c2"]
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        store.close()


@pytest.mark.parametrize("url", ["nonsense://::", "nodriver://host/db", "postgresql://h:x/db"])
def test_invalid_urls_are_user_errors(url: str) -> None:
    with pytest.raises(InvalidInput, match="invalid database URL"):
        Store.open(url)


def test_unreachable_database_is_a_one_line_user_error() -> None:
    with pytest.raises(StRunError, match="cannot open the state database") as info:
        Store.open("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
    assert "secret" not in info.value.message and "\n" not in info.value.message


def test_plain_postgresql_scheme_means_psycopg() -> None:
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_fast_path_revision_matches_the_newest_migration() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_database_from_a_newer_st_run_is_refused_clearly(db_url: str) -> None:
    store = Store.open(db_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    store.close()
    with pytest.raises(StRunError, match="cannot migrate the state database"):
        Store.open(db_url)


def test_in_memory_sqlite_is_one_database() -> None:
    """``sqlite://`` (for quick experiments): every call sees the same migrated database."""
    store = Store.open("sqlite://")
    store.upsert_container("a", "a.yaml", "h", "S", "AG")
    assert [r.name for r in store.list_containers()] == ["a"]
    store.close()
