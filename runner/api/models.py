"""Small result values returned by :class:`~runner.api.client.SpaceTradersClient`.

The client returns the shared domain values (``runner.domain``) where one fits; these
dataclasses bundle what an action's response carries. ``recovered=True`` marks a result
rebuilt from a re-read after the original response was lost: the state is right, but parts
only the lost response had (a transaction's price, survey signatures) are ``None`` or empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runner.api.secrets import Token
from runner.domain.contract import Contract
from runner.domain.ship import Agent, Cargo, Cooldown, Fuel, Nav, Ship
from runner.domain.universe import Construction as Construction
from runner.domain.universe import ConstructionMaterial as ConstructionMaterial


@dataclass(frozen=True)
class Transaction:
    """A market transaction (purchase, sell, refuel), prices in credits."""

    ship: str
    symbol: str
    type: str  # PURCHASE | SELL
    units: int
    price_per_unit: int
    total_price: int
    waypoint: str
    timestamp: datetime


@dataclass(frozen=True)
class ServerStatus:
    """``GET /``: the server's state and reset schedule."""

    status: str
    version: str
    reset_date: str
    next_reset: datetime | None = None


@dataclass(frozen=True)
class Registration:
    """``POST /register``: the new agent and its token (never printed: ``Token`` redacts)."""

    token: Token
    agent: Agent
    ships: tuple[Ship, ...] = ()
    contract: Contract | None = None
    faction: str = ""


@dataclass(frozen=True)
class NavigateResult:
    """The ship's nav and fuel after ``navigate``."""

    nav: Nav
    fuel: Fuel
    recovered: bool = False


@dataclass(frozen=True)
class JumpResult:
    """The ship's nav and reactor cooldown after ``jump``; the antimatter bought."""

    nav: Nav
    cooldown: Cooldown | None
    agent: Agent | None = None
    transaction: Transaction | None = None
    recovered: bool = False


@dataclass(frozen=True)
class TradeResult:
    """Agent, cargo and transaction after ``purchase``, ``sell``."""

    agent: Agent | None
    cargo: Cargo
    transaction: Transaction | None
    recovered: bool = False


@dataclass(frozen=True)
class RefuelResult:
    """Agent, fuel and transaction after ``refuel``."""

    agent: Agent | None
    fuel: Fuel
    transaction: Transaction | None
    cargo: Cargo | None = None
    recovered: bool = False


@dataclass(frozen=True)
class ExtractResult:
    """What one extraction yielded, the new cooldown and cargo."""

    yield_symbol: str
    yield_units: int
    cooldown: Cooldown
    cargo: Cargo
    recovered: bool = False


@dataclass(frozen=True)
class Survey:
    """One survey result; ``raw`` is the server's object, sent back as-is to extract with it."""

    signature: str
    waypoint: str
    deposits: tuple[str, ...]
    expiration: datetime
    size: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SurveyResult:
    """Surveys and the new cooldown (surveys are empty when ``recovered``)."""

    surveys: tuple[Survey, ...]
    cooldown: Cooldown
    recovered: bool = False


@dataclass(frozen=True)
class DeliverResult:
    """The contract and the ship's cargo after a delivery."""

    contract: Contract
    cargo: Cargo
    recovered: bool = False


@dataclass(frozen=True)
class ContractResult:
    """The agent and the contract after ``accept`` or ``fulfill``."""

    agent: Agent | None
    contract: Contract
    recovered: bool = False


@dataclass(frozen=True)
class ShipyardShip:
    """A ship on offer at a shipyard (prices only with a ship present)."""

    type: str
    name: str
    purchase_price: int | None


@dataclass(frozen=True)
class Shipyard:
    """A shipyard: the ship types it sells and, with a ship present, prices."""

    symbol: str
    ship_types: tuple[str, ...]
    ships: tuple[ShipyardShip, ...] = ()
    modifications_fee: int = 0


@dataclass(frozen=True)
class PurchaseShipResult:
    """``POST /my/ships``: the agent after paying and the new ship (the fleet's newest ship
    when ``recovered``; the agent is then the one read back)."""

    agent: Agent | None
    ship: Ship
    recovered: bool = False


@dataclass(frozen=True)
class TransferResult:
    """The acting ship's cargo after a transfer, and the target's when the answer said."""

    cargo: Cargo
    target_cargo: Cargo | None = None
    recovered: bool = False


@dataclass(frozen=True)
class SupplyResult:
    """The construction site and the ship's cargo after supplying it (the site read again
    when ``recovered``)."""

    construction: Construction | None
    cargo: Cargo
    recovered: bool = False


@dataclass(frozen=True)
class RefineResult:
    """The cargo and the new cooldown after refining."""

    cargo: Cargo
    cooldown: Cooldown
    recovered: bool = False


@dataclass(frozen=True)
class ChartResult:
    """The charted waypoint and the agent paid for it (agent None when ``recovered``)."""

    waypoint: str
    agent: Agent | None
    recovered: bool = False


@dataclass(frozen=True)
class ScanResult:
    """The new cooldown and the symbols the scan found (empty when ``recovered``)."""

    cooldown: Cooldown
    found: tuple[str, ...]
    recovered: bool = False


@dataclass(frozen=True)
class RefitResult:
    """The ship's mounts (symbols) and cargo after a mount or module change, and the agent
    (None when ``recovered``)."""

    mounts: frozenset[str] | None
    cargo: Cargo
    agent: Agent | None
    recovered: bool = False


@dataclass(frozen=True)
class RepairResult:
    """The agent and the price after a repair (or what a scrap paid)."""

    agent: Agent | None
    price: int
    recovered: bool = False
