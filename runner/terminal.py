"""Text from playbooks, users and the server on a Rich console: shown as written, never
parsed as markup.

Rich reads ``[bold]`` in a plain ``str`` as markup, so a playbook named ``evil[/bold]`` or a
server message with brackets would be restyled or raise ``MarkupError``. Every piece of such
text goes through :func:`literal` (a ``Text`` is never parsed) or :func:`print_literal`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
