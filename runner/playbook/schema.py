"""The playbook JSON Schema (draft 2020-12), generated from the keyword and action tables.

``schemas/playbook.schema.json`` is this function's output, committed for editors
(yaml-language-server reads it through the modeline); a test fails when they drift.
The validator uses a variant whose nested ``steps`` accept anything, because it checks each
step on its own to report one precise error per step instead of an ``anyOf`` dump.
"""

from __future__ import annotations

import json
from typing import Any

from runner.actions import registry
from runner.playbook.keywords import REQUIRED_TOP_LEVEL, SHIP_KEYS, STEP_KEYWORDS, TOP_LEVEL

SCHEMA_ID = "urn:st-run:playbook:v1"


def build_schema(*, nested: bool = True) -> dict[str, Any]:
    """The schema; ``nested=False`` leaves step items unchecked (the validator's variant)."""
    actions = list(registry())
    defs: dict[str, Any] = {
        "steps": {"type": "array", "minItems": 1,
                  "items": {"$ref": "#/$defs/step"} if nested else {}},
        "step": {"anyOf": [{"$ref": "#/$defs/bare_step"},
                           *({"$ref": f"#/$defs/step_{a.name}"} for a in actions)]},
        "bare_step": {"description": "an action that needs no value, written alone",
                      "enum": [a.name for a in actions if a.bare]},
    }
    for k in STEP_KEYWORDS:
        defs[f"keyword_{k.name}"] = {"description": k.summary, **k.schema}
    for action in actions:
        props: dict[str, Any] = {action.name: dict(action.schema)}
        props.update({k.name: {"$ref": f"#/$defs/keyword_{k.name}"} for k in STEP_KEYWORDS})
        defs[f"step_{action.name}"] = {"description": action.summary,
                                       "type": "object", "required": [action.name],
                                       "additionalProperties": False, "properties": props}
    top = {k.name: {"description": k.summary, **k.schema} for k in TOP_LEVEL}
    top["steps"] = {"description": top["steps"]["description"], "$ref": "#/$defs/steps"}
    # Exactly one of ship/ships: for editors only; the validator says it in its own words.
    one_ship = {"oneOf": [{"required": [k]} for k in SHIP_KEYS]} if nested else {}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "st-run playbook",
        "description": "A SpaceTraders ship job for st-run (format version 1).",
        "type": "object",
        "required": list(REQUIRED_TOP_LEVEL),
        **one_ship,
        "additionalProperties": False,
        "properties": top,
        "$defs": defs,
    }


def validation_schemas() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The validator's variant with every ``$ref`` inlined (resolving refs is most of
    jsonschema's cost): the top-level schema and one schema per action step."""
    schema = build_schema(nested=False)
    defs = schema.pop("$defs")
    inline = _inliner(defs)
    top = inline(schema)
    steps = {name.removeprefix("step_"): inline(body) for name, body in defs.items()
             if name.startswith("step_")}
    return top, steps


def _inliner(defs: dict[str, Any]) -> Any:
    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return {**inline(defs[ref.removeprefix("#/$defs/")]), **inline(rest)}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node
    return inline


def schema_text() -> str:
    """The published schema as committed: 2-space JSON in table order, final newline."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
