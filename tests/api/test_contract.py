"""Contract tests: every request the client sends and every response it parses is checked
against the official OpenAPI spec, over a real loopback socket to the simulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runner.api import LimiterConfig, Priority, RateLimiter, SpaceTradersClient
from runner.api import errors as e
from runner.domain.ship import FlightMode, NavStatus
from tests.api.conftest import ValidatingTransport, sim_control

ACTION = Priority.ACTION


async def _arrive(client: SpaceTradersClient, url: str, ship: str) -> None:
    """Push the game clock past the ship's arrival instead of sleeping."""
    nav = await client.get_nav(ship)
    if nav.route is not None and nav.status is NavStatus.IN_TRANSIT:
        wait = (nav.route.arrival - client.server_time()).total_seconds()
        sim_control(url, "POST", "clock", {"advance": max(0.0, wait) + 2})
    assert (await client.get_nav(ship)).status is NavStatus.IN_ORBIT


async def scenario(url: str, transport: ValidatingTransport) -> dict[str, Any]:
    fast = RateLimiter(LimiterConfig.unlimited())
    async with SpaceTradersClient(url, None, transport=transport, limiter=fast) as anon:
        status = await anon.get_status()
        reg = await anon.register("CONTRACTS", "COSMIC")
    async with SpaceTradersClient(url, reg.token, transport=transport, limiter=fast) as c:
        agent = await c.get_agent()
        ships = await c.list_ships()
        frigate = next(s for s in ships if s.can_mine)
        name = frigate.symbol
        assert (await c.get_ship(name)).symbol == name
        await c.get_cargo(name)
        assert await c.get_cooldown(name) is None  # 204
        system = await c.get_system(frigate.nav.system)
        assert any(w.traits for w in system)  # waypoints come with traits
        markets = await c.list_waypoints(system.symbol, traits="MARKETPLACE")
        asteroids = [w for w in system if "ASTEROID" in w.type and not w.under_construction]
        assert markets and asteroids
        await c.list_waypoints(system.symbol, type=asteroids[0].type)
        await c.get_waypoint(agent.headquarters)
        yards = [w for w in system if "SHIPYARD" in w.traits]
        assert (await c.get_shipyard(yards[0].symbol)).ship_types
        market = await c.get_market(agent.headquarters)
        contracts = await c.list_contracts()
        contract = await c.get_contract(contracts[0].id)
        accepted = await c.accept_contract(contract.id)
        assert accepted.contract.accepted and accepted.agent is not None

        # trade at headquarters (docked)
        good = next(g for g in market.trade_goods.values()
                    if market.sells(g.symbol) and market.buys(g.symbol))
        bought = await c.purchase(name, good.symbol, 2, priority=ACTION)
        assert bought.cargo.count(good.symbol) == 2 and bought.transaction is not None
        sold = await c.sell(name, good.symbol, 1, priority=ACTION)
        assert sold.transaction is not None and sold.transaction.type == "SELL"
        assert (await c.jettison(name, good.symbol, 1, priority=ACTION)).count(good.symbol) == 0

        sim_control(url, "PATCH", f"ships/{name}", {"fuel": 300})
        await c.get_ship(name)
        refuel = await c.refuel(name)
        assert refuel.fuel.current == refuel.fuel.capacity and refuel.transaction is not None

        # fly to an asteroid, mine, survey
        await c.set_flight_mode(name, FlightMode.CRUISE)
        await c.orbit(name)
        target = min(asteroids, key=lambda w: abs(w.x - frigate_x(system, frigate)) +
                     abs(w.y - frigate_y(system, frigate)))
        flight = await c.navigate(name, target.symbol)
        assert flight.nav.status is NavStatus.IN_TRANSIT
        await _arrive(c, url, name)
        mined = await c.extract(name)
        assert mined.yield_units > 0 and mined.cooldown.remaining_seconds > 0
        assert await c.get_cooldown(name) is not None
        with pytest.raises(e.CooldownConflictError) as cooling:
            await c.extract(name)
        assert cooling.value.wait_seconds is not None
        await c.jettison(name, mined.yield_symbol, mined.yield_units)
        assert (await c.get_ship(name)).can_survey
        # Wait out the cooldown the extract reported (60 + 10 x power of the lasers used).
        sim_control(url, "POST", "clock", {"advance": mined.cooldown.remaining_seconds + 1})
        surveyed = await c.survey(name)
        assert surveyed.surveys and surveyed.surveys[0].deposits

        # deliver the contract's goods (placed aboard through the control API), fulfil
        delivery = contract.deliveries[0]
        sim_control(url, "PATCH", f"ships/{name}", {"fuel": 400})
        await c.get_ship(name)
        await c.set_flight_mode(name, FlightMode.DRIFT)  # any distance on a full tank
        await c.navigate(name, delivery.destination)
        await _arrive(c, url, name)
        await c.dock(name)
        left = delivery.units_required
        while left > 0:  # the hold is smaller than the order: several loads
            load = min(left, (await c.get_ship(name)).cargo.capacity)
            sim_control(url, "PATCH", f"ships/{name}", {"cargo": {delivery.trade_symbol: load}})
            await c.get_ship(name)  # re-read after the change behind the client's back
            done = await c.deliver_contract(contract.id, name, delivery.trade_symbol, load)
            left = done.contract.deliveries[0].units_left
        fulfilled = await c.fulfill_contract(contract.id)
        assert fulfilled.contract.fulfilled
        await c.orbit(name)
        offer = await c.negotiate_contract(name)
        assert not offer.accepted
        with pytest.raises(e.ShipNotDockedError):
            await c.purchase(name, good.symbol, 1)
        return {"status": status, "metrics": c.metrics}


