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


# Warp travel-time multipliers per flight mode (rules doc section 7; only CRUISE is confirmed).
DEFAULT_WARP_MULTIPLIERS: dict[str, float] = {
    "CRUISE": 50.0,
    "DRIFT": 300.0,
    "BURN": 25.0,
    "STEALTH": 60.0,
}


@dataclass(frozen=True)
class EraRules:
    """The numbers that change between server resets, in one place (docs/simulator.md).

    A reset that changes a rule is an edit here (or a different ``EraRules`` handed to
    ``SimConfig``), never a code change in the handlers.
    """

    # Reactor cooldown of extract, siphon, survey and scans: base + per_power x (sum of the
    # power requirements of the mounts used).
    cooldown_base: int = 60
    cooldown_per_power: int = 10
    # Jump cooldown: round(base + per_distance x d), d = distance between the two systems
    # (since the 2025-03 reset; before it was 60 + d).
    jump_cooldown_base: float = 15.0
    jump_cooldown_per_distance: float = 0.3
    jump_antimatter_units: int = 1
    warp_multipliers: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_WARP_MULTIPLIERS))
    # Each ship purchase raises that type's price at that shipyard by this fraction; the
    # raise decays exponentially with this time constant (game seconds).
    ship_price_step: float = 0.025
    ship_price_recovery: float = 6 * 3600.0
    # The starting system's jump gate bill: (good, required, already fulfilled).
    gate_bill: tuple[tuple[str, int, int], ...] = (
        ("FAB_MATS", 1600, 0), ("ADVANCED_CIRCUITRY", 400, 0), ("QUANTUM_STABILIZERS", 1, 1))
    # Refining: input units of ore consumed for output units of the refined good.
    refine_input: int = 100
    refine_output: int = 10
    refine_cooldown: int = 180
    # Siphon yield per mount: strength + bonus, +/- spread.
    siphon_bonus: int = 5
    siphon_spread: int = 2
    chart_reward: int = 1000
    # Scrapping returns this fraction of the ship type's current shipyard price.
    scrap_fraction: float = 0.5
    # Supply chain: a delivered import unit raises its market's exports' supply by this
    # many "units of production"; 5 x tradeVolume of production moves supply up one level.
    supply_growth_levels: int = 5
    gates_under_construction: float = 0.1
    # Condition a jump or a warp takes from the frame, reactor and engine (repairs restore it).
    wear_per_jump: float = 0.01


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
    ``systems``: systems of a generated galaxy (the first three are detailed).
    ``era``: the reset-dependent rule numbers. ``require_account_token``: register needs an
    account token (live server since 2.3). ``rate_limit_per_ip``: besides the account's pools,
    every client address has its own pair of pools (the live server's second key).
    """

    seed: int = 1
    speed: float = 1.0
    universe_file: Path | None = None
    rate_limit: RateLimitSpec | None = field(default_factory=RateLimitSpec)
    faults: str | None = None
    nav_multipliers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_NAV_MULTIPLIERS))
    systems: int = 3
    era: EraRules = field(default_factory=EraRules)
    require_account_token: bool = False
    rate_limit_per_ip: bool = False

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
