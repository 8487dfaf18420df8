"""Where the state lives and how to connect: URL resolution, SQLite pragmas, file mode.

SQLite is the default (``$XDG_STATE_HOME/st-run/state.db``), in WAL mode so that
``st-run status`` reads while a runner writes; Postgres is used for
``postgresql+psycopg://`` URLs. Write transactions on SQLite start with ``BEGIN IMMEDIATE``
so that two writers queue on the busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from runner.errors import InvalidInput, StRunError
from runner.secrets import known_secrets, redact_known

DB_ENV = "ST_RUN_DB"
"""Environment variable naming the database URL (or a SQLite file path)."""

BUSY_TIMEOUT_S = 30.0
"""Seconds a SQLite connection waits for another writer before giving up."""

WRITE = {"st_run_write": True}
"""Execution options of a connection about to write (``BEGIN IMMEDIATE`` on SQLite)."""


def default_db_path() -> Path:
    """``$XDG_STATE_HOME/st-run/state.db``, with XDG's default ``~/.local/state``."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "st-run" / "state.db"


def resolve_url(url: str | None = None) -> str:
    """The database URL: the argument, else ``$ST_RUN_DB``, else the default SQLite file.

    A value without ``://`` is taken as a SQLite file path; ``postgresql://`` means psycopg 3.
    """
    url = url or os.environ.get(DB_ENV) or str(default_db_path())
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):  # the installed driver is psycopg 3
        return f"postgresql+psycopg://{rest}"
    return url


SUPPORTED_BACKENDS = ("sqlite", "postgresql")
"""Database backends st-run runs on (and is tested against)."""


def sqlite_path(url: str | sa.URL) -> Path | None:
    """The file of a SQLite URL (an engine's ``url`` too); None for another backend,
    in-memory SQLite or a bad URL."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_engine(url: str, *, connect_timeout_s: int | None = None) -> sa.Engine:
    """An engine for ``url``; a SQLite file is created (mode 0600, directory 0700) first.

    ``connect_timeout_s`` bounds the wait for a Postgres server (libpq's default is none).
    A backend other than SQLite or Postgres is ``InvalidInput``.
    """
    try:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
            raise InvalidInput(f"invalid database URL {display_url(url)!r}: st-run stores "
                               "its state in SQLite (a file path) or Postgres "
                               "(postgresql://...), not "
                               f"{parsed.get_backend_name()}")
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        connect_args = {} if connect_timeout_s is None else \
            {"connect_timeout": connect_timeout_s}
        engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
        sa.event.listen(engine, "before_cursor_execute", _redact_statement, retval=True)
        return engine
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
        raise InvalidInput(f"invalid database URL {url!r}: {exc}") from None


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    if url.database and url.database != ":memory:":
        _prepare_file(Path(url.database))
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    else:  # in memory: one shared connection (else each would see its own empty database);
        # for single-threaded experiments only, since threads would share one transaction
        engine = sa.create_engine(url, poolclass=sa.pool.StaticPool,
                                  connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _sqlite_on_connect)
    sa.event.listen(engine, "begin", _sqlite_on_begin)
    sa.event.listen(engine, "before_cursor_execute", _redact_statement, retval=True)
    return engine


class StateNotWritable(StRunError):
    """The state database's file or directory cannot be created or written."""


def _prepare_file(path: Path) -> None:
    """Create the directory and an empty database file readable by its owner only.

    A directory or file that cannot be made (a file where a folder should be, read-only, no
    permission, a full disk) is ``StateNotWritable``: one line naming the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        for name in (path, path.with_name(path.name + "-wal"),
                     path.with_name(path.name + "-shm")):
            if name.exists():
                os.chmod(name, 0o600)
    except OSError as exc:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            why = f"{blocker} is a file, not a folder (check $XDG_STATE_HOME, $ST_RUN_DB or --db)"
        else:
            where = "" if exc.filename in (None, str(path)) else f"{exc.filename}: "
            why = f"{where}{exc.strerror or exc} (set ST_RUN_DB or XDG_STATE_HOME to a " \
                "writable place)"
        raise StateNotWritable(f"cannot create the state database {path}: {why}") from None


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook issue BEGIN itself (pysqlite's own is deferred and late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_on_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get("st_run_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _redact_statement(_conn: sa.Connection, _cursor: Any, statement: str, parameters: Any,
                      _context: Any, _executemany: bool) -> tuple[str, Any]:
    """The database sink's redaction: no known token is ever written, whatever the table
    (log lines, errors, journal JSON); values are bound already (JSON is text by now)."""
    if not known_secrets():
        return statement, parameters
    return statement, _redact_value(parameters)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_known(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_redact_value(v) for v in value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if type(value).__name__ in ("Json", "Jsonb") and hasattr(value, "obj"):
        # psycopg's JSON parameter: the Python value, serialised later by the driver
        return type(value)(_redact_value(value.obj), getattr(value, "dumps", None))
    return value


class DatabaseFileGone(ConnectionError):
    """The SQLite file was deleted or replaced under a running store: a write would land
    in a file nobody will read (a deleted inode) or in someone else's database. A
    ``ConnectionError``, so a container holds as during an outage (no game request is sent
    until the file is back) instead of carrying on."""


class DatabaseDiskFull(ConnectionError):
    """The disk holding the database is full: a container holds as during an outage."""


FileIdentity = tuple[int, int]


def file_identity(path: Path) -> FileIdentity | None:
    """The (device, inode) of ``path``, or None when it does not exist."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_dev, found.st_ino)


def check_same_file(path: Path, identity: FileIdentity) -> None:
    """Raise ``DatabaseFileGone`` unless ``path`` is still the file opened as ``identity``."""
    now = file_identity(path)
    if now is None:
        raise DatabaseFileGone(f"the state database {path} was deleted")
    if now != identity:
        raise DatabaseFileGone(f"the state database {path} was replaced by another file")


def display_url(url: str) -> str:
    """``url`` with any password hidden, for messages."""
    return sa.make_url(url).render_as_string(hide_password=True)