def frigate_x(system: Any, ship: Any) -> int:
    return int(system[ship.nav.waypoint].x)


def frigate_y(system: Any, ship: Any) -> int:
    return int(system[ship.nav.waypoint].y)


def test_every_request_and_response_matches_the_spec(sim_server: Any,
                                                     validating: ValidatingTransport) -> None:
    asyncio.run(scenario(sim_server.url, validating))
    templates = {(m, t) for m, t, _ in validating.seen}
    expected = {
        ("GET", "/"), ("POST", "/register"), ("GET", "/my/agent"), ("GET", "/my/ships"),
        ("GET", "/my/ships/{shipSymbol}"), ("GET", "/my/ships/{shipSymbol}/nav"),
        ("PATCH", "/my/ships/{shipSymbol}/nav"), ("GET", "/my/ships/{shipSymbol}/cargo"),
        ("GET", "/my/ships/{shipSymbol}/cooldown"), ("POST", "/my/ships/{shipSymbol}/orbit"),
        ("POST", "/my/ships/{shipSymbol}/dock"), ("POST", "/my/ships/{shipSymbol}/navigate"),
        ("POST", "/my/ships/{shipSymbol}/purchase"), ("POST", "/my/ships/{shipSymbol}/extract"),
        ("POST", "/my/ships/{shipSymbol}/jettison"), ("POST", "/my/ships/{shipSymbol}/sell"),
        ("POST", "/my/ships/{shipSymbol}/refuel"), ("POST", "/my/ships/{shipSymbol}/survey"),
        ("GET", "/systems/{systemSymbol}/waypoints/{waypointSymbol}/shipyard"),
        ("POST", "/my/ships/{shipSymbol}/negotiate/contract"),
        ("GET", "/systems/{systemSymbol}"), ("GET", "/systems/{systemSymbol}/waypoints"),
        ("GET", "/systems/{systemSymbol}/waypoints/{waypointSymbol}"),
        ("GET", "/systems/{systemSymbol}/waypoints/{waypointSymbol}/market"),
        ("GET", "/my/contracts"), ("GET", "/my/contracts/{contractId}"),
        ("POST", "/my/contracts/{contractId}/accept"),
        ("POST", "/my/contracts/{contractId}/deliver"),
        ("POST", "/my/contracts/{contractId}/fulfill"),
    }
    assert expected <= templates, sorted(expected - templates)
    assert ("GET", "/my/ships/{shipSymbol}/cooldown", 204) in validating.seen
    assert any(s >= 400 for _, _, s in validating.seen)  # error bodies were checked too


def test_the_validating_transport_rejects_off_spec_traffic(
        sim_server: Any, validating: ValidatingTransport) -> None:
    async def bad_request() -> None:
        async with SpaceTradersClient(sim_server.url, None, transport=validating) as client:
            await client._send("POST", "/register", "/register", Priority.ACTION, None,
                               json={"symbol": "NOFACTION"}, mutating=True)

    with pytest.raises(AssertionError, match="faction"):
        asyncio.run(bad_request())
