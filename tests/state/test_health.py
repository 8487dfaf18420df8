"""``st-run health``'s database check against real SQLite files and real/unreachable Postgres."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from runner.cli.account_cmd import _database_check
from runner.domain.status import ContainerStatus
from runner.state.health import check_database
from runner.state.migrate import SCHEMA_REVISION
from runner.state.store import Store
from tests.state.conftest import pg_schema_url  # noqa: F401  (fixture)


def one_line(detail: str) -> bool:
    return "\n" not in detail and "Traceback" not in detail


def test_current_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store.open(str(path)) as store:
        done = store.upsert_container("done", "pb.yaml", "h", "SHIP-1", "AGENT")
        store.set_status(done.id, ContainerStatus.COMPLETED)
        store.upsert_container("live", "pb.yaml", "h", "SHIP-2", "AGENT")
    ok, detail = check_database(str(path))
    assert ok is True and one_line(detail)
    assert f"schema {SCHEMA_REVISION} (current)" in detail
    assert "2 container(s), 1 active" in detail and str(path) in detail


def test_missing_sqlite_file_is_fine_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "state.db"
    ok, detail = check_database(str(path))
    assert ok is True and "does not exist yet" in detail
    assert not path.exists() and not path.parent.exists()


def test_schema_unknown_to_this_version_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store.open(str(path)).close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    ok, detail = check_database(str(path))
    assert ok is False and one_line(detail)
    assert "schema 9999 is unknown to this st-run" in detail


def test_another_programs_database_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    ok, detail = check_database(str(path))
    assert ok is False and "no st-run schema version" in detail


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    ok, detail = check_database(str(path))
    assert ok is False and one_line(detail) and str(path) in detail


def test_invalid_url_is_one_line() -> None:
    ok, detail = check_database("nosuchdb://x/y")
    assert ok is False and one_line(detail) and "invalid database URL" in detail


def test_unreachable_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    ok, detail = check_database("postgresql://postgres@127.0.0.1:1/test")
    assert ok is False and one_line(detail)
    assert detail.startswith("postgresql+psycopg://postgres@127.0.0.1:1/test: ")


def test_password_is_not_shown() -> None:
    ok, detail = check_database("postgresql://user:s3cr3t-pw@127.0.0.1:1/test")
    assert ok is False and "s3cr3t-pw" not in detail


@pytest.mark.postgres
def test_current_postgres(pg_schema_url: str) -> None:  # noqa: F811
    Store.open(pg_schema_url).close()
    ok, detail = check_database(pg_schema_url)
    assert ok is True and f"schema {SCHEMA_REVISION} (current)" in detail


def test_health_hook_reads_st_run_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The way ``st-run health`` calls it: no argument, the database from ``$ST_RUN_DB``."""
    path = tmp_path / "env.db"
    Store.open(str(path)).close()
    monkeypatch.setenv("ST_RUN_DB", str(path))
    check = _database_check()
    assert check.ok is True and str(path) in check.detail
    monkeypatch.setenv("ST_RUN_DB", "postgresql://postgres@127.0.0.1:1/test")
    check = _database_check()
    assert check.ok is False and "127.0.0.1:1" in check.detail


def test_default_path_under_xdg_state_home(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ST_RUN_DB", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    ok, detail = check_database()
    assert ok is True and str(tmp_path / "st-run" / "state.db") in detail
