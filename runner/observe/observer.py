"""Gathers :class:`~runner.observe.state.FleetState` from a running supervisor.

What it reads, and what it costs:

- containers: the supervisor's handles and their live views (memory);
- ships: each agent client's last-known ships, kept from every response (memory);
- request counts: each client's :class:`~runner.api.metrics.Metrics` (memory);
- markets and systems: the state store's caches (a few reads every ``MARKET_POLL_S``);
- credits: one ``GET /my/agent`` per agent every ``CREDITS_POLL_S`` at BACKGROUND priority
  (the client never keeps the agent otherwise);
- construction sites: one ``GET .../construction`` per site under construction in the
  fleet's systems every ``CONSTRUCTION_POLL_S`` (BACKGROUND priority).

Those reads are the only requests it sends.

:meth:`Observer.run` is the sampling loop (credits history, request rate, ship idle time);
:meth:`Observer.state` is a snapshot at any moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from runner.api.limiter import LimiterConfig, Priority
from runner.api.metrics import Metrics
from runner.api.models import Construction
from runner.domain.universe import System
from runner.observe.state import ContainerState, FleetState, ShipState, ship_state, utilisation

if TYPE_CHECKING:
    from runner.runtime.adapters import AgentDirectory
    from runner.runtime.supervisor import Supervisor
    from runner.state.store import Store

log = logging.getLogger("runner.observe")

#: Seconds between samples of request counts and ship idle time.
SAMPLE_S = 1.0
#: Seconds between reads of each agent's credits (one request each).
CREDITS_POLL_S = 60.0
#: Seconds between reads of the market cache for market data age.
MARKET_POLL_S = 5.0
#: Seconds between reads of each construction site in the fleet's systems (one request each).
CONSTRUCTION_POLL_S = 300.0
#: Seconds of request history the budget utilisation is computed over.
RATE_WINDOW_S = 60.0
#: Credits samples kept per agent (a day at one a minute).
CREDITS_HISTORY = 24 * 60
#: Seconds a system read from the store's cache is reused for maps.
SYSTEM_TTL_S = 60.0


def sustained_budget(config: LimiterConfig | None = None) -> float:
    """Requests per second the server allows over time: static pool plus burst pool
    (2/1 s + 30/60 s = 2.5 on the real server)."""
    config = config or LimiterConfig()
    rate = config.static.limit / config.static.window
    if config.burst is not None:
        rate += config.burst.limit / config.burst.window
    return rate


@dataclass(frozen=True)
class AgentClient:
    """One agent's client as the observer sees it (a ``SpaceTradersClient``)."""

    name: str
    client: Any

    @property
    def metrics(self) -> Metrics:
        return self.client.metrics  # type: ignore[no-any-return]


