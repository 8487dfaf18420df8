"""What a step is expanded against: the live (or predicted) ship, system, agent and names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from runner.domain.contract import Contract
from runner.domain.galaxy import Atlas
from runner.domain.loop import LoopState as LoopState  # one home: runner.domain.loop
from runner.domain.ship import Agent, FlightMode, Ship
from runner.domain.ship_group import ShipSlot
from runner.domain.universe import Construction, System

if TYPE_CHECKING:
    from runner.routing.results import Route

class RouteFn(Protocol):
    """``plan_route``'s shape (``runner.routing``): the fastest fuel-feasible route."""

    def __call__(self, system: System, ship: Ship, start: str, goal: str, fuel_now: int,
                 mode: str | None = None, min_fuel_left: int = 0) -> Route:
        ...


@dataclass(frozen=True)
class StepContext:
    """Everything ``expand_step`` reads. The executor builds it from LIVE state before each step.

    ``ship`` is the real current ship (a ship IN_TRANSIT is treated as in orbit at its
    destination: the executor waits for arrival first). ``system`` should carry markets
    (``Waypoint.market``) for ``sells``/``buys`` selectors, fuel prices and trade volumes.
    ``registered`` holds results stored by ``register``; ``loop`` the innermost loop.
    ``route`` overrides the route planner (tests); None means ``runner.routing.plan_route``.
    ``atlas`` holds the galaxy and the other systems loaded (navigation across systems).
    ``contracts``, ``site`` (the system's jump gate construction) and ``now`` (for market
    ages) feed the game's template names (``runner.playbook.game_names``). ``slot`` is the
    ship's place in its group (``ship.index``, ``ship.count``; 0 of 1 for a single ship).
    """

    ship: Ship
    system: System
    agent: Agent | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    registered: Mapping[str, Any] = field(default_factory=dict)
    loop: LoopState | None = None
    ships: Sequence[Ship] = ()
    route: RouteFn | None = None
    predicting: bool = False  # plan time after an extraction: cargo unknown, checks relaxed
    atlas: Atlas = field(default_factory=Atlas)
    contracts: tuple[Contract, ...] = ()
    site: Construction | None = None
    now: datetime | None = None
    slot: ShipSlot = field(default_factory=ShipSlot)
    fleet: tuple[Ship, ...] = ()

    def with_ship(self, ship: Ship) -> StepContext:
        """A copy with another ship state (the compiler advances its prediction this way)."""
        # Built directly: dataclasses.replace is the compiler's hottest call otherwise.
        return StepContext(ship, self.system, self.agent, self.vars, self.registered,
                           self.loop, self.ships, self.route, self.predicting, self.atlas,
                           self.contracts, self.site, self.now, self.slot, self.fleet)

    def system_named(self, symbol: str) -> System | None:
        """The ship's system or another loaded one (None when not loaded)."""
        return self.system if symbol == self.system.symbol else self.atlas.system(symbol)

    def names(self) -> dict[str, Any]:
        """The template names for this context (see ``template_names``)."""
        from runner.playbook.game_names import game_names
        from runner.playbook.template import template_names

        names = template_names(self.ship, self.agent, self.vars, self.registered, self.loop,
                               self.slot)
        systems = [self.system, *self.atlas.systems.values()]
        for key, value in game_names(systems, self.contracts, self.site, self.now,
                                     self.fleet).items():
            names.setdefault(key, value)  # a playbook's own var of that name wins
        names.setdefault("best_market", self._best_market)
        names.setdefault("best_trade", self._best_trade)
        return names

    def _best_trade(self, max_age: Any = "1h") -> dict[str, Any] | None:
        """``best_trade()``: the widest margin among the system's markets seen within
        ``max_age`` (``runner.domain.market_choice.best_spread``)."""
        from runner.domain.duration import parse_duration
        from runner.domain.market_choice import best_spread
        from runner.playbook.errors import StepError
        from runner.playbook.game_names import trade_names

        try:
            limit = parse_duration(max_age)
        except ValueError as exc:
            raise StepError(f"best_trade: max_age: {exc}") from None
        fresh = [m for w in self.system if (m := w.market) is not None
                 and (self.now is None or m.fetched_at is None
                      or (self.now - m.fetched_at).total_seconds() <= limit)]
        return trade_names(best_spread(fresh))

    def _best_market(self, **filters: Any) -> str | None:
        """``best_market(sells=GOOD)``: the waypoint ``{best: filters}`` picks, or None when
        no market qualifies (bad filters are still an error)."""
        from runner.playbook.errors import StepError
        from runner.playbook.selectors import best_filters, best_market

        best_filters(filters)
        try:
            return best_market(filters, self).offer.waypoint
        except StepError:
            return None

    def plan_route(self, ship: Ship, start: str, goal: str, mode: str | None = None,
                   min_fuel_left: int = 0) -> Route:
        """The fastest fuel-feasible route for ``ship`` (its current fuel) from start to goal,
        landing with at least ``min_fuel_left`` fuel.

        ``mode`` restricts every hop to one flight mode. Uses ``runner.routing`` unless
        ``route`` overrides it; raises whatever the planner raises (``NoRouteError``...).
        """
        if self.route is not None:
            return self.route(self.system, ship, start, goal, ship.fuel.current, mode=mode,
                              min_fuel_left=min_fuel_left)
        from runner.routing.config import RoutingConfig
        from runner.routing.route import plan_route

        config = None if mode is None else RoutingConfig(modes=frozenset({FlightMode(mode)}))
        return plan_route(self.system, ship, start, goal, ship.fuel.current, config=config,
                          min_fuel_left=min_fuel_left)
