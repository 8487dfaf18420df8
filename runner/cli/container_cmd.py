"""``st-run describe``, ``start``, ``restart`` and ``rm``: one container, from the terminal.

``describe`` only reads. ``start`` records the desired state (a STOPPED or FAILED container
becomes PENDING again, keeping its checkpoints) and then runs it in the foreground, as
``st-run PLAYBOOK`` does; with ``--detach`` it only records it, for a watcher managing the
container to resume. ``restart`` is ``stop``, a wait for the runner to let go, then
``start``. ``rm`` deletes finished containers with their history.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from runner.cli.status_cmd import (
    container_json,
    containers_named,
    db_option,
    human,
    iso,
    lease_text,
    open_store,
    short_hash,
    status_text,
)
from runner.errors import InvalidInput, StRunError
from runner.state.records import CorruptState

if TYPE_CHECKING:
    from runner.state.store import Checkpoint, ContainerRecord, LogRecord, Store

HISTORY_LINES = 10
"""Restart-history lines ``describe`` shows (the newest)."""
RECENT_LINES = 5
"""Newest log lines ``describe`` shows."""
HISTORY_WORDS = ("restart", "start requested", "stopped", "stop requested", "resum",
                 "failed", "backoff", "back-off")
"""A log line mentioning one of these (any case) belongs to the restart history."""
STOP_POLL_S = 0.5
"""Seconds between two looks at a container ``restart`` waits for."""


# -- describe ------------------------------------------------------------------------------


@click.command()
@click.argument("container", metavar="NAME|ID")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def describe(container: str, as_json: bool, db: str | None, sim: bool) -> None:
    """Everything about one container: playbook file and version, ship, agent, restart
    policy and history, current step and checkpoint, registered values, last error.
    A group's name describes each member (--json: a list)."""
    now = datetime.now(UTC)
    with open_store(db, sim) as store:
        single = store.get_container(container) is not None  # else a group's name
        records = containers_named(store, container)
        described = [(r, _describe_data(store, r, now)) for r in records]
    if as_json:
        data: Any = described[0][1] if single else [d for _, d in described]
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo("\n\n".join(describe_text(r, d, now) for r, d in described))


def _describe_data(store: Store, record: ContainerRecord, now: datetime) -> dict[str, Any]:
    unreadable = None
    try:
        checkpoint = store.last_checkpoint(record.id)
    except CorruptState as exc:  # its stored state cannot be read: say so, show the rest
        checkpoint, unreadable = None, f"unreadable ({exc.message})"
    log = store.logs(record.id, limit=1000)
    data = describe_json(record, checkpoint, log, now)
    if unreadable:
        data["checkpoint_error"] = unreadable
    return data


def describe_json(record: ContainerRecord, checkpoint: Checkpoint | None,
                  log: list[LogRecord], now: datetime) -> dict[str, Any]:
    """``describe --json``: ``status --json``'s object plus policy, checkpoint, values and
    history."""
    from runner.cli.status_cmd import log_json

    state = checkpoint.state if checkpoint is not None else {}
    history = [line for line in log if _is_history(line.message)][-HISTORY_LINES:]
    return {
        **container_json(record, log[-1] if log else None, now),
        "desired": desired_state(record, log[-1] if log else None),
        "restart_policy": restart_policy(record.source_text),
        "checkpoint": None if checkpoint is None else {
            "step": checkpoint.step_path, "command_index": checkpoint.command_index,
            "at": iso(checkpoint.created_at)},
        "registered": state.get("registered", {}) if isinstance(state, dict) else {},
        "restart_history": [log_json(line) for line in history],
        "recent_log": [log_json(line) for line in log[-RECENT_LINES:]],
    }


def describe_text(record: ContainerRecord, data: dict[str, Any], now: datetime) -> str:
    """The text of ``describe``: ``Field: value`` lines, then the lists."""
    since = _since(record.finished_at or record.started_at, now)
    fields = [
        ("Name", f"{record.name} (id {record.id})"),
        ("Status", f"{status_text(record, now)}{since}"),
        ("Desired", data["desired"]),
        ("Agent", record.agent),
        ("Ship", record.ship),
        ("Playbook", record.playbook_path),
        ("Version", f"{short_hash(record.content_hash)}"
                    + (f" (git {record.git_revision[:12]})" if record.git_revision else "")),
        ("Restart policy", data["restart_policy"]),
        ("Restarts", f"{record.restarts}{_next_restart(record, now)}"),
        ("Step", f"{record.step_path or '-'} (iteration {record.iterations})"),
        ("Checkpoint", data.get("checkpoint_error") or _checkpoint_text(data["checkpoint"])),
        ("Lease", lease_text(record, now)),
        ("Last error", record.last_error or "-"),
    ]
    width = max(len(name) for name, _ in fields) + 2
    lines = [f"{name + ':':<{width}}{value}" for name, value in fields]
    lines.append("Registered values:" if data["registered"] else "Registered values: none")
    lines += [f"  {key} = {json.dumps(value, default=str)}"
              for key, value in sorted(data["registered"].items())]
    for title, entries in (("Restart history", data["restart_history"]),
                           ("Recent log", data["recent_log"])):
        lines.append(f"{title}:" if entries else f"{title}: none")
        lines += [f"  {e['time'][:19].replace('T', ' ')} {e['level']:<7} {e['message']}"
                  for e in entries]
    return "\n".join(lines)


