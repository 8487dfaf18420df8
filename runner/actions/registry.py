"""The action registry: every action registered once, clashes refused atomically.

An :class:`Action` bundles what the rest of st-run needs to know about one action: the JSON
Schema of its value (feeds the published schema and validation), how to turn the value into
its long form (``normalize``), and how to expand it into commands against live state
(``expand``; None for the control actions ``repeat`` and ``tour``, which the executor walks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from runner.domain.commands import Command
from runner.playbook.context import StepContext

Expand = Callable[[Mapping[str, Any], StepContext], list[Command]]
Normalize = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Action:
    """One playbook action.

    ``bare``: may be written alone (``- dock``), meaning ``normalize(None)``.
    ``nested``: carries nested ``steps`` (``repeat``, ``tour``).
    ``expressions``: long-form keys holding bare expressions (not templates).
    ``needs``: the preconditions the expansion inserts (shown in the docs).
    """

    name: str
    summary: str
    schema: Mapping[str, Any]
    normalize: Normalize
    expand: Expand | None = None
    bare: bool = False
    nested: bool = False
    expressions: tuple[str, ...] = ()
    example: str = ""
    needs: tuple[str, ...] = ()


class ActionRegistry:
    """Actions by name; ``register`` adds several at once or none (refuses any clash)."""

    def __init__(self, actions: Iterable[Action] = (), *, reserved: Iterable[str] = ()) -> None:
        self._actions: dict[str, Action] = {}
        self._reserved = frozenset(reserved)
        self.register(*actions)

    def register(self, *actions: Action) -> None:
        """Add ``actions``; ValueError naming the clash if a name is taken or reserved."""
        names = [a.name for a in actions]
        for name in names:
            if name in self._actions or names.count(name) > 1:
                raise ValueError(f"action `{name}` is registered twice")
            if name in self._reserved:
                raise ValueError(f"action `{name}` clashes with a step keyword")
        self._actions.update((a.name, a) for a in actions)

    def get(self, name: str) -> Action | None:
        """The action called ``name``, or None."""
        return self._actions.get(name)

    def __getitem__(self, name: str) -> Action:
        return self._actions[name]

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def __iter__(self) -> Iterator[Action]:
        return iter(self._actions.values())

    def names(self) -> list[str]:
        """Action names in registration order."""
        return list(self._actions)
