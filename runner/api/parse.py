"""Server JSON -> domain values. Pure functions, one per schema of the official spec.

Each parser reads only the fields st-run uses and tolerates extra ones. A missing required
field raises :class:`~runner.api.errors.UnexpectedResponse` naming the schema and field,
never a bare ``KeyError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from runner.api.errors import UnexpectedResponse
from runner.api.models import (
    Construction,
    ConstructionMaterial,
    ServerStatus,
    Shipyard,
    ShipyardShip,
    Survey,
    Transaction,
)
from runner.domain.contract import Contract, Delivery
from runner.domain.ship import (
    Agent,
    Cargo,
    Cooldown,
    FlightMode,
    Fuel,
    Nav,
    NavStatus,
    Route,
    Ship,
)
from runner.domain.universe import Market, System, TradeGood, Waypoint

Json = Mapping[str, Any]
T = TypeVar("T")


def _get(obj: Json, key: str, schema: str) -> Any:
    try:
        return obj[key]
    except (KeyError, TypeError):
        raise UnexpectedResponse(f"{schema}: missing field {key!r}") from None


def parse_time(text: str) -> datetime:
    """An ISO-8601 timestamp (``Z`` or offset) as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise UnexpectedResponse(f"bad timestamp {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _opt_time(text: object) -> datetime | None:
    return parse_time(text) if isinstance(text, str) else None


def _symbols(items: Iterable[Json] | None) -> frozenset[str]:
    return frozenset(str(item["symbol"]) for item in items or ())


def parse_agent(obj: Json) -> Agent:
    """Agent schema."""
    return Agent(
        symbol=_get(obj, "symbol", "Agent"),
        headquarters=_get(obj, "headquarters", "Agent"),
        credits=int(_get(obj, "credits", "Agent")),
        starting_faction=str(obj.get("startingFaction", "")),
        ship_count=int(obj.get("shipCount", 0)),
    )


def parse_nav(obj: Json) -> Nav:
    """ShipNav schema."""
    route = obj.get("route")
    return Nav(
        system=_get(obj, "systemSymbol", "ShipNav"),
        waypoint=_get(obj, "waypointSymbol", "ShipNav"),
        status=NavStatus(_get(obj, "status", "ShipNav")),
        flight_mode=FlightMode(obj.get("flightMode", "CRUISE")),
        route=parse_route(route) if route else None,
    )


def parse_route(obj: Json) -> Route:
    """ShipNavRoute schema."""
    return Route(
        origin=_get(_get(obj, "origin", "ShipNavRoute"), "symbol", "ShipNavRouteWaypoint"),
        destination=_get(_get(obj, "destination", "ShipNavRoute"), "symbol",
                         "ShipNavRouteWaypoint"),
        departure_time=parse_time(_get(obj, "departureTime", "ShipNavRoute")),
        arrival=parse_time(_get(obj, "arrival", "ShipNavRoute")),
    )


def parse_fuel(obj: Json) -> Fuel:
    """ShipFuel schema."""
    return Fuel(int(_get(obj, "current", "ShipFuel")), int(_get(obj, "capacity", "ShipFuel")))


def parse_cargo(obj: Json) -> Cargo:
    """ShipCargo schema; inventory as symbol -> units."""
    inventory: dict[str, int] = {}
    for item in _get(obj, "inventory", "ShipCargo"):
        symbol = str(_get(item, "symbol", "ShipCargoItem"))
        inventory[symbol] = inventory.get(symbol, 0) + int(_get(item, "units", "ShipCargoItem"))
    return Cargo(int(_get(obj, "capacity", "ShipCargo")), int(_get(obj, "units", "ShipCargo")),
                 inventory)


def parse_cooldown(obj: Json) -> Cooldown:
    """Cooldown schema."""
    return Cooldown(
        total_seconds=int(_get(obj, "totalSeconds", "Cooldown")),
        remaining_seconds=int(_get(obj, "remainingSeconds", "Cooldown")),
        expiration=_opt_time(obj.get("expiration")),
    )


def parse_ship(obj: Json) -> Ship:
    """Ship schema, reduced to what the rules need."""
    cooldown = obj.get("cooldown")
    return Ship(
        symbol=_get(obj, "symbol", "Ship"),
        role=str(_get(_get(obj, "registration", "Ship"), "role", "ShipRegistration")),
        nav=parse_nav(_get(obj, "nav", "Ship")),
        fuel=parse_fuel(_get(obj, "fuel", "Ship")),
        cargo=parse_cargo(_get(obj, "cargo", "Ship")),
        engine_speed=int(_get(_get(obj, "engine", "Ship"), "speed", "ShipEngine")),
        frame=str(obj.get("frame", {}).get("symbol", "")),
        mounts=_symbols(obj.get("mounts")),
        cooldown=parse_cooldown(cooldown) if cooldown else None,
        modules=_symbols(obj.get("modules")),
    )


def parse_trade_good(obj: Json) -> TradeGood:
    """MarketTradeGood schema."""
    return TradeGood(
        symbol=_get(obj, "symbol", "MarketTradeGood"),
        type=_get(obj, "type", "MarketTradeGood"),
        trade_volume=int(_get(obj, "tradeVolume", "MarketTradeGood")),
        purchase_price=int(_get(obj, "purchasePrice", "MarketTradeGood")),
        sell_price=int(_get(obj, "sellPrice", "MarketTradeGood")),
        supply=str(obj.get("supply", "MODERATE")),
        activity=obj.get("activity"),
    )


def parse_market(obj: Json, fetched_at: datetime | None = None) -> Market:
    """Market schema; ``trade_goods`` only when a ship is present (else empty)."""
    goods = {g.symbol: g for g in map(parse_trade_good, obj.get("tradeGoods") or ())}
    return Market(
        symbol=_get(obj, "symbol", "Market"),
        imports=_symbols(obj.get("imports")),
        exports=_symbols(obj.get("exports")),
        exchange=_symbols(obj.get("exchange")),
        trade_goods=goods,
        fetched_at=fetched_at if goods else None,
    )


def parse_waypoint(obj: Json) -> Waypoint:
    """Waypoint schema (also accepts SystemWaypoint, which lacks traits)."""
    faction = obj.get("faction")
    return Waypoint(
        symbol=_get(obj, "symbol", "Waypoint"),
        system=str(obj.get("systemSymbol") or _system_of(obj["symbol"])),
        type=_get(obj, "type", "Waypoint"),
        x=int(_get(obj, "x", "Waypoint")),
        y=int(_get(obj, "y", "Waypoint")),
        traits=_symbols(obj.get("traits")),
        orbits=obj.get("orbits"),
        orbitals=tuple(str(o["symbol"]) for o in obj.get("orbitals") or ()),
        faction=faction.get("symbol") if isinstance(faction, Mapping) else None,
        under_construction=bool(obj.get("isUnderConstruction", False)),
    )


def _system_of(symbol: str) -> str:
    sector, system, *_ = symbol.split("-")
    return f"{sector}-{system}"


def parse_system(obj: Json, waypoints: Iterable[Waypoint] | None = None) -> System:
    """System schema; ``waypoints`` (with traits) replace the system's bare waypoint list."""
    if waypoints is None:
        waypoints = [parse_waypoint({**w, "systemSymbol": obj.get("symbol")})
                     for w in obj.get("waypoints") or ()]
    return System.of(_get(obj, "symbol", "System"), waypoints,
                     type=str(obj.get("type", "UNKNOWN")),
                     x=int(obj.get("x", 0)), y=int(obj.get("y", 0)))


def parse_contract(obj: Json) -> Contract:
    """Contract schema."""
    terms = _get(obj, "terms", "Contract")
    payment = _get(terms, "payment", "ContractTerms")
    deliveries = tuple(
        Delivery(
            trade_symbol=_get(d, "tradeSymbol", "ContractDeliverGood"),
            destination=_get(d, "destinationSymbol", "ContractDeliverGood"),
            units_required=int(_get(d, "unitsRequired", "ContractDeliverGood")),
            units_fulfilled=int(_get(d, "unitsFulfilled", "ContractDeliverGood")),
        )
        for d in terms.get("deliver") or ()
    )
    return Contract(
        id=_get(obj, "id", "Contract"),
        faction=_get(obj, "factionSymbol", "Contract"),
        type=_get(obj, "type", "Contract"),
        accepted=bool(_get(obj, "accepted", "Contract")),
        fulfilled=bool(_get(obj, "fulfilled", "Contract")),
        deadline=parse_time(_get(terms, "deadline", "ContractTerms")),
        payment_on_accepted=int(_get(payment, "onAccepted", "ContractPayment")),
        payment_on_fulfilled=int(_get(payment, "onFulfilled", "ContractPayment")),
        deliveries=deliveries,
        deadline_to_accept=_opt_time(obj.get("deadlineToAccept") or obj.get("expiration")),
    )


def parse_transaction(obj: Json) -> Transaction:
    """MarketTransaction schema."""
    return Transaction(
        ship=_get(obj, "shipSymbol", "MarketTransaction"),
        symbol=_get(obj, "tradeSymbol", "MarketTransaction"),
        type=_get(obj, "type", "MarketTransaction"),
        units=int(_get(obj, "units", "MarketTransaction")),
        price_per_unit=int(_get(obj, "pricePerUnit", "MarketTransaction")),
        total_price=int(_get(obj, "totalPrice", "MarketTransaction")),
        waypoint=_get(obj, "waypointSymbol", "MarketTransaction"),
        timestamp=parse_time(_get(obj, "timestamp", "MarketTransaction")),
    )


def parse_survey(obj: Json) -> Survey:
    """Survey schema; the raw object is kept to send back with ``extract/survey``."""
    return Survey(
        signature=_get(obj, "signature", "Survey"),
        waypoint=_get(obj, "symbol", "Survey"),
        deposits=tuple(str(d["symbol"]) for d in _get(obj, "deposits", "Survey")),
        expiration=parse_time(_get(obj, "expiration", "Survey")),
        size=_get(obj, "size", "Survey"),
        raw=dict(obj),
    )


def parse_shipyard(obj: Json) -> Shipyard:
    """Shipyard schema."""
    ships = tuple(
        ShipyardShip(type=str(s.get("type", "")), name=str(s.get("name", "")),
                     purchase_price=s.get("purchasePrice"))
        for s in obj.get("ships") or ()
    )
    return Shipyard(
        symbol=_get(obj, "symbol", "Shipyard"),
        ship_types=tuple(str(t["type"]) for t in _get(obj, "shipTypes", "Shipyard")),
        ships=ships,
        modifications_fee=int(obj.get("modificationsFee", 0)),
    )


def parse_construction(obj: Json) -> Construction:
    """Construction schema."""
    materials = tuple(
        ConstructionMaterial(str(_get(m, "tradeSymbol", "ConstructionMaterial")),
                             int(_get(m, "required", "ConstructionMaterial")),
                             int(_get(m, "fulfilled", "ConstructionMaterial")))
        for m in obj.get("materials") or ())
    return Construction(str(_get(obj, "symbol", "Construction")), materials,
                        bool(obj.get("isComplete", False)))


def parse_status(obj: Json) -> ServerStatus:
    """``GET /`` body (not wrapped in ``data``)."""
    resets = obj.get("serverResets") or {}
    return ServerStatus(
        status=str(_get(obj, "status", "Status")),
        version=str(obj.get("version", "")),
        reset_date=str(obj.get("resetDate", "")),
        next_reset=_opt_time(resets.get("next")),
    )


def parse_many(parser: Callable[[Json], T], items: Iterable[Json]) -> list[T]:
    """Apply ``parser`` to every item."""
    return [parser(item) for item in items]
