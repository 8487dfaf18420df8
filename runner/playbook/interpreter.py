"""The one interpreter of the step tree: ``plan`` and ``run`` are the same walk over two worlds.

The interpreter owns the language's control flow and nothing else: the order of steps,
``when``, ``repeat`` (``times`` / ``until`` / ``forever``), ``tour``, and a leaf's keywords
(``retries``, ``delay``, ``until``, ``timeout``, ``ignore_errors``, ``register``), the loop
frames (``loop``, ``loop.parent``) and where a resumed run continues. What a step *does* is
the world's: :class:`World` has two implementations,

- the predicted world (``runner.playbook.compiler``): pure, advances a predicted ship and
  builds the plan; it never waits and never sends;
- the real world (``runner.runtime.executor``): the game through the client, with
  preconditions, intents, checkpoints and waits.

Neither world reimplements a keyword. A world answers the questions only it can answer
(is this expression true *here*, which stops does this tour visit *from here*) and may cap
how many iterations of a loop it walks (a plan shows one iteration of an endless loop and
extrapolates long counted ones). Failures are :class:`StepFailed`; a world decides nothing
about retrying them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from runner.domain.cursor import Cursor, encode
from runner.domain.loop import LoopState, enter_loop
from runner.domain.plan import Step
from runner.errors import StRunError


class StepFailed(StRunError):
    """A step ended with an error; the message holds the server's code and text verbatim."""


@dataclass(frozen=True)
class TourFlight(Step):
    """A tour's flight to its current stop: the tour step expanded as a leaf."""

    @classmethod
    def of(cls, tour: Step) -> TourFlight:
        values = {f.name: getattr(tour, f.name) for f in fields(Step)}
        values.update(children=(), when=None, register=None, name=f"{tour.title}: fly")
        return cls(**values)


@dataclass
class Progress:
    """The interpreter's state that a checkpoint keeps: the current leaf's commands (the
    real world's), registered results, top-level iterations, each tour's stops, and the
    deadline (server clock, ISO) of each ``wait`` under way, so a resumed wait waits only
    what is left."""

    commands: list[dict[str, Any]] = field(default_factory=list)
    registered: dict[str, Any] = field(default_factory=dict)
    iterations: int = 0
    stops: dict[str, list[Any]] = field(default_factory=dict)  # tour cursor -> its stops
    waits: dict[str, str] = field(default_factory=dict)  # "cursor#command" -> deadline
    bought: dict[str, int] = field(default_factory=dict)  # goods bought, not yet unloaded

    def to_state(self) -> dict[str, Any]:
        return {"commands": self.commands, "registered": self.registered,
                "iterations": self.iterations, "stops": self.stops, "waits": self.waits,
                "bought": self.bought}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Progress:
        return cls(list(state.get("commands", [])), dict(state.get("registered", {})),
                   int(state.get("iterations", 0)), dict(state.get("stops", {})),
                   {str(k): str(v) for k, v in dict(state.get("waits", {})).items()},
                   {str(k): int(v) for k, v in dict(state.get("bought", {})).items()})


@dataclass(frozen=True)
class ResumePoint:
    """Where to continue: the cursor of a step and the index of its next command."""

    cursor: Cursor
    next_command: int
    progress: Progress

    def inner(self) -> ResumePoint:
        """The resume point one level down (an empty cursor: this leaf itself)."""
        return ResumePoint(self.cursor[1:], self.next_command, self.progress)


