"""Contracts: list, read, negotiate, accept, deliver, fulfill."""

from __future__ import annotations

from runner.sim.api import Ctx, Reply, paged
from runner.sim.contracts import Contract, offer_contract
from runner.sim.errors import game_error
from runner.sim.routes import REGISTRY
from runner.sim.routes.ships import require_docked, require_not_in_transit, ship_for


def _contract(ctx: Ctx) -> Contract:
    contract: Contract = ctx.world.contract_of(ctx.me(), ctx.params["contractId"])
    return contract


@REGISTRY.route("GET", "/my/contracts", "list-contracts")
def list_contracts(ctx: Ctx) -> Reply:
    mine = [c.to_json() for c in ctx.world.contracts.values() if c.agent == ctx.me().symbol]
    return 200, paged(ctx.query, mine)


@REGISTRY.route("GET", "/my/contracts/{contractId}", "get-contract")
def get_contract(ctx: Ctx) -> Reply:
    return 200, {"data": _contract(ctx).to_json()}


@REGISTRY.route("POST", "/my/ships/{shipSymbol}/negotiate/contract", "negotiate")
def negotiate(ctx: Ctx) -> Reply:
    ship = ship_for(ctx)
    require_not_in_transit(ship, ctx.now)
    agent = ctx.me()
    wp = ctx.world.universe.waypoints[ship.waypoint]
    if not wp.faction:
        raise game_error(4700, f"Waypoint {wp.symbol} has no faction to negotiate with.",
                         waypointSymbol=wp.symbol)
    if any(c.agent == agent.symbol and c.open for c in ctx.world.contracts.values()):
        raise game_error(4511, "Agent already has an open contract; fulfil it first.",
                         agentSymbol=agent.symbol)
    contract = offer_contract(ctx.world.universe, ctx.world.rng, ctx.world.next_id(),
                              agent.symbol, wp.faction, ship.system, ctx.now)
    ctx.world.contracts[contract.id] = contract
    return 201, {"data": {"contract": contract.to_json()}}


@REGISTRY.route("POST", "/my/contracts/{contractId}/accept", "accept-contract")
def accept(ctx: Ctx) -> Reply:
    contract = _contract(ctx)
    if contract.accepted:
        raise game_error(4501, f"Contract {contract.id} has already been accepted.",
                         contractId=contract.id)
    if ctx.now > contract.deadline_to_accept:
        raise game_error(4503, f"Contract {contract.id} can no longer be accepted.",
                         contractId=contract.id)
    contract.accepted = True
    ctx.me().credits += contract.on_accepted
    return 200, {"data": {"contract": contract.to_json(), "agent": ctx.me().to_json()}}


@REGISTRY.route("POST", "/my/contracts/{contractId}/deliver", "deliver-contract")
def deliver(ctx: Ctx) -> Reply:
    contract = _contract(ctx)
    ship_symbol = ctx.field("shipSymbol", str)
    symbol = ctx.field("tradeSymbol", str)
    units = ctx.field("units", int, minimum=1)
    ship = ctx.world.ship_of(ctx.me(), ship_symbol)
    _check_open(contract, ctx.now)
    require_docked(ship, ctx.now)
    term = next((d for d in contract.deliveries if d.trade_symbol == symbol), None)
    if term is None:
        raise game_error(4508, f"Contract {contract.id} does not require {symbol}.",
                         contractId=contract.id, tradeSymbol=symbol)
    if ship.waypoint != term.destination:
        raise game_error(4510, f"Ship {ship.symbol} must be at {term.destination} to deliver.",
                         contractId=contract.id, destinationSymbol=term.destination)
    if term.fulfilled + units > term.required:
        raise game_error(4509, f"Contract {contract.id} needs only {term.required - term.fulfilled}"
                         f" more units of {symbol}.", contractId=contract.id,
                         unitsRequired=term.required, unitsFulfilled=term.fulfilled)
    held = ship.cargo.get(symbol, 0)
    if held == 0:
        raise game_error(4218, f"Ship {ship.symbol} has no {symbol} in its cargo.",
                         shipSymbol=ship.symbol, tradeSymbol=symbol)
    if units > held:
        raise game_error(4219, f"Ship {ship.symbol} holds only {held} units of {symbol}.",
                         shipSymbol=ship.symbol, tradeSymbol=symbol, cargoUnits=held,
                         unitsToRemove=units)
    ship.remove_cargo(symbol, units)
    term.fulfilled += units
    return 200, {"data": {"contract": contract.to_json(), "cargo": ship.cargo_json()}}


def _check_open(contract: Contract, now: float) -> None:
    if contract.fulfilled:
        raise game_error(4504, f"Contract {contract.id} has already been fulfilled.",
                         contractId=contract.id)
    if not contract.accepted:
        raise game_error(4505, f"Contract {contract.id} has not been accepted.",
                         contractId=contract.id)
    if now > contract.deadline:
        raise game_error(4503, f"The deadline of contract {contract.id} has passed.",
                         contractId=contract.id)


@REGISTRY.route("POST", "/my/contracts/{contractId}/fulfill", "fulfill-contract")
def fulfill(ctx: Ctx) -> Reply:
    contract = _contract(ctx)
    _check_open(contract, ctx.now)
    if any(d.fulfilled < d.required for d in contract.deliveries):
        raise game_error(4502, f"Contract {contract.id} still has undelivered goods.",
                         contractId=contract.id)
    contract.fulfilled = True
    ctx.me().credits += contract.on_fulfilled
    return 200, {"data": {"contract": contract.to_json(), "agent": ctx.me().to_json()}}
