"""The live view's timers and narrow layout (issue 15): a countdown bar for waits and
cooldowns as well as flights, the whole playbook's ETA from the plan, a header readable at
60 columns, and step labels that do not outlive a loop. Pure rendering, plus the
executor's step events on a fake journal (a unit test: no game is involved)."""

from __future__ import annotations

import io
from typing import Any, cast

from rich.console import Console

from runner.domain.plan import Step
from runner.runtime.executor import Executor
from runner.runtime.live_view import duration_text, render
from runner.runtime.view import ContainerView, Countdown, PlannedTimes


def lines_of(renderable: object, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return cast(io.StringIO, console.file).getvalue().splitlines()


def test_a_wait_gets_a_countdown_bar_with_its_time_left() -> None:
    view = ContainerView("1", "miner", ship="ME-1", status="RUNNING", step_index=2,
                         step_total=5, step_label="extract")
    view.countdown = Countdown("cooldown", total_s=80.0, wall_start=0.0)
    fraction, left = view.countdown.progress(wall_now=20.0)
    assert (fraction, left) == (0.25, 60.0)
    out = "\n".join(lines_of(render([view]), 120))
    assert "cooldown" in out and "━" in out


def test_the_whole_playbook_eta_comes_from_the_plan() -> None:
    view = ContainerView("1", "mine", status="RUNNING", step_index=2, step_total=3,
                         step_label="navigate", speed=10.0, step_started=100.0)
    # steps end 60, 360 and 400 game seconds after the start: from step 2 on, 340 are left
    view.planned = PlannedTimes((60.0, 360.0, 400.0))
    assert view.eta_s(wall_now=100.0) == 34.0
    assert view.eta_s(wall_now=110.0) == 24.0  # 10 wall seconds into the step
    view.countdown = Countdown("wait", total_s=30.0, wall_start=110.0)
    assert view.eta_s(wall_now=110.0) == 30.0  # never less than the current wait has left
    view.countdown = None
    view.planned = PlannedTimes((60.0, 360.0, 400.0), unbounded=True)
    assert "+ loops" in lines_of(render([view]), 120)[0]
    view.status = "COMPLETED"
    assert "ETA" not in lines_of(render([view]), 120)[0]
    assert duration_text(340) == "5m40s" and duration_text(3720) == "1h02m"


def test_the_header_is_readable_at_60_columns() -> None:
    view = ContainerView("1", "a-rather-long-container-name", ship="STRUN-SIM-1",
                         status="RUNNING", step_index=4, step_total=9,
                         step_label="mine until the hold is full", sub_label="extract")
    view.countdown = Countdown("cooldown", total_s=70.0)
    view.logs.append("extract 7 IRON_ORE " + "x" * 80)
    lines = lines_of(render([view], width=60), 60)
    assert all(len(line) <= 60 for line in lines)
    assert lines[0].startswith("a-rather-long-container-name RUNNING 4/9 mine")
    assert "cooldown" in lines[1]  # the bar gets its own line, not a squeezed column
    wide = lines_of(render([view], width=120), 120)
    assert "STRUN-SIM-1" in wide[0] and "cooldown" in wide[0]


class _Journal:
    def set_progress(self, *args: Any) -> None:
        return None


class _Api:
    def speed(self) -> float:
        return 10.0


def test_step_labels_do_not_outlive_a_loop() -> None:
    inner = Step((0, 0), "extract")
    loop = Step((0,), "repeat", name="mine until full", children=(inner,))
    after = Step((1,), "sell")
    view = ContainerView("1", "mine")
    executor = Executor(ship="ME-1", steps=(loop, after), api=cast(Any, _Api()),
                        language=cast(Any, None), journal=cast(Any, _Journal()), view=view)
    executor.entered(loop, (0,))
    executor.entered(inner, (0, 0, 0))
    view.iterations = 7
    assert view.step_text == "1/2 mine until full › extract"
    executor.entered(after, (1,))
    assert view.step_text == "2/2 sell" and view.iterations == 0
