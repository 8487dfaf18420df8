"""Game formulas the simulator enforces: distance, fuel and travel time (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Mapping


def js_round(x: float) -> int:
    """JavaScript's ``Math.round``: halves round up (Python's ``round`` rounds to even)."""
    return math.floor(x + 0.5)


def distance(ax: int, ay: int, bx: int, by: int) -> float:
    """Euclidean distance between two waypoints of one system."""
    return math.hypot(ax - bx, ay - by)


def fuel_cost(mode: str, d: float, fuel_capacity: int) -> int:
    """Fuel one in-system navigation uses; ships without tanks (capacity 0) use none."""
    if fuel_capacity == 0:
        return 0
    if mode == "DRIFT":
        return 1
    if mode == "BURN":
        return max(2, 2 * js_round(d))
    if mode == "STEALTH":
        return js_round(d)
    return max(1, js_round(d))  # CRUISE


def travel_seconds(mode: str, d: float, engine_speed: int, multipliers: Mapping[str, float]) -> int:
    """Game seconds of one in-system navigation: round(round(max(1,d)) * m / speed + 15)."""
    return js_round(js_round(max(1.0, d)) * multipliers[mode] / engine_speed + 15)
