"""``refine``: turn ore into its metal with a refinery module (100 ore -> 10 units)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import Expansion, as_text, long_form
from runner.actions.registry import Action
from runner.domain.commands import Command, Refine
from runner.playbook.context import StepContext
from runner.playbook.errors import StepError

PRODUCTS = ("IRON", "COPPER", "SILVER", "GOLD", "ALUMINUM", "PLATINUM", "URANITE",
            "MERITIUM", "FUEL")
"""What a refinery produces (``POST .../refine`` ``produce``)."""
PRODUCE = {"enum": list(PRODUCTS)}


def normalize(value: Any) -> dict[str, Any]:
    """``refine: IRON`` or ``{produce: IRON}`` -> ``{produce}``."""
    return {"produce": value["produce"] if isinstance(value, Mapping) else value}


def expand(args: Mapping[str, Any], ctx: StepContext) -> list[Command]:
    """One Refine; StepError for a product no refinery makes."""
    produce = as_text(args["produce"], "produce").upper()
    if produce not in PRODUCTS:
        raise StepError(f"a refinery cannot produce {produce}; it makes "
                        f"{', '.join(PRODUCTS)}", key="produce")
    x = Expansion(ctx)
    x.add(Refine(produce))
    return x.commands


ACTION = Action(
    name="refine", summary="Refine 100 units of ore into 10 of `produce` (refinery module).",
    schema={"description": "a product (IRON, COPPER, ... FUEL) or {produce: PRODUCT}",
            "anyOf": [PRODUCE, long_form({"produce": PRODUCE}, ("produce",))]},
    normalize=normalize, expand=expand, example="refine: {produce: IRON}",
)
