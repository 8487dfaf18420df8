"""Commands: the smallest things the executor sends to the game, as pure values.

A playbook step expands into a list of commands (``runner.playbook.expand_step``). Each
command class says whether it ``mutates`` game state: the executor commits a checkpoint after
every mutating command. Commands round-trip through :func:`command_to_dict` and
:func:`command_from_dict` (JSON-safe dicts tagged with ``"type"``) because the runtime stores
expansions in its checkpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from runner.domain.ship import FlightMode


@dataclass(frozen=True)
class Orbit:
    """Move a docked ship into orbit (``POST .../orbit``)."""

    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Dock:
    """Dock a ship in orbit (``POST .../dock``)."""

    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class SetFlightMode:
    """Change the ship's persistent flight mode (``PATCH .../nav``)."""

    mode: FlightMode
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Navigate:
    """Fly one hop to ``destination`` in ``mode``; distance, fuel and duration are predictions."""

    destination: str
    mode: FlightMode
    distance: float
    fuel_used: int
    duration_s: int
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Refuel:
    """Refuel while docked: ``units`` ship-fuel units, or fill the tank when None."""

    units: int | None = None
    from_cargo: bool = False
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Extract:
    """Extract resources at the current waypoint (ship in orbit, mining mount)."""

    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Survey:
    """Survey the current waypoint (ship in orbit, surveyor mount)."""

    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Purchase:
    """Buy ``units`` of ``symbol`` at the current market (one request, within trade volume)."""

    symbol: str
    units: int
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Sell:
    """Sell ``units`` of ``symbol`` at the current market (one request, within trade volume)."""

    symbol: str
    units: int
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Jettison:
    """Throw ``units`` of ``symbol`` out of the hold."""

    symbol: str
    units: int
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class Deliver:
    """Deliver cargo for a contract; ``contract_id`` None means the executor's active contract."""

    contract_id: str | None
    symbol: str
    units: int
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class NegotiateContract:
    """Negotiate a new contract at the faction's waypoint (ship docked)."""

    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class AcceptContract:
    """Accept a contract; None means the most recently negotiated or offered one."""

    contract_id: str | None = None
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class FulfillContract:
    """Fulfill a contract; None means the executor's active contract."""

    contract_id: str | None = None
    mutates: ClassVar[bool] = True


@dataclass(frozen=True)
class ScanMarket:
    """Read the market at ``waypoint`` (prices need a ship present); changes nothing."""

    waypoint: str
    mutates: ClassVar[bool] = False


@dataclass(frozen=True)
class Wait:
    """Wait ``seconds`` of game time."""

    seconds: float
    mutates: ClassVar[bool] = False


@dataclass(frozen=True)
class Log:
    """Write ``message`` to the container's log at ``level`` (debug, info, warning, error)."""

    message: str
    level: str = "info"
    mutates: ClassVar[bool] = False


Command = (
    Orbit | Dock | SetFlightMode | Navigate | Refuel | Extract | Survey | Purchase | Sell
    | Jettison | Deliver | NegotiateContract | AcceptContract | FulfillContract | ScanMarket
    | Wait | Log
)

COMMAND_TYPES: Mapping[str, type[Command]] = {
    cls.__name__: cls
    for cls in (
        Orbit, Dock, SetFlightMode, Navigate, Refuel, Extract, Survey, Purchase, Sell, Jettison,
        Deliver, NegotiateContract, AcceptContract, FulfillContract, ScanMarket, Wait, Log,
    )
}

# Commands that cost no API request (the executor handles them locally).
LOCAL_COMMANDS: frozenset[str] = frozenset({"Wait", "Log"})


def command_to_dict(command: Command) -> dict[str, Any]:
    """A JSON-safe dict for ``command``: ``{"type": "Navigate", "destination": ..., ...}``."""
    out: dict[str, Any] = {"type": type(command).__name__}
    for f in fields(command):
        value = getattr(command, f.name)
        out[f.name] = str(value) if isinstance(value, FlightMode) else value
    return out


def command_from_dict(data: Mapping[str, Any]) -> Command:
    """The command that :func:`command_to_dict` produced; ValueError on an unknown shape."""
    kind = data.get("type")
    cls = COMMAND_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown command type {kind!r}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            value = data[f.name]
            kwargs[f.name] = FlightMode(value) if f.name == "mode" else value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"bad {kind} command: {exc}") from exc


def is_request(command: Command) -> bool:
    """True when the executor needs one API request to carry out ``command``."""
    return type(command).__name__ not in LOCAL_COMMANDS
