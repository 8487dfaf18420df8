"""The foreground display of ``st-run run``: a rich live table on a terminal, plain lines otherwise.

On a TTY each container gets a row (name, ship, status, step, transit bar with ETA) and its
last log lines under it. When stdout is not a terminal (CI, pipes, tests) every log line is
printed once as ``HH:MM:SSZ name: message``, which keeps output greppable.
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


def _transit_cell(view: ContainerView) -> Any:
    if view.transit is None:
        return Text("")
    fraction, left = view.transit.progress()
    bar = ProgressBar(total=1.0, completed=fraction, width=20)
    label = literal(f" {view.transit.destination} ETA {left:4.0f}s")
    grid = Table.grid()
    grid.add_row(bar, label)
    return grid


_STATUS_STYLE = {"RUNNING": "green", "COMPLETED": "bold green", "FAILED": "bold red",
                 "BACKOFF": "yellow", "PARKED": "magenta", "STOPPED": "dim"}


def render(views: Iterable[ContainerView]) -> Group:
    """The renderable for the current state of every container: a line each, then its logs."""
    parts: list[Any] = []
    for view in views:
        status = literal(view.status, style=_STATUS_STYLE.get(view.status, ""))
        if view.status == "BACKOFF" and view.next_retry is not None:
            status.append(f" retry {view.next_retry:%H:%M:%SZ}")
        step = view.step_text + (f" (iteration {view.iterations})" if view.iterations else "")
        head = Table.grid(padding=(0, 2))
        # Names, steps and log lines are user and server text: literal, never markup.
        head.add_row(literal(view.name, style="bold"), literal(view.ship), status,
                     literal(step), _transit_cell(view))
        parts.append(head)
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
        """Log listener: prints plain lines when not on a terminal."""
        if not self.interactive:
            print(plain_line(view, line), flush=True)

    def say(self, message: str) -> None:
        """A message from the runner itself (not a container)."""
        if self._live is not None:
            print_literal(self._live.console, message)
        else:
            print(message, flush=True)

    async def __aenter__(self) -> LiveView:
        if self.interactive:
            self._live = Live(render(self.views.values()), console=self.console,
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
            self._live.update(render(self.views.values()))
            self._live.stop()
            self._live = None

    async def _refresh(self) -> None:
        while True:
            assert self._live is not None
            self._live.update(render(self.views.values()))
            await asyncio.sleep(REFRESH_S)
