"""A tiny stand-in for the playbook language, for executor tests that must not depend on it.

It expands a handful of actions the simplest way (navigate = orbit + one CRUISE hop with the
game's fuel formula, buy/sell/refuel docked). The real language is exercised end to end in
``tests/e2e``; here the executor's own duties (journal, resume, reactions, waits) are tested
against the real simulator, client and store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.domain import commands as c
from runner.domain.plan import Step
from runner.domain.ship import FlightMode, Ship
from runner.domain.universe import System
from runner.runtime.ports import Loop


@dataclass
class Ctx:
    ship: Ship
    system: System
    registered: Mapping[str, Any]
    loop: Loop | None


def step(index: int, action: str, children: tuple[Step, ...] = (), **args: Any) -> Step:
    return Step((index,), action, args, children=children)


class ScriptedLanguage:
    def __init__(self, system: System) -> None:
        self.system = system

    async def context(self, ship: Ship, registered: Mapping[str, Any], loop: Loop | None,
                      step: Step | None = None) -> Ctx:
        return Ctx(ship, self.system, registered, loop)

    def expand(self, step: Step, ctx: Ctx) -> list[c.Command]:
        args = step.args
        match step.action:
            case "navigate":
                here, there = self.system[ctx.ship.nav.waypoint], self.system[args["to"]]
                distance = math.hypot(here.x - there.x, here.y - there.y)
                fuel = max(1, math.floor(distance + 0.5))
                return [c.Orbit(), c.Navigate(there.symbol, FlightMode.CRUISE, distance, fuel,
                                              int(distance * 25 / 30 + 15))]
            case "tour":  # the flight to the current stop
                assert ctx.loop is not None
                return self.expand(Step(step.path, "navigate", {"to": ctx.loop.item}), ctx)
            case "dock":
                return [c.Dock()]
            case "orbit":
                return [c.Orbit()]
            case "extract":
                return [c.Orbit(), c.Extract()]
            case "refuel":
                return [c.Dock(), c.Refuel()]
            case "buy":
                return [c.Dock(), *[c.Purchase(args["symbol"], args["units"])
                                    for _ in range(args.get("times", 1))]]
            case "sell":
                sells: list[c.Command] = []
                for symbol, units in sorted(ctx.ship.cargo.inventory.items()):
                    while units > 0:  # the simulator's trade volume here is 10
                        sells.append(c.Sell(symbol, min(units, 10)))
                        units -= 10
                return [c.Dock(), *sells]
            case "wait":
                return [c.Wait(float(args["seconds"]))]
            case "log":
                return [c.Log(str(args["message"]))]
        raise ValueError(f"scripted language cannot expand {step.action}")

    def length(self, step: Step, ctx: Ctx) -> int | None:
        times = step.args.get("times")
        return None if times is None else int(times)

    def stops(self, step: Step, ctx: Ctx) -> list[Any]:
        return list(step.args.get("visit", []))

    def holds(self, expression: str, ctx: Ctx) -> bool:
        return expression != "false"
