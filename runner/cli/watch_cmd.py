"""``st-run watch DIR`` (also ``st-run --watch DIR``): run every playbook in DIR, follow edits."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from runner.cli.run_cmd import listen_address
from runner.errors import InvalidInput
from runner.watch.folder import Folder

if TYPE_CHECKING:
    from runner.observe.serve import ListenAddress
    from runner.runtime.adapters import AgentDirectory
    from runner.state.store import Store


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--sim", is_flag=True,
              help="Run against an embedded simulator (fast clock, agent registered for you; "
                   "its universe starts over with every watcher).")
@click.option("--db", metavar="URL", help="Database URL or SQLite path (default: $ST_RUN_DB, "
              "else $XDG_STATE_HOME/st-run/state.db; --sim: a new database per run).")
@click.option("--agent", metavar="NAME", help="The agent to run as (default: the default one).")
@click.option("--sim-speed", type=float, default=None, metavar="X",
              help="Clock speed of the embedded simulator (default 20).")
@click.option("--grace", type=float, default=30.0, show_default=True, metavar="SECONDS",
              help="Time containers get to reach a safe point after SIGTERM/SIGINT.")
@click.option("--lease-ttl", type=float, default=None, metavar="SECONDS",
              help="How long a container's lease outlives this process if it dies "
                   "(default 30); the next watcher waits this long at most.")
@click.option("--metrics", metavar="[HOST]:PORT", callback=listen_address,
              help="Serve Prometheus metrics at /metrics (host defaults to 127.0.0.1).")
@click.option("--dashboard", metavar="[HOST]:PORT", callback=listen_address,
              help="Serve the live web dashboard (host defaults to 127.0.0.1).")
def watch(directory: Path, sim: bool, db: str | None, agent: str | None,
          sim_speed: float | None, grace: float, lease_ttl: float | None,
          metrics: ListenAddress | None,
          dashboard: ListenAddress | None) -> None:
    """Run a container for every *.yaml/*.yml playbook under DIRECTORY and follow the folder.

    \b
    New file: validated, then started.  Edited file: validated; if valid, the container
    switches to it at its next safe point; if invalid, the old version keeps running and
    the error is logged.  Deleted file: its container stops.  Renamed file, same content:
    same container.  On start, prints what the database remembers for each playbook and
    what was resumed.  SIGTERM/SIGINT: stop at safe points, exit 0; a second one: at once.
    """
    from runner.envconfig import check_seconds_settings

    check_seconds_settings()
    try:
        folder = Folder.open(directory)
    except (FileNotFoundError, NotADirectoryError):
        raise InvalidInput(f"{directory}: no such directory") from None
    if sim_speed is not None and not sim_speed > 0:
        raise InvalidInput("--sim-speed must be positive")
    if not grace >= 0:
        raise InvalidInput(f"--grace={grace:g}: expected 0 or more seconds")
    if lease_ttl is not None and not lease_ttl >= 1:
        raise InvalidInput("--lease-ttl must be at least 1 second")
    code = asyncio.run(_watch(folder, sim=sim, db=db, agent=agent, sim_speed=sim_speed,
                              grace_s=grace, lease_ttl_s=lease_ttl,
                              metrics=metrics, dashboard=dashboard))
    raise click.exceptions.Exit(code)


async def _watch(folder: Folder, *, sim: bool, db: str | None, agent: str | None,
                 sim_speed: float | None, grace_s: float, lease_ttl_s: float | None,
                 metrics: ListenAddress | None = None,
                 dashboard: ListenAddress | None = None) -> int:
    from runner.observe.serve import observing
    from runner.runtime.foreground import new_sim_db_url
    from runner.runtime.supervisor import Supervisor
    from runner.state.store import Store
    from runner.watch.session import WatchSession

    store = Store.open(db or (new_sim_db_url() if sim else None))
    try:
        async with _agents(sim, agent, sim_speed, store) as agents:
            supervisor = Supervisor(store, agents) if lease_ttl_s is None else \
                Supervisor(store, agents, lease_ttl_s=lease_ttl_s)
            session = WatchSession(folder, supervisor, store, echo=_echo, grace_s=grace_s,
                                   fresh_universe=sim)
            supervisor.on_message = lambda line: _echo(f"runtime: {line}")
            supervisor.on_failed = lambda name, error: _echo(f"error: [{name}] FAILED: {error}")
            async with observing(supervisor, agents, store, metrics=metrics,
                                 dashboard=dashboard, say=_echo):
                return await session.run()
    finally:
        store.close()


@contextlib.asynccontextmanager
async def _agents(sim: bool, agent: str | None, sim_speed: float | None, store: Store
                  ) -> AsyncIterator[AgentDirectory]:
    if sim:
        from runner.runtime.embedded import SIM_SPEED, embedded_sim

        async with embedded_sim(speed=sim_speed or SIM_SPEED) as embedded:
            _echo(f"embedded simulator at {embedded.url}")
            yield embedded.agents
        return
    from runner.runtime.agents import agents_from_environment

    agents = agents_from_environment(agent, store=store)
    try:
        yield agents
    finally:
        await agents.aclose()


def _echo(line: str) -> None:
    """One timestamped line on stderr (stdout stays free for piping)."""
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"{stamp} {line}", file=sys.stderr, flush=True)
