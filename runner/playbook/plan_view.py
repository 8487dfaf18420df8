"""How a ``Plan`` is shown: a JSON-safe dict (``st-run plan --json``, golden tests) and text."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from runner.domain.commands import Command, Navigate, command_to_dict
from runner.domain.plan import Leg, Plan, PlannedStep


def plan_to_dict(plan: Plan, *, start: datetime | None = None) -> dict[str, Any]:
    """The plan as JSON-safe data; with ``start``, each leg also gets its ``eta`` (ISO, UTC)."""
    out = {
        "playbook": plan.playbook, "ship": plan.ship, "system": plan.system,
        "legs": [_leg(leg, start) for leg in plan.legs],
        "total_duration_s": plan.total_duration_s,
        "total_distance": round(plan.total_distance, 3),
        "fuel_used": plan.fuel_used,
        "fuel_credits": plan.fuel_credits,
        "requests": plan.requests,
        "unbounded": plan.unbounded,
        "steps": [_step(s) for s in plan.steps],
        "warnings": list(plan.warnings),
    }
    if margins(plan):  # safety margins the routes applied, each with its cost
        out["margins"] = margins(plan)
    return out


def _leg(leg: Leg, start: datetime | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "from": leg.origin, "to": leg.destination, "mode": leg.mode, "distance": leg.distance,
        "fuel_used": leg.fuel_used, "fuel_left": leg.fuel_left,
        "refuel_units": leg.refuel_units, "refuel_cost": leg.refuel_cost,
        "duration_s": leg.duration_s, "eta_s": leg.eta_s, "step": leg.step,
    }
    if start is not None:
        out["eta"] = (start + timedelta(seconds=leg.eta_s)).isoformat(timespec="seconds")
    return out


def _step(planned: PlannedStep) -> dict[str, Any]:
    step = planned.step
    out: dict[str, Any] = {"step": step.label, "action": step.action,
                           "commands": [command_to_dict(c) for c in planned.commands]}
    if step.name:
        out["name"] = step.name
    if planned.iterations != 1:
        out["iterations"] = planned.iterations
    if planned.skipped:
        out["skipped"] = True
    if planned.note:
        out["note"] = planned.note
    if planned.children:
        out["children"] = [_step(c) for c in planned.children]
    return out


def plan_text(plan: Plan, *, start: datetime | None = None) -> str:
    """A readable plan: steps with their commands, then the legs table and totals."""
    lines = [f"plan for {plan.playbook}: ship {plan.ship} in {plan.system}", ""]
    for planned in plan.steps:
        lines.extend(_step_lines(planned, 0))
    lines.append("")
    if plan.legs:
        lines.append(f"{'step':<6}{'from':<14}{'to':<14}{'mode':<9}{'dist':>7}{'fuel':>6}"
                     f"{'left':>6}{'refuel':>8}{'time':>9}{'eta':>10}")
        for leg in plan.legs:
            refuel = f"{leg.refuel_units}u" if leg.refuel_units else "-"
            if leg.mode == "JUMP":  # a jump buys antimatter; its time is the cooldown waited
                refuel = f"{leg.refuel_cost}cr"
            eta = _clock(start, leg.eta_s) if start else _duration(leg.eta_s)
            lines.append(f"{leg.step:<6}{leg.origin:<14}{leg.destination:<14}{leg.mode:<9}"
                         f"{leg.distance:>7.1f}{leg.fuel_used:>6}{leg.fuel_left:>6}"
                         f"{refuel:>8}{_duration(leg.duration_s):>9}{eta:>10}")
        lines.append("")
    more = " (+ unbounded loops)" if plan.unbounded else ""
    lines.append(f"total: {_duration(plan.total_duration_s)}{more}, "
                 f"{plan.total_distance:.1f} distance, {plan.fuel_used} fuel, "
                 f"{plan.fuel_credits} credits for fuel{_antimatter(plan)}, "
                 f"{plan.requests} API requests")
    lines.extend(f"margin: {m}" for m in margins(plan))
    lines.extend(f"warning: {w}" for w in plan.warnings)
    return "\n".join(lines)


def margins(plan: Plan) -> list[str]:
    """The safety margins the plan's routes applied, each with its cost (once each)."""
    found = [c.margin for c in plan.trace if isinstance(c, Navigate) and c.margin]
    return list(dict.fromkeys(found))


def _antimatter(plan: Plan) -> str:
    jumps = [leg for leg in plan.legs if leg.mode == "JUMP"]
    if not jumps:
        return ""
    return (f" and antimatter ({len(jumps)} jump{'s' if len(jumps) != 1 else ''}, "
            f"{sum(leg.refuel_cost for leg in jumps)} credits)")


def _step_lines(planned: PlannedStep, depth: int) -> list[str]:
    step = planned.step
    pad = "  " * depth
    head = f"{pad}{step.label:<6}{step.title}"
    if planned.note:
        head += f"  ({planned.note})"
    lines = [head]
    lines.extend(f"{pad}        {_command(c)}" for c in planned.commands)
    for child in planned.children:
        lines.extend(_step_lines(child, depth + 1))
    return lines


def _command(command: Command) -> str:
    data = command_to_dict(command)
    name = data.pop("type")
    args = ", ".join(f"{k}={round(v, 1) if isinstance(v, float) else v}"
                     for k, v in data.items() if v is not None and v != "")
    return f"{name}({args})"


def _duration(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else f"{m}m{sec:02d}s" if m else f"{sec}s"


def _clock(start: datetime | None, offset: float) -> str:
    assert start is not None
    return (start + timedelta(seconds=offset)).strftime("%H:%M:%S")
