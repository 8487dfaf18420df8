"""Validate requests and responses against the official SpaceTraders OpenAPI spec.

``SpecValidator(openapi_dir)`` loads ``reference/SpaceTraders.json`` and resolves its relative
``$ref``s (``../models/X.json``, ``./X.json``) with ``referencing``. OpenAPI 3.0's
``nullable: true`` is turned into JSON Schema's ``type: [T, "null"]``. The spec lists no
error responses, so an error status not in the spec is checked against the official error
envelope ``{"error": {"code", "message", "data"?, "requestId"?}}``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                       "data": {"type": "object"}, "requestId": {"type": "string"}},
    }},
}


def _nullable(schema: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable: true`` becomes a ``null`` type option."""
    if isinstance(schema, list):
        return [_nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _nullable(v) for k, v in schema.items()}
    if out.pop("nullable", False) is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
        elif "$ref" in out or "allOf" in out or "oneOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


class SpecValidator:
    """Checks bodies against the spec; failures raise ``AssertionError`` saying what and where."""

    def __init__(self, openapi_dir: Path | str) -> None:
        self.root = Path(openapi_dir)
        ref_file = self.root / "reference" / "SpaceTraders.json"
        self.spec = _nullable(json.loads(ref_file.read_text()))
        resources = [(ref_file.as_uri(), self.spec)]
        for model in sorted((self.root / "models").glob("*.json")):
            resources.append((model.as_uri(), _nullable(json.loads(model.read_text()))))
        self.registry: Registry = Registry().with_resources(
            (uri, Resource.from_contents(body, default_specification=DRAFT7))
            for uri, body in resources)
        self.base_uri = ref_file.as_uri()
        self._templates = [(self._compile(p), p) for p in self.spec["paths"]]

    @staticmethod
    def _compile(template: str) -> re.Pattern[str]:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        return re.compile(f"^{pattern}$")

    def template_for(self, path: str) -> str:
        """The spec path template a concrete path like ``/v2/my/ships/A-1`` matches."""
        path = path.split("?", 1)[0]
        if path.startswith("/v2"):
            path = path[3:] or "/"
        matches = [t for rx, t in self._templates if rx.match(path)]
        if not matches:
            raise AssertionError(f"{path}: no path in the OpenAPI spec matches")
        # Prefer the most literal template (fewest parameters).
        return min(matches, key=lambda t: t.count("{"))

    def _operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        template = self.template_for(path)
        op = self.spec["paths"][template].get(method.lower())
        if op is None:
            raise AssertionError(f"{method.upper()} {template}: method not in the OpenAPI spec")
        return template, op

    def validate_response(self, method: str, path: str, status: int, body: Any) -> None:
        """Check ``body`` (parsed JSON or None) for ``status`` of ``METHOD path``."""
        template, op = self._operation(method, path)
        where = f"{method.upper()} {template} -> {status}"
        response = op["responses"].get(str(status))
        if response is None:
            if status >= 400:
                self._check(ERROR_SCHEMA, body, where + " (official error envelope)")
                return
            raise AssertionError(f"{where}: status {status} is not a documented response "
                                 f"(documented: {sorted(op['responses'])})")
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            if body not in (None, b"", ""):
                raise AssertionError(f"{where}: the spec documents no body, got {body!r:.200}")
            return
        self._check(schema, body, where)

    def validate_error(self, body: Any) -> None:
        """Check an error body against the official envelope (for paths not in the spec)."""
        self._check(ERROR_SCHEMA, body, "error response")

    def validate_request(self, method: str, path: str, body: Any) -> None:
        """Check a request body for ``METHOD path`` against the spec's requestBody schema."""
        template, op = self._operation(method, path)
        schema = (op.get("requestBody", {}).get("content", {})
                  .get("application/json", {}).get("schema"))
        if schema is None:
            if body not in (None, {}):
                raise AssertionError(f"{method.upper()} {template}: takes no request body")
            return
        self._check(schema, body, f"{method.upper()} {template} request")

    def _check(self, schema: dict[str, Any], body: Any, where: str) -> None:
        validator = jsonschema.Draft7Validator(
            {**schema, "$id": self.base_uri}, registry=self.registry,
            format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                     for e in errors[:8]]
            raise AssertionError(f"{where}: response does not match the spec\n" + "\n".join(lines))
