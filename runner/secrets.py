"""The agent token as a value that never shows itself, and the one filter every sink uses.

A ``Token`` wraps the bearer string. Its ``repr`` and ``str`` are redacted, so a token
that lands in a log line, an exception message or a dataclass repr reads ``Token(***)``.
The only way to the raw value is ``reveal()``, called in exactly one place: the
``Authorization`` header.

A token can still reach text another way: a server error that quotes the header, an
exception of a library that prints what it was given. So every token made in this process
is *known* (``remember``), and ``redact_known`` replaces any known token by ``***``. That
one filter sits on every sink: the console streams and log records (``install``), the
database's statement parameters (``runner.state.engine``) and the ``ST_RUN_DEBUG``
traceback (``runner.cli.main``).

A token is validated when it is made: surrounding white space is stripped; a line break
or another character an HTTP header cannot carry inside it is a ``BadToken`` whose message
never shows the token.
"""

from __future__ import annotations

import hashlib
import io
import logging
import sys
import threading
from typing import IO, Any, Final

from runner.errors import InvalidInput

_REDACTED: Final = "***"
_MIN_SECRET = 8  # shorter pieces would redact ordinary words; no real token is that short

_known: set[str] = set()
_known_lock = threading.Lock()


class BadToken(InvalidInput, ValueError):
    """A token that cannot be sent: empty, or a line break or control character inside."""


def check_token(value: str) -> str:
    """``value`` stripped; raises ``BadToken`` (naming the flaw, never the token)."""
    value = value.strip()
    if not value:
        raise BadToken("the token is empty")
    if "\r" in value or "\n" in value:
        raise BadToken("the token has a line break (CR or LF) inside; put it on one line")
    for position, char in enumerate(value, start=1):
        if not 33 <= ord(char) < 127:
            raise BadToken(f"the token has a space, control or non-ASCII character at "
                           f"position {position}; an HTTP header cannot carry it")
    return value


def remember(value: str) -> None:
    """Make ``value`` (and each of its lines, for a token pasted with a line break) known,
    so every sink redacts it, even when it turns out not to be a valid token."""
    pieces = {value.strip(), *(line.strip() for line in value.splitlines())}
    with _known_lock:
        _known.update(p for p in pieces if len(p) >= _MIN_SECRET)


def known_secrets() -> tuple[str, ...]:
    """The known secrets, longest first (a token that contains another goes first)."""
    with _known_lock:
        return tuple(sorted(_known, key=len, reverse=True))


def redact_known(text: str) -> str:
    """``text`` with every known token replaced by ``***``."""
    for secret in known_secrets():
        if secret in text:
            text = text.replace(secret, _REDACTED)
    return text


def redact_known_bytes(data: bytes) -> bytes:
    """Like ``redact_known`` for bytes (UTF-8)."""
    for secret in known_secrets():
        raw = secret.encode()
        if raw in data:
            data = data.replace(raw, _REDACTED.encode())
    return data


class Token:
    """A secret bearer token (agent or account). Compares by value; prints as ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        remember(value)  # before the check: even a refused value is never printed
        self._value = check_token(value)

    def reveal(self) -> str:
        """The raw token, for the Authorization header and the config file only."""
        return self._value

    def bearer(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self._value}"

    def digest(self) -> str:
        """SHA-256 of the token, hex: lets the store remember a token (e.g. as dead after a
        server reset) without ever writing it down."""
        return hashlib.sha256(self._value.encode()).hexdigest()

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


# ---- the console and log-record sinks ------------------------------------------------------


class _RedactingBinary:
    """A binary stream whose writes are redacted (``sys.stdout.buffer``)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def write(self, data: bytes) -> int:
        self._raw.write(redact_known_bytes(bytes(data)))
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class RedactingStream(io.TextIOBase):
    """A text stream that redacts every known token before it reaches the one it wraps.

    Everything else (``isatty``, ``fileno``, ``encoding``, ...) is the wrapped stream's, so
    click and rich treat it as the terminal it is; its ``buffer`` redacts too.
    """

    def __init__(self, wrapped: IO[str]) -> None:
        super().__init__()
        self.wrapped = wrapped

    def write(self, text: str) -> int:
        self.wrapped.write(redact_known(text))
        return len(text)

    def flush(self) -> None:
        self.wrapped.flush()

    def isatty(self) -> bool:
        return self.wrapped.isatty()

    def fileno(self) -> int:
        return self.wrapped.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.wrapped, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.wrapped, "errors", None)

    @property
    def buffer(self) -> _RedactingBinary | None:
        raw = getattr(self.wrapped, "buffer", None)
        return None if raw is None else _RedactingBinary(raw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


_base_factory = logging.getLogRecordFactory()


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    if not known_secrets():
        return record
    message = record.getMessage()
    clean = redact_known(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[1] is not None:
        # formatted now, redacted, and cached where every formatter looks first
        record.exc_text = redact_known(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    return record


def install() -> None:
    """Put the filter on this process's console streams and on every log record.

    Idempotent. Tokens made later are redacted too (the filter reads the known set at
    each write).
    """
    install_streams()
    install_log_filter()


def install_streams() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` in ``RedactingStream`` (once)."""
    if sys.stdout is not None and not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)


def install_log_filter() -> None:
    """Redact every log record as it is made, whatever handler then writes it (once)."""
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)
