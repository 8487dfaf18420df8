"""What the executor needs from the world, as small protocols.

The executor is plain code handed its collaborators: the game (through :class:`ShipApi`), the
playbook language (through :class:`StepLanguage`) and the state store (through
:class:`Journal`). The concrete adapters over ``runner.api``, ``runner.playbook`` and
``runner.state`` live in ``runner.runtime.adapters``; tests of pure logic may pass fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from runner.domain.commands import Command
from runner.domain.loop import LoopState
from runner.domain.plan import Step
from runner.domain.ship import Ship
from runner.state.records import Checkpoint, Intent

if TYPE_CHECKING:
    from runner.playbook.context import StepContext


@dataclass(frozen=True)
class Sent:
    """The outcome of one command: the ship as the response shows it, and what else it said.

    ``credits`` is the agent's credits when the response carried them; ``result`` is a
    JSON-safe summary stored by ``register``.
    """

    ship: Ship
    credits: int | None = None
    result: Any = None


class ShipApi(Protocol):
    """The game, as one container's executor uses it."""

    async def get_ship(self, symbol: str) -> Ship:
        """The ship's real state (one GET)."""
        ...

    async def get_credits(self) -> int:
        """The agent's credits (one GET)."""
        ...

    async def fleet(self) -> list[Ship]:
        """Every ship of the agent, fresh from the server."""
        ...

    async def ship_count(self) -> int:
        """The agent's number of ships (one GET; fleet commands' ``took_effect`` rule)."""
        ...

    async def recovered_result(self, command: Command) -> Any:
        """The result (for ``register``) of ``command``, applied before a crash lost its
        answer, rebuilt from the game (None when nothing can be rebuilt)."""
        ...

    async def send(self, ship: Ship, command: Command) -> Sent:
        """Carry out one request command for ``ship``; raises the client's typed errors."""
        ...

    def server_now(self) -> datetime:
        """The server's current time, from its last ``Date`` header (extrapolated)."""
        ...

    def speed(self) -> float:
        """The server clock's rate (``x-sim-speed``; 1 for the real game)."""
        ...


Loop = LoopState
"""A loop frame (``runner.domain.loop.LoopState``: index, length, item, parent)."""


class StepLanguage(Protocol):
    """The playbook language at run time, over a context built from LIVE state."""

    async def context(self, ship: Ship, registered: Mapping[str, Any], loop: Loop | None,
                      step: Step | None = None) -> StepContext:
        """The context steps are expanded and evaluated against (system, agent, names);
        with ``step``, fresh enough for it (live market prices before a trade)."""
        ...

    def expand(self, step: Step, ctx: StepContext) -> list[Command]:
        """The commands for a leaf ``step``; raises the language's step error."""
        ...

    def length(self, step: Step, ctx: StepContext) -> int | None:
        """How many iterations a ``repeat: {times}`` runs (None for until/forever)."""
        ...

    def stops(self, step: Step, ctx: StepContext) -> list[str]:
        """A ``tour``'s stops, in visiting order."""
        ...

    def holds(self, expression: str, ctx: StepContext) -> bool:
        """The truth of a bare expression (a ``when``, a loop's or a step's ``until``)."""
        ...


class CargoRoom(Protocol):
    """Room in other ships' holds reserved by this container, shared by every process on
    the state store (``runner.state.reservations``)."""

    def reserve(self, target: str, units: int) -> int:
        """Reserve ``units`` of ``target``'s hold (replacing this container's reservation
        there); the units other live holders reserved on it."""
        ...

    def release(self) -> None:
        """Drop every reservation of this container."""
        ...

    def incoming(self, target: str) -> int:
        """Units other containers' live reservations hold in ``target``'s hold: loads on
        their way to it (a reservation is released only after its transfers took effect)."""
        ...


class Journal(Protocol):
    """The container's durable progress (fenced by its lease)."""

    def record_intent(self, step_path: str, command_index: int, command: dict[str, Any],
                      before: dict[str, Any]) -> None:
        """Record a state-changing command about to be sent."""
        ...

    def checkpoint(self, step_path: str, command_index: int, state: dict[str, Any],
                   log: str) -> None:
        """Commit progress after a command, with its log line, in one transaction."""
        ...

    def confirm_lease(self) -> None:
        """Raise ``LeaseLost`` unless the container provably still holds its lease (checked
        right before a state-changing request goes on the wire)."""
        ...

    def last_checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint of this container, if any."""
        ...

    def pending_intent(self) -> Intent | None:
        """An intent with no checkpoint after it, if any."""
        ...

    def log(self, message: str, level: str = "info") -> None:
        """Write a log line."""
        ...

    def set_parked(self, parked: bool, reason: str | None = None) -> None:
        """Show the container as PARKED (waiting for credits) or RUNNING again."""
        ...

    def set_progress(self, step_path: str, iterations: int) -> None:
        """Record the current step and iteration count (for ``status``)."""
        ...

    def stop_requested(self) -> bool:
        """True when someone asked this container to stop at its next safe point."""
        ...
