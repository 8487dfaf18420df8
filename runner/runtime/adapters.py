"""The runtime's adapters over the other packages: playbooks, agents' clients, the universe.

- :class:`LoadedPlaybook`: what the supervisor needs of a loaded playbook (name, ship
  selector, agent, steps, restart policy, content hash and source text).
- :class:`AgentDirectory`: one ``SpaceTradersClient`` per agent name.
- :class:`Language`: :class:`runner.runtime.ports.StepLanguage` over ``runner.playbook``,
  building each step's context from live state (the ship, the system with markets from the
  state store's cache or the API, the agent).
- :class:`Runtime`: what the supervisor calls to load, resolve and build executors.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.domain.galaxy import Atlas, Galaxy
from runner.domain.plan import Step
from runner.domain.ship import Agent, Ship
from runner.domain.ship_group import ShipGroup, ShipSlot
from runner.domain.universe import Market, System
from runner.errors import StRunError
from runner.runtime.executor import Executor
from runner.runtime.game import GameApi
from runner.runtime.ports import Loop
from runner.state.store import Store

if TYPE_CHECKING:
    from runner.domain.commands import Command
    from runner.domain.contract import Contract
    from runner.domain.restart import RestartPolicy
    from runner.playbook.context import StepContext
    from runner.playbook.game_names import GameData
    from runner.playbook.model import Playbook
    from runner.runtime.container import ContainerTask

#: Actions that trade at the ship's market: its live prices are read before expanding them.
MARKET_ACTIONS = frozenset({"buy", "sell", "refuel"})
#: Actions that name another ship of the agent: the fleet is read (live) before expanding.
FLEET_ACTIONS = frozenset({"transfer"})
#: The ``fleet`` template name is read again when older than this (wall seconds).
FLEET_NAME_MAX_AGE_S = 30.0
#: A cached system older than this is fetched again (seconds).
SYSTEM_CACHE_MAX_AGE_S = 24 * 3600.0


class NoAgent(StRunError):
    """No token is configured for this agent."""


@dataclass(frozen=True)
class Membership:
    """A group member: the container ``GROUP/SHIP`` runs the group's playbook on ``ship``
    at ``slot`` (its ``ship.index`` and ``ship.count``)."""

    group: str
    ship: str
    slot: ShipSlot


@dataclass(frozen=True)
class LoadedPlaybook:
    """A playbook as the supervisor runs it.

    A group playbook (``ships``) is not run itself: ``Runtime.members`` turns it into one
    member (``member`` set, ``ship_selector`` its ship's symbol) per matching ship.
    """

    path: Path
    name: str
    ship_selector: str | Mapping[str, object] | None
    agent: str
    steps: tuple[Step, ...]
    restart: RestartPolicy | None
    content_hash: str
    source_text: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    git_revision: str | None = None
    playbook: Playbook | None = None  # the language's own Playbook value
    ships: ShipGroup | None = None  # a group playbook's parsed `ships:`
    member: Membership | None = None  # set on a group's member

    @property
    def slot(self) -> ShipSlot:
        """The ship's place in its group (0 of 1 for a single-ship playbook)."""
        return self.member.slot if self.member is not None else ShipSlot()

    @property
    def is_group(self) -> bool:
        """True for a group playbook itself (not one of its members)."""
        return self.ships is not None and self.member is None


class AgentDirectory:
    """Clients by agent name; ``default`` names the agent a playbook without ``agent`` uses.

    With ``any_name=True`` (one token from the environment, or the embedded simulator) every
    agent name a playbook gives is served by the default agent's client.
    """

    def __init__(self, clients: Mapping[str, Any], default: str, *,
                 any_name: bool = False, who: str | None = None) -> None:
        """``who``: how messages name the default agent when it stands in for another."""
        self.clients = dict(clients)
        self.default = default
        self.any_name = any_name
        self.who = who or f"agent {default!r}"

    def stand_in(self, agent: str | None) -> str | None:
        """The line to say when a playbook's ``agent`` is served by the default agent
        (``any_name``) instead of its own; None when it runs as itself."""
        if agent is None or agent in self.clients or not self.any_name:
            return None
        return f"agent {agent!r} has no token here; it runs as {self.who}"

    def client(self, agent: str | None) -> Any:
        name = agent or self.default
        if name not in self.clients and self.any_name:
            name = self.default
        try:
            return self.clients[name]
        except KeyError:
            raise NoAgent(f"no token for agent {name!r}: register it with "
                          f"`st-run register` or set SPACETRADERS_TOKEN") from None

    def canonical(self, agent: str | None) -> str:
        """The agent name a playbook's ``agent`` resolves to (stored with the container)."""
        name = agent or self.default
        return self.default if name not in self.clients and self.any_name else name

    async def aclose(self) -> None:
        for client in self.clients.values():
            close = getattr(client, "aclose", None)
            if close is not None:
                await close()


class Universe:
    """Systems with markets for step contexts: the store's cache first, else the API.

    One per agent per runner, shared by its containers: a system is fetched once however
    many containers ask for it at once (they wait for the first one's fetch).

    Markets are shared knowledge: every market this universe reads (a system's fetch, the
    live read before a trade, a ``scan_market``) is recorded in the store's market store,
    and every system it hands out carries, per marketplace, the newest market any container
    of any process on that database observed (``System.with_markets``).
    """

    def __init__(self, store: Store, client: Any) -> None:
        self.store = store
        self.client = client
        self.systems: dict[str, System] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        self._galaxy: Galaxy | None = None
        self._galaxy_lock = asyncio.Lock()
        self._markets: dict[str, Market] = {}  # the store's markets as last read
        self._views: dict[str, tuple[tuple[int, object], System]] = {}  # system -> (key, view)

    async def galaxy(self) -> Galaxy:
        """Gates, links and construction status across systems: the store's cache while
        fresh (``GALAXY_MAX_AGE_S``), else fetched once and cached with its age."""
        async with self._galaxy_lock:
            now = self.store.clock()
            if self._galaxy is None or self._galaxy.stale(now):
                cached = self.store.cached_galaxy()
                if cached is None or cached.stale(now):
                    from runner.api.galaxy import fetch_galaxy

                    cached = await fetch_galaxy(self.client, now)
                    self.store.cache_galaxy(cached)
                self._galaxy = cached
            return self._galaxy

    async def atlas(self, home: str, named: set[str]) -> Atlas:
        """The galaxy and the systems a step names beyond ``home`` (loaded with markets);
        a name the galaxy does not know is left out (the step then says so)."""
        if not named - {home}:
            return Atlas(None, {})
        galaxy = await self.galaxy()
        for symbol in sorted(named - {home}):
            if symbol in galaxy:
                await self._base(symbol)
        return Atlas(galaxy, {symbol: self.with_markets(system)
                              for symbol, system in self.systems.items()})

    async def system(self, symbol: str) -> System:
        """The system, each marketplace with the newest market observed (see the class)."""
        return self.with_markets(await self._base(symbol))

    async def _base(self, symbol: str) -> System:
        if symbol in self.systems:
            return self.systems[symbol]
        async with self._loading.setdefault(symbol, asyncio.Lock()):
            if symbol not in self.systems:  # another container loaded it meanwhile
                self.systems[symbol] = await self._load(symbol)
        return self.systems[symbol]

    async def _load(self, symbol: str) -> System:
        cached = self.store.cached_system(symbol)
        if cached is not None and _fresh(cached[1], self.store):
            return cached[0]
        system = await self._fetch(symbol)
        self.store.cache_system(system)
        for waypoint in system:
            if waypoint.market is not None:
                self.observe(waypoint.market)
        return system

    async def _fetch(self, symbol: str) -> System:
        return await fetch_system(self.client, symbol)

    def observe(self, market: Market) -> None:
        """Record a market just read (by any container) in the shared market store; an
        observation older than the stored one, or one without prices, changes nothing.
        Knowledge is best effort: while the database is away (a transient error) the
        observation is dropped, the container's own state writes wait for it instead."""
        if market.trade_goods and market.fetched_at is not None:
            with _unless_database_away():
                self.store.cache_market(market)

    def with_markets(self, system: System) -> System:
        """``system`` with each marketplace's newest market from the market store (one
        cheap read of observation times; markets are decoded again only when they changed).
        The same ``System`` object comes back while nothing changed, so routing's caches
        (keyed by identity) hold. While the database is away, the last view (or ``system``)."""
        seen = self._views.get(system.symbol)
        try:
            times = self.store.market_times(w.symbol for w in system if w.has_market)
        except Exception as exc:
            from runner.runtime.outage import is_transient

            if not is_transient(exc):
                raise
            return seen[1] if seen is not None and seen[0][0] == id(system) else system
        changed = [s for s, at in times.items()
                   if s not in self._markets or self._markets[s].fetched_at != at]
        if changed:
            from dataclasses import replace

            for symbol, (market, at) in self.store.cached_markets(changed).items():
                self._markets[symbol] = replace(market, fetched_at=at)
        key = (id(system), tuple(sorted(times.items())))
        if seen is not None and seen[0] == key:
            return seen[1]
        view = system.with_markets({s: self._markets[s] for s in times if s in self._markets})
        self._views[system.symbol] = (key, view)
        return view

    async def refresh_market(self, system: System, waypoint: str) -> System:
        """The system with the live market (prices, trade volumes) at ``waypoint``, read
        now and recorded in the market store."""
        if waypoint not in system or not system[waypoint].has_market:
            return system
        market: Market = await self.client.get_market(waypoint)
        self.observe(market)
        view = await self.system(system.symbol)
        if view[waypoint].market == market:
            return view
        from dataclasses import replace  # the store kept a newer one: use what was read

        waypoints = dict(view.waypoints)
        waypoints[waypoint] = replace(waypoints[waypoint], market=market)
        return System(view.symbol, view.type, view.x, view.y, waypoints)


async def fetch_system(client: Any, symbol: str) -> System:
    """The system with every waypoint, every marketplace's market and every shipyard's ship
    types from the API (one GET each, concurrently: the client's rate limiter paces them)."""
    from dataclasses import replace

    system: System = await client.get_system(symbol)
    waypoints = dict(system.waypoints)
    missing = [n for n, w in waypoints.items() if w.has_market and w.market is None]
    yards = [n for n, w in waypoints.items() if w.has_shipyard and w.ship_types is None]
    markets, shipyards = await asyncio.gather(
        asyncio.gather(*(client.get_market(n) for n in missing)),
        asyncio.gather(*(client.get_shipyard(n) for n in yards)))
    for name, market in zip(missing, markets, strict=True):
        waypoints[name] = replace(waypoints[name], market=market)
    for name, yard in zip(yards, shipyards, strict=True):
        waypoints[name] = replace(waypoints[name], ship_types=frozenset(yard.ship_types))
    return System(system.symbol, system.type, system.x, system.y, waypoints)


async def fetch_game_data(client: Any, playbook: Any, system: System) -> GameData:
    """Contracts, the system's jump gate construction and the fleet, fetched only when
    ``playbook``'s templates read them (``runner.playbook.game_names.needs``); ``now`` (the
    server's clock) for market ages."""
    from runner.playbook.game_names import GameData, needs

    wanted = needs(playbook) if playbook is not None else frozenset()
    contracts: tuple[Contract, ...] = ()
    site = None
    if "contracts" in wanted:
        contracts = tuple(await client.list_contracts())
    if "construction" in wanted:
        gate = next((w.symbol for w in system if w.type == "JUMP_GATE"), None)
        if gate is not None:
            site = await client.get_construction(gate)
    fleet = tuple(await client.list_ships()) if "fleet" in wanted else ()
    return GameData(contracts, site, _server_now(client), fleet)


def _server_now(client: Any) -> datetime:
    """The server's time as ``client`` last saw it (market ages are measured on the clock
    that stamped the markets: the server's, game time on the simulator)."""
    clock = getattr(client, "clock", None)
    return clock.now() if clock is not None else datetime.now(UTC)


@contextmanager
def _unless_database_away() -> Iterator[None]:
    """Swallow a transient database error (``runner.runtime.outage.is_transient``)."""
    from runner.runtime.outage import is_transient

    try:
        yield
    except Exception as exc:
        if not is_transient(exc):
            raise


def _fresh(fetched_at: Any, store: Store) -> bool:
    age: float = (store.clock() - fetched_at).total_seconds()
    return age < SYSTEM_CACHE_MAX_AGE_S


class Language:
    """:class:`runner.runtime.ports.StepLanguage` over ``runner.playbook``."""

    def __init__(self, loaded: LoadedPlaybook, universe: Universe, game: GameApi) -> None:
        self.loaded = loaded
        self.universe = universe
        self.game = game
        self.agent: Agent | None = None
        self.vars: Mapping[str, Any] = dict(getattr(loaded.playbook, "vars", {}) or {})
        self._game: tuple[Any, GameData] | None = None
        self._game_read = 0.0  # time.monotonic() of the last fetch_game_data

    async def context(self, ship: Ship, registered: Mapping[str, Any], loop: Loop | None,
                      step: Step | None = None) -> StepContext:
        from runner.playbook import StepContext

        system = await self.universe.system(ship.nav.system)
        if step is not None and step.action in MARKET_ACTIONS:
            system = await self.universe.refresh_market(system, ship.nav.waypoint)
        if self.agent is None:
            self.agent = await self.game.client.get_agent()
        elif self.game.credits is not None and self.game.credits != self.agent.credits:
            from dataclasses import replace

            self.agent = replace(self.agent, credits=self.game.credits)
        ships: list[Ship] = []
        if step is not None and step.action in FLEET_ACTIONS:
            ships = list(await self.game.client.list_ships(container=self.game.container))
        game = await self._game_data(system)
        ctx = StepContext(ship=ship, system=system, agent=self.agent, vars=self.vars,
                          registered=dict(registered), loop=loop, ships=ships,
                          contracts=game.contracts, site=game.site, now=game.now,
                          slot=self.loaded.slot, fleet=game.fleet)
        if step is None:
            return ctx
        from dataclasses import replace

        from runner.actions.navigate import systems_for

        atlas = await self.universe.atlas(ship.nav.system, systems_for(step, ctx))
        return replace(ctx, atlas=atlas)

    async def _game_data(self, system: System) -> GameData:
        """Contracts and construction for the game's template names: fetched once, and
        again after a command changed them (nothing for playbooks that do not read them)."""
        from dataclasses import replace

        key = (system.symbol, tuple(sorted(self.game.changed.items())))
        if self._game is None or self._game[0] != key or self._fleet_stale():
            data = await fetch_game_data(self.game.client, self.loaded.playbook, system)
            self._game = (key, data)
            self._game_read = time.monotonic()
        return replace(self._game[1], now=self.game.server_now())

    def _fleet_stale(self) -> bool:
        """The ``fleet`` name is read again after ``FLEET_NAME_MAX_AGE_S`` (other
        containers buy, move and sell ships; this one's own purchases change the key)."""
        return bool(self._game is not None and self._game[1].fleet
                    and time.monotonic() - self._game_read > FLEET_NAME_MAX_AGE_S)

    def expand(self, step: Step, ctx: StepContext) -> list[Command]:
        from runner.playbook import expand_step

        return list(expand_step(step, ctx))

    def length(self, step: Step, ctx: StepContext) -> int | None:
        from runner.playbook import loop_items

        if step.action != "repeat":
            return None
        items = loop_items(step, ctx)
        return None if items is None else len(items)

    def stops(self, step: Step, ctx: StepContext) -> list[str]:
        from runner.playbook.expand import tour_stops

        return tour_stops(step, ctx)

    def holds(self, expression: str, ctx: StepContext) -> bool:
        from runner.playbook import evaluate

        return bool(evaluate(expression, ctx.names()))


class Runtime:
    """Loads playbooks and builds executors for the supervisor."""

    def __init__(self, store: Store, agents: AgentDirectory) -> None:
        self.store = store
        self.agents = agents
        self.universes: dict[str, Universe] = {}
        # told (agent name) after a container bought or scrapped a ship: groups look again
        self.on_fleet_change: Callable[[str], None] | None = None

    def load(self, path: Path, overrides: Mapping[str, Any]) -> LoadedPlaybook:
        """Load and validate a playbook file (``PlaybookError``, exit 2, when invalid)."""
        from runner.playbook import load_playbook

        if not path.is_file():
            raise StRunError(f"{path}: no such playbook file", exit_code=2)
        playbook = load_playbook(path, dict(overrides) or None)
        return self._loaded(path, playbook, overrides)

    def load_text(self, text: str, like: LoadedPlaybook) -> LoadedPlaybook:
        """The same playbook from stored source text (the version a container started with)."""
        from runner.playbook import load_playbook_text

        playbook = load_playbook_text(text, str(like.path), dict(like.overrides) or None)
        loaded = self._loaded(like.path, playbook, like.overrides)
        if like.member is not None and loaded.ships is not None:
            return self.member(loaded, like.member.ship, like.member.slot)
        return loaded

    def member(self, group: LoadedPlaybook, ship: str, slot: ShipSlot) -> LoadedPlaybook:
        """The member of ``group`` that runs on ``ship``: container ``GROUP/SHIP``."""
        from dataclasses import replace

        return replace(group, name=f"{group.name}/{ship}", ship_selector=ship,
                       member=Membership(group.name, ship, slot))

    def members(self, group: LoadedPlaybook, ships: list[Ship]) -> list[LoadedPlaybook]:
        """One member per ship of ``ships`` the group matches, by symbol."""
        assert group.ships is not None, "members of a group playbook only"
        return [self.member(group, ship.symbol, slot)
                for ship, slot in group.ships.members(ships)]

    def _loaded(self, path: Path, playbook: Any, overrides: Mapping[str, Any]) -> LoadedPlaybook:
        from runner.state.store import git_revision

        source = getattr(playbook, "source", None) or path.read_text(encoding="utf-8")
        digest = getattr(playbook, "content_hash", None) or \
            hashlib.sha256(source.encode()).hexdigest()
        return LoadedPlaybook(
            path=path, name=playbook.name, ship_selector=playbook.ship,
            agent=self.agents.canonical(getattr(playbook, "agent", None)),
            steps=tuple(playbook.steps), restart=getattr(playbook, "restart", None),
            content_hash=digest, source_text=source, overrides=dict(overrides),
            git_revision=_git_revision(git_revision, path), playbook=playbook,
            ships=getattr(playbook, "ships", None))

    async def resolve_ship(self, loaded: LoadedPlaybook) -> str:
        """The ship symbol the playbook's ``ship`` names (a symbol or a selector)."""
        if loaded.is_group:
            from runner.errors import InvalidInput

            raise InvalidInput(f"{loaded.path}: a group playbook (`ships`) runs one "
                               "container per member, not one of its own")
        selector = loaded.ship_selector
        if isinstance(selector, str) and "{" not in selector:
            return selector
        ships = await self.agents.client(loaded.agent).list_ships()
        return self.pick_ship(loaded, ships).symbol

    def pick_ship(self, loaded: LoadedPlaybook, ships: list[Ship]) -> Ship:
        """The ship of ``ships`` the playbook's ``ship`` names; ``InvalidInput`` (exit 2,
        naming the file) when none matches."""
        from runner.errors import InvalidInput
        from runner.playbook import resolve_ship
        from runner.playbook.errors import StepError

        try:
            ship: Ship = resolve_ship(loaded.ship_selector, ships)
        except StepError as exc:
            raise InvalidInput(f"{loaded.path}: {exc}") from None
        return ship

    def universe(self, agent: str) -> Universe:
        if agent not in self.universes:
            self.universes[agent] = Universe(self.store, self.agents.client(agent))
        return self.universes[agent]

    async def build_executor(self, task: ContainerTask, loaded: LoadedPlaybook,
                             ship: str) -> Executor:
        """A fresh executor for one run of the container (a restart builds a new one)."""
        universe = self.universe(loaded.agent)
        game = GameApi(self.agents.client(loaded.agent), container=loaded.name,
                       markets=universe.observe)
        if self.on_fleet_change is not None:
            notify, agent = self.on_fleet_change, loaded.agent
            game.on_fleet_change = lambda: notify(agent)
        language = Language(loaded, universe, game)
        from runner.runtime.journal import HeldRoom

        return Executor(ship=ship, steps=loaded.steps, api=game, language=language,
                        journal=task.journal, view=task.view, stop=task.stop,
                        room=HeldRoom(task.journal.store, task.journal.holder))


def _git_revision(fn: Any, path: Path) -> str | None:
    try:
        revision = fn(path)
    except Exception:  # not in a git repo, git missing: the revision is optional
        return None
    return None if revision is None else str(revision)


def force_snapshot(store: Store, container_id: int, loaded: LoadedPlaybook) -> None:
    """Record ``loaded`` as the version a container runs, keeping its checkpoints.

    The store only replaces a container's snapshot while it has no checkpoint (so a resume
    runs the version it started with); a deliberate replace at a safe point overrides that.
    """
    store.replace_snapshot(container_id, loaded.content_hash, loaded.source_text,
                           loaded.git_revision, str(loaded.path))
