"""Text from playbooks, users and the server on a Rich console: shown as written, never
parsed as markup.

Rich reads ``[bold]`` in a plain ``str`` as markup, so a playbook named ``evil[/bold]`` or a
server message with brackets would be restyled or raise ``MarkupError``. Every piece of such
text goes through :func:`literal` (a ``Text`` is never parsed) or :func:`print_literal`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def literal(text: object, style: str = "") -> Text:
    """``text`` as a Rich renderable that shows exactly these characters."""
    from rich.text import Text

    return Text(str(text), style=style)


def print_literal(console: Console, text: object) -> None:
    """Print ``text`` as written (no markup, no emoji codes, no highlighting)."""
    console.print(literal(text), markup=False, emoji=False, highlight=False)


class _StdoutGuard:
    """``sys.stdout`` that outlives its reader: once the pipe breaks (``st-run ... | head``),
    output is dropped and the program runs on. Everything else is the real stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._broke()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._broke()

    def _broke(self) -> None:
        """Point file descriptor 1 at /dev/null: the stream's buffered bytes, a later flush
        and the interpreter's own flush at exit then go nowhere instead of raising."""
        self.broken = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def survive_broken_stdout() -> None:
    """Make a closed stdout (a reader that went away) stop the printing, not the program.

    Python ignores SIGPIPE, so the write raises ``BrokenPipeError``; left alone, that ended
    a run mid-step with its container still RUNNING in the database.
    """
    if not isinstance(sys.stdout, _StdoutGuard) and sys.stdout is not None:
        sys.stdout = cast(TextIO, _StdoutGuard(sys.stdout))
