"""``st-run validate``, ``st-run plan`` and ``st-run schema``.

``validate`` imports only the playbook package (YAML, jsonschema, Jinja2): no simulator,
OR-Tools or SQLAlchemy, so checking a folder in CI takes a fraction of a second.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import click

from runner.cli.overrides import parse_overrides, warn_unused_overrides
from runner.errors import InvalidInput


def playbook_files(paths: Sequence[str]) -> Iterator[Path]:
    """Files named directly, and the playbooks under folders (sorted) as watch mode sees
    them: ``*.yaml``/``*.yml``, not in a hidden folder (``.github/``), no editor leftovers."""
    from runner.watch.folder import is_playbook_path

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and
                              is_playbook_path(PurePosixPath(p.relative_to(path).as_posix())))
        else:
            yield path


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="text for people, json for tools, github for Actions.")
@click.option("-e", "--extra-var", "extra", multiple=True, metavar="KEY=VALUE",
              help="Override a playbook var (repeatable).")
@click.option("--state", "state_file", metavar="FILE",
              help="Also check meaning against a state file (compact JSON).")
@click.option("--sim", is_flag=True, help="Also check meaning against an embedded simulator.")
def validate(paths: tuple[str, ...], fmt: str, extra: tuple[str, ...],
             state_file: str | None, sim: bool) -> None:
    """Check playbooks (files or folders): YAML, schema, templates. Exit 0 if all are valid.

    A folder is checked as `st-run watch` sees it: hidden folders and editor leftovers are
    skipped, and two playbooks in it with the same name are an error.

    Offline by default. With universe data (--state FILE or --sim) it also checks meaning,
    as `st-run plan` does: waypoints exist, the ship can do each action, legs can be fuelled.
    """
    from runner.playbook.errors import PlaybookError, Problem
    from runner.playbook.model import load_playbook

    overrides = parse_overrides(extra)
    results: list[tuple[str, list[Problem], str]] = []
    files = list(playbook_files(paths))
    if not files:
        raise InvalidInput(f"no playbooks (*.yaml, *.yml) in {', '.join(paths)}")
    books = []
    for path in files:
        try:
            books.append(load_playbook(path, overrides))
            results.append((str(path), [], ""))
        except PlaybookError as exc:
            results.append((str(path), exc.problems, exc.source))
    # Clashes matter where a folder is one fleet (watch mode); files named one by one are
    # often unrelated (test cases that all take their name from `playbook.yaml`).
    in_folders = {str(p) for p in playbook_files([p for p in paths if Path(p).is_dir()])}
    results = _with_name_clashes(results, [b for b in books if b.path in in_folders])
    if overrides and books:
        warn_unused_overrides({book.path: book.source for book in books}, overrides)
    if state_file or sim:
        results = _with_meaning(results, books, state_file, sim)
    _report(results, fmt)
    bad = sum(1 for _, problems, _ in results if problems)
    if bad:
        total = sum(len(problems) for _, problems, _ in results)
        raise InvalidInput(f"{bad} of {len(results)} playbooks invalid "
                           f"({total} problem{'s' if total != 1 else ''})")


def _with_meaning(results: list[Any], books: list[Any], state_file: str | None,
                  sim: bool) -> list[Any]:
    """``results`` with the compiler's problems added for the playbooks that loaded."""
    from runner.playbook.compiler import compile_playbook
    from runner.playbook.errors import PlaybookError, Problem

    by_path = {book.path: book for book in books}
    out = []
    with Universe(state_file, sim, None) as universe:
        for file, problems, source in results:
            book = by_path.get(file)
            if book is not None and not problems:
                try:
                    for _name, symbol, slot in universe.members(book):
                        system, ship, agent, ships = universe.for_playbook(book, symbol)
                        compile_playbook(book, system, ship, agent, ships=ships,
                                         atlas=universe.atlas(book, ship, system, agent),
                                         game=universe.game(book, system), slot=slot)
                except PlaybookError as exc:
                    problems, source = exc.problems, exc.source
                except NoSuchShip as exc:
                    line, col = _ship_position(book.source)
                    problems, source = [Problem(file, line, col, exc.detail)], book.source
            out.append((file, problems, source))
    return out


