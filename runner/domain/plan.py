"""The compiled playbook: a tree of steps, and the plan predicted from it.

``Step`` is what the loader produces and the executor walks at run time: an action name,
its normalised arguments, the common keywords (``when``, ``retries`` ...) and, for ``repeat``
and ``tour``, child steps. ``Plan`` is what ``compile_playbook`` predicts for one ship in one
system: per step the commands it would send, and the flight legs with fuel, time and cost.
Both are pure values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.domain.commands import Command, is_request


def path_label(path: tuple[int, ...]) -> str:
    """The 1-based label users see for a step path: ``(3, 1)`` -> ``"4.2"``."""
    return ".".join(str(i + 1) for i in path)


@dataclass(frozen=True)
class Step:
    """One playbook step with its arguments normalised and its keywords parsed.

    ``args`` holds the action's long form (templates not yet rendered). Durations are
    seconds. ``retries`` 0 means one attempt. ``line``/``col`` (1-based) locate the step
    in the playbook source for error messages.
    """

    path: tuple[int, ...]
    action: str
    args: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None
    when: str | None = None
    retries: int = 0
    delay: float = 5.0
    until: str | None = None
    timeout: float | None = None
    register: str | None = None
    ignore_errors: bool = False
    children: tuple[Step, ...] = ()
    line: int = 0
    col: int = 0

    @property
    def label(self) -> str:
        """The 1-based path label, e.g. ``"4.2"``."""
        return path_label(self.path)

    @property
    def title(self) -> str:
        """The step's name, or its action when unnamed."""
        return self.name or self.action

    def walk(self) -> Iterator[Step]:
        """This step and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Leg:
    """One predicted flight hop, with the refuel bought at its origin before leaving."""

    origin: str
    destination: str
    mode: str
    distance: float
    fuel_used: int
    fuel_left: int
    refuel_units: int  # market units (100 ship fuel each) bought at the origin
    refuel_cost: int  # credits
    duration_s: int
    eta_s: float  # seconds after the plan starts when the ship arrives
    step: str  # label of the step this leg belongs to


@dataclass(frozen=True)
class PlannedStep:
    """A step with the commands predicted for it; ``note`` says what the prediction assumes."""

    step: Step
    commands: tuple[Command, ...] = ()
    children: tuple[PlannedStep, ...] = ()
    iterations: int | None = 1  # None: unbounded (repeat forever / until)
    skipped: bool = False  # ``when`` was false at plan time
    note: str = ""

    def walk(self) -> Iterator[PlannedStep]:
        """This planned step and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Plan:
    """The predicted run of a playbook for one ship: steps, legs and totals.

    Totals count each loop body once per predicted iteration; unbounded loops count once
    and set ``unbounded``.
    """

    playbook: str
    ship: str
    system: str
    steps: tuple[PlannedStep, ...]
    legs: tuple[Leg, ...]
    total_duration_s: float
    fuel_credits: int
    requests: int
    unbounded: bool = False
    warnings: tuple[str, ...] = ()
    trace: tuple[Command, ...] = ()
    step_ends_s: tuple[float, ...] = ()
    """Game seconds after the start when each top-level step ends (the live view's ETA)."""
    """Every predicted command in the order the walk produced it (loops as simulated: all
    iterations of short loops, the first of endless ones); what ``run`` would send."""

    @property
    def total_distance(self) -> float:
        """Distance flown over all legs."""
        return sum(leg.distance for leg in self.legs)

    @property
    def fuel_used(self) -> int:
        """Ship fuel burnt over all legs."""
        return sum(leg.fuel_used for leg in self.legs)

    def commands(self) -> Iterator[Command]:
        """Every predicted command in order (loop bodies once)."""
        for top in self.steps:
            for planned in top.walk():
                yield from planned.commands


def count_requests(commands: tuple[Command, ...]) -> int:
    """API requests needed for ``commands`` (waits and logs are free)."""
    return sum(1 for c in commands if is_request(c))
