"""Where a container is in its step tree, as a string that survives a crash.

A cursor alternates step indexes and loop iterations (all 0-based in memory). Its text form
is what ``st-run status`` shows, 1-based: ``"3"`` is top-level step 3; ``"2[5].1"`` is the
first child of step 2 in that loop's fifth iteration. Pure functions.
"""

from __future__ import annotations

import re

Cursor = tuple[int, ...]

_PART = re.compile(r"(\d+)(?:\[(\d+)\])?")


def encode(cursor: Cursor) -> str:
    """``(1, 4, 0)`` -> ``"2[5].1"``."""
    parts: list[str] = []
    for position, value in enumerate(cursor):
        if position % 2 == 0:
            parts.append(str(value + 1))
        else:
            parts[-1] += f"[{value + 1}]"
    return ".".join(parts)


def decode(text: str | None) -> Cursor:
    """``"2[5].1"`` -> ``(1, 4, 0)``; empty or None -> ``()``; ValueError on garbage."""
    if not text:
        return ()
    cursor: list[int] = []
    for part in text.split("."):
        match = _PART.fullmatch(part)
        if match is None or (cursor and len(cursor) % 2 == 1):
            raise ValueError(f"not a step cursor: {text!r}")
        cursor.append(int(match[1]) - 1)
        if match[2] is not None:
            cursor.append(int(match[2]) - 1)
    return tuple(cursor)


def top_step(cursor: Cursor) -> int:
    """The 0-based index of the top-level step the cursor is in (0 for the start)."""
    return cursor[0] if cursor else 0
