"""Apply the packaged Alembic migrations on open, safely when several processes start at once.

The migrations ship inside the package (``runner/state/migrations``); no ``alembic.ini`` is
needed. Concurrent openers are serialised by a lock taken in the migration's own transaction:
``BEGIN IMMEDIATE`` on SQLite, an advisory transaction lock on Postgres. Both backends have
transactional DDL, so a process that waited finds the schema at head and does nothing.
Alembic is imported only when the schema is not at ``SCHEMA_REVISION`` (it costs ~0.3 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from runner.errors import StRunError
from runner.state.engine import WRITE

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SCHEMA_REVISION = "0007_runners"
"""The newest revision in ``migrations/versions`` (a test keeps them equal)."""
PG_LOCK_KEY = 0x57_52_55_4E  # any constant shared by all st-run processes


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and ``connection``, if given)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration revision shipped with this st-run, as Alembic sees it."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: sa.Engine) -> None:
    """Bring the database to the head revision; a no-op (and no write lock) when it is."""
    if current_revision(engine) == SCHEMA_REVISION:
        return
    from alembic import command
    from alembic.util import CommandError

    with engine.connect() as conn:
        conn = conn.execution_options(**WRITE)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            try:
                command.upgrade(alembic_config(conn), "head")
            except CommandError as exc:  # e.g. a database written by a newer st-run
                raise StRunError(f"cannot migrate the state database: {exc}") from None
