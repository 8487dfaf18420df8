"""Contract values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Delivery:
    """One good a contract asks for, and where."""

    trade_symbol: str
    destination: str
    units_required: int
    units_fulfilled: int

    @property
    def units_left(self) -> int:
        """Units still to deliver."""
        return self.units_required - self.units_fulfilled


@dataclass(frozen=True)
class Contract:
    """A contract with its terms; payments in credits."""

    id: str
    faction: str
    type: str
    accepted: bool
    fulfilled: bool
    deadline: datetime
    payment_on_accepted: int
    payment_on_fulfilled: int
    deliveries: tuple[Delivery, ...] = ()
    deadline_to_accept: datetime | None = None
