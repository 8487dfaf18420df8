"""Contract test: every operation of the live spec succeeds once and validates (live spec and,
where it has the operation, the api-docs spec); every endpoint errs in the official shape."""

from __future__ import annotations

from typing import Any

import pytest

from runner.sim.catalog import DEPOSIT_YIELDS, EXTRACTABLE_TYPES
from runner.sim.routes import REGISTRY
from tests.sim.helpers import Game
from tests.sim.live_spec import LiveSpecValidator

GALAXY = pytest.mark.parametrize("sim_app", [{"systems": 12}], indirect=True)


def _unknown(path: str, game: Game) -> str:
    """``path`` with every parameter naming something that does not exist."""
    return (path.replace("{shipSymbol}", f"{game.agent}-99")
            .replace("{contractId}", "NOPE").replace("{systemSymbol}", "X1-NOPE")
            .replace("{waypointSymbol}", "X1-NOPE-A1").replace("{factionSymbol}", "NOPE")
            .replace("{agentSymbol}", "NOPE"))


class Walk:
    """Calls operations in a scenario and records which (method, template) succeeded."""

    def __init__(self, game: Game) -> None:
        self.game, self.ok = game, set[tuple[str, str]]()

    def __call__(self, method: str, path: str, body: Any = None, status: int | None = None
                 ) -> dict[str, Any]:
        response = self.game.call(method, path, json=body)
        assert response.status_code < 300, (method, path, response.text)
        if status is not None:
            assert response.status_code == status, (method, path, response.status_code)
        self.ok.add((method, self.game.spec.template_for(path)))  # type: ignore[union-attr]
        return response.json() if response.content else {}

    def ship(self, ship: str, action: str, body: Any = None) -> dict[str, Any]:
        return self(
            "POST", f"/my/ships/{ship}/{action}", body)


def _reads(walk: Walk) -> None:
    game = walk.game
    ship, cid, hq, sysm = game.frigate, game.data["contract"]["id"], game.hq, game.system
    gate = game.universe.gate_of(sysm)
    for path in ["/", "/error-codes", "/my/agent", "/my/account", "/my/factions",
                 "/my/agent/events", "/factions", "/factions/COSMIC", "/agents",
                 f"/agents/{game.agent}", "/market/supply-chain", "/my/ships",
                 f"/my/ships/{ship}", f"/my/ships/{ship}/nav", f"/my/ships/{ship}/cargo",
                 f"/my/ships/{ship}/cooldown", f"/my/ships/{ship}/mounts",
                 f"/my/ships/{ship}/modules", f"/my/ships/{ship}/repair",
                 f"/my/ships/{ship}/scrap", "/systems", f"/systems/{sysm}",
                 f"/systems/{sysm}/waypoints", f"/systems/{sysm}/waypoints/{hq}",
                 f"/systems/{sysm}/waypoints/{hq}/market",
                 f"/systems/{sysm}/waypoints/{hq}/shipyard",
                 f"/systems/{sysm}/waypoints/{gate}/jump-gate",
                 f"/systems/{sysm}/waypoints/{gate}/construction",
                 "/my/contracts", f"/my/contracts/{cid}"]:
        walk("GET", path)
    walk("PATCH", f"/my/ships/{ship}/nav", {"flightMode": "CRUISE"})


def _trade_and_fleet(walk: Walk) -> str:
    """Market trades, a ship purchase, a transfer, refits, repair; returns the new drone."""
    game, ship = walk.game, walk.game.frigate
    walk.ship(ship, "refuel")
    walk.ship(ship, "purchase", {"symbol": "FUEL", "units": 1})
    walk.ship(ship, "sell", {"symbol": "FUEL", "units": 1})
    walk("POST", f"/my/contracts/{game.data['contract']['id']}/accept")
    drone = walk("POST", "/my/ships", {"shipType": "SHIP_MINING_DRONE",
                                       "waypointSymbol": game.hq}, 201)["data"]["ship"]
    game.set_ship(ship, cargo={"IRON_ORE": 10, "MOUNT_MINING_LASER_I": 1,
                               "MODULE_WARP_DRIVE_I": 1})
    walk.ship(ship, "transfer", {"tradeSymbol": "IRON_ORE", "units": 5,
                                 "shipSymbol": drone["symbol"]})
    walk.ship(ship, "mounts/install", {"symbol": "MOUNT_MINING_LASER_I"})
    walk.ship(ship, "mounts/remove", {"symbol": "MOUNT_MINING_LASER_I"})
    walk.ship(ship, "modules/remove", {"symbol": "MODULE_MINERAL_PROCESSOR_I"})
    walk.ship(ship, "modules/install", {"symbol": "MODULE_WARP_DRIVE_I"})
    walk.ship(ship, "repair")
    walk.ship(ship, "orbit")
    walk.ship(ship, "dock")
    return str(drone["symbol"])


