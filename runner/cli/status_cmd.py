"""``st-run status``, ``st-run logs`` and ``st-run stop``: watch and steer containers from
another terminal, while a runner in another process drives them.

These commands only read the store (``stop`` sets one flag), so they are safe to run at any
time; SQLite's WAL mode lets them read while a runner writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from runner.domain.status import ContainerStatus
from runner.errors import InvalidInput, StRunError

DB_HELP = ("Database URL or SQLite path (default: $ST_RUN_DB, else "
           "$XDG_STATE_HOME/st-run/state.db).")
SIM_HELP = "Use the database of the latest `st-run --sim` run."
SHORT_HASH = 12
"""Characters of a content hash shown in the table (the runner's messages show as many)."""
HEADERS = ("ID", "NAME", "AGENT", "SHIP", "STATUS", "STEP", "VERSION", "RESTARTS", "UPTIME",
           "NEXT RETRY")
"""Columns of ``status``; LAST LOG follows them."""
WIDE_HEADERS = ("PLAYBOOK", "ITERATIONS", "GIT", "LEASE")
"""Columns ``status -o wide`` adds."""
WHOLE = frozenset({"ID", "NAME", "AGENT", "SHIP", "STATUS", "VERSION", "PLAYBOOK"})
"""Table columns never cut short, however narrow the terminal."""
FULL_WIDTH = 100_000
"""Characters per line when stdout is not a terminal: in effect, no limit."""
DB_ENV = "ST_RUN_DB"
"""Names the database when ``--db`` does not (``runner.state.engine.DB_ENV``, restated so
that importing this module does not import SQLAlchemy)."""
FOLLOW_POLL_S = 0.5
"""Seconds between two polls of ``logs -f`` for new lines."""

_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}

if TYPE_CHECKING:  # keep SQLAlchemy out of `st-run --help`
    from runner.state.runners import RunnerInfo
    from runner.state.store import ContainerRecord, LogRecord, Store


