"""``purchase_ship``: buy a ship at a shipyard; ``register`` stores the new ship.

``purchase_ship: SHIP_PROBE`` or ``{type: SHIP_PROBE, at: WAYPOINT}``. Without ``at`` the
ship flies to the nearest shipyard of its system that sells the type (the system data lists
each shipyard's types). The registered result is ``{symbol, type, waypoint}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import TEXT, WAYPOINT, Expansion, as_text, long_form
from runner.actions.navigate import fly_to
from runner.actions.registry import Action
from runner.domain.commands import Command, PurchaseShip
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError
from runner.playbook.selectors import resolve_waypoint, waypoints_matching


def normalize(value: Any) -> dict[str, Any]:
    """``TYPE`` | ``{type, at}`` -> ``{type, at: WAYPOINT | None}``."""
    if isinstance(value, Mapping):
        return {"type": value["type"], "at": value.get("at")}
    return {"type": value, "at": None}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """Fly to the shipyard and buy one ship there."""
    x = Expansion(ctx)
    ship_type = as_text(args["type"], "type").upper()
    yard = _yard(ship_type, args.get("at"), ctx)
    fly_to(x, yard)
    x.add(PurchaseShip(ship_type, yard))
    return x.commands


def _yard(ship_type: str, at: Any, ctx: StepContext) -> str:
    """The shipyard: ``at`` checked against the system data, else the nearest that sells it."""
    if at is not None:
        try:
            symbol = resolve_waypoint(at, ctx)
        except StepError as exc:
            raise StepError(exc.message, key="at") from None
        waypoint = ctx.system[symbol]
        if not waypoint.has_shipyard:
            raise StepError(f"{symbol} has no shipyard", key="at")
        if waypoint.ship_types is not None and ship_type not in waypoint.ship_types:
            raise StepError(f"the shipyard at {symbol} does not sell {ship_type} (it sells "
                            f"{', '.join(sorted(waypoint.ship_types))})", key="type")
        return symbol
    yards = [ctx.system[s] for s in waypoints_matching({"traits": ["SHIPYARD"]}, ctx)]
    selling = [w for w in yards if w.ship_types is not None and ship_type in w.ship_types]
    unknown = [w for w in yards if w.ship_types is None]
    if selling or unknown:
        return (selling or unknown)[0].symbol
    sold = sorted({t for w in yards for t in (w.ship_types or ())})
    raise StepError(f"no shipyard in {ctx.system.symbol} sells {ship_type} (sold here: "
                    f"{', '.join(sold) or 'nothing'})", key="type")


ACTION = Action(
    name="purchase_ship",
    summary="Buy a ship of `type` at the shipyard `at` (default: the nearest shipyard that "
            "sells it; the ship flies there). `register` stores {symbol, type, waypoint}.",
    schema={"description": "a ship type, or {type, at: WAYPOINT}",
            "anyOf": [TEXT, long_form({"type": TEXT, "at": WAYPOINT}, ("type",))]},
    normalize=normalize, expand=expand, example="purchase_ship: {type: SHIP_PROBE}",
    needs=("navigate to the shipyard",),
)
