"""A Token never shows its value."""

from __future__ import annotations

import io
import logging
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from runner.api.secrets import BadToken, Token, redact
from runner.config import TOKEN_ENV, load_config, resolve_token
from runner.domain.status import ContainerStatus
from runner.secrets import RedactingStream, install_log_filter
from runner.state.store import Store

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


# ---- validation at load, and the one redaction filter on every sink -------------------------

CANARY = "eyJhbGciOiJIUzI1NiJ9.eyJjYW5hcnkiOiJ1bml0In0.c2lnbmF0dXJlLXVuaXQtY2FuYXJ5"


@pytest.mark.parametrize("inside", ["\r\n", "\n", "\r", " ", "\t", "\x00", "é"])
def test_a_token_with_a_break_or_control_character_inside_is_a_clear_error(inside: str
                                                                           ) -> None:
    half = len(CANARY) // 2
    with pytest.raises(BadToken) as refused:
        Token(f"  {CANARY[:half]}{inside}{CANARY[half:]}\n")
    assert refused.value.exit_code == 2 and isinstance(refused.value, ValueError)
    assert CANARY[:half] not in refused.value.message
    assert CANARY[half:] not in refused.value.message
    assert Token(f"\r\n {CANARY}\r\n").reveal() == CANARY  # surrounding white space is fine


def test_the_environment_token_is_validated_naming_its_source(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, f"{CANARY[:20]}\r\n{CANARY[20:]}")
    with pytest.raises(BadToken) as refused:
        resolve_token()
    assert refused.value.message.startswith("$SPACETRADERS_TOKEN: ")
    assert "line break" in refused.value.message and CANARY[:20] not in refused.value.message


def test_a_saved_token_with_a_line_break_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[agents.main]\nsymbol = "A"\ntoken = "{CANARY[:20]}\\n{CANARY[20:]}"\n')
    with pytest.raises(BadToken) as refused:
        load_config(path)
    assert str(path) in refused.value.message and "'main'" in refused.value.message
    assert CANARY[20:] not in refused.value.message


def test_console_streams_redact_every_known_token() -> None:
    Token(CANARY)
    text, raw = io.StringIO(), io.BytesIO()
    text.buffer = raw  # type: ignore[attr-defined]
    stream = RedactingStream(text)
    stream.write(f"server said: Bearer {CANARY}\n")
    assert stream.buffer is not None
    stream.buffer.write(f"bytes {CANARY}".encode())
    assert CANARY not in text.getvalue() and "Bearer ***" in text.getvalue()
    assert raw.getvalue() == b"bytes ***"


def test_log_records_are_redacted_whatever_the_handler(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    Token(CANARY)
    install_log_filter()
    with caplog.at_level(logging.INFO):
        logging.getLogger("runner.api").info("answer %s", {"message": f"Bearer {CANARY}"})
        try:
            raise RuntimeError(f"header was {CANARY}")
        except RuntimeError:
            logging.getLogger("runner").exception("failed")
    assert CANARY not in caplog.text and "Bearer ***" in caplog.text
    assert "header was ***" in caplog.text


def test_the_database_never_stores_a_known_token(tmp_path: Path) -> None:
    Token(CANARY)
    path = tmp_path / "state.db"
    with Store.open(str(path)) as store:
        record = store.upsert_container("c", "pb.yaml", "h", "SHIP-1", "AGENT")
        lease = store.claim(record.id, "runner", ttl_s=30)
        assert lease is not None
        store.log(record.id, "ERROR", f"4104 Invalid Authorization header: Bearer {CANARY}")
        store.set_status(lease, ContainerStatus.FAILED, error=f"refused: {CANARY}")
        store.checkpoint(lease, "steps[0]", 0, {"echo": CANARY}, f"log {CANARY}")
        assert CANARY not in store.logs()[0].message
        assert store.require_container(record.id).last_error == "refused: ***"
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert CANARY.encode() not in data and b"Bearer ***" in data


def test_debug_traceback_is_redacted(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """ST_RUN_DEBUG=1 prints the traceback of an unexpected error, with no token in it."""
    import click

    from runner.cli import main as main_module

    @click.command()
    def boom() -> None:
        raise RuntimeError(f"the server quoted Bearer {CANARY}")

    monkeypatch.setitem(main_module.COMMANDS, "boom", "tests.api.test_secrets:_boom")
    monkeypatch.setattr(sys.modules[__name__], "_boom", boom, raising=False)
    monkeypatch.setenv("ST_RUN_DEBUG", "1")
    monkeypatch.setenv(TOKEN_ENV, CANARY)
    with pytest.raises(SystemExit) as exited:
        main_module.main(["boom"])
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert "Traceback" in err and "RuntimeError: the server quoted Bearer ***" in err
    assert CANARY not in err
