"""Contract actions' shared shape: an optional contract id (a symbol or a template)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.actions.common import TEXT, as_text, long_form

CONTRACT_ID: Mapping[str, Any] = {
    "description": "nothing (the active or newest contract), a contract id, or {id: ID}",
    "anyOf": [{"type": "null"}, TEXT, long_form({"id": TEXT}, ("id",))],
}


def normalize_id(value: Any) -> dict[str, Any]:
    """``None`` | ``ID`` | ``{id: ID}`` -> ``{id: ID|None}``."""
    if isinstance(value, Mapping):
        return {"id": value["id"]}
    return {"id": value}


def contract_id(args: Mapping[str, Any]) -> str | None:
    """The rendered id, or None."""
    value = args.get("id")
    return None if value is None else as_text(value, "id")
