"""The live view's rendering (pure): a line per container, transit bar with ETA, log lines."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from runner.runtime.live_view import plain_line, render
from runner.runtime.view import ContainerView, Transit

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def text_of(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def test_a_container_in_transit_shows_step_bar_and_eta() -> None:
    view = ContainerView("1", "ore-run", ship="ME-1", status="RUNNING", step_index=4,
                         step_total=9, step_label="navigate")
    view.transit = Transit("X1-A-1", "X1-A-2", T0, T0 + timedelta(seconds=100),
                           server_now=T0 + timedelta(seconds=60), speed=10.0, wall_start=0.0)
    view.logs.append("navigate to X1-A-2 (CRUISE)")
    out = text_of(render([view]))
    assert "ore-run" in out and "ME-1" in out and "4/9 navigate" in out
    assert "→ X1-A-2" in out
    assert "navigate to X1-A-2 (CRUISE)" in out


def test_transit_progress_is_extrapolated_on_the_server_clock() -> None:
    transit = Transit("A", "B", T0, T0 + timedelta(seconds=100),
                      server_now=T0 + timedelta(seconds=50), speed=10.0, wall_start=0.0)
    fraction, wall_left = transit.progress(wall_now=2.0)  # 2 wall s = 20 game s later
    assert abs(fraction - 0.7) < 1e-9
    assert abs(wall_left - 3.0) < 1e-9


def test_backoff_shows_the_next_retry_and_plain_lines_name_the_container() -> None:
    view = ContainerView("2", "trade", status="BACKOFF", next_retry=T0)
    assert "retry 00:00:00Z" in text_of(render([view]))
    assert plain_line(view, "hello").endswith("Z trade: hello")


def test_the_transcript_stays_in_the_scrollback_after_the_live_view_closes() -> None:
    """Issue 15: on a terminal, log lines are printed above the live panel, not only in it."""
    import asyncio

    from runner.runtime.live_view import LiveView
    from runner.runtime.view import ContainerView

    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=True, color_system=None)
    view = ContainerView("1", "miner", ship="S-1", step_total=3)
    live = LiveView({"1": view}, console=console)

    async def run() -> None:
        async with live:
            for n in range(30):
                live.on_log(view, f"line {n}")

    asyncio.run(run())
    text = out.getvalue()
    assert all(f"miner: line {n}" in text for n in range(30))
