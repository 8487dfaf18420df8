"""``st-run status``, ``st-run logs`` and ``st-run stop``: watch and steer containers from
another terminal, while a runner in another process drives them.

These commands only read the store (``stop`` sets one flag), so they are safe to run at any
time; SQLite's WAL mode lets them read while a runner writes.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from runner.errors import InvalidInput

DB_HELP = ("Database URL or SQLite path (default: $ST_RUN_DB, else "
           "$XDG_STATE_HOME/st-run/state.db).")
SIM_HELP = "Use the database of `st-run --sim` runs (sim.db beside the default one)."
SHORT_HASH = 12
"""Characters of a content hash shown in the table (the runner's messages show as many)."""
WHOLE = frozenset({"ID", "NAME", "SHIP", "STATUS", "VERSION"})
"""Table columns never cut short, however narrow the terminal."""
FOLLOW_POLL_S = 0.5
"""Seconds between two polls of ``logs -f`` for new lines."""

_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}

if TYPE_CHECKING:  # keep SQLAlchemy out of `st-run --help`
    from runner.state.store import ContainerRecord, LogRecord, Store


def db_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--db URL`` and ``--sim`` on a command."""
    command = click.option("--sim", "sim", is_flag=True, help=SIM_HELP)(command)
    return click.option("--db", metavar="URL", help=DB_HELP)(command)


@contextmanager
def open_store(db: str | None, sim: bool) -> Iterator[Store]:
    """The store named by ``--db``/``--sim``/``$ST_RUN_DB``, closed afterwards."""
    from runner.state.store import Store

    if db is None and sim:
        from runner.runtime.foreground import sim_db_url

        db = sim_db_url()
    store = Store.open(db)
    try:
        yield store
    finally:
        store.close()


# -- status --------------------------------------------------------------------------------


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Include finished containers.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of containers.")
@db_option
def status(show_all: bool, as_json: bool, db: str | None, sim: bool) -> None:
    """Show containers: active ones (PENDING, RUNNING, BACKOFF, PARKED) unless --all.

    VERSION is the start of the content hash of the playbook version each one runs.
    """
    with open_store(db, sim) as store:
        records = store.list_containers(all=show_all)
        last = store.latest_logs([r.id for r in records])
        now = datetime.now(UTC)
    if as_json:
        click.echo(json.dumps([container_json(r, last.get(r.id), now) for r in records],
                              indent=2))
        return
    if not records:
        click.echo("no containers" if show_all else
                   "no active containers (st-run status --all shows finished ones)")
        return
    _print_table(records, last, now)


def container_json(record: ContainerRecord, last: LogRecord | None,
                   now: datetime) -> dict[str, Any]:
    """The ``status --json`` object of one container; times are UTC ISO 8601."""
    return {
        "id": record.id, "name": record.name, "ship": record.ship, "agent": record.agent,
        "status": record.status.value, "restarts": record.restarts, "step": record.step_path,
        "iterations": record.iterations, "playbook": record.playbook_path,
        "content_hash": record.content_hash, "git_revision": record.git_revision,
        "started_at": iso(record.started_at), "finished_at": iso(record.finished_at),
        "uptime_s": _uptime(record, now), "next_restart_at": iso(record.next_restart_at),
        "last_error": record.last_error, "stop_requested": record.stop_requested,
        "overrides": record.overrides or {},
        "lease_owner": record.lease_owner, "lease_expires_at": iso(record.lease_expires_at),
        "last_log": None if last is None else last.message,
    }


def _print_table(records: list[ContainerRecord], last: dict[int, LogRecord],
                 now: datetime) -> None:
    from rich.console import Console
    from rich.table import Table

    from runner.terminal import literal

    headers = ("ID", "NAME", "SHIP", "STATUS", "STEP", "VERSION", "RESTARTS", "UPTIME",
               "NEXT RETRY")
    rows = [_row(r, now) for r in records]
    console = Console(soft_wrap=False)
    # The last log line gets what the other columns leave of the width, cut to one line.
    used = sum(max(len(h), *(len(row[i]) for row in rows)) + 2 for i, h in enumerate(headers))
    room = max(12, console.width - used - 2)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for i, header in enumerate(headers):
        # In a narrow terminal the identifying columns stay whole; the others shrink.
        whole = max(len(header), *(len(row[i]) for row in rows)) if header in WHOLE else None
        table.add_column(header, no_wrap=True, overflow="ellipsis", min_width=whole)
    table.add_column("LAST LOG", no_wrap=True, overflow="ellipsis")
    for r, row in zip(records, rows, strict=True):
        line = last.get(r.id)
        text = ((line.message if line else r.last_error) or "-").splitlines() or ["-"]
        # Names and log lines are user and server text: literal, never Rich markup.
        table.add_row(*(literal(cell) for cell in (*row, _clip(text[0], room))))
    console.print(table)


def _row(r: ContainerRecord, now: datetime) -> list[str]:
    uptime = _uptime(r, now)
    # An active container asked to stop shows STOPPING; --json keeps both facts.
    status_text = "STOPPING" if r.stop_requested and r.status.is_active else r.status.value
    return [str(r.id), r.name, r.ship, status_text, r.step_path or "-",
            short_hash(r.content_hash), str(r.restarts),
            "-" if uptime is None else human(uptime), _next_retry(r, now)]


def short_hash(content_hash: str | None) -> str:
    """The playbook version a container runs, as the runner's messages name it (12 hex
    digits of its content hash); ``--json`` has the whole hash."""
    return content_hash[:SHORT_HASH] if content_hash else "-"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _uptime(record: ContainerRecord, now: datetime) -> float | None:
    if record.started_at is None or not record.status.is_active:
        return None
    return max(0.0, (now - record.started_at).total_seconds())


def _next_retry(record: ContainerRecord, now: datetime) -> str:
    if record.next_restart_at is None or not record.status.is_active:
        return "-"
    wait = (record.next_restart_at - now).total_seconds()
    return "now" if wait <= 0 else f"in {human(wait)}"


def human(seconds: float) -> str:
    """A short duration: ``45s``, ``3m05s``, ``2h10m``, ``3d4h``."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600}h"


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a ``Z``: ``2026-03-01T12:00:00.250000Z``."""
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- logs ----------------------------------------------------------------------------------


@click.command()
@click.argument("container", required=False, metavar="[NAME|ID]")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines as they come.")
@click.option("--since", metavar="AGE|TIME",
              help="Only lines newer than this: 30s, 10m, 2h, 1d, or an ISO 8601 time.")
@click.option("-n", "--lines", type=click.IntRange(min=0), default=1000, show_default=True,
              help="How many of the newest lines to show first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@db_option
def logs(container: str | None, follow: bool, since: str | None, lines: int, as_json: bool,
         db: str | None, sim: bool) -> None:
    """Show the log of one container (or of all) from the database; -f follows it."""
    start = parse_since(since, datetime.now(UTC)) if since else None
    emit = _emit_json if as_json else _emit_text
    with open_store(db, sim) as store:
        history = store.logs(container, since=start, limit=lines) if lines else []
        for record in history:
            emit(record)
        if follow:
            after = history[-1].id if history else _newest_id(store)
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one leaves -f
                follow_logs(store, container, after, emit)


def follow_logs(store: Store, container: str | None, after_id: int,
                emit: Callable[[LogRecord], None], *,
                sleep: Callable[[float], None] = time.sleep,
                keep_going: Callable[[], bool] = lambda: True) -> int:
    """Emit lines committed after ``after_id`` until ``keep_going()`` is false; polls by id.

    Returns the id of the last line emitted (or ``after_id``).
    """
    while keep_going():
        batch = store.logs(container, after_id=after_id, limit=500)
        for record in batch:
            emit(record)
            after_id = record.id
        if not batch:
            sleep(FOLLOW_POLL_S)
    return after_id


def _newest_id(store: Store) -> int:
    newest = store.logs(limit=1)
    return newest[-1].id if newest else 0


def parse_since(text: str, now: datetime) -> datetime:
    """``10m`` (ago) or an ISO 8601 time (UTC when it names no zone); InvalidInput else."""
    match = _AGO.match(text)
    if match:
        return now - timedelta(seconds=float(match[1]) * _UNIT_S[match[2]])
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"--since {text!r}: expected an age like 30s, 10m, 2h, 1d "
                           "or an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def log_json(record: LogRecord) -> dict[str, Any]:
    """The ``logs --json`` object of one line."""
    return {"id": record.id, "time": iso(record.time), "container": record.container,
            "container_id": record.container_id, "level": record.level,
            "message": record.message}


def _emit_json(record: LogRecord) -> None:
    click.echo(json.dumps(log_json(record)))


def _emit_text(record: LogRecord) -> None:
    stamp = record.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    level = click.style(f"{record.level:<7}", fg=_LEVEL_COLOURS.get(record.level))
    click.echo(f"{stamp} {record.container or '-'} {level} {record.message}")


_LEVEL_COLOURS = {"ERROR": "red", "CRITICAL": "red", "WARNING": "yellow", "DEBUG": "blue"}


# -- stop ----------------------------------------------------------------------------------


@click.command()
@click.argument("container", metavar="NAME|ID")
@db_option
def stop(container: str, db: str | None, sim: bool) -> None:
    """Ask the runner holding a container to stop it at the next safe point."""
    from runner.domain.status import ContainerStatus

    with open_store(db, sim) as store:
        before = store.require_container(container)
        after = store.request_stop(container)
    if not before.status.is_active:
        click.echo(f"{after.name} (id {after.id}) is already {after.status.value}; "
                   "nothing to stop")
    elif after.status is ContainerStatus.STOPPED:
        click.echo(f"{after.name} (id {after.id}) had no live runner; marked STOPPED")
    else:
        click.echo(f"stop requested for {after.name} (id {after.id}, {after.status.value}); "
                   f"its runner stops it at the next safe point")
