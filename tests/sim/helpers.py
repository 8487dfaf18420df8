"""Helpers for the simulator's own tests: a sync-looking client over the in-process app."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.support.openapi import SpecValidator


class Checked:
    """Calls the app in-process and validates every response against the spec."""

    def __init__(self, app: Any, spec: SpecValidator | None = None) -> None:
        self.app, self.spec = app, spec
        self.token: str | None = None
        self.seen: list[tuple[str, str, int]] = []

    def call(self, method: str, path: str, *, json: Any = None, content: bytes | None = None,
             params: dict[str, Any] | None = None, auth: bool = True,
             headers: dict[str, str] | None = None) -> httpx.Response:
        hdrs = dict(headers or {})
        if auth and self.token:
            hdrs.setdefault("Authorization", f"Bearer {self.token}")
        response = asyncio.run(self._send(method, path, json, content, params, hdrs))
        if self.spec is not None and not path.startswith("/_sim"):
            body = response.json() if response.content else None
            self.spec.validate_response(method, path, response.status_code, body)
        self.seen.append((method, path, response.status_code))
        return response

    async def _send(self, method: str, path: str, json: Any, content: bytes | None,
                    params: Any, headers: dict[str, str]) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/v2") as client:
            return await client.request(method, path, json=json, content=content,
                                        params=params, headers=headers)

    def register(self, symbol: str = "TESTER", faction: str = "COSMIC") -> dict[str, Any]:
        r = self.call("POST", "/register", json={"symbol": symbol, "faction": faction},
                      auth=False)
        assert r.status_code == 201, r.text
        data: dict[str, Any] = r.json()["data"]
        self.token = data["token"]
        return data

    def advance(self, seconds: float) -> None:
        r = self.call("POST", "/_sim/clock", json={"advance": seconds})
        assert r.status_code == 200, r.text


def error_code(response: httpx.Response) -> int:
    code: int = response.json()["error"]["code"]
    return code