class Observer:
    """Snapshots of one runner's fleet; see the module docstring for what it reads."""

    def __init__(self, supervisor: Supervisor, agents: AgentDirectory, store: Store, *,
                 wall: Callable[[], float] = time.time,
                 credits_poll_s: float = CREDITS_POLL_S) -> None:
        self.supervisor = supervisor
        self.agents = agents
        self.store = store
        self.wall = wall
        self.credits_poll_s = credits_poll_s
        self.budget_per_s = sustained_budget()
        self.credits: dict[str, int] = {}
        self.credits_history: dict[str, deque[tuple[float, int]]] = {}
        self.idle_s: dict[str, float] = {}
        self.market_age_s: dict[str, float] = {}
        self.construction: dict[str, Construction] = {}
        self._totals: dict[str, deque[tuple[float, int]]] = {}
        self._systems: dict[str, tuple[float, System]] = {}

    # ---- snapshots -------------------------------------------------------------------------

    def clients(self) -> list[AgentClient]:
        """Every agent's client (one per agent name)."""
        return [AgentClient(name, client) for name, client in self.agents.clients.items()]

    def containers(self) -> list[ContainerState]:
        """This runner's containers (a replaced version is left out), in start order."""
        out = []
        for handle in self.supervisor.list():
            if handle.replaced:
                continue
            view = handle.view
            out.append(ContainerState(
                handle.id, handle.name, str(handle.playbook.path), handle.ship, handle.agent,
                view.status, view.step_text, view.restarts,
                view.logs[-1] if view.logs else ""))
        return out

    def ships(self) -> list[ShipState]:
        """Every ship any agent's client has seen, sorted by symbol."""
        found: dict[str, ShipState] = {}
        for agent in self.clients():
            known = getattr(agent.client, "known_ships", None)
            if known is None:
                continue
            clock = agent.client.clock
            now = clock.now()
            for ship in known():
                found[ship.symbol] = ship_state(ship, agent.name, now, clock.speed)
        return [found[k] for k in sorted(found)]

    def utilisation(self) -> dict[str, float]:
        """Per agent: requests per second over the last ``RATE_WINDOW_S``, over the budget."""
        out = {}
        for name, samples in self._totals.items():
            if len(samples) >= 2:
                (t0, n0), (t1, n1) = samples[0], samples[-1]
                out[name] = utilisation(n1 - n0, t1 - t0, self.budget_per_s)
        return out

    def state(self) -> FleetState:
        """The fleet now."""
        return FleetState(
            at=datetime.fromtimestamp(self.wall(), UTC),
            containers=tuple(self.containers()), ships=tuple(self.ships()),
            credits=dict(self.credits),
            credits_history={k: tuple(v) for k, v in self.credits_history.items()},
            utilisation=self.utilisation(), market_age_s=dict(self.market_age_s))

    def system(self, symbol: str) -> System | None:
        """A system from the store's cache (reused for ``SYSTEM_TTL_S``), None while the
        runtime has not cached it yet."""
        now = self.wall()
        cached = self._systems.get(symbol)
        if cached is not None and now - cached[0] < SYSTEM_TTL_S:
            return cached[1]
        found = self.store.cached_system(symbol)
        if found is None:
            return None
        self._systems[symbol] = (now, found[0])
        return found[0]

    def logs(self, container_id: int, limit: int = 50) -> list[str]:
        """The newest ``limit`` log lines of one of this runner's containers, oldest first."""
        if not any(h.id == container_id for h in self.supervisor.list()):
            return []
        return [f"{r.time:%H:%M:%S} {r.level.lower()}: {r.message}"
                for r in self.store.logs(container_id, limit=limit)]

    # ---- sampling --------------------------------------------------------------------------

    async def run(self) -> None:
        """Sample until cancelled: request totals and idle time every ``SAMPLE_S``, credits
        every ``credits_poll_s``, market ages every ``MARKET_POLL_S``."""
        last_credits = last_markets = last_construction = -1e18
        last = self.wall()
        while True:
            now = self.wall()
            try:  # an observer never stops a run (the database may be away, say)
                self.sample(now, now - last)
                if now - last_credits >= self.credits_poll_s:
                    last_credits = now
                    await self.poll_credits()
                if now - last_markets >= MARKET_POLL_S:
                    last_markets = now
                    self.poll_markets()
                if now - last_construction >= CONSTRUCTION_POLL_S:
                    last_construction = now
                    await self.poll_construction()
            except Exception as exc:
                log.info("event=observe_sample_failed error=%s", type(exc).__name__)
            last = now
            await asyncio.sleep(SAMPLE_S)

    def sample(self, now: float, elapsed: float) -> None:
        """Record request totals and add ``elapsed`` seconds to every idle ship."""
        for agent in self.clients():
            samples = self._totals.setdefault(agent.name, deque())
            samples.append((now, agent.metrics.total))
            while len(samples) > 2 and now - samples[1][0] >= RATE_WINDOW_S:
                samples.popleft()
        busy = {c.ship for c in self.containers() if c.status == "RUNNING"}
        for ship in self.ships():
            self.idle_s.setdefault(ship.symbol, 0.0)
            if _idle(ship, busy):
                self.idle_s[ship.symbol] += max(0.0, elapsed)

    async def poll_credits(self) -> None:
        """Read every agent's credits once (BACKGROUND priority); a failure keeps the last."""
        for agent in self.clients():
            try:
                value = await agent.client.get_agent(priority=Priority.BACKGROUND)
            except Exception as exc:  # an observer never stops a run
                log.info("event=credits_unavailable agent=%s error=%s", agent.name,
                         type(exc).__name__)
                continue
            self.record_credits(agent.name, int(value.credits), self.wall())

    def record_credits(self, agent: str, credits: int, at: float) -> None:
        """Remember ``credits`` of ``agent`` at unix time ``at``."""
        self.credits[agent] = credits
        history = self.credits_history.setdefault(agent, deque(maxlen=CREDITS_HISTORY))
        history.append((at, credits))

    async def poll_construction(self) -> None:
        """Read every construction site in the fleet's cached systems (BACKGROUND priority);
        a site that cannot be read keeps its last reading."""
        clients = self.clients()
        if not clients:
            return
        client = clients[0].client
        for name in sorted({s.system for s in self.ships()}):
            for waypoint in self.system(name) or ():
                if not waypoint.under_construction:
                    continue
                try:
                    site = await client.get_construction(waypoint.symbol)
                except Exception as exc:  # an observer never stops a run
                    log.info("event=construction_unavailable waypoint=%s error=%s",
                             waypoint.symbol, type(exc).__name__)
                    continue
                self.construction[waypoint.symbol] = site

    def server_now(self) -> datetime:
        """The game's clock as the default agent's client sees it (market and cache times
        are game times; on the simulator the game clock runs faster than the wall)."""
        clients = self.clients()
        if clients:
            return clients[0].client.clock.now()  # type: ignore[no-any-return]
        return datetime.fromtimestamp(self.wall(), UTC)

    def poll_markets(self) -> None:
        """Ages (game seconds) of the newest prices of every marketplace in the fleet's
        systems."""
        now = self.server_now()
        ages: dict[str, float] = {}
        for fetched_at, symbol in self._market_times():
            ages[symbol] = max(0.0, (now - fetched_at).total_seconds())
        self.market_age_s = ages

    def _market_times(self) -> Iterator[tuple[datetime, str]]:
        for name in sorted({s.system for s in self.ships()}):
            system = self.system(name)
            for waypoint in system or ():
                if not waypoint.has_market:
                    continue
                with contextlib.suppress(Exception):  # a cache miss is no age, not an error
                    cached = self.store.cached_market(waypoint.symbol)
                    fetched = cached[0].fetched_at if cached else None  # None: never priced
                    if fetched is None and waypoint.market is not None:
                        fetched = waypoint.market.fetched_at
                    if fetched is not None:
                        yield _aware(fetched), waypoint.symbol


def _idle(ship: ShipState, busy: set[str]) -> bool:
    """Idle: no running container drives it, it is not flying and its reactor is cool."""
    flying = ship.in_transit and (ship.eta_s or 0.0) > 0
    return ship.symbol not in busy and not flying and ship.cooldown_s <= 0


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)

