"""The fleet in Prometheus text format: a collector read at scrape time.

Every series is computed from an :class:`~runner.observe.observer.Observer` when scraped, so
nothing is counted twice: request counts stay in the API client's ``Metrics`` (their one
home) and are only read here. Label values are bounded: endpoints are path templates
(``/my/ships/{ship}/navigate``), never raw paths; ships, containers, playbooks and agents
are the fleet's own names.

Names follow Prometheus conventions: ``st_run_`` prefix, snake case, base units in the name
(``_seconds``, ``_units``, ``_ratio``), ``_total`` on counters only.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from runner.domain.ship import NavStatus
from runner.domain.status import ContainerStatus
from runner.observe.observer import AgentClient, Observer

#: Upper bounds (seconds) of the limiter wait histogram.
WAIT_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Every status a container's view can show (``LOST``: another runner took its lease).
CONTAINER_STATUSES = (*(s.value for s in ContainerStatus), "LOST")
NAV_STATUSES = tuple(s.value for s in NavStatus)


@dataclass
class _WaitHistogram:
    """Bucket counts of one agent's and class's limiter waits, fed incrementally from the
    samples the client's ``Metrics`` keeps (``seen`` of them are counted already)."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(WAIT_BUCKETS) + 1))
    total: float = 0.0
    seen: int = 0

    def feed(self, samples: list[float]) -> None:
        for value in samples[self.seen:]:
            self.counts[bisect.bisect_left(WAIT_BUCKETS, value)] += 1
            self.total += value
        self.seen = len(samples)

    def buckets(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip((*WAIT_BUCKETS, float("inf")), self.counts, strict=True):
            running += count
            out.append(("+Inf" if bound == float("inf") else repr(bound), running))
        return out


class FleetCollector(Collector):
    """Yields every ``st_run_*`` family from the observer at each scrape."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer
        self._waits: dict[tuple[str, str], _WaitHistogram] = {}

    def collect(self) -> Iterator[Metric]:
        clients = self.observer.clients()
        yield from self._api(clients)
        yield self._waits_family(clients)
        yield self._utilisation()
        yield from self._containers()
        yield self._credits()
        yield from self._ships()
        yield self._markets()
        yield from self._construction()

    # ---- API -------------------------------------------------------------------------------

    def _api(self, clients: Iterable[AgentClient]) -> Iterator[Metric]:
        labels = ["agent", "method", "endpoint", "status", "priority", "container"]
        requests = CounterMetricFamily(
            "st_run_api_requests", "API requests answered (or failed in transport), by "
            "endpoint template, status (HTTP status or game error code), priority class "
            "and container", labels=labels)
        limited = CounterMetricFamily("st_run_api_rate_limited", "429 answers by kind: "
                                      "bare (no rate-limit headers) or the server's limit "
                                      "type", labels=["agent", "kind"])
        retries = CounterMetricFamily("st_run_api_retries", "Requests sent again",
                                      labels=["agent"])
        for agent in clients:
            m = agent.metrics
            for (method, endpoint, status, priority, container), n in m.answers.items():
                requests.add_metric([agent.name, method, endpoint, status, priority,
                                     container or "none"], n)
            for kind in dict.fromkeys(("bare", "account", *m.rate_limit_kinds)):
                limited.add_metric([agent.name, kind], m.rate_limit_kinds.get(kind, 0))
            retries.add_metric([agent.name], m.retries)
        yield from (requests, limited, retries)

    def _waits_family(self, clients: Iterable[AgentClient]) -> Metric:
        family = HistogramMetricFamily(
            "st_run_api_limiter_wait_seconds", "Time requests waited for the client-side "
            "rate limiter, by priority class", labels=["agent", "priority"])
        for agent in clients:
            for priority, samples in sorted(agent.metrics.waits.items()):
                hist = self._waits.setdefault((agent.name, priority), _WaitHistogram())
                hist.feed(samples)
                family.add_metric([agent.name, priority], hist.buckets(), hist.total)
        return family

    def _utilisation(self) -> Metric:
        family = GaugeMetricFamily(
            "st_run_api_budget_utilisation_ratio", "Requests per second over the last "
            "minute divided by the sustained budget (2.5/s)", labels=["agent"])
        for agent, value in sorted(self.observer.utilisation().items()):
            family.add_metric([agent], value)
        return family

    # ---- containers --------------------------------------------------------------------------

    def _containers(self) -> Iterator[Metric]:
        status = GaugeMetricFamily(
            "st_run_container_status", "1 for the status each container is in, 0 for the "
            "others", labels=["container", "playbook", "ship", "status"])
        restarts = CounterMetricFamily("st_run_container_restarts", "Restarts by the "
                                       "restart policy", labels=["container", "playbook"])
        for c in self.observer.containers():
            playbook = _stem(c.playbook)
            for value in CONTAINER_STATUSES:
                status.add_metric([c.name, playbook, c.ship, value],
                                  1.0 if c.status == value else 0.0)
            restarts.add_metric([c.name, playbook], c.restarts)
        yield from (status, restarts)

    def _credits(self) -> Metric:
        family = GaugeMetricFamily("st_run_agent_credits", "Agent credits (read once a "
                                   "minute)", labels=["agent"])
        for agent, credits in sorted(self.observer.credits.items()):
            family.add_metric([agent], credits)
        return family

    # ---- ships and markets -------------------------------------------------------------------

    def _ships(self) -> Iterator[Metric]:
        gauges = {
            "fuel": GaugeMetricFamily("st_run_ship_fuel_units", "Fuel aboard",
                                      labels=["ship"]),
            "fuel_capacity": GaugeMetricFamily("st_run_ship_fuel_capacity_units",
                                               "Fuel tank size", labels=["ship"]),
            "cargo": GaugeMetricFamily("st_run_ship_cargo_units", "Cargo units aboard",
                                       labels=["ship"]),
            "cargo_capacity": GaugeMetricFamily("st_run_ship_cargo_capacity_units",
                                                "Cargo hold size", labels=["ship"]),
        }
        nav = GaugeMetricFamily("st_run_ship_nav_status", "1 for the ship's nav status, 0 "
                                "for the others", labels=["ship", "status"])
        where = GaugeMetricFamily("st_run_ship_location_info", "Where the ship is (always "
                                  "1)", labels=["ship", "system", "waypoint", "flight_mode"])
        eta = GaugeMetricFamily("st_run_ship_arrival_eta_seconds", "Wall seconds until a "
                                "flying ship arrives", labels=["ship", "destination"])
        idle = CounterMetricFamily("st_run_ship_idle_seconds", "Seconds the ship sat idle: "
                                   "no running container, not flying, reactor cool",
                                   labels=["ship"])
        for ship in self.observer.ships():
            for key, family in gauges.items():
                family.add_metric([ship.symbol], getattr(ship, key))
            for value in NAV_STATUSES:
                nav.add_metric([ship.symbol, value], 1.0 if ship.status == value else 0.0)
            where.add_metric([ship.symbol, ship.system, ship.waypoint, ship.flight_mode], 1)
            if ship.in_transit and ship.destination is not None:
                eta.add_metric([ship.symbol, ship.destination], ship.eta_s or 0.0)
            idle.add_metric([ship.symbol], self.observer.idle_s.get(ship.symbol, 0.0))
        yield from (*gauges.values(), nav, where, eta, idle)

    def _markets(self) -> Metric:
        family = GaugeMetricFamily("st_run_market_data_age_seconds", "Age of the newest "
                                   "prices read at each marketplace", labels=["waypoint"])
        for waypoint, age in sorted(self.observer.market_age_s.items()):
            family.add_metric([waypoint], age)
        return family


    def _construction(self) -> Iterator[Metric]:
        labels = ["waypoint", "good"]
        required = GaugeMetricFamily("st_run_construction_materials_required_units",
                                     "Units a construction site needs, per good", labels=labels)
        fulfilled = GaugeMetricFamily("st_run_construction_materials_fulfilled_units",
                                      "Units delivered to a construction site, per good",
                                      labels=labels)
        complete = GaugeMetricFamily("st_run_construction_complete", "1 once a construction "
                                     "site is complete", labels=["waypoint"])
        for waypoint, site in sorted(self.observer.construction.items()):
            for material in site.materials:
                required.add_metric([waypoint, material.good], material.required)
                fulfilled.add_metric([waypoint, material.good], material.fulfilled)
            complete.add_metric([waypoint], 1.0 if site.complete else 0.0)
        yield from (required, fulfilled, complete)


def _stem(path: str) -> str:
    """A playbook's file name without folder or suffix (bounded, and no paths in labels)."""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def registry_for(observer: Observer) -> CollectorRegistry:
    """A registry holding only the fleet collector (no process-global state)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(observer))
    return registry
