"""Simulator settings: one frozen value handed to ``create_app`` and ``SimServer``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Travel-time multipliers per flight mode for in-system navigation (api-docs wiki, >= 2.1).
DEFAULT_NAV_MULTIPLIERS: dict[str, float] = {
    "CRUISE": 25.0,
    "DRIFT": 250.0,
    "BURN": 12.5,
    "STEALTH": 30.0,
}


class ConfigError(ValueError):
    """A simulator option could not be understood; the message says which and why."""


@dataclass(frozen=True)
class Pool:
    """A fixed-window pool: ``limit`` requests per ``window`` wall-clock seconds."""

    limit: int
    window: float


@dataclass(frozen=True)
class RateLimitSpec:
    """The two pools of the real server: static first, then burst (``None`` = no burst pool)."""

    static: Pool = field(default_factory=lambda: Pool(2, 1.0))
    burst: Pool | None = field(default_factory=lambda: Pool(30, 60.0))

    @classmethod
    def parse(cls, text: str) -> RateLimitSpec:
        """Parse ``"2/1s"`` or ``"2/1s,30/60s"`` (static pool, then optional burst pool)."""
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not 1 <= len(parts) <= 2:
            raise ConfigError(f"rate limit {text!r}: expected 'N/Ws' or 'N/Ws,M/Vs'")
        pools = [_parse_pool(p) for p in parts]
        return cls(static=pools[0], burst=pools[1] if len(pools) == 2 else None)

    def describe(self) -> str:
        """The spec in the syntax ``parse`` accepts."""
        text = f"{self.static.limit}/{self.static.window:g}s"
        if self.burst:
            text += f",{self.burst.limit}/{self.burst.window:g}s"
        return text


_POOL = re.compile(r"^(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?$")


def _parse_pool(text: str) -> Pool:
    match = _POOL.match(text)
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise ConfigError(f"rate limit pool {text!r}: expected 'N/Ws' like '2/1s'")
    return Pool(int(match[1]), float(match[2]))


@dataclass(frozen=True)
class SimConfig:
    """Everything that shapes one simulated universe.

    ``speed``: game seconds per wall second. ``rate_limit``: the real server's pools by
    default, ``None`` disables limiting.
    ``faults``: a fault SPEC (see docs/simulator.md) or ``None`` for no faults.
    """

    seed: int = 1
    speed: float = 1.0
    universe_file: Path | None = None
    rate_limit: RateLimitSpec | None = field(default_factory=RateLimitSpec)
    faults: str | None = None
    nav_multipliers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_NAV_MULTIPLIERS))
    systems: int = 3

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ConfigError(f"speed must be > 0, got {self.speed}")
        missing = set(DEFAULT_NAV_MULTIPLIERS) - set(self.nav_multipliers)
        if missing:
            raise ConfigError(f"nav_multipliers lacks {sorted(missing)}")
        if self.systems < 3:
            raise ConfigError("the generated universe needs at least 3 systems")


REAL_RATE_LIMIT = RateLimitSpec()
"""The real server's limits: 2 per 1 s static pool, then a 30 per 60 s burst pool."""
