"""A hauler's ``wait: {until}`` must not end while a drone's load is half handed over.

A drone's load of several goods is several transfers. Found by tests/containers/test_swarm.py
(6 drones, 2 haulers): the hauler's ``until: ship.cargo.free < 15`` held after the first
goods of a load came aboard, the hauler flew off, and the drone's next transfer failed with
the ships apart. The drone's reservation (released only after its last transfer) now keeps
the hauler waiting. Real simulator, real store, two containers at once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from runner.domain import commands as c
from runner.domain.status import ContainerStatus
from runner.runtime.container import Outcome
from runner.runtime.ports import Sent
from tests.actions.harness import game, run_playbook
from tests.actions.test_transfer_coop import DRONE, add_ship, cargo, home, nearest_other

HAULER = """
name: hauler
ship: {role: HAULER}
steps:
  - wait: {until: "ship.cargo.free < 15", at_most: 1h}
  - navigate: WP
"""


class Moment:
    """Set once the hauler, after the drone's first transfer took effect, either read its
    ship twice more (it kept waiting) or set off (it would strand the rest of the load)."""

    def __init__(self) -> None:
        self.first_sent = False
        self.reads_after = 0
        self.event = asyncio.Event()


class DroneHolds:
    """The drone's API: after its first transfer is applied, it waits for ``Moment``."""

    def __init__(self, game_api: Any, moment: Moment) -> None:
        self.game = game_api
        self.moment = moment

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def send(self, ship: Any, command: c.Command) -> Sent:
        sent: Sent = await self.game.send(ship, command)
        if isinstance(command, c.Transfer) and not self.moment.first_sent:
            self.moment.first_sent = True
            await self.moment.event.wait()
        return sent


class HaulerWatched:
    """The hauler's API: counts its reads after the drone's first transfer; a departure
    sets ``Moment`` too (before it is sent)."""

    def __init__(self, game_api: Any, moment: Moment) -> None:
        self.game = game_api
        self.moment = moment

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def get_ship(self, symbol: str) -> Any:
        ship = await self.game.get_ship(symbol)
        if self.moment.first_sent:
            self.moment.reads_after += 1
            if self.moment.reads_after >= 2:
                self.moment.event.set()
        return ship

    async def send(self, ship: Any, command: c.Command) -> Sent:
        if isinstance(command, c.Navigate):
            self.moment.event.set()
        sent: Sent = await self.game.send(ship, command)
        return sent


def test_the_hauler_waits_for_the_rest_of_a_load_half_handed_over(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        belt, away = home(g), nearest_other(g)
        hauler = add_ship(g, "SHIP_LIGHT_HAULER", belt, {"QUARTZ_SAND": 65})  # 15 free
        drone = add_ship(g, "SHIP_MINING_DRONE", belt, {"COPPER_ORE": 5, "IRON_ORE": 10})
        moment = Moment()

        async def both() -> list[Outcome]:
            return list(await asyncio.gather(
                run_playbook(g, HAULER.replace("WP", away), name="hauler", ship=hauler,
                             wrap_api=lambda api: HaulerWatched(api, moment)),
                run_playbook(g, DRONE.replace("WAIT", "10m"), name="drone", ship=drone,
                             wrap_api=lambda api: DroneHolds(api, moment))))

        outcomes = asyncio.run(both())
        assert [o.status for o in outcomes] == [ContainerStatus.COMPLETED] * 2, outcomes
        assert moment.reads_after >= 2  # it read its hold after the first goods came aboard
        handed = g.accepted("/transfer")
        assert sorted((e["body"]["tradeSymbol"], e["body"]["units"]) for e in handed) == \
            [("COPPER_ORE", 5), ("IRON_ORE", 10)]
        assert cargo(g, hauler) == {"QUARTZ_SAND": 65, "COPPER_ORE": 5, "IRON_ORE": 10}
        assert g.ship(hauler)["nav"]["waypointSymbol"] == away
        lines = [r.message for r in g.world.store.logs("hauler")]
        assert any(m.startswith("15 units reserved by other ships are on their way aboard")
                   for m in lines), lines
