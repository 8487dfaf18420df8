"""The one table of step keywords and top-level fields.

It feeds the JSON Schema (``runner.playbook.schema``), the docs (``docs/playbooks.md`` is
checked against it) and the loader, which parses each keyword with its ``kind``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The one duration parser lives in runner.domain; re-exported for the schema and loader.
from runner.domain.duration import DURATION_PATTERN as DURATION_PATTERN
from runner.domain.duration import parse_duration as parse_duration

IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
TEMPLATE_PATTERN = r"^\s*\{\{.*\}\}\s*$"

DURATION: Mapping[str, Any] = {
    "description": "a duration: seconds, or text like `30s`, `5m`, `2h`, `1h30m`",
    "anyOf": [{"type": "number", "minimum": 0},
              {"type": "string", "pattern": DURATION_PATTERN}],
}
EXPRESSION: Mapping[str, Any] = {
    "description": "a bare expression, e.g. `ship.fuel.current < 100`",
    "anyOf": [{"type": "string", "minLength": 1}, {"type": "boolean"}],
}
TEMPLATE: Mapping[str, Any] = {"type": "string", "pattern": TEMPLATE_PATTERN}


@dataclass(frozen=True)
class Keyword:
    """One field: its JSON Schema, meaning, default and how the loader parses it.

    ``kind``: text | expression | count | duration | flag | identifier | any.
    """

    name: str
    kind: str
    schema: Mapping[str, Any]
    summary: str
    default: Any = None
    example: str = ""


STEP_KEYWORDS: tuple[Keyword, ...] = (
    Keyword("name", "text", {"type": "string", "minLength": 1},
            "A label shown in plans, logs and errors.", None, "name: fly to the belt"),
    Keyword("when", "expression", EXPRESSION,
            "Run the step only when this expression is true (evaluated just before the step; "
            "a skipped step counts as done).", None, "when: ship.fuel.current < 100"),
    Keyword("retries", "count", {"type": "integer", "minimum": 0, "maximum": 100},
            "Retry a failed step up to this many times (0: one attempt).", 0, "retries: 3"),
    Keyword("delay", "duration", DURATION,
            "Wait between retries, in game seconds (the server's clock, as `wait`).", "5s",
            "delay: 10s"),
    Keyword("until", "expression", EXPRESSION,
            "Retry the step (up to `retries`, `delay` apart) until this expression is true "
            "after it ran; still false after the last attempt: the step fails.", None,
            "until: ship.cargo.units > 0"),
    Keyword("timeout", "duration", DURATION,
            "Fail the attempt when it runs longer than this many game seconds (waiting for "
            "arrival or cooldown included); `retries` and `ignore_errors` apply.", None,
            "timeout: 10m"),
    Keyword("register", "identifier", {"type": "string", "pattern": IDENTIFIER_PATTERN},
            "Store the step's result under this name for later templates.", None,
            "register: sale"),
    Keyword("ignore_errors", "flag", {"type": "boolean"},
            "Carry on with the next step when this one fails (an error, a `timeout` or an "
            "`until` still false).", False, "ignore_errors: true"),
)

RESTART: Mapping[str, Any] = {
    "description": "`no`, `on-failure[:N]`, `always`, `unless-stopped`, or a mapping",
    "anyOf": [
        {"type": "string", "pattern": r"^(no|always|unless-stopped|on-failure(:[0-9]+)?)$"},
        {"type": "object", "additionalProperties": False, "required": ["policy"],
         "properties": {
             "policy": {"enum": ["no", "on-failure", "always", "unless-stopped"]},
             "max_restarts": {"type": "integer", "minimum": 0},
             "backoff": {"type": "object", "additionalProperties": False, "properties": {
                 "initial": DURATION, "factor": {"type": "number", "minimum": 1},
                 "max": DURATION}},
             "reset_after": DURATION}},
    ],
}

SHIP: Mapping[str, Any] = {
    "description": "a ship symbol, or a selector {role: R}, {index: N} or {symbol: S}",
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "minProperties": 1, "maxProperties": 1,
         "additionalProperties": False, "properties": {
             "role": {"type": "string", "minLength": 1},
             "index": {"type": "integer", "minimum": 1},
             "symbol": {"type": "string", "minLength": 1}}},
    ],
}

SHIPS: Mapping[str, Any] = {
    "description": "a group of ships: {role: R}, {frame: F} (optional count: N) or a list of "
                   "ships",
    "anyOf": [
        {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
            "role": {"type": "string", "minLength": 1},
            "frame": {"type": "string", "minLength": 1},
            "count": {"type": "integer", "minimum": 1}}},
        {"type": "array", "minItems": 1, "items": SHIP},
    ],
}

TOP_LEVEL: tuple[Keyword, ...] = (
    Keyword("version", "count", {"const": 1}, "Format version; only 1 exists.", 1, "version: 1"),
    Keyword("name", "text", {"type": "string", "minLength": 1},
            "The playbook's name (default: the file name without extension).", None,
            "name: ore-run"),
    Keyword("description", "text", {"type": "string"}, "What the playbook does.", ""),
    Keyword("ship", "any", SHIP, "The ship that runs the playbook (this or `ships`).", None,
            "ship: {role: COMMAND}"),
    Keyword("ships", "any", SHIPS,
            "A group: one container per matching ship, named PLAYBOOK/SHIP (this or `ship`).",
            None, "ships: {role: EXCAVATOR}"),
    Keyword("agent", "text", {"type": "string", "minLength": 1},
            "Agent from the config file (default: the default agent).", None, "agent: main"),
    Keyword("vars", "any", {"type": "object", "propertyNames": {"pattern": IDENTIFIER_PATTERN}},
            "Names for templates; `-e KEY=VALUE` overrides them.", {}, "vars: {belt: X1-A-B}"),
    Keyword("restart", "any", RESTART,
            "Restart policy: `no`, `on-failure[:N]`, `always`, `unless-stopped`, or "
            "{policy, max_restarts, backoff: {initial, factor, max}, reset_after}.", "no",
            "restart: on-failure:5"),
    Keyword("steps", "any", {"type": "array"}, "The steps, run in order (required).", None),
)
REQUIRED_TOP_LEVEL = ("steps",)
"""Required keys; exactly one of ``ship`` and ``ships`` is required too (``SHIP_KEYS``)."""
SHIP_KEYS = ("ship", "ships")
RESERVED_NAMES = frozenset({"ship", "agent", "loop", "vars"})
"""Template names st-run provides; ``register`` and ``vars`` may not take them."""

def step_keyword(name: str) -> Keyword | None:
    """The step keyword called ``name``, or None."""
    return next((k for k in STEP_KEYWORDS if k.name == name), None)
