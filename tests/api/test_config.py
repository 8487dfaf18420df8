"""The user config file: named agents, mode 0600, token resolution."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from runner.api.secrets import Token
from runner.config import (
    AgentEntry,
    ConfigFileError,
    UserConfig,
    config_path,
    load_agents,
    load_config,
    permissions_problem,
    resolve_api_url,
    resolve_token,
    save_config,
    to_toml,
)
from runner.errors import InvalidInput

TRICKY = 'tok"en\\with}stuff'  # a tab inside would be refused: no header carries it


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("ST_RUN_CONFIG", raising=False)
    monkeypatch.delenv("SPACETRADERS_TOKEN", raising=False)
    monkeypatch.delenv("ST_RUN_API_URL", raising=False)
    return tmp_path


def test_round_trip_with_mode_0600(home: Path) -> None:
    config = UserConfig().with_agent("main", AgentEntry("A1", Token(TRICKY), "COSMIC",
                                                        "http://x/v2"), make_default=True)
    config = config.with_agent("alt agent", AgentEntry("A2", Token("t2"), "VOID"),
                               make_default=False)
    path = save_config(config)
    assert path == home / "st-run" / "config.toml" == config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_config()
    assert again.default_agent == "main"
    assert again.agent() is not None and again.agent().token.reveal() == TRICKY  # type: ignore[union-attr]
    assert again.agent("alt agent") == AgentEntry("A2", Token("t2"), "VOID")
    assert permissions_problem() is None


def test_repr_of_config_hides_tokens(home: Path) -> None:
    config = UserConfig().with_agent("m", AgentEntry("A", Token("sekrit-value")),
                                     make_default=True)
    assert "sekrit" not in repr(config)
    assert "sekrit-value" in to_toml(config)  # only the file holds it


def test_missing_file_is_empty_and_unknown_agent_is_an_error(home: Path) -> None:
    config = load_config()
    assert config.agent() is None
    with pytest.raises(InvalidInput, match="no agent named 'x'"):
        config.agent("x")


@pytest.mark.parametrize(("text", "message"), [
    ("default_agent = [", "not valid TOML"),
    ("[agents.a]\nsymbol = 'A'\n", "needs a 'token'"),
    ("default_agent = 'b'\n[agents.a]\ntoken = 't'\n", "default_agent 'b'"),
])
def test_bad_files_give_one_line_errors(home: Path, text: str, message: str) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(ConfigFileError, match=message):
        load_config()


def test_open_permissions_are_reported(home: Path) -> None:
    path = save_config(UserConfig())
    path.chmod(0o644)
    problem = permissions_problem()
    assert problem is not None and "chmod 600" in problem


def test_resolution_order(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_config(UserConfig().with_agent("m", AgentEntry("A", Token("saved"), "", "http://s/v2"),
                                        make_default=True))
    assert resolve_token() == Token("saved") and resolve_api_url() == "http://s/v2"
    monkeypatch.setenv("SPACETRADERS_TOKEN", "from-env")
    monkeypatch.setenv("ST_RUN_API_URL", "http://env/v2")
    assert resolve_token() == Token("from-env") and resolve_api_url() == "http://env/v2"
    assert resolve_token("m") == Token("saved")  # a named agent wins over the env


def test_load_agents_puts_the_default_first(home: Path) -> None:
    config = UserConfig().with_agent("a", AgentEntry("A", Token("ta")), make_default=False)
    config = config.with_agent("b", AgentEntry("B", Token("tb")), make_default=True)
    save_config(config)
    assert list(load_agents()) == ["b", "a"] and load_agents()["a"] == Token("ta")
