"""Where a container is in its step tree, as a string that survives a crash.

A cursor alternates step indexes and loop iterations: ``"2"`` is top-level step 3;
``"1.4.0"`` is the first child of top-level step 2 in its fifth iteration. Pure functions.
"""

from __future__ import annotations

Cursor = tuple[int, ...]


def encode(cursor: Cursor) -> str:
    """``(1, 4, 0)`` -> ``"1.4.0"``."""
    return ".".join(str(i) for i in cursor)


def decode(text: str | None) -> Cursor:
    """``"1.4.0"`` -> ``(1, 4, 0)``; empty or None -> ``()``; ValueError on garbage."""
    if not text:
        return ()
    return tuple(int(part) for part in text.split("."))


def top_step(cursor: Cursor) -> int:
    """The 0-based index of the top-level step the cursor is in (0 for the start)."""
    return cursor[0] if cursor else 0
