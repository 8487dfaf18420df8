"""Domain values (frozen dataclasses of ``runner.domain``) to JSON and back, driven by their
type hints, so a field added to a domain value is cached without touching this module.

Supported field types: str/int/float/bool, ``datetime`` (ISO 8601, UTC), ``StrEnum``,
``frozenset``/``tuple`` of those, ``Mapping[str, X]``, nested dataclasses and ``X | None``.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any


def to_json(value: Any) -> Any:
    """A JSON-ready form of a domain value (dataclasses become dicts of their fields)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, frozenset):
        return sorted(to_json(v) for v in value)
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def from_json(kind: Any, data: Any) -> Any:
    """Rebuild a value of type ``kind`` from ``to_json``'s output."""
    if data is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        return from_json(inner[0], data)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = _hints(kind)
        return kind(**{name: from_json(hints[name], value)
                       for name, value in data.items() if name in hints})
    if origin is frozenset:
        (item,) = typing.get_args(kind)
        return frozenset(from_json(item, v) for v in data)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(from_json(item, v) for v in data)
    if origin in (Mapping, dict):
        _, item = typing.get_args(kind)
        return {k: from_json(item, v) for k, v in data.items()}
    if kind is datetime:
        parsed = datetime.fromisoformat(data)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    return data


@cache
def _hints(kind: type) -> dict[str, Any]:
    """The resolved type of each field of dataclass ``kind``."""
    hints = typing.get_type_hints(kind)
    return {f.name: hints[f.name] for f in dataclasses.fields(kind)}
