"""``st-run validate``, ``st-run plan`` and ``st-run schema``.

``validate`` imports only the playbook package (YAML, jsonschema, Jinja2): no simulator,
OR-Tools or SQLAlchemy, so checking a folder in CI takes a fraction of a second.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from runner.errors import InvalidInput

PLAYBOOK_SUFFIXES = (".yaml", ".yml")


def playbook_files(paths: Sequence[str]) -> Iterator[Path]:
    """Files named directly, and every ``*.yaml``/``*.yml`` under folders (sorted)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.suffix in PLAYBOOK_SUFFIXES and p.is_file())
        else:
            yield path


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="text for people, json for tools, github for Actions.")
@click.option("-e", "--extra-var", "extra", multiple=True, metavar="KEY=VALUE",
              help="Override a playbook var (repeatable).")
def validate(paths: tuple[str, ...], fmt: str, extra: tuple[str, ...]) -> None:
    """Check playbooks (files or folders): YAML, schema, templates. Exit 0 if all are valid.

    Checks that need universe data (waypoints exist, legs can be fuelled) run in
    `st-run plan`.
    """
    from runner.playbook.errors import PlaybookError, Problem
    from runner.playbook.model import load_playbook

    overrides = _overrides(extra)
    results: list[tuple[str, list[Problem], str]] = []
    files = list(playbook_files(paths))
    if not files:
        raise InvalidInput(f"no playbooks (*.yaml, *.yml) in {', '.join(paths)}")
    for path in files:
        try:
            load_playbook(path, overrides)
            results.append((str(path), [], ""))
        except PlaybookError as exc:
            results.append((str(path), exc.problems, exc.source))
    _report(results, fmt)
    bad = sum(1 for _, problems, _ in results if problems)
    if bad:
        total = sum(len(problems) for _, problems, _ in results)
        raise InvalidInput(f"{bad} of {len(results)} playbooks invalid "
                           f"({total} problem{'s' if total != 1 else ''})")


def _overrides(extra: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in extra:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise InvalidInput(f"-e {pair!r}: expected KEY=VALUE with a name as KEY")
        out[key.strip()] = value.strip()
    return out


def _report(results: list[tuple[str, list[Any], str]], fmt: str) -> None:
    if fmt == "json":
        data = {"valid": not any(p for _, p, _ in results),
                "files": [{"file": f, "valid": not p, "problems": [x.as_dict() for x in p]}
                          for f, p, _ in results]}
        click.echo(json.dumps(data, indent=2))
        return
    for file, problems, source in results:
        if fmt == "github":
            for p in problems:
                click.echo(f"::error file={p.file},line={p.line},col={p.col}::"
                           f"{_escape(p.message)}")
            continue
        if not problems:
            click.echo(f"{file}: ok")
        for p in problems:
            _echo_problem(p, source)
    if fmt == "text" and not any(p for _, p, _ in results):
        click.echo(f"{len(results)} of {len(results)} playbooks valid")


def _echo_problem(problem: Any, source: str) -> None:
    from runner.playbook.errors import snippet

    color = sys.stderr.isatty()
    click.echo(click.style(str(problem), fg="red", bold=True) if color else str(problem),
               err=True)
    text = snippet(source, problem)
    if text:
        click.echo(text, err=True)


def _escape(message: str) -> str:
    """GitHub workflow-command escaping (``%``, CR, LF)."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


@click.command()
@click.argument("playbook")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--sim", is_flag=True, help="Plan against an embedded simulator.")
@click.option("--state", "state_file", metavar="FILE",
              help="Plan offline from a state file (the compact JSON of tests/compile).")
@click.option("-e", "--extra-var", "extra", multiple=True, metavar="KEY=VALUE",
              help="Override a playbook var (repeatable).")
@click.option("--agent", metavar="NAME", help="The agent to plan for.")
def plan(playbook: str, as_json: bool, sim: bool, state_file: str | None,
         extra: tuple[str, ...], agent: str | None) -> None:
    """Show what PLAYBOOK would do, without doing it: legs, fuel, time, credits, requests."""
    from runner.playbook.compiler import compile_playbook
    from runner.playbook.errors import PlaybookError
    from runner.playbook.model import load_playbook
    from runner.playbook.plan_view import plan_text, plan_to_dict

    try:
        book = load_playbook(playbook, _overrides(extra))
        if state_file:
            system, ship, agent_value, ships = _state_from_file(state_file, book)
        else:
            system, ship, agent_value, ships = _fetch(book, sim, agent)
        result = compile_playbook(book, system, ship, agent_value, ships=ships)
    except PlaybookError as exc:
        for problem in exc.problems:
            _echo_problem(problem, exc.source)
        count = len(exc.problems)
        raise InvalidInput(f"{playbook}: {count} problem{'s' if count != 1 else ''}") from None
    start = datetime.now(UTC)
    if as_json:
        click.echo(json.dumps(plan_to_dict(result, start=start), indent=2))
    else:
        click.echo(plan_text(result, start=start))


def _state_from_file(path: str, book: Any) -> tuple[Any, Any, Any, list[Any]]:
    from runner.playbook.selectors import resolve_ship
    from runner.playbook.state_file import load_state

    try:
        system, ships, agent = load_state(Path(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not a usable state file ({exc})") from None
    return system, _pick(book, ships, resolve_ship), agent, ships


def _pick(book: Any, ships: list[Any], resolve: Any) -> Any:
    from runner.playbook.errors import StepError

    try:
        return resolve(book.ship, ships)
    except StepError as exc:
        raise InvalidInput(f"{book.path}: {exc.message}") from None


def _fetch(book: Any, sim: bool, agent: str | None) -> tuple[Any, Any, Any, list[Any]]:
    import asyncio

    return asyncio.run(_fetch_async(book, sim, agent))


async def _fetch_async(book: Any, sim: bool, agent: str | None
                       ) -> tuple[Any, Any, Any, list[Any]]:
    from runner.playbook.selectors import resolve_ship

    if sim:
        from runner.runtime.embedded import embedded_sim

        async with embedded_sim() as embedded:
            return await _universe(embedded.agents.client(None), book, resolve_ship)
    from runner.runtime.agents import agents_from_environment

    agents = agents_from_environment(agent)
    try:
        return await _universe(agents.client(book.agent), book, resolve_ship)
    finally:
        await agents.aclose()


async def _universe(client: Any, book: Any, resolve: Any) -> tuple[Any, Any, Any, list[Any]]:
    """Agent, ships, the ship's system and its markets, read through the API client."""
    import asyncio
    from dataclasses import replace

    from runner.domain.universe import System

    agent = await client.get_agent()
    ships = list(await client.list_ships())
    ship = _pick(book, ships, resolve)
    system = await client.get_system(ship.nav.system)
    with_market = [w for w in system if w.has_market]
    markets = await asyncio.gather(*(client.get_market(w.symbol) for w in with_market))
    by_symbol = {m.symbol: m for m in markets}
    waypoints = [replace(w, market=by_symbol.get(w.symbol, w.market)) for w in system]
    full = System.of(system.symbol, waypoints, type=system.type, x=system.x, y=system.y)
    return full, ship, agent, ships


@click.command()
def schema() -> None:
    """Print the playbook JSON Schema (draft 2020-12) that editors use."""
    from runner.playbook.schema import schema_text

    click.echo(schema_text(), nl=False)
