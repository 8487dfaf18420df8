"""Shared test configuration: where the reference data lives, and the Postgres switch."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.support.fixtures"]

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ST_RUN_SHARED_DIR", REPO.parent / "shared"))
OPENAPI_DIR = Path(os.environ.get("ST_RUN_OPENAPI_DIR", SHARED / "spacetraders-openapi"))
SAMPLES_DIR = Path(os.environ.get("ST_RUN_SAMPLES_DIR", SHARED / "spacetraders-universe-samples"))
PG_URL = os.environ.get("ST_RUN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def openapi_dir() -> Path:
    """The official OpenAPI spec (reference data, never copied into the repo)."""
    if not (OPENAPI_DIR / "reference" / "SpaceTraders.json").exists():
        pytest.fail(f"OpenAPI spec not found at {OPENAPI_DIR}; set ST_RUN_OPENAPI_DIR")
    return OPENAPI_DIR


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The real universe samples (reference data, never copied into the repo)."""
    if not (SAMPLES_DIR / "X1-AD75_universe_snapshot_2025-04.json").exists():
        pytest.fail(f"universe samples not found at {SAMPLES_DIR}; set ST_RUN_SAMPLES_DIR")
    return SAMPLES_DIR


def _postgres_reachable(url: str) -> bool:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The Postgres URL for tests: skipped when unreachable, except under CI=true."""
    if not _postgres_reachable(PG_URL):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Postgres at {PG_URL} is unreachable and CI=true")
        pytest.skip(f"Postgres at {PG_URL} is unreachable (set ST_RUN_TEST_PG)")
    return PG_URL


@pytest.fixture
def pg_db_url(pg_url: str) -> Iterator[str]:
    """A new, empty Postgres database on the test server, dropped afterwards: tests that
    migrate a whole database never meet a revision another checkout left in the shared one."""
    import sqlalchemy as sa

    name = f"strun_e2e_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
