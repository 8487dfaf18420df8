"""``st-run run PLAYBOOK...`` (also ``st-run PLAYBOOK...``): run playbooks in the foreground."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from runner.cli.overrides import parse_overrides, warn_unused_overrides
from runner.errors import InvalidInput

if TYPE_CHECKING:
    from runner.observe.serve import ListenAddress


def listen_address(ctx: click.Context, param: click.Parameter, value: str | None
                   ) -> ListenAddress | None:
    """Click callback: ``--metrics``/``--dashboard`` text as a ``ListenAddress`` (or None)."""
    if value is None:
        return None
    from runner.observe.serve import ListenAddress

    return ListenAddress.parse(value, f"--{param.name}")


@click.command()
@click.argument("playbooks", nargs=-1, required=True)
@click.option("--sim", is_flag=True,
              help="Run against an embedded simulator (fast clock, agent registered for you).")
@click.option("--fresh", is_flag=True, help="Start over instead of resuming from checkpoints.")
@click.option("--replace", is_flag=True, help="Take over a container name that another "
              "playbook file (or agent) owns; that container starts over with this file.")
@click.option("--db", metavar="URL", help="Database URL or SQLite path (default: $ST_RUN_DB, "
              "else $XDG_STATE_HOME/st-run/state.db; --sim: a new database per run).")
@click.option("-e", "--extra-var", "extra", multiple=True, metavar="KEY=VALUE",
              help="Override a playbook var (repeatable).")
@click.option("--agent", metavar="NAME", help="The agent to run as (default: the default one).")
@click.option("--sim-speed", type=float, default=None, metavar="X",
              help="Clock speed of the embedded simulator (default 20).")
@click.option("--sim-seed", type=int, default=None, metavar="N",
              help="Seed of the embedded simulator's universe (default 1).")
@click.option("--grace", type=float, default=None, metavar="SECONDS",
              help="Time to reach a safe point after Ctrl-C before cancelling (default 30).")
@click.option("--metrics", metavar="[HOST]:PORT", callback=listen_address,
              help="Serve Prometheus metrics at /metrics (host defaults to 127.0.0.1).")
@click.option("--dashboard", metavar="[HOST]:PORT", callback=listen_address,
              help="Serve the live web dashboard (host defaults to 127.0.0.1).")
def run(playbooks: tuple[str, ...], sim: bool, fresh: bool, replace: bool, db: str | None,
        extra: tuple[str, ...], agent: str | None, sim_speed: float | None,
        sim_seed: int | None, grace: float | None, metrics: ListenAddress | None,
        dashboard: ListenAddress | None) -> None:
    """Run PLAYBOOK... in the foreground; resume unfinished ones from their checkpoints.

    Exit status: 0 all completed, 1 any failed, 2 invalid input, 3 stopped by `st-run stop`,
    130 interrupted.
    """
    from runner.envconfig import check_seconds_settings
    from runner.runtime.foreground import RunOptions, run_foreground

    check_seconds_settings()
    paths = [Path(p) for p in playbooks]
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path}: no such playbook file")
    overrides = parse_overrides(extra)
    if overrides:
        warn_unused_overrides({str(p): p.read_text(errors="replace") for p in paths},
                              overrides)
    options = RunOptions(paths, sim=sim, fresh=fresh, replace=replace, db=db, overrides=overrides,
                         agent=agent, metrics=metrics, dashboard=dashboard)
    if sim_speed is not None:
        if not sim_speed > 0:
            raise InvalidInput("--sim-speed must be positive")
        options.sim_speed = sim_speed
    if sim_seed is not None:
        options.sim_seed = sim_seed
    if grace is not None:
        if not grace >= 0:
            raise InvalidInput(f"--grace={grace:g}: expected 0 or more seconds")
        options.grace_s = grace
    code = asyncio.run(run_foreground(options))
    # SystemExit, not click's Exit: the group runs with standalone_mode=False, where click
    # would turn Exit into a return value and the process would exit 0.
    sys.exit(code)
