"""Ships that work together (issue 18): a drone's ``transfer: {to: {role: HAULER, here:
true}}`` waits for a hauler with room, reserving that room in the state store, and a hauler
``wait: {until: ...}`` re-reads its hold until other ships filled it; against the real
simulator, several containers at once on one SQLite file."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest

from runner.domain import commands as c
from runner.domain.status import ContainerStatus
from runner.runtime.container import Outcome
from runner.runtime.ports import Sent
from runner.state.store import Store
from tests.actions.harness import Game, game, run_playbook
from tests.runtime.harness import Crash

DRONE = """
name: drone
ship: {role: EXCAVATOR}
steps:
  - transfer: {to: {role: HAULER, here: true}, symbol: all, wait: WAIT}
"""
HAULER_TO = """
name: hauler
ship: {role: HAULER}
steps:
  - navigate: WP
  - wait: {until: "ship.cargo.units >= UNITS", at_most: 1h}
"""
HAULER_SELLS = """
name: hauler
ship: {role: HAULER}
steps:
  - wait: {until: "ship.cargo.units >= ship.cargo.capacity", at_most: AT_MOST}
  - navigate: {nearest: {buys: IRON_ORE}}
  - sell: {symbol: IRON_ORE}
"""


def add_ship(g: Game, ship_type: str, waypoint: str, cargo: dict[str, int]) -> str:
    """A ship of the agent's, placed at ``waypoint`` with ``cargo`` (test-only edits)."""
    sim = g.sim_state()
    ship = sim.world.add_ship(sim.world.agents[g.world.agent], ship_type, waypoint,
                              sim.clock.now())
    g.world.control("PATCH", f"/ships/{ship.symbol}", {"cargo": cargo})
    return str(ship.symbol)


def home(g: Game) -> str:
    """Where the command ship is (the agent's start)."""
    return str(g.ship()["nav"]["waypointSymbol"])


def nearest_other(g: Game) -> str:
    """The waypoint nearest the command ship's, other than its own."""
    here = home(g)
    system = here.rsplit("-", 1)[0]
    waypoints = g.get(f"/systems/{system}/waypoints?limit=20")
    origin = next(w for w in waypoints if w["symbol"] == here)
    others = [w for w in waypoints if (w["x"], w["y"]) != (origin["x"], origin["y"])]
    return str(min(others, key=lambda w: math.dist((w["x"], w["y"]),
                                                   (origin["x"], origin["y"])))["symbol"])


def cargo(g: Game, ship: str) -> dict[str, int]:
    return {i["symbol"]: i["units"] for i in g.ship(ship)["cargo"]["inventory"]}


def lines(store: Store, name: str) -> list[str]:
    if store.get_container(name) is None:
        return []
    return [r.message for r in store.logs(name)]


async def until_logged(store: Store, name: str, start: str, task: asyncio.Task[Any]) -> None:
    """Return once container ``name`` logged a line starting with ``start`` (its run
    ``task`` still going)."""
    while not any(m.startswith(start) for m in lines(store, name)):
        assert not task.done(), task.result()
        await asyncio.sleep(0.02)


