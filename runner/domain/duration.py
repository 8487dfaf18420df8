"""Durations: the one parser for every time notation in st-run (playbooks, restart policies).

A duration is a non-negative number of seconds, or text made of number-unit parts:
``30s``, ``5m``, ``2h``, ``1d``, ``500ms``, ``1h30m``, ``1m30s`` (a bare number is seconds).
``DURATION_PATTERN`` is the same grammar for the JSON Schema, so whatever the schema accepts
this parser accepts (a property test holds them together).
"""

from __future__ import annotations

import math
import re

DURATION_PATTERN = r"^\s*(?:[0-9]+(?:\.[0-9]+)?\s*(?:ms|s|m|h|d)?\s*)+$"
"""The text form of a duration (the schema's ``pattern``)."""

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "": 1.0}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)?")
_WHOLE = re.compile(DURATION_PATTERN)


def parse_duration(value: object) -> float:
    """Seconds in ``value`` (a number >= 0 or text like ``1h30m``); ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 2h)")
    if isinstance(value, int | float):
        if value < 0 or not math.isfinite(value):
            raise ValueError(f"a duration must be a finite, non-negative number, not {value}")
        return float(value)
    if not isinstance(value, str) or not _WHOLE.match(value):
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 2h)")
    return sum(float(n) * _UNITS[u or ""] for n, u in _PART.findall(value))
