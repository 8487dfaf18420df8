"""Where a step stands inside its loops: one frame per ``repeat``/``tour`` level.

The interpreter of the step tree (plan and run alike) pushes a frame when it enters an
iteration and pops it when the loop ends, so after an inner loop the outer loop's values
are back. Templates see the innermost frame as ``loop`` and the enclosing ones as
``loop.parent``, ``loop.parent.parent`` ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LoopState:
    """One loop level: ``index`` is 1-based; ``length`` None when unbounded (``until``,
    ``forever``); ``item`` the tour stop (``times`` loops: the index); ``parent`` the
    enclosing loop's frame."""

    index: int = 1
    length: int | None = None
    item: Any = None
    parent: LoopState | None = None

    @property
    def first(self) -> bool:
        return self.index == 1

    @property
    def last(self) -> bool | None:
        return None if self.length is None else self.index == self.length

    def as_names(self) -> dict[str, Any]:
        """The ``loop`` template name: index, index0, first, last, length, item, parent."""
        return {"index": self.index, "index0": self.index - 1, "first": self.first,
                "last": bool(self.last), "length": self.length, "item": self.item,
                "parent": None if self.parent is None else self.parent.as_names()}


def enter_loop(outer: LoopState | None, index: int, length: int | None,
               item: Any) -> LoopState:
    """The frame of iteration ``index`` of a loop nested in ``outer`` (None at top level)."""
    return LoopState(index, length, item, outer)