def test_a_drone_waits_for_the_hauler_then_hands_its_load_over(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        belt = nearest_other(g)
        drone = add_ship(g, "SHIP_MINING_DRONE", belt, {"IRON_ORE": 10, "ICE_WATER": 2})
        hauler = add_ship(g, "SHIP_LIGHT_HAULER", home(g), {})
        store = g.world.store

        async def both() -> list[Outcome]:
            first = asyncio.create_task(run_playbook(
                g, DRONE.replace("WAIT", "2h"), name="drone", ship=drone))
            await until_logged(store, "drone", "wait for a HAULER ship", first)
            assert g.accepted("/transfer") == []  # the hauler is elsewhere: it waits
            hauling = run_playbook(g, HAULER_TO.replace("WP", belt).replace("UNITS", "12"),
                                   name="hauler", ship=hauler)
            return list(await asyncio.gather(first, hauling))

        outcomes = asyncio.run(both())
        assert [o.status for o in outcomes] == [ContainerStatus.COMPLETED] * 2, outcomes
        assert cargo(g, hauler) == {"IRON_ORE": 10, "ICE_WATER": 2}
        assert cargo(g, drone) == {}
        handed = g.accepted("/transfer")
        assert sorted((e["body"]["tradeSymbol"], e["body"]["units"]) for e in handed) == [
            ("ICE_WATER", 2), ("IRON_ORE", 10)]
        assert all(e["body"]["shipSymbol"] == hauler for e in handed)
        assert any(m == f"{hauler} is here with room for 12 units (reserved)"
                   for m in lines(store, "drone")), lines(store, "drone")


class HoldsTheTransfer:
    """Holds a Transfer until ``release`` is set (the first drone, reserved, not yet sent)."""

    def __init__(self, game_api: Any, release: asyncio.Event, reserved: asyncio.Event) -> None:
        self.game = game_api
        self.release = release
        self.reserved = reserved

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def send(self, ship: Any, command: c.Command) -> Sent:
        if isinstance(command, c.Transfer):
            self.reserved.set()
            await self.release.wait()
        sent: Sent = await self.game.send(ship, command)
        return sent


class CountsFleetReads:
    """Sets ``looked`` once the second drone read the fleet twice (it saw the hauler)."""

    def __init__(self, game_api: Any, looked: asyncio.Event) -> None:
        self.game = game_api
        self.looked = looked
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def fleet(self) -> Any:
        ships = await self.game.fleet()
        self.reads += 1
        if self.reads >= 2:
            self.looked.set()
        return ships


def test_two_drones_never_overfill_one_hauler(tmp_path: Path) -> None:
    """The hauler has room for one load; with ``transfer-race`` the simulator checks no
    room at all (the live server's race), so only the reservations keep it from overflowing:
    the first drone reserves and is held before sending while the second one looks."""
    with game(tmp_path) as g:
        belt = home(g)
        hauler = add_ship(g, "SHIP_LIGHT_HAULER", belt, {"IRON_ORE": 65})  # 15 free of 80
        drones = [add_ship(g, "SHIP_MINING_DRONE", belt, {"IRON_ORE": 10}) for _ in range(2)]
        g.faults("transfer-race:100%:endpoint=transfer-cargo")
        other = Store.open(str(tmp_path / "state.db"))  # a second runner on the same file
        text = DRONE.replace("WAIT", "10m")

        async def race() -> list[Outcome]:
            release, reserved, looked = asyncio.Event(), asyncio.Event(), asyncio.Event()

            def held(api: Any) -> Any:
                return HoldsTheTransfer(api, release, reserved)

            def counted(api: Any) -> Any:
                return CountsFleetReads(api, looked)

            first = asyncio.create_task(run_playbook(g, text, name="d1", ship=drones[0],
                                                     wrap_api=held))
            await reserved.wait()
            second = asyncio.create_task(run_playbook(g, text, name="d2", ship=drones[1],
                                                      store=other, wrap_api=counted))
            watching = asyncio.create_task(looked.wait())
            await asyncio.wait([watching, second], return_when=asyncio.FIRST_COMPLETED)
            watching.cancel()
            release.set()
            return list(await asyncio.gather(first, second))

        try:
            outcomes = asyncio.run(race())
        finally:
            other.close()
        assert [o.status for o in outcomes] == [ContainerStatus.COMPLETED,
                                                ContainerStatus.FAILED], outcomes
        assert len(g.accepted("/transfer")) == 1
        assert g.ship(hauler)["cargo"]["units"] == 75
        assert cargo(g, drones[1]) == {"IRON_ORE": 10}
        failed = lines(g.world.store, "d2")
        assert any(f"no HAULER ship with room for 10 units came to {belt} within 10m" in m
                   for m in failed), failed


class DiesBeforeSending:
    """Stands for a SIGKILL between the reservation and the transfer: nothing is released,
    neither the reservation nor the lease (it lapses after its time to live)."""

    def __init__(self) -> None:
        self.room: Any = None

    def api(self, game_api: Any) -> Any:
        dies = self

        class Api:
            def __getattr__(self, name: str) -> Any:
                return getattr(game_api, name)

            async def send(self, ship: Any, command: c.Command) -> Sent:
                if isinstance(command, c.Transfer):
                    dies.room.holder.lost = True  # its lease is never released nor renewed
                    raise Crash()
                sent: Sent = await game_api.send(ship, command)
                return sent
        return Api()

    def wrap_room(self, room: Any) -> Any:
        self.room = room
        dies = self

        class Room:
            def reserve(self, target: str, units: int) -> int:
                return int(room.reserve(target, units))

            def release(self) -> None:
                if not dies.room.holder.lost:
                    room.release()
        return Room()


class NotesWhenSent:
    """Notes the lease clock's time of the first Transfer sent."""

    def __init__(self, game_api: Any, store: Store, sent_at: list[Any]) -> None:
        self.game = game_api
        self.store = store
        self.sent_at = sent_at

    def __getattr__(self, name: str) -> Any:
        return getattr(self.game, name)

    async def send(self, ship: Any, command: c.Command) -> Sent:
        if isinstance(command, c.Transfer):
            self.sent_at.append(self.store.now())
        sent: Sent = await self.game.send(ship, command)
        return sent


def test_a_killed_drones_reservation_lapses_with_its_lease(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        belt = home(g)
        hauler = add_ship(g, "SHIP_LIGHT_HAULER", belt, {"IRON_ORE": 65})  # 15 free of 80
        drones = [add_ship(g, "SHIP_MINING_DRONE", belt, {"IRON_ORE": 10}) for _ in range(2)]
        store = g.world.store
        dies = DiesBeforeSending()
        text = DRONE.replace("WAIT", "2h")
        with pytest.raises(Crash):
            asyncio.run(run_playbook(g, text, name="d1", ship=drones[0], ttl_s=1.0,
                                     wrap_api=dies.api, wrap_room=dies.wrap_room))
        killed = store.require_container("d1")
        assert killed.lease_owner is not None and killed.lease_expires_at is not None
        sent_at: list[Any] = []
        outcome = asyncio.run(run_playbook(
            g, text, name="d2", ship=drones[1],
            wrap_api=lambda api: NotesWhenSent(api, store, sent_at)))
        assert outcome.status is ContainerStatus.COMPLETED, outcome
        assert sent_at and sent_at[0] >= killed.lease_expires_at  # not before it lapsed
        assert len(g.accepted("/transfer")) == 1
        assert g.ship(hauler)["cargo"]["units"] == 75


def test_the_hauler_waits_until_full_then_sells(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        belt = home(g)
        hauler = add_ship(g, "SHIP_LIGHT_HAULER", belt, {"IRON_ORE": 70})
        drone = add_ship(g, "SHIP_MINING_DRONE", belt, {"IRON_ORE": 10})
        store = g.world.store

        async def both() -> list[Outcome]:
            waiting = asyncio.create_task(run_playbook(
                g, HAULER_SELLS.replace("AT_MOST", "2h"), name="hauler", ship=hauler))
            await until_logged(store, "hauler", "wait until ship.cargo.units", waiting)
            assert g.accepted("/sell") == []
            handing = run_playbook(g, DRONE.replace("WAIT", "10m"), name="drone", ship=drone)
            return list(await asyncio.gather(waiting, handing))

        outcomes = asyncio.run(both())
        assert [o.status for o in outcomes] == [ContainerStatus.COMPLETED] * 2, outcomes
        assert len(g.accepted("/transfer")) == 1
        assert sum(e["body"]["units"] for e in g.accepted("/sell")) == 80
        assert g.ship(hauler)["cargo"]["units"] == 0


def test_the_hauler_sells_what_it_has_when_the_deadline_passes(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        hauler = add_ship(g, "SHIP_LIGHT_HAULER", home(g), {"IRON_ORE": 30})
        outcome = asyncio.run(run_playbook(g, HAULER_SELLS.replace("AT_MOST", "5m"),
                                           name="hauler", ship=hauler))
        assert outcome.status is ContainerStatus.COMPLETED, outcome
        assert sum(e["body"]["units"] for e in g.accepted("/sell")) == 30
        assert any(m.endswith("is still false; going on") for m in
                   lines(g.world.store, "hauler"))


def test_a_lost_transfer_answer_applies_once(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        belt = home(g)
        hauler = add_ship(g, "SHIP_LIGHT_HAULER", belt, {})
        drone = add_ship(g, "SHIP_MINING_DRONE", belt, {"IRON_ORE": 10})
        g.faults("drop-after:100%:endpoint=transfer-cargo")
        outcome = asyncio.run(run_playbook(g, DRONE.replace("WAIT", "10m"), name="drone",
                                           ship=drone))
        assert outcome.status is ContainerStatus.COMPLETED, outcome
        assert len(g.accepted("/transfer")) == 1
        assert cargo(g, hauler) == {"IRON_ORE": 10}


def test_no_hauler_fails_clearly_after_the_wait(tmp_path: Path) -> None:
    with game(tmp_path) as g:
        drone = add_ship(g, "SHIP_MINING_DRONE", home(g), {"IRON_ORE": 10})
        outcome = asyncio.run(run_playbook(g, DRONE.replace("WAIT", "3m"), name="drone",
                                           ship=drone))
        assert outcome.status is ContainerStatus.FAILED
        assert g.accepted("/transfer") == []
        assert any(f"no HAULER ship with room for 10 units came to {home(g)} "
                   "within 3m (nothing sent)" in m for m in lines(g.world.store, "drone"))




def test_a_stopped_wait_resumes_with_its_deadline(tmp_path: Path) -> None:
    """``st-run stop`` ends the wait for a hauler at once; the resumed run waits on for the
    same deadline (checkpointed), then hands the load over when a hauler is there."""
    with game(tmp_path) as g:
        belt = home(g)
        drone = add_ship(g, "SHIP_MINING_DRONE", belt, {"IRON_ORE": 10})
        store = g.world.store
        text = DRONE.replace("WAIT", "2h")

        async def stopped() -> Outcome:
            waiting = asyncio.create_task(run_playbook(g, text, name="drone", ship=drone))
            await until_logged(store, "drone", "wait for a HAULER ship", waiting)
            store.request_stop("drone")
            return await waiting

        assert asyncio.run(stopped()).status is ContainerStatus.STOPPED
        deadline = [m for m in lines(store, "drone") if m.startswith("wait for a HAULER")]
        hauler = add_ship(g, "SHIP_LIGHT_HAULER", belt, {})
        outcome = asyncio.run(run_playbook(g, text, name="drone", ship=drone))
        assert outcome.status is ContainerStatus.COMPLETED, outcome
        again = [m for m in lines(store, "drone") if m.startswith("wait for a HAULER")]
        assert again == deadline  # resumed: the deadline was not set anew
        assert cargo(g, hauler) == {"IRON_ORE": 10}
        assert len(g.accepted("/transfer")) == 1
