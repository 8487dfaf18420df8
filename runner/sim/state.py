"""One running simulator: world, clock, limiter, faults, ledger and per-client stats."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from runner.sim.clock import GameClock
from runner.sim.config import SimConfig
from runner.sim.faults import FaultInjector, FaultSpec
from runner.sim.generate import generate_universe
from runner.sim.ledger import Ledger
from runner.sim.ratelimit import RateLimiter
from runner.sim.snapshot import load_snapshot
from runner.sim.universe import Universe
from runner.sim.world import World


def _new_stats() -> dict[str, Any]:
    return {"requests": 0, "rateLimited": {"static": 0, "burst": 0},
            "servedByPool": {"static": 0, "burst": 0}, "faults": defaultdict(int),
            "errors": defaultdict(int)}


class SimState:
    """Shared by every request of one app; mutated only on the event loop thread."""

    def __init__(self, config: SimConfig, endpoints: frozenset[str]) -> None:
        self.config = config
        self.endpoints = endpoints
        self.clock = GameClock(config.speed)
        self.world = World(partial(_universe, config), self.clock, config.seed)
        self.ledger = Ledger()
        self.limiter = RateLimiter(config.rate_limit) if config.rate_limit else None
        self.stats: dict[str, dict[str, Any]] = defaultdict(_new_stats)
        self.set_faults(FaultSpec.parse(config.faults, endpoints))

    def set_faults(self, spec: FaultSpec) -> None:
        """Install a fault spec now (its ``for=`` durations count from this game time)."""
        self.faults = FaultInjector(spec, self.config.seed, self.clock.now())

    def stats_json(self) -> dict[str, Any]:
        return {key: {**value, "faults": dict(value["faults"]), "errors": dict(value["errors"])}
                for key, value in self.stats.items()}


def _universe(config: SimConfig) -> Universe:
    if config.universe_file is not None:
        return load_snapshot(config.universe_file)
    return generate_universe(config.seed, config.systems, config.era.gate_bill,
                             config.era.gates_under_construction)
