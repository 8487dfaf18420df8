"""The fields of the names st-run provides (``ship``, ``agent``, ``loop``), known before any
game data exists, so ``validate`` catches ``ship.fuel.currnet`` with a "did you mean".

The shapes are derived from the functions that build the names at run time
(``ship_names``, ``agent_names``, ``LoopState.as_names``) applied to a sample value: one
home for what a name holds, no second list to keep in step. A field whose value is data
keyed by the game (``ship.cargo.inventory``, ``loop.item``) is open: anything goes below it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import nodes

OPEN: Mapping[str, Any] = {}
"""Marks a field whose keys are data (any attribute may follow)."""
_OPEN_FIELDS = {("ship", "cargo", "inventory"), ("loop", "item")}


@lru_cache(maxsize=1)
def shapes() -> Mapping[str, Mapping[str, Any]]:
    """``{"ship": {...}, "agent": {...}, "loop": {...}}``: nested dicts of field names; a
    leaf is None (a plain value: its own methods may follow), ``OPEN`` is data."""
    from runner.domain.loop import LoopState
    from runner.domain.ship import Agent, Cargo, Fuel, Nav, NavStatus, Ship
    from runner.playbook.template import agent_names, ship_names

    ship = Ship("S-1", "COMMAND", Nav("X1-A", "X1-A-1", NavStatus.DOCKED), Fuel(0, 0),
                Cargo(0, 0, {}), 1)
    agent = Agent("A", "X1-A-1", 0, "F")
    loop = LoopState(1, 1, None, LoopState(1, 1, None)).as_names()
    return {"ship": _shape(ship_names(ship), ("ship",)),
            "agent": _shape(agent_names(agent), ("agent",)),
            "loop": _loop_shape(loop)}


def _shape(value: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        here = (*path, key)
        if here in _OPEN_FIELDS:
            out[key] = OPEN
        elif isinstance(item, Mapping):
            out[key] = _shape(item, here)
        else:
            out[key] = None
    return out


def _loop_shape(loop: Mapping[str, Any]) -> dict[str, Any]:
    shape = _shape({k: v for k, v in loop.items() if k != "parent"}, ("loop",))
    shape["parent"] = shape  # every enclosing level has the same fields
    return shape


def unknown_fields(tree: nodes.Node, stored: frozenset[str]) -> Iterator[tuple[str, str,
                                                                             list[str]]]:
    """For each ``ship.x.y`` / ``agent.x`` / ``loop.x`` chain in ``tree`` whose field does not
    exist: (the chain up to the bad field, the bad field, the fields that exist there).
    Names the template assigns itself (``stored``) are not st-run's and are skipped."""
    for node in tree.find_all(nodes.Getattr):
        chain = _chain(node)
        if chain is None or chain[0] in stored or chain[0] not in shapes():
            continue
        shape: Any = shapes()[chain[0]]
        for depth, field in enumerate(chain[1:], start=1):
            if shape is None or shape is OPEN:
                break
            if field not in shape:
                yield ".".join(chain[:depth + 1]), field, sorted(shape)
                break
            shape = shape[field]


def _chain(node: nodes.Getattr) -> list[str] | None:
    """``ship.fuel.current`` -> ["ship", "fuel", "current"] (None unless it starts at a
    name). Inner links of a chain are found too and agree: callers drop repeats."""
    parts: list[str] = []
    current: nodes.Node = node
    while isinstance(current, nodes.Getattr):
        parts.append(current.attr)
        current = current.node
    if not isinstance(current, nodes.Name) or current.ctx != "load":
        return None
    return [current.name, *reversed(parts)]
