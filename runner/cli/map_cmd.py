"""``st-run map SYSTEM --svg FILE``: draw a system from the cached universe data.

The runtime caches every system it works in (``st-run run``/``watch``, state database);
``--state FILE`` reads a compact state file instead, ``--sim`` the embedded simulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from runner.errors import InvalidInput


@click.command("map")
@click.argument("system")
@click.option("--svg", "svg_file", required=True, metavar="FILE.svg",
              help="Where to write the picture.")
@click.option("--db", metavar="URL", help="Database URL or SQLite path whose cache to read "
              "(default: $ST_RUN_DB, else $XDG_STATE_HOME/st-run/state.db).")
@click.option("--state", "state_file", metavar="FILE",
              help="Read the system from a state file (the compact JSON of tests/compile).")
@click.option("--sim", is_flag=True, help="Read the system from an embedded simulator.")
def map_command(system: str, svg_file: str, db: str | None, state_file: str | None,
                sim: bool) -> None:
    """Draw SYSTEM's waypoints, coloured by type, as SVG."""
    from runner.observe.svg import system_svg

    found = _from_state(system, state_file) if state_file else \
        _from_sim(system) if sim else _from_cache(system, db)
    try:
        Path(svg_file).write_text(system_svg(found), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"--svg {svg_file}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"{found.symbol}: {len(found)} waypoints drawn to {svg_file}", err=True)


def _from_cache(symbol: str, db: str | None) -> Any:
    from runner.state.store import Store

    with Store.open(db) as store:
        cached = store.cached_system(symbol)
        where = store.url
    if cached is None:
        raise InvalidInput(f"system {symbol} is not in the cache of {where}: run a playbook "
                           "in it first, or use --state FILE or --sim")
    return cached[0]


def _from_state(symbol: str, path: str) -> Any:
    from runner.playbook.state_file import load_state

    try:
        system = load_state(Path(path))[0]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not a usable state file ({exc})") from None
    if system.symbol != symbol:
        raise InvalidInput(f"{path} holds system {system.symbol}, not {symbol}")
    return system


def _from_sim(symbol: str) -> Any:
    import asyncio

    from runner.api.errors import ApiError
    from runner.runtime.embedded import embedded_sim

    async def fetch() -> Any:
        async with embedded_sim() as sim:
            return await sim.agents.client(None).get_system(symbol)

    try:
        return asyncio.run(fetch())
    except ApiError as exc:
        raise InvalidInput(f"system {symbol}: {exc.message}") from None
