"""Pictures of the fleet as SVG text: a system's waypoints, a plan's legs, ships, the galaxy,
credits over time. Pure functions of domain values; every text is escaped.

The system map scales the system's coordinates into a square canvas; waypoints that share
coordinates (a planet and its moons and stations) are spread on a small ring around their
spot so each stays visible and clickable. Each element carries ``data-*`` attributes
(``data-symbol``, ``data-leg``, ``data-ship``) so tests and scripts can read the picture.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from runner.domain.commands import Dock, Navigate, Orbit, Refuel, SetFlightMode
from runner.domain.plan import Leg, Plan
from runner.domain.universe import System, Waypoint
from runner.observe.state import ShipState

SIZE = 800
PAD = 50
TOP = 80  # px above the map for the title
LEGEND_TOP = SIZE + 40  # px: the legend sits under the map
RING = 11.0  # px: radius on which co-located waypoints are spread

#: Fill colour per waypoint type (others: grey).
TYPE_COLOURS: Mapping[str, str] = {
    "PLANET": "#3b82f6", "GAS_GIANT": "#f59e0b", "MOON": "#94a3b8",
    "ORBITAL_STATION": "#10b981", "JUMP_GATE": "#a855f7", "ASTEROID_FIELD": "#92400e",
    "ASTEROID": "#b45309", "ENGINEERED_ASTEROID": "#d97706", "ASTEROID_BASE": "#78350f",
    "NEBULA": "#ec4899", "DEBRIS_FIELD": "#6b7280", "GRAVITY_WELL": "#111827",
    "ARTIFICIAL_GRAVITY_WELL": "#374151", "FUEL_STATION": "#ef4444",
}
#: Stroke per flight mode: (colour, width, dash pattern).
MODE_STROKES: Mapping[str, tuple[str, float, str]] = {
    "CRUISE": ("#2563eb", 2.5, ""), "BURN": ("#dc2626", 4.0, ""),
    "DRIFT": ("#6b7280", 2.0, "6 4"), "STEALTH": ("#7c3aed", 2.0, "2 3"),
}
STYLE = """
.wp { stroke: #1f2937; stroke-width: 0.8; }
.wp-label { font: 9px sans-serif; fill: #374151; }
.title { font: bold 15px sans-serif; fill: #111827; }
.note { font: 11px sans-serif; fill: #374151; }
.legend text { font: 10px sans-serif; fill: #111827; }
.leg { fill: none; }
.leg-label { font: 9px sans-serif; fill: #1e3a8a; }
.stop text, .ship text { font: bold 10px sans-serif; }
.ship-label { font: 10px sans-serif; fill: #111827; }
"""

Point = tuple[float, float]


@dataclass(frozen=True)
class Frame:
    """Maps a square of system coordinates onto the canvas (y grows downwards, as in the
    game); the shorter side of what it was fitted to is centred."""

    min_x: float
    min_y: float
    span: float

    @classmethod
    def fit(cls, points: Sequence[Point], margin: float = 0.0) -> Frame:
        """The smallest centred square holding ``points``, grown by ``margin`` on each side."""
        xs = [p[0] for p in points] or [0.0]
        ys = [p[1] for p in points] or [0.0]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0) + 2 * margin
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        return cls(cx - span / 2, cy - span / 2, span)

    @property
    def scale(self) -> float:
        return (SIZE - 2 * PAD) / self.span

    def at(self, x: float, y: float) -> Point:
        return (PAD + (x - self.min_x) * self.scale, TOP + (y - self.min_y) * self.scale)

    def shows(self, x: float, y: float) -> bool:
        return self.min_x <= x <= self.min_x + self.span and \
            self.min_y <= y <= self.min_y + self.span


def positions(system: System, frame: Frame | None = None) -> dict[str, Point]:
    """Canvas position of every waypoint in ``frame`` (default: the whole system);
    co-located ones are spread on a ring around their spot."""
    frame = frame or Frame.fit([(w.x, w.y) for w in system])
    groups: dict[tuple[int, int], list[Waypoint]] = defaultdict(list)
    for waypoint in system:
        if frame.shows(waypoint.x, waypoint.y):
            groups[(waypoint.x, waypoint.y)].append(waypoint)
    out: dict[str, Point] = {}
    for (x, y), members in groups.items():
        cx, cy = frame.at(x, y)
        centre = next((w for w in members if w.orbits is None), members[0])
        ring = [w for w in members if w is not centre]
        out[centre.symbol] = (cx, cy)
        for i, waypoint in enumerate(ring):
            angle = 2 * math.pi * i / len(ring) - math.pi / 2
            out[waypoint.symbol] = (cx + RING * math.cos(angle), cy + RING * math.sin(angle))
    return out


def _attr(value: object) -> str:
    return quoteattr(str(value))


def _f(value: float) -> str:
    return f"{value:.1f}"


def _open(title: str, height: int) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {height}" '
            f'width="{SIZE}" height="{height}" role="img">',
            f"<title>{escape(title)}</title>", f"<style>{STYLE}</style>",
            f'<rect width="{SIZE}" height="{height}" fill="#f8fafc"/>',
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" '
            'markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            '<path d="M0 0 L10 5 L0 10 z" fill="#1f2937"/></marker></defs>']


def _legend(items: Sequence[str], labels: Sequence[str]) -> tuple[list[str], int]:
    """A legend under the map: ``items`` are swatches drawn at (0, 0), five per row.
    Returns the parts and the picture's total height."""
    parts = ['<g class="legend">']
    for i, (swatch, label) in enumerate(zip(items, labels, strict=True)):
        x, y = 12 + (i % 5) * 156, LEGEND_TOP + (i // 5) * 18
        parts.append(f'<g transform="translate({x},{y})">{swatch}<text x="26" y="4">'
                     f"{escape(label)}</text></g>")
    parts.append("</g>")
    return parts, LEGEND_TOP + ((len(items) + 4) // 5) * 18 + 6


def _type_swatches(system: System, where: Mapping[str, Point]) -> tuple[list[str], list[str]]:
    types = sorted({w.type for w in system if w.symbol in where})
    return ([f'<circle cx="8" cy="0" r="5" fill="{TYPE_COLOURS.get(t, "#9ca3af")}"/>'
             for t in types], types)


def _waypoints(system: System, where: Mapping[str, Point]) -> list[str]:
    parts = ['<g class="waypoints">']
    for waypoint in system:
        if waypoint.symbol not in where:
            continue
        x, y = where[waypoint.symbol]
        radius = 7 if waypoint.orbits is None else 4.5
        fill = TYPE_COLOURS.get(waypoint.type, "#9ca3af")
        traits = ", ".join(sorted(waypoint.traits))
        parts.append(
            f'<circle class={_attr("wp wp-" + waypoint.type)} cx="{_f(x)}" cy="{_f(y)}" '
            f'r="{radius}" fill="{fill}" data-symbol={_attr(waypoint.symbol)} '
            f'data-type={_attr(waypoint.type)}><title>{escape(waypoint.symbol)} '
            f'{escape(waypoint.type)} ({waypoint.x}, {waypoint.y}) {escape(traits)}'
            '</title></circle>')
        if waypoint.orbits is None:
            short = waypoint.symbol.rsplit("-", 1)[-1]
            parts.append(f'<text class="wp-label" x="{_f(x + 9)}" y="{_f(y - 8)}">'
                         f"{escape(short)}</text>")
    parts.append("</g>")
    return parts


def system_svg(system: System, ships: Sequence[ShipState] = (), *,
               title: str | None = None, focus: bool = False) -> str:
    """A system's waypoints coloured by type, with ``ships`` where they are (a flying ship
    on its route with its ETA). With ``focus`` the view holds the system's core (the 80 %
    of waypoints nearest its middle) and every ship, leaving far outliers out (counted)."""
    frame = _core_frame(system, ships) if focus else None
    where = positions(system, frame)
    head = f"{title or system.symbol} ({len(system)} waypoints, {system.type})"
    left_out = len(system) - len(where)
    if left_out:
        head += f", {left_out} far ones outside the view"
    body = _waypoints(system, where) + _ships(ships, where)
    legend, height = _legend(*_type_swatches(system, where))
    return _picture(head, body + legend, height)


def _core_frame(system: System, ships: Sequence[ShipState]) -> Frame | None:
    points = [(float(w.x), float(w.y)) for w in system]
    if len(points) < 5:
        return None
    mx = sorted(p[0] for p in points)[len(points) // 2]
    my = sorted(p[1] for p in points)[len(points) // 2]
    by_distance = sorted(points, key=lambda p: math.hypot(p[0] - mx, p[1] - my))
    core = by_distance[:max(1, math.ceil(len(points) * 0.8))]
    for ship in ships:
        for symbol in (ship.waypoint, ship.origin, ship.destination):
            if symbol is not None and symbol in system:
                core.append((system[symbol].x, system[symbol].y))
    return Frame.fit(core, margin=20.0)


def _picture(head: str, body: Sequence[str], height: int) -> str:
    parts = _open(head, height)
    parts.append(f'<text class="title" x="{PAD}" y="28">{escape(head)}</text>')
    return "\n".join([*parts, *body, "</svg>"])


def _ships(ships: Sequence[ShipState], where: Mapping[str, Point]) -> list[str]:
    parts = ['<g class="ships">']
    stacked: dict[str, int] = defaultdict(int)
    for ship in ships:
        at = where.get(ship.waypoint)
        label = ship.symbol
        if ship.in_transit and ship.origin in where and ship.destination in where:
            (x0, y0), (x1, y1) = where[ship.origin or ""], where[ship.destination or ""]
            t = ship.progress
            at = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            parts.append(f'<line class="route" x1="{_f(x0)}" y1="{_f(y0)}" x2="{_f(x1)}" '
                         f'y2="{_f(y1)}" stroke="#0f766e" stroke-dasharray="4 3" '
                         'marker-end="url(#arrow)"/>')
            label += f" → {ship.destination.rsplit('-', 1)[-1] if ship.destination else ''}" \
                     f" ETA {ship.eta_s or 0:.0f}s"
        if at is None:
            continue
        n = stacked[ship.waypoint if not ship.in_transit else ship.symbol]
        stacked[ship.waypoint if not ship.in_transit else ship.symbol] += 1
        x, y = at[0], at[1] - 12 - 13 * n
        parts.append(
            f'<g class="ship" data-ship={_attr(ship.symbol)} data-status={_attr(ship.status)}>'
            f'<path d="M{_f(x)} {_f(y - 6)} L{_f(x + 5)} {_f(y + 4)} L{_f(x - 5)} {_f(y + 4)} z"'
            f' fill="#0f766e" stroke="#042f2e"/><text class="ship-label" x="{_f(x + 8)}" '
            f'y="{_f(y + 4)}">{escape(label)}</text><title>{escape(ship.symbol)} '
            f"{escape(ship.status)} at {escape(ship.waypoint)}, fuel {ship.fuel}/"
            f"{ship.fuel_capacity}, cargo {ship.cargo}/{ship.cargo_capacity}</title></g>")
    parts.append("</g>")
    return parts


# ---- plans ----------------------------------------------------------------------------------

def _control(a: Point, b: Point, bend: float = 0.12) -> Point:
    """The control point of a gentle curve from ``a`` to ``b`` bending to its left, so that
    a leg and its way back stay apart."""
    (x0, y0), (x1, y1) = a, b
    return (x0 + x1) / 2 - (y1 - y0) * bend, (y0 + y1) / 2 + (x1 - x0) * bend


def _curve(a: Point, b: Point) -> str:
    (x0, y0), (cx, cy), (x1, y1) = a, _control(a, b), b
    return f"M{_f(x0)} {_f(y0)} Q{_f(cx)} {_f(cy)} {_f(x1)} {_f(y1)}"


def _midpoint(a: Point, b: Point) -> Point:
    """The point halfway along :func:`_curve` (a quadratic Bezier at t = 0.5)."""
    c = _control(a, b)
    return (a[0] + 2 * c[0] + b[0]) / 4, (a[1] + 2 * c[1] + b[1]) / 4


#: Commands that only serve the flight (no work): a hop followed by nothing else is a
#: refuel stop on the way, not a place the playbook goes to.
TRAVEL_CHORES = (Orbit, Dock, Refuel, SetFlightMode, Navigate)


def stops(plan: Plan) -> list[tuple[int, str]]:
    """The plan's tour order: ``(number, waypoint)`` of each place the ship flies to for a
    reason. A hop is only a way point when the ship does nothing there but refuel for the
    next leg; the last hop is always a stop."""
    commands = list(plan.commands())
    hops = [i for i, c in enumerate(commands) if isinstance(c, Navigate)]
    out: list[tuple[int, str]] = []
    for n, leg in enumerate(plan.legs):
        nxt = plan.legs[n + 1] if n + 1 < len(plan.legs) else None
        worked = _worked_after(commands, hops, n)
        passing = nxt is not None and nxt.origin == leg.destination and nxt.refuel_units > 0
        if nxt is None or worked or not passing:
            out.append((len(out) + 1, leg.destination))
    return out


def _worked_after(commands: Sequence[object], hops: Sequence[int], n: int) -> bool:
    """True when a command other than a travel chore follows the ``n``-th hop before the
    next one (False when the plan's hops and legs do not line up)."""
    if n >= len(hops):
        return False
    end = hops[n + 1] if n + 1 < len(hops) else len(commands)
    return any(not isinstance(c, TRAVEL_CHORES) for c in commands[hops[n] + 1:end])


def plan_svg(plan: Plan, system: System) -> str:
    """The system around the plan's legs: one ``<path class="leg">`` per leg, stroked by
    flight mode, the refuel stops, the start and the tour order (numbered stops). The view
    is fitted to the legs (with a margin), so a short tour in a wide system stays legible."""
    focus = [(system[s].x, system[s].y) for leg in plan.legs
             for s in (leg.origin, leg.destination) if s in system]
    frame = Frame.fit(focus, margin=40.0) if focus else None
    where = positions(system, frame)
    minutes = plan.total_duration_s / 60
    head = (f"plan {plan.playbook}: {plan.ship} in {plan.system}, {len(plan.legs)} legs, "
            f"{plan.total_distance:.0f} distance, {plan.fuel_used} fuel, {minutes:.1f} min")
    body = (_waypoints(system, where) + _legs(plan.legs, where) + _refuels(plan.legs, where)
            + _stops(plan, where))
    swatches, labels = _plan_swatches(plan.legs)
    types, names = _type_swatches(system, where)
    legend, height = _legend([*swatches, *types], [*labels, *names])
    return _picture(head, body + legend, height)


def _legs(legs: Sequence[Leg], where: Mapping[str, Point]) -> list[str]:
    parts = ['<g class="legs">']
    for number, leg in enumerate(legs, 1):
        colour, width, dash = MODE_STROKES.get(leg.mode, ("#111827", 2.0, ""))
        a, b = where.get(leg.origin, (0.0, 0.0)), where.get(leg.destination, (0.0, 0.0))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path class={_attr("leg mode-" + leg.mode)} d="{_curve(a, b)}" '
            f'stroke="{colour}" stroke-width="{width}"{dashes} marker-end="url(#arrow)" '
            f'data-leg="{number}" data-from={_attr(leg.origin)} data-to={_attr(leg.destination)}'
            f' data-mode={_attr(leg.mode)}><title>leg {number} (step {escape(leg.step)}): '
            f"{escape(leg.origin)} → {escape(leg.destination)} {escape(leg.mode)}, "
            f"{leg.distance:.1f} distance, {leg.fuel_used} fuel, {leg.duration_s} s"
            "</title></path>")
        mx, my = _midpoint(a, b)
        parts.append(f'<text class="leg-label" x="{_f(mx + 4)}" y="{_f(my - 4)}">'
                     f"{escape(leg.mode)} {_minutes(leg.duration_s)}</text>")
    parts.append("</g>")
    return parts


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f}m" if seconds >= 90 else f"{seconds:.0f}s"


def _refuels(legs: Sequence[Leg], where: Mapping[str, Point]) -> list[str]:
    parts = ['<g class="refuels">']
    for leg in legs:
        if leg.refuel_units <= 0 or leg.origin not in where:
            continue
        x, y = where[leg.origin]
        parts.append(f'<rect class="refuel" x="{_f(x - 9)}" y="{_f(y + 6)}" width="18" '
                     f'height="11" rx="2" fill="#ef4444" data-symbol={_attr(leg.origin)}>'
                     f"<title>refuel {leg.refuel_units} units ({leg.refuel_cost} credits) at "
                     f"{escape(leg.origin)}</title></rect><text x=\"{_f(x - 6)}\" "
                     f'y="{_f(y + 15)}" font-size="8" fill="#fff">F</text>')
    parts.append("</g>")
    return parts


def _stops(plan: Plan, where: Mapping[str, Point]) -> list[str]:
    legs = plan.legs
    parts = ['<g class="stops">']
    if legs and legs[0].origin in where:
        x, y = where[legs[0].origin]
        parts.append(f'<g class="start"><circle cx="{_f(x)}" cy="{_f(y)}" r="12" fill="none" '
                     f'stroke="#16a34a" stroke-width="3"/><title>start: '
                     f"{escape(legs[0].origin)}</title></g>")
    for number, waypoint in stops(plan):
        if waypoint not in where:
            continue
        x, y = where[waypoint]
        parts.append(f'<g class="stop" data-stop="{number}" data-symbol={_attr(waypoint)}>'
                     f'<circle cx="{_f(x - 12)}" cy="{_f(y - 12)}" r="8" fill="#111827"/>'
                     f'<text x="{_f(x - 12)}" y="{_f(y - 8.5)}" text-anchor="middle" '
                     f'fill="#fff">{number}</text><title>stop {number}: {escape(waypoint)}'
                     "</title></g>")
    parts.append("</g>")
    return parts


def _plan_swatches(legs: Sequence[Leg]) -> tuple[list[str], list[str]]:
    swatches, labels = [], []
    for mode in sorted({leg.mode for leg in legs}):
        colour, width, dash = MODE_STROKES.get(mode, ("#111827", 2.0, ""))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        swatches.append(f'<line x1="0" y1="0" x2="20" y2="0" stroke="{colour}" '
                        f'stroke-width="{width}"{dashes}/>')
        labels.append(f"{mode} leg")
    if legs:
        swatches += ['<rect x="2" y="-5" width="14" height="10" fill="#ef4444"/>',
                     '<circle cx="9" cy="0" r="7" fill="#111827"/>',
                     '<circle cx="9" cy="0" r="7" fill="none" stroke="#16a34a" '
                     'stroke-width="3"/>']
        labels += ["refuel", "stop (tour order)", "start"]
    return swatches, labels


# ---- galaxy and credits ---------------------------------------------------------------------

def galaxy_svg(systems: Mapping[str, Point], ships: Sequence[ShipState]) -> str:
    """The systems the fleet is in, at their galaxy coordinates, with a ship count each."""
    frame = Frame.fit(list(systems.values()))
    count: dict[str, list[str]] = defaultdict(list)
    for ship in ships:
        count[ship.system].append(ship.symbol)
    parts = []
    for symbol, (gx, gy) in sorted(systems.items()):
        x, y = frame.at(gx, gy)
        names = ", ".join(count.get(symbol, []))
        parts.append(f'<g class="system" data-symbol={_attr(symbol)}><circle cx="{_f(x)}" '
                     f'cy="{_f(y)}" r="9" fill="#f59e0b"/><text class="wp-label" '
                     f'x="{_f(x + 12)}" y="{_f(y + 4)}">{escape(symbol)} '
                     f"({len(count.get(symbol, []))} ships)</text><title>{escape(names)}"
                     "</title></g>")
    return _picture(f"galaxy: {len(systems)} systems", parts, SIZE + 40)


def credits_svg(history: Sequence[tuple[float, int]], width: int = 360,
                height: int = 120) -> str:
    """Credits over time as a line, with the first and last values and times."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" class="credits-chart">'
             "<title>credits over time</title>"]
    if not history:
        parts.append(f'<text x="10" y="{height // 2}" font-size="12">no credits read yet'
                     "</text></svg>")
        return "".join(parts)
    times = [t for t, _ in history]
    values = [v for _, v in history]
    t0, t1 = min(times), max(max(times), min(times) + 1)
    v0, v1 = min(values), max(max(values), min(values) + 1)
    points = " ".join(f"{_f(10 + (t - t0) / (t1 - t0) * (width - 20))},"
                      f"{_f(height - 20 - (v - v0) / (v1 - v0) * (height - 40))}"
                      for t, v in history)
    first = datetime.fromtimestamp(t0, UTC).strftime("%H:%M")
    last = datetime.fromtimestamp(max(times), UTC).strftime("%H:%M")
    parts.append(f'<polyline points="{points}" fill="none" stroke="#16a34a" '
                 'stroke-width="2"/>'
                 f'<text x="10" y="14" font-size="11">{values[-1]:,} credits</text>'
                 f'<text x="10" y="{height - 4}" font-size="10">{first}</text>'
                 f'<text x="{width - 40}" y="{height - 4}" font-size="10">{last}</text></svg>')
    return "".join(parts)
