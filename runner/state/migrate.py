"""Apply the packaged Alembic migrations on open, safely when several processes start at once.

The migrations ship inside the package (``runner/state/migrations``); no ``alembic.ini`` is
needed. Concurrent openers are serialised by a lock taken in the migration's own transaction:
``BEGIN IMMEDIATE`` on SQLite, an advisory transaction lock on Postgres. Both backends have
transactional DDL, so a process that waited finds the schema at head and does nothing.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from runner.state.engine import WRITE

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
PG_LOCK_KEY = 0x57_52_55_4E  # "STRUN": any constant shared by all st-run processes


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and ``connection``, if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration revision shipped with this st-run."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine) -> None:
    """Bring the database to the head revision; a no-op (and no write lock) when it is."""
    if current_revision(engine) == head_revision():
        return
    with engine.connect() as conn:
        conn = conn.execution_options(**WRITE)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            command.upgrade(alembic_config(conn), "head")
