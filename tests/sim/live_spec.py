"""The live server's spec (``../shared/spacetraders-openapi-live``) as a validator.

That spec is one file with inline components (``#/components/schemas/X``); the shared
``SpecValidator`` loads the api-docs layout (reference/ + models/), so this subclass only
replaces the loading. ``BothSpecs`` checks a response against the live spec and, where the
api-docs spec has the operation, against that one too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.conftest import SHARED
from tests.support.openapi import SpecValidator, _nullable

LIVE_DIR = Path(os.environ.get("ST_RUN_OPENAPI_LIVE_DIR", SHARED / "spacetraders-openapi-live"))


class LiveSpecValidator(SpecValidator):
    """``SpecValidator`` over the single-file live spec."""

    def __init__(self, live_dir: Path | str) -> None:
        self.root = Path(live_dir)
        ref_file = self.root / "SpaceTraders.json"
        self.spec = _nullable(json.loads(ref_file.read_text()))
        self.registry = Registry().with_resources(
            [(ref_file.as_uri(), Resource.from_contents(self.spec,
                                                        default_specification=DRAFT7))])
        self.base_uri = ref_file.as_uri()
        self._templates = [(self._compile(p), p) for p in self.spec["paths"]
                           if not p.endswith("socket.io")]

    def _check(self, schema: dict[str, Any], body: Any, where: str) -> None:
        # "#/components/..." refs resolve against the schema's own root: carry them along.
        super()._check({**schema, "components": self.spec["components"]}, body, where)

    def operations(self) -> set[tuple[str, str]]:
        """(METHOD, template) of every HTTP operation (the websocket left out)."""
        return {(m.upper(), p) for p, ops in self.spec["paths"].items()
                for m in ops if m in ("get", "post", "patch", "put", "delete")
                and not p.endswith("socket.io")}


class BothSpecs:
    """Validates against the live spec, and against api-docs where it has the operation."""

    def __init__(self, live: LiveSpecValidator, docs: SpecValidator) -> None:
        self.live, self.docs = live, docs

    def template_for(self, path: str) -> str:
        return self.live.template_for(path)

    def validate_response(self, method: str, path: str, status: int, body: Any) -> None:
        self.live.validate_response(method, path, status, body)
        try:
            template = self.docs.template_for(path)
        except AssertionError:
            return  # a live-only operation
        if method.lower() in self.docs.spec["paths"][template]:
            self.docs.validate_response(method, path, status, body)

    def validate_error(self, body: Any) -> None:
        self.live.validate_error(body)

    def validate_request(self, method: str, path: str, body: Any) -> None:
        self.live.validate_request(method, path, body)