def _mining(walk: Walk) -> None:
    game, ship = walk.game, walk.game.frigate
    here = game.universe.waypoints[game.hq]
    rocks = game.waypoints(lambda w: w.type in EXTRACTABLE_TYPES
                           and any(t in DEPOSIT_YIELDS for t in w.traits))
    rock = min(rocks, key=lambda w: (w.x - here.x) ** 2 + (w.y - here.y) ** 2).symbol
    game.set_ship(ship, cargo={})
    game.fly(ship, rock)
    walk.ok.add(("POST", "/my/ships/{shipSymbol}/navigate"))
    survey = walk.ship(ship, "survey")["data"]["surveys"][0]
    game.advance(100)
    walk.ship(ship, "extract")  # no body: the live server's extract takes none
    game.advance(100)
    walk.ship(ship, "extract/survey", survey)
    game.advance(100)
    item = walk("GET", f"/my/ships/{ship}/cargo")["data"]["inventory"][0]
    walk.ship(ship, "jettison", {"symbol": item["symbol"], "units": 1})
    for scan in ("scan/systems", "scan/waypoints", "scan/ships"):
        walk.ship(ship, scan)
        game.advance(200)
    giant = game.waypoints(lambda w: w.type == "GAS_GIANT")[0].symbol
    game.set_ship(ship, waypoint=giant)
    walk.ship(ship, "siphon")
    game.advance(200)


def _refine_and_chart(walk: Walk) -> None:
    """Refining needs a refinery (the test fits one); charting an uncharted waypoint."""
    from runner.sim.catalog import MODULES

    game, ship = walk.game, walk.game.frigate
    modules = game.app.state.sim.world.ships[ship].template["modules"]
    modules += [dict(MODULES["MODULE_ORE_REFINERY_I"]), dict(MODULES["MODULE_CARGO_HOLD_III"])]
    game.set_ship(ship, cargo={"IRON_ORE": 100})
    walk.ship(ship, "refine", {"produce": "IRON"})
    game.advance(200)
    uni = game.universe
    blank = next(w for w in uni.waypoints.values() if not w.charted)
    game.set_ship(ship, waypoint=blank.symbol, cargo={})
    walk.ship(ship, "chart")


def _gates(walk: Walk) -> None:
    """Supply the home gate, finish it (control), jump, then warp back home."""
    game, ship = walk.game, walk.game.frigate
    uni = game.universe
    gate = uni.gate_of(game.system)
    assert gate is not None and uni.waypoints[gate].under_construction
    game.set_ship(ship, waypoint=gate, status="DOCKED", cargo={"FAB_MATS": 10})
    walk("POST", f"/systems/{game.system}/waypoints/{gate}/construction/supply",
         {"shipSymbol": ship, "tradeSymbol": "FAB_MATS", "units": 10})
    r = game.call("POST", f"/_sim/construction/{gate}", json={"complete": True})
    assert r.status_code == 200 and r.json()["data"]["isComplete"]
    target = next(g for g in uni.gates[gate] if not uni.waypoints[g].under_construction)
    game.ship_call(ship, "orbit")
    walk.ship(ship, "jump", {"waypointSymbol": target})
    walk("PATCH", f"/my/ships/{ship}/nav", {"flightMode": "DRIFT"})
    walk.ship(ship, "warp", {"waypointSymbol": game.hq})


def _contracts_and_scrap(walk: Walk, drone: str) -> None:
    game, ship = walk.game, walk.game.frigate
    cid = game.data["contract"]["id"]
    term = game.data["contract"]["terms"]["deliver"][0]
    units = min(40, term["unitsRequired"])
    game.set_ship(ship, waypoint=term["destinationSymbol"], status="DOCKED",
                  cargo={term["tradeSymbol"]: units})
    walk("POST", f"/my/contracts/{cid}/deliver",
         {"shipSymbol": ship, "tradeSymbol": term["tradeSymbol"], "units": units})
    game.app.state.sim.world.contracts[cid].deliveries[0].fulfilled = term["unitsRequired"]
    walk("POST", f"/my/contracts/{cid}/fulfill")
    game.set_ship(ship, waypoint=game.hq)
    walk.ship(ship, "negotiate/contract")
    walk.ship(drone, "scrap")
    game.token = None
    walk("POST", "/register", {"symbol": "SECOND", "faction": "VOID"})


@GALAXY
def test_every_operation_succeeds_and_matches_both_specs(game: Game,
                                                         live_spec: LiveSpecValidator) -> None:
    walk = Walk(game)
    _reads(walk)
    drone = _trade_and_fleet(walk)
    _mining(walk)
    _refine_and_chart(walk)
    _gates(walk)
    _contracts_and_scrap(walk, drone)
    implemented = {(e.method, e.path) for e in REGISTRY.endpoints}
    assert walk.ok == implemented
    assert implemented == live_spec.operations()  # every operation of the live spec


def test_every_endpoint_errors_in_the_official_shape(game: Game) -> None:
    """Without a token (auth endpoints) and with unknown symbols, each endpoint errs cleanly."""
    token = game.token
    for endpoint in REGISTRY.endpoints:
        path = _unknown(endpoint.path, game)
        body = {} if endpoint.method != "GET" else None
        if endpoint.auth:
            game.token = None
            response = game.call(endpoint.method, path, json=body)
            assert response.status_code == 401, (endpoint.name, response.text)
            game.token = token
        if "{" in endpoint.path:
            response = game.call(endpoint.method, path, json=body)
            assert response.status_code in (404, 422), (endpoint.name, response.text)
    assert len(game.seen) > len(REGISTRY.endpoints)
