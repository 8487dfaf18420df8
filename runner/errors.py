"""The base of every error st-run reports to a user.

An ``StRunError`` carries a message a user can act on and the process exit code. The CLI
prints it as one line; a traceback reaching a user is a bug.
"""

from __future__ import annotations


class StRunError(Exception):
    """st-run failed in a way the user can act on."""

    exit_code: int = 1

    def __init__(self, message: str | None = None, *, exit_code: int | None = None) -> None:
        super().__init__(message or (self.__doc__ or "error").strip())
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        """The one-line message shown to the user."""
        return str(self.args[0])


class InvalidInput(StRunError):
    """The input (a playbook, an argument, a file) is invalid."""

    exit_code = 2