def desired_state(record: ContainerRecord, last: LogRecord | None) -> str:
    """What the user asked for: ``stopped`` after ``st-run stop`` (kept until ``start``),
    ``running`` while active or when only a watcher's shutdown stopped it, else ``-`` (it
    ran to its end)."""
    from runner.watch.runtime_fleet import SHUTDOWN_MARKER

    if record.stop_requested:
        return "stopped (a stop was requested)"
    if record.status.value == "STOPPED":
        if last is not None and last.message == SHUTDOWN_MARKER:
            return "running (stopped by a watcher's shutdown; the watcher resumes it)"
        return f"stopped (`st-run start {record.name}` runs it again)"
    return "running" if record.status.is_active else "-"


def restart_policy(source_text: str | None) -> str:
    """The ``restart:`` of the stored playbook version (``no`` when it has none)."""
    import yaml

    if not source_text:
        return "unknown (no stored version)"
    try:
        document = yaml.safe_load(source_text)
    except yaml.YAMLError:
        return "unknown (the stored version is not YAML)"
    value = document.get("restart", "no") if isinstance(document, dict) else "no"
    return str(value if value is not None else "no")


def _is_history(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in HISTORY_WORDS)


def _since(moment: datetime | None, now: datetime) -> str:
    return "" if moment is None else f" for {human((now - moment).total_seconds())} " \
        f"(since {moment:%Y-%m-%d %H:%M:%S} UTC)"


def _next_restart(record: ContainerRecord, now: datetime) -> str:
    if record.next_restart_at is None or not record.status.is_active:
        return ""
    wait = max(0.0, (record.next_restart_at - now).total_seconds())
    return f", next in {human(wait)} (at {record.next_restart_at:%H:%M:%S} UTC)"


def _checkpoint_text(checkpoint: dict[str, Any] | None) -> str:
    if checkpoint is None:
        return "none (starts from the top)"
    return (f"{checkpoint['step']} command {checkpoint['command_index']} at "
            f"{checkpoint['at'][:19].replace('T', ' ')} UTC")


# -- start / restart -----------------------------------------------------------------------


def run_options(func: Any) -> Any:
    """``--detach``, ``--agent`` and ``--grace`` of ``start`` and ``restart``."""
    func = click.option("--grace", type=float, default=None, metavar="SECONDS",
                        help="Time to reach a safe point after Ctrl-C (default 30).")(func)
    func = click.option("--agent", metavar="NAME",
                        help="The agent to run as (default: the default one).")(func)
    return click.option("-d", "--detach", is_flag=True,
                        help="Only mark it to run: a watcher managing it resumes it.")(func)


@click.command()
@click.argument("container", metavar="NAME|ID")
@run_options
@db_option
def start(container: str, detach: bool, agent: str | None, grace: float | None,
          db: str | None, sim: bool) -> None:
    """Start a STOPPED or FAILED container again, from its last checkpoint.

    Runs it in the foreground like `st-run PLAYBOOK` (exit codes as for run). With
    --detach it is only marked PENDING, so that a watcher managing it resumes it (at its
    next re-scan, or when it restarts). A group's name starts each member.
    """
    _check_grace(grace)
    with open_store(db, sim) as store:
        records = [mark_to_run(store, str(r.id), detach)
                   for r in containers_named(store, container)]
    _run_or_detach(records, detach, db, sim, agent, grace)


