"""The interpreter alone, over a recording world (a fake is fine inside a unit test): what it
owns is the control flow, so these tests pin it without any game."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from runner.domain.cursor import Cursor
from runner.domain.loop import LoopState
from runner.domain.plan import Step
from runner.playbook.interpreter import (
    Interpreter,
    Progress,
    ResumePoint,
    StepFailed,
    run_without_waiting,
)


class Recording:
    """Runs leaves by appending what they saw; ``truth`` answers expressions."""

    def __init__(self, truth: dict[str, bool] | None = None, fail: Sequence[str] = (),
                 cap: int | None = None, carry: bool = False) -> None:
        self.truth = truth or {}
        self.fail = set(fail)
        self.cap, self.carry = cap, carry
        self.seen: list[str] = []
        self.lines: list[str] = []
        self.slept: list[float] = []

    async def holds(self, keyword: str, expression: str, step: Step, loop: LoopState | None,
                    progress: Progress) -> bool:
        return self.truth.get(expression, False)

    async def length(self, step: Step, loop: LoopState | None, progress: Progress
                     ) -> int | None:
        times = step.args.get("times")
        return None if times is None else int(times)

    async def stops(self, step: Step, loop: LoopState | None, progress: Progress
                    ) -> list[Any]:
        return list(step.args["visit"])

    async def leaf(self, step: Step, path: Cursor, loop: LoopState | None,
                   progress: Progress, resume: ResumePoint | None) -> Any:
        frames = []
        while loop is not None:
            frames.append(f"{loop.index}/{loop.length}")
            loop = loop.parent
        self.seen.append(f"{step.title}@{','.join(frames) or '-'}")
        if step.title in self.fail:
            raise StepFailed(f"{step.title} broke")
        return {"did": step.title}

    async def sleep(self, game_seconds: float) -> None:
        self.slept.append(game_seconds)

    def deadline(self, game_seconds: float | None) -> Any:
        return _none()

    def iteration_cap(self, step: Step, length: int | None) -> int | None:
        return self.cap

    def entered(self, step: Step, path: Cursor) -> None: ...
    def skipped(self, step: Step, reason: str) -> None: self.lines.append(reason)
    def left(self, step: Step) -> None: ...
    def said(self, line: str) -> None: self.lines.append(line)
    def carry_on(self, step: Step, error: StepFailed) -> bool: return self.carry
    def loop_started(self, step: Step, length: int | None, stops: Sequence[Any] | None
                     ) -> None: ...

    async def iteration_ended(self, step: Step, path: Cursor, index: int,
                              bounded: bool) -> None: ...

    def loop_ended(self, step: Step, iterations: int, length: int | None) -> None: ...


@contextlib.asynccontextmanager
async def _none() -> AsyncIterator[None]:
    yield


def leaf(name: str, path: tuple[int, ...] = (0,), **keywords: Any) -> Step:
    return Step(path, "log", {"message": name}, name=name, **keywords)


def repeat(times: int, *children: Step, path: tuple[int, ...] = (0,)) -> Step:
    return Step(path, "repeat", {"times": times}, children=children)


def run(steps: Sequence[Step], world: Recording) -> Interpreter:
    interpreter = Interpreter(steps, world)
    run_without_waiting(interpreter)
    return interpreter


def test_each_loop_level_has_its_frame_and_the_outer_one_is_back_after() -> None:
    world = Recording()
    run([repeat(2, repeat(2, leaf("in", (0, 0)), path=(0, 0)), leaf("out", (0, 1)))], world)
    assert world.seen == ["in@1/2,1/2", "in@2/2,1/2", "out@1/2", "in@1/2,2/2", "in@2/2,2/2",
                          "out@2/2"]


def test_until_still_false_is_a_failure_retried_then_raised() -> None:
    world = Recording()
    with pytest.raises(StepFailed, match="still false"):
        run([leaf("x", retries=2, delay=3.0, until="done")], world)
    assert world.seen == ["x@-"] * 3 and world.slept == [3.0, 3.0]


def test_ignore_errors_covers_a_failure_and_the_next_step_runs() -> None:
    world = Recording(fail=["x"])
    run([leaf("x", ignore_errors=True), leaf("y", (1,))], world)
    assert world.seen == ["x@-", "y@-"] and "failed, ignored: x broke" in world.lines[-1]


def test_a_world_may_carry_on_after_a_failure_to_report_every_problem() -> None:
    world = Recording(fail=["x"], carry=True)
    run([leaf("x"), leaf("y", (1,))], world)
    assert world.seen == ["x@-", "y@-"]


def test_register_keeps_the_result_and_when_false_skips() -> None:
    world = Recording(truth={"go": False})
    interpreter = run([leaf("x", register="r"), leaf("y", (1,), when="go")], world)
    assert interpreter.progress.registered == {"r": {"did": "x"}}
    assert world.seen == ["x@-"] and world.lines == ["skipped: go is false"]


def test_a_world_caps_iterations_and_a_tour_visits_its_stops_in_order() -> None:
    world = Recording(cap=1)
    run([Step((0,), "repeat", {"forever": True}, children=(leaf("f", (0, 0)),))], world)
    assert world.seen == ["f@1/None"]
    world = Recording()
    tour = Step((0,), "tour", {"visit": ["A", "B"]}, name="t", children=(leaf("c", (0, 0)),))
    run([tour], world)
    assert world.seen == ["t: fly@1/2", "c@1/2", "t: fly@2/2", "c@2/2"]


def test_a_resume_continues_inside_the_loop_iteration_it_stopped_in() -> None:
    world = Recording()
    steps = [leaf("a"), repeat(3, leaf("b", (1, 0)), leaf("c", (1, 1)), path=(1,))]
    interpreter = Interpreter(steps, world)
    point = ResumePoint((1, 1, 1), 0, Progress(iterations=0))
    coroutine = interpreter.run(point)
    with contextlib.suppress(StopIteration):
        coroutine.send(None)
    assert world.seen == ["c@2/3", "b@3/3", "c@3/3"]
