"""Extraction and surveys: seeded yields, reactor cooldowns and cargo limits."""

from __future__ import annotations

import random
from typing import Any

from runner.sim.api import Ctx, Reply
from runner.sim.catalog import (
    DEPOSIT_YIELDS,
    EXTRACTABLE_TYPES,
    SIPHON_YIELDS,
    SIPHONABLE_TYPES,
)
from runner.sim.clock import iso, parse_iso
from runner.sim.errors import game_error
from runner.sim.routes import REGISTRY
from runner.sim.routes.ships import require_orbit, ship_for
from runner.sim.ship import Ship

SURVEY_USES = {"SMALL": 10, "MODERATE": 25, "LARGE": 50}


def _rng(ctx: Ctx, ship: Ship) -> random.Random:
    """Per-ship, per-action RNG: yields do not depend on what other ships do."""
    ship.actions += 1
    return random.Random(f"{ctx.sim.config.seed}:{ship.symbol}:{ship.actions}")


def reactor_cooldown(ctx: Ctx, mounts: list[dict[str, Any]]) -> int:
    """Seconds of reactor cooldown after using ``mounts``: base + per_power x their power."""
    era = ctx.sim.config.era
    power = sum(int(m["requirements"].get("power", 0)) for m in mounts)
    return era.cooldown_base + era.cooldown_per_power * power


def _check_cooldown(ship: Ship, now: float) -> None:
    ship.check_cooldown(now)


def _start_cooldown(ship: Ship, seconds: int, now: float) -> None:
    ship.start_cooldown(seconds, now)


def _deposit_goods(ctx: Ctx, ship: Ship, verb: str) -> list[str]:
    """The goods the ship's waypoint yields; 4205 when it cannot be ``verb`` (mined/surveyed)."""
    wp = ctx.world.universe.waypoints[ship.waypoint]
    goods = [g for t in wp.traits for g in DEPOSIT_YIELDS.get(t, [])]
    if wp.type not in EXTRACTABLE_TYPES or not goods:
        raise game_error(4205, f"Waypoint {wp.symbol} ({wp.type}) cannot be {verb}.",
                         waypointSymbol=wp.symbol)
    return goods


def _extract_preconditions(ctx: Ctx, ship: Ship) -> list[str]:
    """Checks shared by both extract endpoints; returns the waypoint's deposit yields."""
    require_orbit(ship, ctx.now)
    lasers = ship.mounts_with("MOUNT_MINING_LASER")
    if not lasers:
        raise game_error(4243, f"Ship {ship.symbol} has no mining lasers.",
                         shipSymbol=ship.symbol)
    goods = _deposit_goods(ctx, ship, "mined")
    _check_cooldown(ship, ctx.now)
    if ship.cargo_units >= ship.cargo_capacity:
        raise game_error(4228, f"Ship {ship.symbol} cargo is full.", shipSymbol=ship.symbol,
                         cargoCapacity=ship.cargo_capacity)
    return goods


