"""Fixtures for the API client tests: a spec-validating transport and simulator clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.openapi import SpecValidator


class ValidatingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; checks every request body and JSON response against the spec.

    Control endpoints (``/_sim/``) are not part of the API and are passed through. Bodies
    that are not JSON (a bare 502 or an HTML 429 from the simulated front end) are not API
    responses either and are only counted. Any mismatch raises AssertionError in the test.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, spec: SpecValidator) -> None:
        self.inner = inner
        self.spec = spec
        self.seen: list[tuple[str, str, int]] = []  # (method, template, status)
        self.not_json = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if "/_sim/" in path:
            return await self.inner.handle_async_request(request)
        body = json.loads(request.content) if request.content else None
        self.spec.validate_request(request.method, path, body)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        template = self.spec.template_for(path)
        if response.status_code == 204 or content:
            try:
                payload = json.loads(content) if content else None
            except ValueError:
                self.not_json += 1
            else:
                self.spec.validate_response(request.method, path, response.status_code,
                                            payload)
                self.seen.append((request.method, template, response.status_code))
        else:
            self.not_json += 1
        return httpx.Response(response.status_code, headers=response.headers,
                              content=content, request=request)

    async def aclose(self) -> None:
        """Close the pooled connections; the pool opens new ones if used again (several
        clients in one test share this transport)."""
        await self.inner.aclose()


@pytest.fixture
def validating(spec: SpecValidator) -> Iterator[ValidatingTransport]:
    """A validating transport over a real HTTP connection pool."""
    yield ValidatingTransport(httpx.AsyncHTTPTransport(), spec)


def sim_control(url: str, method: str, path: str, body: Any = None) -> Any:
    """Call a simulator control endpoint (``/_sim/...``) synchronously."""
    response = httpx.request(method, f"{url}/_sim/{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()["data"]