class World(Protocol):
    """What the interpreter needs of the world a playbook runs in."""

    async def holds(self, keyword: str, expression: str, step: Step, loop: LoopState | None,
                    progress: Progress) -> bool:
        """The truth of ``expression`` here; ``keyword`` says whose it is: ``when``,
        ``until`` (a step's, after an attempt) or ``repeat.until`` (before an iteration)."""
        ...

    async def length(self, step: Step, loop: LoopState | None,
                     progress: Progress) -> int | None:
        """The iteration count of a ``repeat: {times}`` (None for until/forever)."""
        ...

    async def stops(self, step: Step, loop: LoopState | None, progress: Progress
                    ) -> list[Any]:
        """A ``tour``'s stops in visiting order, from the ship's position now."""
        ...

    async def leaf(self, step: Step, path: Cursor, loop: LoopState | None,
                   progress: Progress, resume: ResumePoint | None) -> Any:
        """Carry out one leaf (expand it here, then its commands); its result, for
        ``register`` (None: nothing to register). Raises :class:`StepFailed`."""
        ...

    async def sleep(self, game_seconds: float) -> None:
        """Let ``game_seconds`` of game time pass (a retry's ``delay``)."""
        ...

    def deadline(self, game_seconds: float | None) -> Any:
        """An async context manager that raises ``TimeoutError`` after ``game_seconds``
        (None: no bound)."""
        ...

    def iteration_cap(self, step: Step, length: int | None) -> int | None:
        """How many iterations of this loop the world walks (None: all of them)."""
        ...

    def entered(self, step: Step, path: Cursor) -> None:
        """A step is about to run (its ``when`` not yet evaluated)."""
        ...

    def skipped(self, step: Step, reason: str) -> None:
        """A step did not run: its ``when`` was false, or its loop ran zero times."""
        ...

    def said(self, line: str) -> None:
        """A line for the container's log (retries, ignored failures)."""
        ...

    def carry_on(self, step: Step, error: StepFailed) -> bool:
        """A step failed for good (no retry left, no ``ignore_errors``): True to note it and
        go on with the next step (a plan reports every problem), False to end the run."""
        ...

    def loop_started(self, step: Step, length: int | None, stops: Sequence[Any] | None
                     ) -> None:
        """A loop begins (its length, or its ordered tour stops)."""
        ...

    async def iteration_ended(self, step: Step, path: Cursor, index: int,
                              bounded: bool) -> None:
        """Iteration ``index`` (1-based) of a loop ended; ``bounded`` is False for loops
        without an end (the real world slows an idle one down there)."""
        ...

    def loop_ended(self, step: Step, iterations: int, length: int | None) -> None:
        """A loop ended after walking ``iterations`` (of ``length`` when known)."""
        ...

    def left(self, step: Step) -> None:
        """A step is done (ran, skipped or failed and ignored)."""
        ...


