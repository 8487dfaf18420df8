"""The client against the simulator over loopback, with and without injected faults.

The simulator's ledger lists every state change it accepted. A run of 200 actions must end
with the ledger holding exactly the client's actions, each once, in order, even when 10% of
requests answer 500, 5% drop the connection after applying and bare 429s come at random.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from runner.api import LimiterConfig, Priority, RateLimiter, RetryPolicy, SpaceTradersClient
from runner.api.errors import RateLimited, ResponseLost, ServerUnavailable, TokenFromOldReset
from runner.domain.ship import NavStatus
from tests.api.conftest import ValidatingTransport, sim_control
from tests.support.simproc import start_sim_process

FAST_RETRY = RetryPolicy().scaled(0.005)  # the shape of the real policy, in milliseconds
FAULTS = "500:10%,drop-after:5%,429:5%,seed=7"


@dataclass
class Fleet:
    url: str
    client: SpaceTradersClient
    agent: str
    ship: str
    home: str
    away: str
    good: str
    actions: list[tuple[str, str, Any]] = field(default_factory=list)  # what we asked for

    def expect(self, method: str, path: str, body: Any = None) -> None:
        self.actions.append((method, f"/v2{path}", body if body is not None else {}))


async def setup(url: str, transport: ValidatingTransport, symbol: str) -> Fleet:
    fast = RateLimiter(LimiterConfig.unlimited())
    async with SpaceTradersClient(url, None, transport=transport, limiter=fast,
                                  retry=FAST_RETRY) as anon:
        reg = await anon.register(symbol, "COSMIC")
    client = SpaceTradersClient(url, reg.token, transport=transport, limiter=fast,
                                retry=FAST_RETRY)
    ship = next(s for s in await client.list_ships() if s.fuel.capacity > 0)
    home = reg.agent.headquarters
    system = await client.get_system(ship.nav.system, with_traits=True)
    market = await client.get_market(home)
    good = next(s for s in market.trade_goods if market.sells(s) and market.buys(s))
    near = sorted((w for w in system if w.symbol != home),
                  key=lambda w: (w.x - system[home].x) ** 2 + (w.y - system[home].y) ** 2)
    return Fleet(url, client, reg.agent.symbol, ship.symbol, home, near[0].symbol, good)


async def one_trip(f: Fleet, origin: str, target: str) -> None:
    """orbit, navigate, (arrive), dock, buy 2, sell 1, jettison 1, refuel: 7 actions."""
    c, s = f.client, f.ship
    await c.orbit(s, priority=Priority.ACTION)
    f.expect("POST", f"/my/ships/{s}/orbit")
    flight = await c.navigate(s, target, priority=Priority.ACTION)
    f.expect("POST", f"/my/ships/{s}/navigate", {"waypointSymbol": target})
    assert flight.nav.route is not None
    wait = (flight.nav.route.arrival - c.server_time()).total_seconds()
    sim_control(f.url, "POST", "clock", {"advance": max(0.0, wait) + 2})
    assert (await c.get_nav(s)).status is NavStatus.IN_ORBIT
    await c.dock(s, priority=Priority.ACTION)
    f.expect("POST", f"/my/ships/{s}/dock")
    if target == f.home:
        bought = await c.purchase(s, f.good, 2)
        f.expect("POST", f"/my/ships/{s}/purchase", {"symbol": f.good, "units": 2})
        sold = await c.sell(s, f.good, 1)
        f.expect("POST", f"/my/ships/{s}/sell", {"symbol": f.good, "units": 1})
        assert sold.cargo.count(f.good) == bought.cargo.count(f.good) - 1
        await c.jettison(s, f.good, 1)
        f.expect("POST", f"/my/ships/{s}/jettison", {"symbol": f.good, "units": 1})
        await c.refuel(s)
        f.expect("POST", f"/my/ships/{s}/refuel")


async def run_actions(f: Fleet, count: int) -> None:
    here, there = f.home, f.away
    while len(f.actions) < count:
        await one_trip(f, here, there)
        here, there = there, here


def ledger_of(f: Fleet, since: int) -> list[tuple[str, str, Any]]:
    entries = sim_control(f.url, "GET", f"ledger?since={since}")
    return [(e["method"], e["path"], e["body"] or {}) for e in entries
            if e["agent"] == f.agent]


@pytest.mark.parametrize("faults", ["", FAULTS], ids=["clean", "faults"])
def test_200_actions_each_applied_exactly_once(sim_server: Any,
                                               validating: ValidatingTransport,
                                               faults: str) -> None:
    check_200_actions(sim_server.url, validating, faults)


def test_200_actions_against_st_run_sim_with_faults(validating: ValidatingTransport) -> None:
    with start_sim_process("--no-rate-limit", "--seed", "3") as (_, url):
        check_200_actions(url, validating, FAULTS)


def check_200_actions(url: str, validating: ValidatingTransport, faults: str) -> None:
    async def scenario() -> tuple[Fleet, int]:
        fleet = await setup(url, validating, "LEDGER")
        start = len(sim_control(url, "GET", "ledger"))
        sim_control(url, "PUT", "faults", {"spec": faults})
        try:
            await run_actions(fleet, 200)
        finally:
            sim_control(url, "PUT", "faults", {"spec": ""})
            await fleet.client.aclose()
        return fleet, start

    fleet, start = asyncio.run(scenario())
    assert len(fleet.actions) >= 200
    assert ledger_of(fleet, start) == fleet.actions
    metrics = fleet.client.metrics
    if faults:
        stats = sim_control(url, "GET", "stats")[fleet.agent]["faults"]
        assert stats["drop-after"] > 0 and stats["500"] > 0 and stats["429"] > 0
        assert metrics.recoveries["applied"] > 0  # lost answers whose action had happened
        assert metrics.recoveries["not_applied"] > 0  # and ones re-sent after checking
        assert metrics.retries > 0 and metrics.rate_limited > 0


async def _single(url: str, transport: ValidatingTransport, symbol: str,
                  spec: str) -> tuple[Fleet, int, Any]:
    fleet = await setup(url, transport, symbol)
    before = (await fleet.client.get_ship(fleet.ship)).cargo.count(fleet.good)
    start = len(sim_control(url, "GET", "ledger"))
    sim_control(url, "PUT", "faults", {"spec": spec})
    try:
        outcome: Any = await fleet.client.purchase(fleet.ship, fleet.good, 3)
    except ResponseLost as exc:
        outcome = exc
    finally:
        sim_control(url, "PUT", "faults", {"spec": ""})
    after = (await fleet.client.get_ship(fleet.ship)).cargo.count(fleet.good)
    await fleet.client.aclose()
    return fleet, start, (outcome, after - before)


def test_purchase_applied_but_answer_dropped_is_not_bought_again(
        sim_server: Any, validating: ValidatingTransport) -> None:
    fleet, start, (result, gained) = asyncio.run(_single(
        sim_server.url, validating, "DROPAFTER", "drop-after:100%:endpoint=purchase"))
    assert result.recovered and result.cargo.count(fleet.good) == gained == 3
    purchases = [e for e in ledger_of(fleet, start) if e[1].endswith("/purchase")]
    assert len(purchases) == 1


def test_purchase_dropped_before_apply_every_time_is_reported(
        sim_server: Any, validating: ValidatingTransport) -> None:
    fleet, start, (error, gained) = asyncio.run(_single(
        sim_server.url, validating, "DROPBEFORE", "drop-before:100%:endpoint=purchase"))
    assert isinstance(error, ResponseLost) and "answer lost" in error.message
    assert gained == 0
    assert not [e for e in ledger_of(fleet, start) if e[1].endswith("/purchase")]
    assert fleet.client.metrics.recoveries["not_applied"] >= 2  # checked, re-sent, gave up


def test_old_reset_is_typed_and_the_token_never_shows(
        sim_server: Any, validating: ValidatingTransport,
        caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> tuple[str, list[str]]:
        fleet = await setup(sim_server.url, validating, "SECRETS")
        token = fleet.client._session.token
        assert token is not None
        sim_control(sim_server.url, "POST", "reset")
        with pytest.raises(TokenFromOldReset) as info:
            await fleet.client.get_agent()
        await fleet.client.aclose()
        return token.reveal(), [str(info.value), repr(info.value), repr(vars(fleet.client)),
                                repr(vars(fleet.client._session))]

    with caplog.at_level(logging.DEBUG):
        secret, texts = asyncio.run(scenario())
    assert "TokenResetDateMismatch (4113)" in texts[0]
    assert all(secret not in text for text in [*texts, caplog.text])


class LateApply(httpx.AsyncBaseTransport):
    """Over a real connection, but the first purchase reaches the simulator only after
    ``delay`` seconds while the client sees a read timeout after ``timeout``: a request
    stuck in the server's queue that is applied after the client gave up."""

    def __init__(self, inner: httpx.AsyncBaseTransport, delay: float, timeout: float) -> None:
        self.inner, self.delay, self.timeout = inner, delay, timeout
        self.late: asyncio.Task[httpx.Response] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.late is None and request.url.path.endswith("/purchase"):
            copy = httpx.Request(request.method, request.url, headers=request.headers,
                                 content=request.content)
            self.late = asyncio.create_task(self._later(copy))
            await asyncio.sleep(self.timeout)
            raise httpx.ReadTimeout("timed out (test)", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def _later(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.delay - self.timeout)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        return response


def test_timed_out_purchase_applied_late_is_not_bought_again(
        sim_server: Any, validating: ValidatingTransport) -> None:
    """The purchase is applied 1 s after it was sent, the client timed out at 0.4 s: the
    client waits twice its timeout before re-reading, sees the purchase, does not resend."""
    async def scenario() -> tuple[Fleet, int, Any, int]:
        fleet = await setup(sim_server.url, validating, "SLOWBUY")
        token = fleet.client._session.token
        await fleet.client.aclose()
        late = LateApply(validating, delay=1.0, timeout=0.4)
        fleet.client = SpaceTradersClient(
            sim_server.url, token, transport=late,
            limiter=RateLimiter(LimiterConfig.unlimited()), retry=FAST_RETRY, timeout=0.4)
        before = (await fleet.client.get_ship(fleet.ship)).cargo.count(fleet.good)
        start = len(sim_control(sim_server.url, "GET", "ledger"))
        result = await fleet.client.purchase(fleet.ship, fleet.good, 2)
        assert late.late is not None and (await late.late).status_code == 201
        after = (await fleet.client.get_ship(fleet.ship)).cargo.count(fleet.good)
        await fleet.client.aclose()
        return fleet, start, result, after - before

    fleet, start, result, gained = asyncio.run(scenario())
    assert result.recovered and gained == 2
    assert len([e for e in ledger_of(fleet, start) if e[1].endswith("/purchase")]) == 1


@pytest.mark.parametrize(("spec", "message"), [
    ("drop-after:100%:endpoint=register", "probably created"),
    ("drop-before:100%:endpoint=register", "lost twice"),
])
def test_register_with_a_lost_answer_is_reported(sim_server: Any, spec: str,
                                                 message: str) -> None:
    async def scenario() -> ResponseLost:
        sim_control(sim_server.url, "PUT", "faults", {"spec": spec})
        try:
            async with SpaceTradersClient(sim_server.url, None, retry=FAST_RETRY) as anon:
                with pytest.raises(ResponseLost) as info:
                    await anon.register("LOSTREG", "COSMIC")
        finally:
            sim_control(sim_server.url, "PUT", "faults", {"spec": ""})
        return info.value

    assert message in asyncio.run(scenario()).message


@pytest.mark.parametrize(("fault", "error", "attempts"), [
    ("500:100%:endpoint=get-agent", ServerUnavailable, 6),
    ("502:100%:endpoint=get-agent", ServerUnavailable, 4),
    ("429:100%:endpoint=get-agent", RateLimited, 5),
    ("drop-before:100%:endpoint=get-agent", ServerUnavailable, 6),
])
def test_a_read_failing_the_same_way_every_time_is_reported(
        sim_server: Any, validating: ValidatingTransport, fault: str,
        error: type[Exception], attempts: int) -> None:
    async def scenario() -> tuple[Exception, int]:
        fleet = await setup(sim_server.url, validating, "ALWAYSBAD")
        sent = fleet.client.metrics.requests["/my/agent"]
        sim_control(sim_server.url, "PUT", "faults", {"spec": fault})
        try:
            with pytest.raises(error) as info:
                await fleet.client.get_agent()
        finally:
            sim_control(sim_server.url, "PUT", "faults", {"spec": ""})
        await fleet.client.aclose()
        return info.value, fleet.client.metrics.requests["/my/agent"] - sent

    exc, sent = asyncio.run(scenario())
    assert sent == attempts
    assert "\n" not in str(exc)