@click.command()
@click.argument("container", metavar="NAME|ID")
@click.option("--timeout", type=float, default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for its runner to stop it.")
@run_options
@db_option
def restart(container: str, timeout: float, detach: bool, agent: str | None,
            grace: float | None, db: str | None, sim: bool) -> None:
    """Stop a container (or each member of a group) at its next safe point, then start it
    again from its checkpoint."""
    _check_grace(grace)
    with open_store(db, sim) as store:
        members = containers_named(store, container)
        for before in members:
            if before.status.is_active:
                store.request_stop(before.id)
                click.echo(f"stopping {before.name} (id {before.id}) at its next safe point")
        for before in members:
            wait_until_stopped(store, before.id, timeout)
        records = [mark_to_run(store, str(r.id), detach) for r in members]
    _run_or_detach(records, detach, db, sim, agent, grace)


def _check_grace(grace: float | None) -> None:
    if grace is not None and not grace >= 0:
        raise InvalidInput("--grace must be 0 or more seconds")


def mark_to_run(store: Store, container: str, detach: bool) -> ContainerRecord:
    """Record that ``container`` should run (STOPPED/FAILED -> PENDING); refuses one that a
    live runner drives, and a COMPLETED one with ``detach`` (a watcher runs it again only
    when its file changes)."""
    from runner.state.manage import request_start

    before = store.require_container(container)
    if detach and before.status.value == "COMPLETED":
        raise StRunError(f"{before.name} (id {before.id}) COMPLETED: a watcher runs it again "
                         f"when its file changes; `st-run start {before.name}` without -d "
                         "runs it again here")
    record = request_start(store, before.id)
    now = store.clock()
    if record.status.is_active and record.lease_expires_at is not None \
            and record.lease_expires_at >= now and record.lease_owner is not None:
        raise StRunError(f"{record.name} (id {record.id}) is already {record.status.value}, "
                         f"run by {record.lease_owner}; nothing to start")
    if before.status is not record.status:
        click.echo(f"{record.name} (id {record.id}): {before.status.value} -> "
                   f"{record.status.value}")
    elif record.status.value == "COMPLETED":
        click.echo(f"{record.name} (id {record.id}) COMPLETED: it runs again from the top")
    return record


def wait_until_stopped(store: Store, container_id: int, timeout_s: float, *,
                       sleep: Callable[[float], None] = time.sleep) -> ContainerRecord:
    """Poll until the container is no longer active; ``StRunError`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        record = store.require_container(container_id)
        if not record.status.is_active:
            return record
        if time.monotonic() >= deadline:
            raise StRunError(f"{record.name} is still {record.status.value} after "
                             f"{timeout_s:g}s; its runner ({record.lease_owner}) stops it "
                             "at its next safe point; try `st-run start` then")
        sleep(STOP_POLL_S)


def _run_or_detach(records: list[ContainerRecord], detach: bool, db: str | None, sim: bool,
                   agent: str | None, grace: float | None) -> None:
    """Leave the containers to a watcher (``detach``), or run their playbook files here
    (a group's members: the group's file, running only those members)."""
    if detach:
        for record in records:
            click.echo(f"{record.name} is {record.status.value}: a watcher managing "
                       f"{record.playbook_path} resumes it; or `st-run start {record.name}` "
                       "runs it here")
        return
    import asyncio

    from runner.domain.ship_group import group_of
    from runner.runtime.foreground import RunOptions, run_foreground

    paths = list(dict.fromkeys(Path(r.playbook_path) for r in records))
    for record in records:
        if not Path(record.playbook_path).is_file():
            raise InvalidInput(f"{record.name}: its playbook file {record.playbook_path} no "
                               "longer exists")
    members = frozenset(r.name for r in records if group_of(r.name) is not None)
    options = RunOptions(paths, sim=sim, db=db, agent=agent, members=members or None)
    if grace is not None:
        options.grace_s = grace
    sys.exit(asyncio.run(run_foreground(options)))


# -- rm ------------------------------------------------------------------------------------


@click.command()
@click.argument("containers", nargs=-1, metavar="[NAME|ID]...")
@click.option("--all-finished", is_flag=True,
              help="Remove every COMPLETED, FAILED and STOPPED container.")
@db_option
def rm(containers: tuple[str, ...], all_finished: bool, db: str | None, sim: bool) -> None:
    """Remove finished containers with their checkpoints and logs.

    An active container (PENDING, RUNNING, BACKOFF, PARKED) is refused: stop it first.
    """
    from runner.state.manage import remove, remove_finished

    if not containers and not all_finished:
        raise InvalidInput("name the containers to remove, or give --all-finished")
    if containers and all_finished:
        raise InvalidInput("give either container names or --all-finished, not both")
    with open_store(db, sim) as store:
        if all_finished:
            removed = remove_finished(store)
            for record in removed:
                _removed(record)
            if not removed:
                click.echo("no finished containers")
            return
        for name in containers:  # one by one: each removal is said before the next is tried
            for record in containers_named(store, name):  # a group: each member
                _removed(remove(store, record.id))


def _removed(record: ContainerRecord) -> None:
    click.echo(f"removed {record.name} (id {record.id}, {record.status.value})")
