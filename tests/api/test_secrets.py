"""A Token never shows its value."""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass

import pytest

from runner.api.secrets import Token, redact

SECRET = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.secret-part"


@dataclass(frozen=True)
class Holder:
    token: Token


def test_repr_str_format_and_containers_hide_the_value() -> None:
    token = Token(SECRET)
    shown = [repr(token), str(token), f"{token}", f"{token!r}", repr([token]),
             repr(Holder(token)), "%s" % (token,)]  # noqa: UP031
    assert all(SECRET not in text and "secret" not in text for text in shown)
    assert token.reveal() == SECRET and token.bearer() == f"Bearer {SECRET}"


def test_logging_a_token_does_not_leak(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("token=%s holder=%r", Token(SECRET), Holder(Token(SECRET)))
    assert SECRET not in caplog.text


def test_exceptions_carrying_a_token_do_not_leak() -> None:
    exc = ValueError(Token(SECRET))
    assert SECRET not in str(exc) and SECRET not in repr(exc)


def test_token_refuses_pickling_and_empty_values() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Token(SECRET))
    with pytest.raises(ValueError):
        Token("  ")


def test_equality_by_value_and_redact() -> None:
    assert Token(SECRET) == Token(SECRET + "\n") and Token(SECRET) != Token("other-token-xx")
    assert redact(f"url?token={SECRET}", Token(SECRET), None) == "url?token=***"
    assert SECRET not in Token(SECRET).fingerprint()
