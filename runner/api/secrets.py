"""The agent token as a value that never shows itself.

A ``Token`` wraps the bearer string. Its ``repr`` and ``str`` are redacted, so a token
that lands in a log line, an exception message or a dataclass repr reads ``Token(***)``.
The only way to the raw value is ``reveal()``, called in exactly one place: the
``Authorization`` header.
"""

from __future__ import annotations

from typing import Final

_REDACTED: Final = "***"


class Token:
    """A secret bearer token (agent or account). Compares by value; prints as ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise ValueError("empty token")
        self._value = value

    def reveal(self) -> str:
        """The raw token, for the Authorization header and the config file only."""
        return self._value

    def bearer(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self._value}"

    def fingerprint(self) -> str:
        """A short non-secret tag (last 4 characters) that tells two tokens apart in logs."""
        return f"...{self._value[-4:]}" if len(self._value) > 12 else _REDACTED

    def __repr__(self) -> str:
        return f"Token({_REDACTED})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Token", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        # Refuse pickling: a pickled token would end up in queues, caches or databases.
        raise TypeError("a Token cannot be pickled")


def redact(text: str, *tokens: Token | None) -> str:
    """``text`` with every occurrence of the given tokens' values replaced by ``***``."""
    for token in tokens:
        if token is not None:
            text = text.replace(token.reveal(), _REDACTED)
    return text
