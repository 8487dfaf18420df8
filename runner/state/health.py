"""``st-run health``'s database check: can st-run open its state, and is the schema current?

``check_database() -> (ok, detail)`` is the hook ``runner.cli.account_cmd`` calls: ``detail``
is one line, never a traceback. The check reads only: it neither creates a missing SQLite
file nor applies migrations (every other st-run command does that on open), so it can be
run against a database another runner is using.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from runner.domain.status import ACTIVE_STATUSES
from runner.errors import StRunError
from runner.state.engine import create_engine, display_url, resolve_url
from runner.state.migrate import SCHEMA_REVISION, current_revision
from runner.state.models import containers

CONNECT_TIMEOUT_S = 5
"""Seconds to wait for a database server before reporting it unreachable."""


def check_database(url: str | None = None) -> tuple[bool, str]:
    """Check the state database named by ``url``, else ``$ST_RUN_DB``, else the default file.

    ``ok`` is False when the database cannot be reached or read, or its schema is not the
    one this st-run uses (older: the next st-run command migrates it; unknown: written by
    a newer st-run). A SQLite file that does not exist yet is fine: it is created on first
    use.
    """
    shown = "the state database"  # until its URL is known to parse
    try:
        resolved = resolve_url(url)
        shown = _shown(resolved)
        missing = _missing_sqlite_file(resolved)
        if missing is not None:
            return True, f"{missing} does not exist yet (st-run creates it on first use)"
        engine = create_engine(resolved, connect_timeout_s=CONNECT_TIMEOUT_S)
        try:
            return _check(engine, shown)
        finally:
            engine.dispose()
    except StRunError as exc:
        return False, exc.message
    except sa.exc.SQLAlchemyError as exc:
        return False, f"{shown}: {_reason(exc)}"
    except Exception as exc:  # a health check reports, it never crashes with a traceback
        return False, f"{shown}: {type(exc).__name__}: {_first_line(str(exc))}"


def _check(engine: sa.Engine, shown: str) -> tuple[bool, str]:
    revision = current_revision(engine)
    if revision is None:
        with engine.connect() as conn:
            if sa.inspect(conn).get_table_names():
                return False, (f"{shown}: has tables but no st-run schema version; is it "
                               "another program's database?")
        return True, f"{shown}: empty (st-run creates its tables on first use)"
    if revision != SCHEMA_REVISION:
        return False, f"{shown}: {_revision_problem(revision)}"
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(containers)).scalar_one()
        active = conn.execute(
            sa.select(sa.func.count()).select_from(containers)
            .where(containers.c.status.in_([s.value for s in ACTIVE_STATUSES]))).scalar_one()
    return True, f"{shown}: schema {revision} (current), {total} container(s), {active} active"


def _revision_problem(revision: str) -> str:
    """Why a schema revision other than ours is a problem, and what to do."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from runner.state.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        known = scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if known:
        return (f"schema {revision} is older than {SCHEMA_REVISION}: any st-run command "
                "(e.g. `st-run status`) migrates it")
    return (f"schema {revision} is unknown to this st-run (written by a newer version?); "
            "upgrade st-run")


def _shown(url: str) -> str:
    """How the database is named in the detail: a SQLite file by its path, a server by its
    URL with the password hidden."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return display_url(url)


def _missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file ``url`` names when it does not exist (else None)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database \
            or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _reason(exc: sa.exc.SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return _first_line(str(orig) if orig is not None else str(exc))


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"
