"""``ShipGroup``: parsing ``ships:`` once, and the pure rules of membership and change."""

from __future__ import annotations

from typing import Any

import pytest

from runner.domain.ship import Cargo, Fuel, Nav, NavStatus, Ship
from runner.domain.ship_group import (
    GroupChanges,
    ShipGroup,
    ShipPick,
    ShipSlot,
    group_changes,
    group_of,
)


def ship(symbol: str, role: str = "EXCAVATOR", frame: str = "FRAME_DRONE") -> Ship:
    return Ship(symbol, role, Nav("X1-A", "X1-A-1", NavStatus.DOCKED), Fuel(0, 0),
                Cargo(0, 0, {}), 1, frame=frame)


FLEET = [ship("A-4"), ship("A-1", "COMMAND", "FRAME_FRIGATE"), ship("A-3"),
         ship("A-2", "SATELLITE", "FRAME_PROBE"), ship("A-5", "HAULER", "FRAME_DRONE")]


def members(value: Any) -> list[tuple[str, int, int]]:
    return [(s.symbol, slot.index, slot.count)
            for s, slot in ShipGroup.parse(value).members(FLEET)]


@pytest.mark.parametrize(("value", "expected"), [
    ({"role": "excavator"}, [("A-3", 0, 2), ("A-4", 1, 2)]),
    ({"frame": "FRAME_DRONE"}, [("A-3", 0, 3), ("A-4", 1, 3), ("A-5", 2, 3)]),
    ({"frame": "drone"}, [("A-3", 0, 3), ("A-4", 1, 3), ("A-5", 2, 3)]),
    ({"frame": "DRONE", "count": 2}, [("A-3", 0, 2), ("A-4", 1, 2)]),
    ({"role": "EXCAVATOR", "frame": "FRAME_PROBE"}, []),
    ({"role": "MINER"}, []),
    (["A-4", {"role": "COMMAND"}, {"index": 2}, "A-9", "A-4"],
     [("A-1", 0, 3), ("A-2", 1, 3), ("A-4", 2, 3)]),
])
def test_members_are_the_matches_by_symbol_with_their_slots(value: Any,
                                                           expected: list[Any]) -> None:
    assert members(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ({}, "needs `role` or `frame`"),
    ({"count": 2}, "needs `role` or `frame`"),
    ({"role": "X", "count": 0}, "`count` must be a whole number of at least 1"),
    ({"role": "X", "count": True}, "`count` must be a whole number"),
    ({"role": "X", "size": 2}, "unknown key `size`"),
    ([], "lists no ship"),
    ([{"index": 0}], "bad entry"),
    ([{"role": "X", "index": 1}], "bad entry"),
    ("A-1", "`ships` is {role: R}"),
])
def test_a_bad_group_is_one_message(value: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        ShipGroup.parse(value)
    assert message in str(caught.value)


def test_describe_names_the_group() -> None:
    assert ShipGroup.parse({"role": "SATELLITE", "count": 3}).describe() == \
        "at most 3 of role SATELLITE"
    assert ShipGroup.parse(["A-1", {"index": 2}]).describe() == "ships A-1, {index: 2}"
    assert ShipPick("role", "X").pick([]) is None


def test_changes_join_leave_and_move() -> None:
    running = {"A-1": ShipSlot(0, 2), "A-2": ShipSlot(1, 2), "A-3": ShipSlot(2, 3)}
    desired = {"A-2": ShipSlot(0, 3), "A-3": ShipSlot(1, 3), "A-4": ShipSlot(2, 3)}
    assert group_changes(running, desired, {"A-2", "A-3", "A-4", "A-9"}) == GroupChanges(
        join=(("A-4", ShipSlot(2, 3)),), gone=("A-1",), unmatched=(),
        moved=(("A-2", ShipSlot(0, 3)), ("A-3", ShipSlot(1, 3))))
    assert group_changes({"A-1": ShipSlot()}, {}, {"A-1"}).unmatched == ("A-1",)
    assert group_changes({}, {}, set()) == GroupChanges()


def test_group_of_a_container_name() -> None:
    assert group_of("miners/AGENT-3") == "miners"
    assert group_of("miners") is None
    assert group_of("/AGENT-3") is None and group_of("miners/") is None
