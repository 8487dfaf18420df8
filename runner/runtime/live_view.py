"""The foreground display of ``st-run run``: a rich live table on a terminal, plain lines otherwise.

On a TTY each container gets a row (name, ship, status, step, a countdown bar for its flight
or wait, the whole playbook's ETA) and its last log lines under it; on a console narrower
than 80 columns, two short lines instead. When stdout is not a terminal (CI, pipes, tests)
every log line is printed once as ``HH:MM:SSZ name: message``, which keeps output greppable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from runner.runtime.view import ContainerView
from runner.terminal import literal, print_literal

REFRESH_S = 0.25


def plain_line(view: ContainerView, line: str) -> str:
    """One log line as printed when stdout is not a terminal."""
    stamp = datetime.now(UTC).strftime("%H:%M:%SZ")
    return f"{stamp} {view.name}: {line}"


#: Below this console width each container takes two lines (name, status, step; then its
#: bar and ETA) instead of one wide row.
COMPACT_BELOW = 80
BAR_WIDTH = 20


def duration_text(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for a narrow header."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _timer_cell(view: ContainerView, width: int = BAR_WIDTH) -> Any:
    """A bar counting down the current flight (to its destination) or wait (cooldown,
    ``wait``, retry delay); empty when the ship is neither flying nor waiting."""
    if view.transit is not None:
        (fraction, left), what = view.transit.progress(), f"→ {view.transit.destination}"
    elif view.countdown is not None:
        (fraction, left), what = view.countdown.progress(), view.countdown.label
    else:
        return Text("")
    grid = Table.grid()
    grid.add_row(ProgressBar(total=1.0, completed=fraction, width=width),
                 literal(f" {what} {duration_text(left)}"))
    return grid


def _eta_text(view: ContainerView) -> str:
    """``ETA 5m19s`` for the whole playbook (``+ loops`` when loops without an end follow)."""
    eta = view.eta_s()
    if eta is None or view.status in ("COMPLETED", "FAILED", "STOPPED"):
        return ""
    loops = " + loops" if view.planned is not None and view.planned.unbounded else ""
    return f"ETA {duration_text(eta)}{loops}"


_STATUS_STYLE = {"RUNNING": "green", "COMPLETED": "bold green", "FAILED": "bold red",
                 "BACKOFF": "yellow", "PARKED": "magenta", "STOPPED": "dim"}


def _status(view: ContainerView) -> Text:
    status = literal(view.status, style=_STATUS_STYLE.get(view.status, ""))
    if view.status == "BACKOFF" and view.next_retry is not None:
        status.append(f" retry {view.next_retry:%H:%M:%SZ}")
    return status


def render(views: Iterable[ContainerView], width: int = 120) -> Group:
    """The renderable for every container: a line each (two below ``COMPACT_BELOW``
    columns), then its last log lines."""
    parts: list[Any] = []
    for view in views:
        step = view.step_text + (f" (iteration {view.iterations})" if view.iterations else "")
        # Names, steps and log lines are user and server text: literal, never markup.
        if width < COMPACT_BELOW:
            parts.append(Text.assemble(literal(view.name, style="bold"), " ", _status(view),
                                       " ", literal(step), no_wrap=True, overflow="ellipsis"))
            under = Table.grid(padding=(0, 1))
            under.add_row(Text("  "), _timer_cell(view, width=10), literal(_eta_text(view)))
            parts.append(under)
        else:
            row = Table.grid(padding=(0, 2))
            row.add_row(literal(view.name, style="bold"), literal(view.ship), _status(view),
                        literal(step), _timer_cell(view), literal(_eta_text(view)))
            parts.append(row)
        parts.extend(Text("    " + line, style="dim", overflow="ellipsis", no_wrap=True)
                     for line in view.logs)
    return Group(*parts)


class LiveView:
    """Shows containers while they run; use as an async context manager."""

    def __init__(self, views: dict[str, ContainerView], console: Console | None = None) -> None:
        self.views = views
        self.console = console or Console()
        self.interactive = self.console.is_terminal
        self._live: Live | None = None
        self._task: asyncio.Task[None] | None = None

    def on_log(self, view: ContainerView, line: str) -> None:
        """Log listener: every line is printed, above the live panel on a terminal, so the
        run's whole transcript stays in the scrollback when the panel closes."""
        if self._live is not None:
            print_literal(self._live.console, plain_line(view, line))
        elif not self.interactive:
            print(plain_line(view, line), flush=True)

    def say(self, message: str) -> None:
        """A message from the runner itself (not a container)."""
        if self._live is not None:
            print_literal(self._live.console, message)
        else:
            print(message, flush=True)

    async def __aenter__(self) -> LiveView:
        if self.interactive:
            self._live = Live(self._render(), console=self.console,
                              refresh_per_second=4, transient=False)
            self._live.start()
            self._task = asyncio.create_task(self._refresh())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._live is not None:
            self._live.update(self._render())
            self._live.stop()
            self._live = None

    async def _refresh(self) -> None:
        while True:
            assert self._live is not None
            self._live.update(self._render())
            await asyncio.sleep(REFRESH_S)

    def _render(self) -> Group:
        return render(self.views.values(), self.console.width)