class Interpreter:
    """Walks one playbook's steps over a :class:`World`; :meth:`run` returns at the end."""

    def __init__(self, steps: Sequence[Step], world: World,
                 progress: Progress | None = None) -> None:
        self.steps = tuple(steps)
        self.world = world
        self.progress = progress or Progress()

    async def run(self, resume: ResumePoint | None = None) -> None:
        """Run to the end from the start, or from ``resume`` (its cursor and command)."""
        if resume is not None:
            self.progress = resume.progress
        await self._sequence(self.steps, (), resume, None)

    # ---- sequences and steps -------------------------------------------------------------

    async def _sequence(self, steps: Sequence[Step], prefix: Cursor,
                        resume: ResumePoint | None, loop: LoopState | None) -> None:
        start = resume.cursor[0] if resume is not None and resume.cursor else 0
        for index in range(start, len(steps)):
            here = resume.inner() if resume is not None and resume.cursor and index == start \
                else None
            await self._step(steps[index], (*prefix, index), here, loop)

    async def _step(self, step: Step, path: Cursor, resume: ResumePoint | None,
                    loop: LoopState | None) -> None:
        """``resume`` is set when the run resumes inside this step (its ``when`` held then,
        and is not asked again)."""
        world = self.world
        world.entered(step, path)
        try:
            if resume is None and step.when is not None and \
                    not await world.holds("when", step.when, step, loop, self.progress):
                world.skipped(step, f"skipped: {step.when} is false")
                return
            if step.action in ("repeat", "tour") and not isinstance(step, TourFlight):
                await self._loop(step, path, resume, loop)
            else:
                await self._leaf(step, path, resume, loop)
        finally:
            world.left(step)

    # ---- loops ---------------------------------------------------------------------------

    async def _loop(self, step: Step, path: Cursor, resume: ResumePoint | None,
                    outer: LoopState | None) -> None:
        """A ``repeat`` or a ``tour``: each iteration has its own frame (parent: ``outer``)."""
        world = self.world
        iteration = resume.cursor[0] if resume is not None and resume.cursor else 0
        inner = resume.inner() if resume is not None and len(resume.cursor) > 1 else None
        stops = await self._tour_stops(step, path, resume is not None, outer) \
            if step.action == "tour" else None
        length = len(stops) if stops is not None else \
            await world.length(step, outer, self.progress)
        world.loop_started(step, length, stops)
        cap = world.iteration_cap(step, length)
        walked = 0
        while cap is None or walked < cap:
            if stops is not None:
                if iteration >= len(stops):
                    self.progress.stops.pop(encode(path), None)
                    break
                frame = enter_loop(outer, iteration + 1, len(stops), stops[iteration])
            else:
                if inner is None and not await self._repeat_continues(step, outer, iteration,
                                                                      length):
                    break
                frame = enter_loop(outer, iteration + 1, length, iteration + 1)
            children = step.children
            if stops is not None:  # fly to the stop first, then run the children there
                children = (TourFlight.of(step), *children)
            await self._sequence(children, (*path, iteration), inner, frame)
            inner = None
            iteration += 1
            walked += 1
            if len(path) == 1:  # iterations of a top-level loop count (``repeat: forever``)
                self.progress.iterations += 1
            await world.iteration_ended(step, path, iteration, length is not None)
        if walked == 0 and stops is None:
            world.skipped(step, f"skipped: {step.args.get('until')} already holds"
                          if "until" in step.args else "skipped: zero iterations")
        world.loop_ended(step, walked, length)

    async def _repeat_continues(self, step: Step, outer: LoopState | None, done: int,
                                length: int | None) -> bool:
        """Before each iteration: ``times`` not yet reached, ``until`` not yet true."""
        if length is not None:
            return done < length
        until = step.args.get("until")
        if until is not None:
            return not await self.world.holds("repeat.until", str(until), step, outer,
                                              self.progress)
        return True  # forever

    async def _tour_stops(self, step: Step, path: Cursor, resumed: bool,
                          outer: LoopState | None) -> list[Any]:
        """A tour's stops: chosen once and kept in the checkpoints, so a resumed tour visits
        the same stops in the same order (re-solving from elsewhere could reorder them)."""
        key = encode(path)
        if resumed and key in self.progress.stops:
            return self.progress.stops[key]
        stops = await self.world.stops(step, outer, self.progress)
        self.progress.stops[key] = stops
        return stops

    # ---- leaves and their keywords -----------------------------------------------------------

    async def _leaf(self, step: Step, path: Cursor, resume: ResumePoint | None,
                    loop: LoopState | None) -> None:
        """A leaf with its keywords: ``timeout`` (game seconds) bounds each attempt; a
        failed attempt, a timeout and an ``until`` still false after the step ran are all
        failures of the attempt: retried ``delay`` apart (game seconds) while ``retries``
        last; then the step fails, or is logged and passed over with ``ignore_errors``."""
        attempts = step.retries + 1
        for attempt in range(attempts):
            try:
                await self._attempt(step, path, resume if attempt == 0 else None, loop)
                return
            except StepFailed as exc:
                if attempt + 1 < attempts:
                    self.world.said(f"step {step.label} {step.title} failed ({exc.message}); "
                                    f"retry {attempt + 1}/{step.retries} in {step.delay:g}s")
                    await self.world.sleep(step.delay)
                    continue
                if step.ignore_errors:
                    self.world.said(f"step {step.label} {step.title} failed, ignored: "
                                    f"{exc.message}")
                    return
                if self.world.carry_on(step, exc):
                    return
                raise

    async def _attempt(self, step: Step, path: Cursor, resume: ResumePoint | None,
                       loop: LoopState | None) -> None:
        world = self.world
        try:
            async with world.deadline(step.timeout):
                result = await world.leaf(step, path, loop, self.progress, resume)
        except TimeoutError:
            raise StepFailed(f"step {step.label} {step.title} timed out after "
                             f"{step.timeout:g}s") from None
        if step.register and result is not None:
            self.progress.registered[step.register] = result
        if step.until and not await world.holds("until", step.until, step, loop,
                                                self.progress):
            raise StepFailed(f"`until: {step.until}` is still false")


def run_without_waiting(interpreter: Interpreter) -> None:
    """Run an interpreter whose world never suspends (the predicted world) synchronously."""
    coroutine = interpreter.run()
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("the predicted world suspended: it must never wait")