def db_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--db URL`` and ``--sim`` on a command."""
    command = click.option("--sim", "sim", is_flag=True, help=SIM_HELP)(command)
    return click.option("--db", metavar="URL", help=DB_HELP)(command)


@contextmanager
def open_store(db: str | None, sim: bool) -> Iterator[Store]:
    """The existing store named by ``--db``/``--sim``/``$ST_RUN_DB``, closed afterwards.

    These commands only read (or flag) containers, so they never create a database: a
    SQLite file that does not exist is ``NoDatabase``, which names the path.
    """
    from runner.state.store import Store

    if db is None and sim:
        from runner.runtime.foreground import sim_db_url

        db = sim_db_url()
    require_existing(db)
    store = Store.open(db)
    try:
        yield store
    finally:
        store.close()


class NoDatabase(StRunError):
    """The SQLite state database these commands read does not exist."""


def require_existing(db: str | None) -> None:
    """Raise ``NoDatabase`` when ``db`` (resolved as ``Store.open`` does) is a SQLite file
    that does not exist, or a path through a file where a folder should be."""
    from runner.state.engine import resolve_url, sqlite_path

    path = sqlite_path(resolve_url(db))
    if path is None or path.is_file():
        return
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise StRunError(f"cannot read the state database {path}: {blocker} is a file, "
                         "not a folder (check $XDG_STATE_HOME, $ST_RUN_DB or --db)")
    if path.exists():
        raise StRunError(f"cannot read the state database {path}: not a file")
    raise NoDatabase(f"no state database at {path} (nothing has run with it yet; "
                     "check --db or $ST_RUN_DB)")


def containers_named(store: Store, name: str) -> list[ContainerRecord]:
    """The container called (or numbered) ``name``, else every member of the group
    ``name`` (containers ``name/SHIP``), by id; ``UnknownContainer`` when neither exists."""
    from runner.domain.ship_group import group_of

    found = store.get_container(name)
    if found is not None:
        return [found]
    members = [r for r in store.list_containers(all=True) if group_of(r.name) == name]
    return members or [store.require_container(name)]


# -- status --------------------------------------------------------------------------------


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Include finished containers.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of containers.")
@click.option("-o", "--output", type=click.Choice(["table", "wide"]), default="table",
              show_default=True, help="wide adds PLAYBOOK, ITERATIONS, GIT and LEASE.")
@click.option("--runners", "show_runners", is_flag=True,
              help="Show the runners holding containers (the lease owners) instead.")
@db_option
def status(show_all: bool, as_json: bool, output: str, db: str | None, sim: bool,
           show_runners: bool = False) -> None:
    """Show containers: active ones (PENDING, RUNNING, BACKOFF, PARKED) unless --all.

    VERSION is the start of the content hash of the playbook version each one runs.
    A group playbook's members (NAME/SHIP) are listed under a count line
    (`miners 6/6 running`); --json gives each container its `group`.
    A RUNNING container whose runner stopped renewing its lease shows UNKNOWN; -o wide
    says since when. Piped, the table is not cut to the terminal's width. --runners lists
    the runners (processes, possibly on other machines) that hold containers' leases.
    """
    registered: list[RunnerInfo] = []
    try:
        with open_store(db, sim) as store:
            records = store.list_containers(all=show_all or show_runners)
            last = store.latest_logs([r.id for r in records])
            if show_runners:
                from runner.state.runners import Runners

                registered = Runners(store.engine, store.lease_clock).list()
    except NoDatabase:
        if db or os.environ.get(DB_ENV):  # a database the user named: say it is missing
            raise
        records, last = [], {}
    now = datetime.now(UTC)
    if show_runners:
        _print_runners(runner_rows(records, now, registered), as_json, now)
        return
    if as_json:
        click.echo(json.dumps([container_json(r, last.get(r.id), now) for r in records],
                              indent=2))
        return
    if not records:
        click.echo("no containers" if show_all else
                   "no active containers (st-run status --all shows finished ones)")
        return
    _print_table(records, last, now, wide=output == "wide")


@dataclass(frozen=True)
class RunnerRow:
    """One runner as ``status --runners`` shows it: a registered runner (a watcher's
    ``runners`` row, with its heartbeat) or a lease owner (``host:pid:tag``), or both."""

    owner: str
    host: str
    pid: str
    containers: tuple[str, ...]
    lease_until: datetime | None
    lapsed: bool
    heartbeat_at: datetime | None = None

    @property
    def held(self) -> int:
        """How many containers it holds."""
        return len(self.containers)


def runner_rows(records: list[ContainerRecord], now: datetime,
                registered: Sequence[RunnerInfo] = ()) -> list[RunnerRow]:
    """The runners: every ``registered`` one (holding containers or not) and every other
    lease owner of ``records``, with the containers each holds (an unexpired lease) and
    its latest lease expiry. Lapsed: its heartbeat (or, unregistered, every lease) was not
    renewed in time, so it is gone or stalled."""
    held: dict[str, list[ContainerRecord]] = {}
    for record in records:
        if record.lease_owner is not None and record.lease_expires_at is not None:
            held.setdefault(record.lease_owner, []).append(record)
    rows = {info.owner: info for info in registered}
    result = []
    for owner in sorted(set(held) | set(rows)):
        mine = held.get(owner, [])
        until = max((r.lease_expires_at for r in mine if r.lease_expires_at is not None),
                    default=None)
        live = [r.name for r in mine if r.lease_expires_at is not None
                and r.lease_expires_at >= now]
        info = rows.get(owner)
        host, _, rest = owner.partition(":")
        if info is not None:
            lapsed = info.expires_at < now
            result.append(RunnerRow(owner, info.host, str(info.pid), tuple(sorted(live)),
                                    until, lapsed, info.heartbeat_at))
            continue
        result.append(RunnerRow(owner, host, rest.partition(":")[0] or "-",
                                tuple(sorted(r.name for r in mine)), until,
                                until is None or until < now))
    return result


def _print_runners(rows: list[RunnerRow], as_json: bool, now: datetime) -> None:
    if as_json:
        click.echo(json.dumps([{"runner": r.owner, "host": r.host, "pid": r.pid,
                                "heartbeat_at": iso(r.heartbeat_at), "held": r.held,
                                "containers": list(r.containers),
                                "lease_until": iso(r.lease_until), "lapsed": r.lapsed}
                               for r in rows], indent=2))
        return
    if not rows:
        click.echo("no runner holds a container")
        return
    click.echo(f"{'RUNNER':<40} {'HOST':<20} {'PID':>8} {'HEARTBEAT':<10} {'HELD':>4} "
               f"{'LEASE':<8} CONTAINERS")
    for r in rows:
        beat = "-" if r.heartbeat_at is None else \
            f"{human(max(0.0, (now - r.heartbeat_at).total_seconds()))} ago"
        click.echo(f"{r.owner:<40} {r.host:<20} {r.pid:>8} {beat:<10} {r.held:>4} "
                   f"{'lapsed' if r.lapsed else 'live':<8} {', '.join(r.containers) or '-'}")


def container_json(record: ContainerRecord, last: LogRecord | None,
                   now: datetime) -> dict[str, Any]:
    """The ``status --json`` object of one container; times are UTC ISO 8601."""
    from runner.domain.ship_group import group_of

    return {
        "id": record.id, "name": record.name, "group": group_of(record.name),
        "ship": record.ship, "agent": record.agent,
        "status": record.status.value, "restarts": record.restarts, "step": record.step_path,
        "iterations": record.iterations, "playbook": record.playbook_path,
        "content_hash": record.content_hash, "git_revision": record.git_revision,
        "started_at": iso(record.started_at), "finished_at": iso(record.finished_at),
        "uptime_s": _uptime(record, now), "next_restart_at": iso(record.next_restart_at),
        "last_error": record.last_error, "stop_requested": record.stop_requested,
        "overrides": record.overrides or {},
        "lease_owner": record.lease_owner, "lease_expires_at": iso(record.lease_expires_at),
        "lease_lapsed": lease_lapsed(record, now),
        "last_log": None if last is None else last.message,
    }


def lease_lapsed(record: ContainerRecord, now: datetime) -> bool:
    """True when a RUNNING container's lease expired: its runner is gone or stalled."""
    return record.status is ContainerStatus.RUNNING and (
        record.lease_expires_at is None or record.lease_expires_at < now)