def _with_name_clashes(results: list[Any], books: list[Any]) -> list[Any]:
    """``results`` with a problem on every playbook whose name another one also has: the
    name is the container's, so only one of them could ever run."""
    from runner.playbook.errors import Problem

    by_name: dict[str, list[Any]] = {}
    for book in books:
        by_name.setdefault(book.name, []).append(book)
    clashes: dict[str, Problem] = {}
    for name, same in by_name.items():
        for book in same if len(same) > 1 else ():
            others = ", ".join(b.path for b in same if b is not book)
            line, col = _top_key_position(book.source, "name")
            clashes[book.path] = Problem(book.path, line, col, f"playbook name `{name}` is "
                                         f"also the name of {others}; each playbook names "
                                         "its own container, give each another `name:`")
    sources = {book.path: book.source for book in books}
    return [(file, [*problems, clashes[file]], source or sources.get(file, ""))
            if file in clashes else (file, problems, source)
            for file, problems, source in results]


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
    if text and color:  # the caret line in red, the source dimmed
        *shown, caret = text.split("\n")
        text = "\n".join([*(click.style(line, dim=True) for line in shown),
                          click.style(caret, fg="red", bold=True)])
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
@click.option("--map", "map_file", metavar="FILE.svg",
              help="Also draw the system with the planned legs, flight modes, refuel stops "
                   "and tour order as SVG.")
@click.option("--ship", "only_ship", metavar="SHIP",
              help="For a group playbook (`ships:`): plan for this member only.")
def plan(playbook: str, as_json: bool, sim: bool, state_file: str | None,
         extra: tuple[str, ...], agent: str | None, map_file: str | None,
         only_ship: str | None = None) -> None:
    """Show what PLAYBOOK would do, without doing it: legs, fuel, time, credits, requests.

    A group playbook (`ships:`) is planned for every matching ship, one section each (as
    `run` would start them, with their `ship.index` and `ship.count`), or for --ship S.
    Universe data comes from --state FILE, --sim, or the API (SPACETRADERS_TOKEN,
    ST_RUN_API_URL).
    """
    from runner.playbook.errors import PlaybookError
    from runner.playbook.model import load_playbook

    try:
        overrides = parse_overrides(extra)
        book = load_playbook(playbook, overrides)
        warn_unused_overrides({book.path: book.source}, overrides)
        if only_ship is not None and book.ships is None:
            raise InvalidInput(f"{playbook}: --ship is for group playbooks (`ships:`); this "
                               "one runs on its `ship:`")
        with Universe(state_file, sim, agent) as universe:
            plans = _plans(universe, book, only_ship)
    except PlaybookError as exc:
        for problem in exc.problems:
            _echo_problem(problem, exc.source)
        count = len(exc.problems)
        raise InvalidInput(f"{playbook}: {count} problem{'s' if count != 1 else ''}") from None
    if not plans:
        click.echo(f"{book.name}: no ship matches "
                   f"{book.ships.describe() if book.ships else 'its ship'} yet; nothing to "
                   "plan (run starts a member for each ship that matches later)")
        return
    if map_file:
        _write_map(map_file, plans[0][2], plans[0][3])
    _show_plans(plans, as_json, group=book.ships is not None and only_ship is None)


def _plans(universe: Universe, book: Any, only_ship: str | None) -> list[Any]:
    """(container name, slot, plan, system) for each ship the playbook runs on."""
    from runner.playbook.compiler import compile_playbook

    members = universe.members(book)
    if only_ship is not None:
        names = [symbol for _, symbol, _ in members]
        members = [m for m in members if m[1] == only_ship]
        if not members:
            raise InvalidInput(f"{book.path}: {only_ship} is not a member of group "
                               f"{book.name} (members: {', '.join(names) or 'none'})")
    plans = []
    for name, symbol, slot in members:
        system, ship, agent_value, ships = universe.for_playbook(book, symbol)
        atlas = universe.atlas(book, ship, system, agent_value)
        game = universe.game(book, system)
        plans.append((name, slot, compile_playbook(book, system, ship, agent_value,
                                                   ships=ships, atlas=atlas, game=game,
                                                   slot=slot), system))
    return plans


