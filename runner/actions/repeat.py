"""``repeat``: run nested steps ``times: N``, ``until: EXPR`` or ``forever: true``.

``until`` is checked before each iteration (a loop whose condition already holds runs zero
times); ``loop.index`` counts iterations from 1. The executor walks the children itself.
"""

from __future__ import annotations

from typing import Any

from runner.actions.common import UNITS, long_form
from runner.actions.registry import Action
from runner.playbook.errors import StepError
from runner.playbook.keywords import EXPRESSION

STEPS_REF = {"$ref": "#/$defs/steps"}
MODES = ("times", "until", "forever")


def normalize(value: Any) -> dict[str, Any]:
    """Exactly one of ``times``/``until``/``forever`` plus ``steps``."""
    given = [k for k in MODES if k in value]
    if len(given) != 1:
        raise StepError("`repeat` needs exactly one of `times`, `until` or `forever`"
                        + (f" (found {', '.join(given)})" if given else ""))
    if "forever" in given and value["forever"] is not True:
        raise StepError("`forever` must be true", key="forever")
    return {given[0]: value[given[0]], "steps": value.get("steps", [])}


ACTION = Action(
    name="repeat",
    summary="Run the nested `steps` `times: N`, `until: EXPR` (checked before each "
            "iteration) or `forever: true`. `loop.index` counts from 1.",
    schema=long_form({"times": UNITS, "until": EXPRESSION, "forever": {"const": True},
                      "steps": STEPS_REF}, ("steps",)),
    normalize=normalize, nested=True, expressions=("until",),
    example="repeat: {until: ship.cargo.free == 0, steps: [extract]}",
)