def lease_text(record: ContainerRecord, now: datetime) -> str:
    """Who holds the lease and until when, or since when it lapsed; ``-`` when free."""
    if record.lease_owner is None or record.lease_expires_at is None:
        return "-"
    left = (record.lease_expires_at - now).total_seconds()
    if left >= 0:
        return f"{record.lease_owner} (renew within {human(left)})"
    return f"lapsed {human(-left)} ago ({record.lease_owner})"


def _print_table(records: list[ContainerRecord], last: dict[int, LogRecord],
                 now: datetime, *, wide: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    from runner.terminal import literal

    headers = [*HEADERS, *(WIDE_HEADERS if wide else ())]
    records = grouped(records)
    counts = group_counts(records, now)
    rows = [_row(r, now, wide) for r in records]
    console = Console(soft_wrap=False)
    piped = not console.is_terminal
    if piped:  # a pipe or a file has no width: never cut a line (grep, less -S, wc)
        console = Console(soft_wrap=False, width=FULL_WIDTH, no_color=True)
    # The last log line gets what the other columns leave of the width, cut to one line.
    used = sum(max(len(h), *(len(row[i]) for row in rows)) + 2 for i, h in enumerate(headers))
    room = FULL_WIDTH if piped else max(12, console.width - used - 2)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for i, header in enumerate(headers):
        # In a narrow terminal the identifying columns stay whole; the others shrink.
        whole = max(len(header), *(len(row[i]) for row in rows)) \
            if header in WHOLE or piped else None
        table.add_column(header, no_wrap=True, overflow="ellipsis", min_width=whole)
    table.add_column("LAST LOG", no_wrap=True, overflow="ellipsis")
    shown: set[str] = set()
    for r, row in zip(records, rows, strict=True):
        group = _group(r)
        if group is not None and group not in shown:
            shown.add(group)
            table.add_row("", literal(counts[group]), *("" for _ in headers[1:]))
        line = last.get(r.id)
        text = ((line.message if line else r.last_error) or "-").splitlines() or ["-"]
        # Names and log lines are user and server text: literal, never Rich markup.
        table.add_row(*(literal(cell) for cell in (*row, _clip(text[0], room))))
    with console.capture() as captured:
        console.print(table)
    # rich pads every row to the table's width; trailing blanks help nobody in a pipe
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def _group(record: ContainerRecord) -> str | None:
    from runner.domain.ship_group import group_of

    return group_of(record.name)


def grouped(records: list[ContainerRecord]) -> list[ContainerRecord]:
    """``records`` with each group's members together, where its first member was."""
    order: dict[str, int] = {}
    for i, record in enumerate(records):
        order.setdefault(_group(record) or f"#{record.id}", i)
    return sorted(records, key=lambda r: (order[_group(r) or f"#{r.id}"], r.name))


def group_counts(records: list[ContainerRecord], now: datetime) -> dict[str, str]:
    """Each group's count line: ``miners 5/6 running, 1 BACKOFF``."""
    statuses: dict[str, list[str]] = {}
    for record in records:
        group = _group(record)
        if group is not None:
            statuses.setdefault(group, []).append(status_text(record, now))
    lines = {}
    for group, seen in statuses.items():
        running = seen.count("RUNNING")
        others = sorted({s for s in seen if s != "RUNNING"})
        rest = "".join(f", {seen.count(s)} {s}" for s in others)
        lines[group] = f"{group} {running}/{len(seen)} running{rest}"
    return lines


def _row(r: ContainerRecord, now: datetime, wide: bool = False) -> list[str]:
    uptime = _uptime(r, now)
    name = f"  {r.name}" if _group(r) is not None else r.name
    row = [str(r.id), name, r.agent, r.ship, status_text(r, now), r.step_path or "-",
           short_hash(r.content_hash), str(r.restarts),
           "-" if uptime is None else human(uptime), _next_retry(r, now)]
    if wide:
        row += [r.playbook_path, str(r.iterations), (r.git_revision or "-")[:SHORT_HASH],
                lease_text(r, now)]
    return row


def status_text(record: ContainerRecord, now: datetime) -> str:
    """STATUS as shown: STOPPING for an active container asked to stop, UNKNOWN when
    its runner stopped renewing the lease: gone or stalled (--json keeps the facts)."""
    if record.stop_requested and record.status.is_active:
        return "STOPPING"
    if lease_lapsed(record, now):
        return "UNKNOWN"
    return record.status.value


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
    """Show the log of one container (or of all) from the database.

    -f follows it: for one container, until that container ends (completed, failed or
    stopped); for all, until Ctrl-C.
    """
    start = parse_since(since, datetime.now(UTC)) if since else None
    emit = _emit_json if as_json else _emit_text
    with open_store(db, sim) as store:
        if container is not None and store.get_container(container) is None:
            _group_logs(store, containers_named(store, container), follow, start, lines, emit)
            return
        history = store.logs(container, since=start, limit=lines) if lines else []
        for record in history:
            emit(record)
        if follow:
            after = history[-1].id if history else _newest_id(store)
            running = (lambda: True) if container is None else _still_running(store, container)
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one leaves -f
                after = follow_logs(store, container, after, emit, keep_going=running)
                while batch := store.logs(container, after_id=after, limit=500):
                    for record in batch:  # what its runner wrote as the container ended
                        emit(record)
                        after = record.id


def _group_logs(store: Store, members: list[ContainerRecord], follow: bool,
                since: datetime | None, lines: int, emit: Callable[[LogRecord], None]
                ) -> None:
    """``logs GROUP``: every member's lines interleaved in commit order (each line names its
    member); ``-f`` follows until every member has ended."""
    ids = [r.id for r in members]
    history = store.logs(container_ids=ids, since=since, limit=lines) if lines else []
    for record in history:
        emit(record)
    if not follow:
        return
    after = history[-1].id if history else _newest_id(store)
    checks = [_still_running(store, str(i)) for i in ids]

    def running() -> bool:
        return any([check() for check in checks])  # a list: every check is polled

    with contextlib.suppress(KeyboardInterrupt):
        after = follow_logs(store, None, after, emit, keep_going=running, container_ids=ids)
        while batch := store.logs(container_ids=ids, after_id=after, limit=500):
            for record in batch:
                emit(record)
                after = record.id


def _still_running(store: Store, container: str) -> Callable[[], bool]:
    """``keep_going`` for ``logs -f NAME``: true until one poll after the container is seen
    finished, so the lines its runner commits with (or just after) the end are shown."""
    ended = False

    def keep_going() -> bool:
        nonlocal ended
        if ended:
            return False
        ended = not store.require_container(container).status.is_active
        return True

    return keep_going


def follow_logs(store: Store, container: str | None, after_id: int,
                emit: Callable[[LogRecord], None], *,
                sleep: Callable[[float], None] = time.sleep,
                keep_going: Callable[[], bool] = lambda: True,
                container_ids: list[int] | None = None) -> int:
    """Emit lines committed after ``after_id`` until ``keep_going()`` is false; polls by id
    (``container_ids``: the lines of those containers, e.g. a group's members).

    Returns the id of the last line emitted (or ``after_id``).
    """
    while keep_going():
        batch = store.logs(container, after_id=after_id, limit=500,
                           container_ids=container_ids)
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
    """Ask the runner holding a container (or each member of a group) to stop it at the
    next safe point."""
    with open_store(db, sim) as store:
        for before in containers_named(store, container):
            _stop_one(store, before)


def _stop_one(store: Store, before: ContainerRecord) -> None:
    from runner.domain.status import ContainerStatus

    after = store.request_stop(before.id)
    if not before.status.is_active:
        click.echo(f"{after.name} (id {after.id}) is already {after.status.value}; "
                   "nothing to stop")
    elif after.status is ContainerStatus.STOPPED:
        click.echo(f"{after.name} (id {after.id}) had no live runner; marked STOPPED")
    else:
        click.echo(f"stop requested for {after.name} (id {after.id}, {after.status.value}); "
                   f"its runner stops it at the next safe point")
