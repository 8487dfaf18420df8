"""Contracts: offered on registration or by negotiation, then accepted, delivered, fulfilled."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from runner.sim.clock import iso
from runner.sim.universe import Universe

JSON = dict[str, Any]
DAY = 86400.0
CONTRACT_GOODS = ["IRON_ORE", "COPPER_ORE", "ALUMINUM_ORE", "QUARTZ_SAND", "SILICON_CRYSTALS",
                  "ICE_WATER"]


@dataclass
class Delivery:
    trade_symbol: str
    destination: str
    required: int
    fulfilled: int = 0


@dataclass
class Contract:
    """One agent's contract; timestamps are game epoch seconds."""

    id: str
    agent: str
    faction: str
    deliveries: list[Delivery]
    on_accepted: int
    on_fulfilled: int
    deadline_to_accept: float
    deadline: float
    type: str = "PROCUREMENT"
    accepted: bool = False
    fulfilled: bool = False
    extra: JSON = field(default_factory=dict)

    @property
    def open(self) -> bool:
        """Offered or accepted, and not fulfilled."""
        return not self.fulfilled

    def to_json(self) -> JSON:
        """The spec's Contract object."""
        return {
            "id": self.id, "factionSymbol": self.faction, "type": self.type,
            "terms": {
                "deadline": iso(self.deadline),
                "payment": {"onAccepted": self.on_accepted, "onFulfilled": self.on_fulfilled},
                "deliver": [{"tradeSymbol": d.trade_symbol, "destinationSymbol": d.destination,
                             "unitsRequired": d.required, "unitsFulfilled": d.fulfilled}
                            for d in self.deliveries],
            },
            "accepted": self.accepted, "fulfilled": self.fulfilled,
            "expiration": iso(self.deadline_to_accept),
            "deadlineToAccept": iso(self.deadline_to_accept),
        }


def offer_contract(uni: Universe, rng: random.Random, cid: str, agent: str, faction: str,
                   system: str, now: float) -> Contract:
    """A PROCUREMENT contract to deliver an ore to a market in ``system`` that imports it."""
    good = rng.choice(CONTRACT_GOODS)
    buyers = [m.symbol for m in uni.markets.values()
              if uni.waypoints[m.symbol].system == system and good in m.symbols("IMPORT")]
    any_market = [m for m in uni.markets if uni.waypoints[m].system == system]
    destination = rng.choice(buyers or any_market)
    units = rng.randint(4, 12) * 10
    return Contract(cid, agent, faction, [Delivery(good, destination, units)],
                    on_accepted=rng.randint(20, 40) * 100, on_fulfilled=rng.randint(100, 250) * 100,
                    deadline_to_accept=now + DAY, deadline=now + 7 * DAY)