def _finish_extraction(ctx: Ctx, ship: Ship, good: str, rng: random.Random) -> Reply:
    lasers = ship.mounts_with("MOUNT_MINING_LASER")
    strength = sum(m.get("strength", 0) for m in lasers)
    units = min(rng.randint(max(1, strength // 2), strength * 2),
                ship.cargo_capacity - ship.cargo_units)
    ship.add_cargo(good, units)
    _start_cooldown(ship, reactor_cooldown(ctx, lasers), ctx.now)
    modifiers = ctx.world.universe.waypoints[ship.waypoint].modifiers
    return 201, {"data": {"extraction": {"shipSymbol": ship.symbol,
                                         "yield": {"symbol": good, "units": units}},
                          "cooldown": ship.cooldown_json(ctx.now), "cargo": ship.cargo_json(),
                          "modifiers": modifiers, "events": []}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/extract", "extract")
def extract(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    goods = _extract_preconditions(ctx, ship)
    rng = _rng(ctx, ship)
    return _finish_extraction(ctx, ship, rng.choice(goods), rng)


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/extract/survey", "extract-survey")
def extract_with_survey(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    signature = ctx.field("signature", str)
    ctx.field("symbol", str)
    survey = ctx.world.surveys.get(signature)
    if survey is None or ctx.body != survey["json"]:
        raise game_error(4220, "Survey failed verification: send the survey object exactly "
                         "as it was returned.", signature=signature)
    _extract_preconditions(ctx, ship)
    if survey["json"]["symbol"] != ship.waypoint:
        raise game_error(4270, f"Survey {signature} is for {survey['json']['symbol']}, not "
                         f"{ship.waypoint}.", surveySymbol=survey["json"]["symbol"])
    if ctx.now > parse_iso(survey["json"]["expiration"]):
        raise game_error(4221, f"Survey {signature} has expired.", signature=signature)
    if survey["uses"] <= 0:
        raise game_error(4224, f"Survey {signature} has been exhausted.", signature=signature)
    survey["uses"] -= 1
    rng = _rng(ctx, ship)
    good = rng.choice([d["symbol"] for d in survey["json"]["deposits"]])
    return _finish_extraction(ctx, ship, good, rng)


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/survey", "survey")
def survey(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    require_orbit(ship, ctx.now)
    surveyors = ship.mounts_with("MOUNT_SURVEYOR")
    if not surveyors:
        raise game_error(4240, f"Ship {ship.symbol} has no surveyor mount.",
                         shipSymbol=ship.symbol)
    goods = _deposit_goods(ctx, ship, "surveyed")
    _check_cooldown(ship, ctx.now)
    rng = _rng(ctx, ship)
    surveys = []
    for mount in surveyors:
        for _ in range(mount.get("strength", 1)):
            surveys.append(_new_survey(ctx, ship.waypoint, goods, rng))
    _start_cooldown(ship, reactor_cooldown(ctx, surveyors), ctx.now)
    return 201, {"data": {"cooldown": ship.cooldown_json(ctx.now), "surveys": surveys}}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/siphon", "siphon-resources")
def siphon(ctx: Ctx) -> Reply:
    """Siphon gas at a gas giant: needs siphon mounts and a gas processor, yields one gas."""
    ship = ship_for(ctx)
    require_orbit(ship, ctx.now)
    siphons = ship.mounts_with("MOUNT_GAS_SIPHON")
    if not ship.modules_with("MODULE_GAS_PROCESSOR"):
        raise game_error(4257, f"Ship {ship.symbol} has no gas processor module.",
                         shipSymbol=ship.symbol)
    if not siphons:
        raise game_error(4258, f"Ship {ship.symbol} has no gas siphon mounts.",
                         shipSymbol=ship.symbol)
    wp = ctx.world.universe.waypoints[ship.waypoint]
    if wp.type not in SIPHONABLE_TYPES:
        raise game_error(4259, f"Waypoint {wp.symbol} ({wp.type}) cannot be siphoned; only gas "
                         "giants can.", waypointSymbol=wp.symbol)
    if wp.faction and wp.faction != ctx.me().faction and "MILITARY_BASE" in wp.traits:
        raise game_error(4260, f"Siphoning at {wp.symbol} is restricted to its faction.",
                         waypointSymbol=wp.symbol)
    _check_cooldown(ship, ctx.now)
    free = ship.cargo_capacity - ship.cargo_units
    if free <= 0:
        raise game_error(4228, f"Ship {ship.symbol} cargo is full.", shipSymbol=ship.symbol,
                         cargoCapacity=ship.cargo_capacity)
    rng = _rng(ctx, ship)
    era = ctx.sim.config.era
    good = rng.choice(SIPHON_YIELDS)
    wanted = sum(m.get("strength", 0) + era.siphon_bonus
                 + rng.randint(-era.siphon_spread, era.siphon_spread) for m in siphons)
    units = max(1, min(wanted, free))
    ship.add_cargo(good, units)
    _start_cooldown(ship, reactor_cooldown(ctx, siphons), ctx.now)
    return 201, {"data": {"siphon": {"shipSymbol": ship.symbol,
                                     "yield": {"symbol": good, "units": units}},
                          "cooldown": ship.cooldown_json(ctx.now), "cargo": ship.cargo_json(),
                          "events": []}}


def _new_survey(ctx: Ctx, waypoint: str, goods: list[str], rng: random.Random) -> dict[str, Any]:
    size = rng.choice(list(SURVEY_USES))
    signature = f"{waypoint}-{rng.getrandbits(32):08X}"
    deposits = [{"symbol": rng.choice(goods)} for _ in range(rng.randint(3, 7))]
    survey = {"signature": signature, "symbol": waypoint, "deposits": deposits,
              "expiration": iso(ctx.now + rng.randint(15, 60) * 60), "size": size}
    ctx.world.surveys[signature] = {"json": survey, "uses": SURVEY_USES[size]}
    return survey