def _show_plans(plans: list[Any], as_json: bool, *, group: bool) -> None:
    """One plan as before; a group's: one section (JSON: one object) per member."""
    from runner.playbook.plan_view import plan_text, plan_to_dict

    start = datetime.now(UTC)
    if not group:
        result = plans[0][2]
        click.echo(json.dumps(plan_to_dict(result, start=start), indent=2) if as_json
                   else plan_text(result, start=start))
        return
    if as_json:
        click.echo(json.dumps([{"container": name, "index": slot.index, "count": slot.count,
                                **plan_to_dict(result, start=start)}
                               for name, slot, result, _ in plans], indent=2))
        return
    click.echo("\n\n".join(f"== {name} (ship.index {slot.index} of {slot.count}) ==\n"
                            f"{plan_text(result, start=start)}"
                            for name, slot, result, _ in plans))


def _write_map(path: str, plan: Any, system: Any) -> None:
    """Write the plan's SVG map; one line on stderr says where (stdout stays the plan)."""
    from runner.observe.svg import plan_svg

    try:
        Path(path).write_text(plan_svg(plan, system), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"--map {path}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"map of {len(plan.legs)} legs written to {path}", err=True)


class Universe:
    """Where ``plan`` and ``validate`` get system, ships and agent: a state file, the embedded
    simulator, or the API. Use as a context manager; ``for_playbook`` per playbook."""

    def __init__(self, state_file: str | None, sim: bool, agent: str | None) -> None:
        self.state_file, self.sim, self.agent = state_file, sim, agent
        self.state: tuple[Any, list[Any], Any] | None = None
        self.runner: Any = None
        self.closers: list[Any] = []
        self.fleet: dict[int, tuple[Any, list[Any]]] = {}
        self.systems: dict[str, Any] = {}
        self.store: Any = None  # the state store, whose universe cache plan shares with run
        self.galaxy: Any = None

    def __enter__(self) -> Universe:
        if self.state_file:
            from runner.playbook.state_file import load_state

            try:
                self.state = load_state(Path(self.state_file))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise InvalidInput(f"{self.state_file}: not a usable state file ({exc})") \
                    from None
            return self
        import asyncio

        self.runner = asyncio.Runner()
        try:
            self._open()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _open(self) -> None:
        if self.sim:
            from runner.runtime.embedded import embedded_sim

            context = embedded_sim()
            embedded = self.runner.run(context.__aenter__())
            self.closers.append(lambda: context.__aexit__(None, None, None))
            self.directory = embedded.agents
        else:
            from runner.runtime.agents import agents_from_environment

            self.directory = agents_from_environment(self.agent)
            self.closers.append(self.directory.aclose)
            self.store = _universe_cache()

    def __exit__(self, *exc: object) -> None:
        if self.store is not None:
            self.store.close()
        for close in reversed(self.closers):
            self.runner.run(close())
        if self.runner is not None:
            self.runner.close()

    def for_playbook(self, book: Any, symbol: str | None = None
                     ) -> tuple[Any, Any, Any, list[Any]]:
        """(system with markets, the playbook's ship, agent, all ships); ``symbol``: this
        ship instead of the one the playbook's ``ship`` names (a group's member)."""
        if self.state is not None:
            system, ships, agent = self.state
            return system, _pick(book, ships, symbol), agent, ships
        client = self.directory.client(None if self.sim else book.agent)
        return self.runner.run(  # type: ignore[no-any-return]
            self._fetch(client, book, symbol))

    def members(self, book: Any) -> list[tuple[str, str, Any]]:
        """(container name, ship symbol, slot) for each ship ``book`` runs on: its one
        ship, or every member of its group."""
        from runner.domain.ship_group import ShipSlot

        if book.ships is None:
            return [(book.name, self.for_playbook(book)[1].symbol, ShipSlot())]
        if self.state is not None:
            ships = self.state[1]
        else:
            client = self.directory.client(None if self.sim else book.agent)
            ships = self.runner.run(self._fleet(client))[1]
        return [(f"{book.name}/{ship.symbol}", ship.symbol, slot)
                for ship, slot in book.ships.members(ships)]

    def atlas(self, book: Any, ship: Any, system: Any, agent: Any) -> Any:
        """The galaxy and the other systems the playbook's navigate steps name (an empty
        atlas when it names none, or offline from a state file)."""
        from runner.actions.navigate import playbook_systems
        from runner.domain.galaxy import Atlas

        named = playbook_systems(book, ship, system, agent)
        if self.state is not None or not named:
            return Atlas()
        client = self.directory.client(None if self.sim else book.agent)
        return self.runner.run(self._atlas(client, named))

    def game(self, book: Any, system: Any) -> Any:
        """Contracts and construction for the game's template names (fetched only when the
        playbook reads them; nothing offline from a state file)."""
        from runner.playbook.game_names import GameData
        from runner.runtime.adapters import fetch_game_data

        if self.state is not None:
            return GameData(now=datetime.now(UTC))
        client = self.directory.client(None if self.sim else book.agent)
        return self.runner.run(fetch_game_data(client, book, system))

    async def _atlas(self, client: Any, named: set[str]) -> Any:
        from runner.api.galaxy import fetch_galaxy
        from runner.domain.galaxy import Atlas

        if self.galaxy is None:
            self.galaxy = await fetch_galaxy(client, datetime.now(UTC))
        for symbol in sorted(named):
            if symbol in self.galaxy and symbol not in self.systems:
                self.systems[symbol] = await self._system(client, symbol)
        return Atlas(self.galaxy, dict(self.systems))

    async def _fleet(self, client: Any) -> tuple[Any, list[Any]]:
        if id(client) not in self.fleet:
            self.fleet[id(client)] = (await client.get_agent(), list(await client.list_ships()))
        return self.fleet[id(client)]

    async def _fetch(self, client: Any, book: Any, symbol: str | None
                     ) -> tuple[Any, Any, Any, list[Any]]:
        agent, ships = await self._fleet(client)
        ship = _pick(book, ships, symbol)
        if ship.nav.system not in self.systems:
            self.systems[ship.nav.system] = await self._system(client, ship.nav.system)
        return self.systems[ship.nav.system], ship, agent, ships


    async def _system(self, client: Any, symbol: str) -> Any:
        """The system with its markets: from the state store's universe cache (shared with
        ``run``; fetched again after a day) when there is one, else from the API."""
        from runner.runtime.adapters import Universe as Cached
        from runner.runtime.adapters import fetch_system

        if self.store is None:
            return await fetch_system(client, symbol)
        return await Cached(self.store, client).system(symbol)


class NoSuchShip(InvalidInput):
    """The playbook's ship selector matches none of the agent's ships."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.detail = detail


def _universe_cache() -> Any:
    """The state store (its universe cache), or None when it cannot be opened: planning
    then reads everything from the API, with one line on stderr saying why."""
    from runner.errors import StRunError
    from runner.state.store import Store

    try:
        return Store.open()
    except StRunError as exc:
        click.echo(f"note: no universe cache ({exc.message}); reading it all from the API",
                   err=True)
        return None


def _pick(book: Any, ships: list[Any], symbol: str | None = None) -> Any:
    from runner.playbook.errors import StepError
    from runner.playbook.selectors import resolve_ship

    try:
        return resolve_ship(symbol if symbol is not None else book.ship, ships)
    except StepError as exc:
        raise NoSuchShip(book.path, exc.message) from None


def _ship_position(source: str) -> tuple[int, int]:
    """Line and column of the top-level ``ship:`` value in ``source`` (1, 1 if not found)."""
    return _top_key_position(source, "ship")


def _top_key_position(source: str, key: str) -> tuple[int, int]:
    """Line and column of a top-level ``key:``'s value in ``source`` (1, 1 if not found)."""
    for number, line in enumerate(source.splitlines(), 1):
        if line.startswith(f"{key}:"):
            rest = line[len(key) + 1:]
            return number, len(line) - len(rest.lstrip()) + 1
    return 1, 1


@click.command()
def schema() -> None:
    """Print the playbook JSON Schema (draft 2020-12) that editors use."""
    from runner.playbook.schema import schema_text

    click.echo(schema_text(), nl=False)
