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
        if self.spec is not None and not path.startswith("/_sim") and not _bare(response):
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


def _bare(response: httpx.Response) -> bool:
    """An injected front-end 429/502: not an API response, so not in the spec."""
    json_body = response.headers.get("content-type", "").startswith("application/json")
    return response.status_code in (429, 502) and not json_body


def error_code(response: httpx.Response) -> int:
    code: int = response.json()["error"]["code"]
    return code


class Game(Checked):
    """A registered agent in a fresh app, with shortcuts tests use to set up situations."""

    def __init__(self, app: Any, spec: SpecValidator | None = None,
                 symbol: str = "TESTER") -> None:
        super().__init__(app, spec)
        self.data = self.register(symbol)
        self.agent = self.data["agent"]["symbol"]
        self.hq = self.data["agent"]["headquarters"]
        self.system = self.data["ships"][0]["nav"]["systemSymbol"]
        self.frigate, self.probe = f"{self.agent}-1", f"{self.agent}-2"

    @property
    def universe(self) -> Any:
        return self.app.state.sim.world.universe

    def waypoints(self, predicate: Any) -> list[Any]:
        """Waypoints of the home system (test-side knowledge of the universe) matching."""
        uni = self.universe
        return [uni.waypoints[w] for w in uni.systems[self.system].waypoints
                if predicate(uni.waypoints[w])]

    def market_without(self, good: str) -> str:
        return next(m for m, market in self.universe.markets.items()
                    if good not in market.goods
                    and self.universe.waypoints[m].system == self.system)

    def ship_call(self, ship: str, action: str, **kw: Any) -> httpx.Response:
        return self.call("POST", f"/my/ships/{ship}/{action}", **kw)

    def fly(self, ship: str, destination: str) -> httpx.Response:
        """Orbit, navigate and let the game clock run to arrival (ends IN_ORBIT there)."""
        self.ship_call(ship, "orbit")
        response = self.ship_call(ship, "navigate", json={"waypointSymbol": destination})
        assert response.status_code == 200, response.text
        self.advance(self._seconds_to_arrival(response) + 1)
        return response

    @staticmethod
    def _seconds_to_arrival(response: httpx.Response) -> float:
        from runner.sim.clock import parse_iso

        route = response.json()["data"]["nav"]["route"]
        return parse_iso(route["arrival"]) - parse_iso(route["departureTime"])

    def set_ship(self, ship: str, **changes: Any) -> None:
        r = self.call("PATCH", f"/_sim/ships/{ship}", json=changes)
        assert r.status_code == 200, r.text

    def set_credits(self, credits: int) -> None:
        r = self.call("PUT", f"/_sim/agents/{self.agent}/credits", json={"credits": credits})
        assert r.status_code == 200, r.text
