"""Pure runtime rules: cursor, idle guard, intent resolution, error reactions, clock math."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runner.domain import commands as c
from runner.domain import cursor
from runner.domain.ship import Cargo, Cooldown, FlightMode, Fuel, Nav, NavStatus, Route, Ship
from runner.domain.snapshot import ShipSnapshot
from runner.runtime.clock import wall_seconds_until
from runner.runtime.idle import IdleGuard, IterationActivity
from runner.runtime.reactions import Reaction, reaction_for

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ship(waypoint: str = "X1-A-1", status: NavStatus = NavStatus.DOCKED, fuel: int = 100,
         inventory: dict[str, int] | None = None, cooldown: datetime | None = None) -> Ship:
    inventory = inventory or {}
    return Ship("S-1", "COMMAND", Nav("X1-A", waypoint, status, FlightMode.CRUISE,
                                      Route("X1-A-0", waypoint, T0, T0)),
                Fuel(fuel, 400), Cargo(40, sum(inventory.values()), inventory), 30,
                cooldown=Cooldown(60, 30, cooldown) if cooldown else None)


@pytest.mark.parametrize(("text", "value"), [
    ("", ()), ("1", (0,)), ("4", (3,)), ("2[5].1", (1, 4, 0)),
    ("13[1].4[2].1", (12, 0, 3, 1, 0))])
def test_cursor_text_is_one_based_and_round_trips(text: str, value: tuple[int, ...]) -> None:
    assert cursor.decode(text) == value
    assert cursor.encode(value) == text


@pytest.mark.parametrize("bad", ["x", "1..2", "0[", "1.2[3]4", "1[2"])
def test_cursor_garbage_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        cursor.decode(bad)


def test_cursor_top_step() -> None:
    assert cursor.top_step(cursor.decode("4[2].1")) == 3
    assert cursor.top_step(()) == 0


def test_idle_guard_announces_once_and_backs_off() -> None:
    guard = IdleGuard(initial=1, maximum=4)
    idle = IterationActivity()
    assert guard.after_iteration(idle) == (1, True)
    assert guard.after_iteration(idle) == (2, False)
    assert guard.after_iteration(idle) == (4, False)
    assert guard.after_iteration(idle) == (4, False)
    assert guard.after_iteration(IterationActivity(requests=1)) == (0, False)
    assert guard.after_iteration(idle) == (1, True)


def test_waiting_counts_as_activity() -> None:
    assert not IterationActivity(waits=1).idle
    assert IdleGuard().after_iteration(IterationActivity(waits=1)) == (0, False)


@pytest.mark.parametrize(("command", "before", "after", "applied"), [
    (c.Purchase("IRON", 10), ship(inventory={"IRON": 5}), ship(inventory={"IRON": 15}), True),
    (c.Purchase("IRON", 10), ship(inventory={"IRON": 5}), ship(inventory={"IRON": 5}), False),
    (c.Sell("IRON", 5), ship(inventory={"IRON": 5}), ship(inventory={}), True),
    (c.Sell("IRON", 5), ship(inventory={"IRON": 5}), ship(inventory={"IRON": 5}), False),
    (c.Jettison("IRON", 2), ship(inventory={"IRON": 5}), ship(inventory={"IRON": 3}), True),
    (c.Deliver(None, "IRON", 5), ship(inventory={"IRON": 5}), ship(inventory={"IRON": 5}),
     False),
    (c.Navigate("X1-A-2", FlightMode.CRUISE, 10, 10, 30), ship(),
     ship("X1-A-2", NavStatus.IN_TRANSIT), True),
    (c.Navigate("X1-A-2", FlightMode.CRUISE, 10, 10, 30), ship(), ship(), False),
    (c.Refuel(), ship(fuel=10), ship(fuel=400), True),
    (c.Refuel(), ship(fuel=10), ship(fuel=10), False),
    (c.Dock(), ship(status=NavStatus.IN_ORBIT), ship(), True),
    (c.Orbit(), ship(), ship(status=NavStatus.IN_ORBIT), True),
    (c.Extract(), ship(status=NavStatus.IN_ORBIT),
     ship(status=NavStatus.IN_ORBIT, cooldown=T0 + timedelta(seconds=60)), True),
    (c.AcceptContract("K"), ship(), ship(), None),
])
def test_took_effect(command: c.Command, before: Ship, after: Ship, applied: bool | None
                     ) -> None:
    snapshot = ShipSnapshot.from_dict(ShipSnapshot.of(before).to_dict())  # as journalled
    assert command.took_effect(snapshot, after) is applied


def test_reactions_by_official_code() -> None:
    assert reaction_for(4214) is Reaction.WAIT_ARRIVAL
    assert reaction_for(4000) is Reaction.WAIT_COOLDOWN
    assert reaction_for(4236) is Reaction.ORBIT_FIRST
    assert reaction_for(4244) is Reaction.DOCK_FIRST
    assert reaction_for(4600) is Reaction.PARK_FOR_CREDITS
    assert reaction_for(4219) is Reaction.FAIL_STEP
    assert reaction_for(4203) is Reaction.FAIL_STEP


def test_waits_are_on_the_server_clock_and_scaled() -> None:
    arrival = T0 + timedelta(seconds=100)
    assert wall_seconds_until(arrival, T0, speed=1) == pytest.approx(100.05)
    assert wall_seconds_until(arrival, T0, speed=10) == pytest.approx(10.05)
    assert wall_seconds_until(arrival, arrival + timedelta(seconds=1), speed=10) == 0
