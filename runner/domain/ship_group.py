"""Ship groups: the ships a ``ships:`` playbook runs on, one container per member.

A group is parsed once, when the playbook loads (``ShipGroup.parse``), from one of:

- ``{role: R}`` / ``{frame: F}`` (both may be given: a ship must match both), with an
  optional ``count: N``: the first N matches by symbol;
- a list of ship selectors as ``ship:`` takes them (a symbol, ``{symbol: S}``,
  ``{role: R}`` = the first ship with that role, ``{index: N}`` = the N-th by symbol).

``members(ships)`` is the pure rule: the matching ships, ordered by symbol, each with its
``ShipSlot`` (its 0-based index among the matches and their count), which templates read as
``ship.index`` and ``ship.count``. A group with no match is valid: it waits for members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runner.domain.ship import Ship

FRAME_PREFIX = "FRAME_"


@dataclass(frozen=True)
class ShipSlot:
    """A ship's place in its group: ``index`` (0-based, by symbol) among ``count`` members.

    A single-ship playbook runs as slot 0 of 1.
    """

    index: int = 0
    count: int = 1


@dataclass(frozen=True)
class ShipPick:
    """One entry of a ``ships:`` list: ``key`` is symbol, role or index."""

    key: str
    value: str | int

    def pick(self, ordered: Sequence[Ship]) -> Ship | None:
        """The ship this entry names among ``ordered`` (sorted by symbol), or None."""
        if self.key == "symbol":
            return next((s for s in ordered if s.symbol == self.value), None)
        if self.key == "role":
            return next((s for s in ordered if s.role.upper() == str(self.value).upper()),
                        None)
        index = int(self.value)
        return ordered[index - 1] if 1 <= index <= len(ordered) else None

    def describe(self) -> str:
        return str(self.value) if self.key == "symbol" else f"{{{self.key}: {self.value}}}"


@dataclass(frozen=True)
class ShipGroup:
    """The parsed ``ships:`` selector (see the module docstring)."""

    role: str | None = None
    frame: str | None = None
    count: int | None = None
    picks: tuple[ShipPick, ...] = ()

    @classmethod
    def parse(cls, value: Any) -> ShipGroup:
        """The group ``value`` (the YAML of ``ships:``) describes; ``ValueError`` with a
        message a user can act on when it describes none."""
        if isinstance(value, list):
            if not value:
                raise ValueError("`ships` lists no ship")
            return cls(picks=tuple(_pick(item) for item in value))
        if not isinstance(value, Mapping):
            raise ValueError("`ships` is {role: R}, {frame: F} (with an optional count: N) "
                             "or a list of ships")
        unknown = sorted(set(value) - {"role", "frame", "count"})
        if unknown:
            raise ValueError(f"unknown key `{unknown[0]}` in `ships`; use role, frame, count")
        if value.get("role") is None and value.get("frame") is None:
            raise ValueError("`ships` needs `role` or `frame` (e.g. {role: EXCAVATOR})")
        count = value.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise ValueError(f"`count` must be a whole number of at least 1, got {count!r}")
        role, frame = value.get("role"), value.get("frame")
        return cls(role=None if role is None else str(role).upper(),
                   frame=None if frame is None else frame_symbol(str(frame)), count=count)

    def members(self, ships: Sequence[Ship]) -> list[tuple[Ship, ShipSlot]]:
        """The matching ships, by symbol, each with its slot."""
        ordered = sorted(ships, key=lambda s: s.symbol)
        if self.picks:
            found = {s.symbol: s for p in self.picks if (s := p.pick(ordered)) is not None}
            matched = sorted(found.values(), key=lambda s: s.symbol)
        else:
            matched = [s for s in ordered if self.matches(s)][:self.count]
        return [(ship, ShipSlot(i, len(matched))) for i, ship in enumerate(matched)]

    def matches(self, ship: Ship) -> bool:
        """True when ``ship`` has the group's role and frame (list groups: see members)."""
        if self.role is not None and ship.role.upper() != self.role:
            return False
        return self.frame is None or frame_symbol(ship.frame) == self.frame

    def describe(self) -> str:
        """How messages name the group: ``role EXCAVATOR``, ``3 of frame FRAME_DRONE``."""
        if self.picks:
            return "ships " + ", ".join(p.describe() for p in self.picks)
        parts = [f"{k} {v}" for k, v in (("role", self.role), ("frame", self.frame)) if v]
        text = " and ".join(parts)
        return f"at most {self.count} of {text}" if self.count is not None else text


def _pick(item: Any) -> ShipPick:
    if isinstance(item, str) and item:
        return ShipPick("symbol", item)
    if isinstance(item, Mapping) and len(item) == 1:
        (key, value), = item.items()
        if key in ("symbol", "role") and isinstance(value, str) and value:
            return ShipPick(key, value)
        if key == "index" and isinstance(value, int) and not isinstance(value, bool) \
                and value >= 1:
            return ShipPick(key, value)
    raise ValueError(f"bad entry {item!r} in `ships`: use a symbol, {{symbol: S}}, "
                     "{role: R} or {index: N}")


def frame_symbol(text: str) -> str:
    """``DRONE`` and ``FRAME_DRONE`` name the same frame."""
    upper = text.upper()
    return upper if upper.startswith(FRAME_PREFIX) else FRAME_PREFIX + upper


@dataclass(frozen=True)
class GroupChanges:
    """What keeps a group's containers in step with the fleet (a pure decision).

    ``join``: ships to start a member for; ``gone``: members whose ship no longer exists
    (sold or scrapped); ``unmatched``: members whose ship exists but no longer matches;
    ``moved``: members whose slot changed (they run again at a safe point with the new one).
    """

    join: tuple[tuple[str, ShipSlot], ...] = ()
    gone: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()
    moved: tuple[tuple[str, ShipSlot], ...] = ()


def group_changes(running: Mapping[str, ShipSlot], desired: Mapping[str, ShipSlot],
                  existing: set[str]) -> GroupChanges:
    """Compare the live members (ship -> slot they run with) with the group's matches now
    (ship -> slot) and the agent's ship symbols; every list ordered by symbol."""
    return GroupChanges(
        join=tuple((s, desired[s]) for s in sorted(desired) if s not in running),
        gone=tuple(s for s in sorted(running) if s not in existing),
        unmatched=tuple(s for s in sorted(running) if s in existing and s not in desired),
        moved=tuple((s, desired[s]) for s in sorted(running)
                    if s in desired and desired[s] != running[s]),
    )


def group_of(container: str) -> str | None:
    """The group a container name belongs to (``miners/AGENT-3`` -> ``miners``), or None
    for a single-ship container (group names cannot contain ``/``)."""
    group, sep, ship = container.partition("/")
    return group if sep and group and ship else None
