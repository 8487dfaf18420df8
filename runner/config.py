"""The user's config file: named agents, their tokens, and which one is the default.

Location: ``$XDG_CONFIG_HOME/st-run/config.toml`` (``~/.config/st-run/config.toml``), or
``$ST_RUN_CONFIG``. The file holds secrets, so it is written with mode 0600 (atomically:
temp file, then rename) and reading it warns when others can read it. Format::

    default_agent = "main"

    [agents.main]
    symbol = "MY_AGENT"
    faction = "COSMIC"
    api_url = "https://api.spacetraders.io/v2"
    token = "eyJ..."

Token resolution for commands: ``$SPACETRADERS_TOKEN``, else the named (or default) agent.
API URL: ``$ST_RUN_API_URL``, else the agent's ``api_url``, else the real server.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runner.api.client import DEFAULT_API_URL
from runner.errors import InvalidInput, StRunError
from runner.secrets import BadToken, Token

TOKEN_ENV = "SPACETRADERS_TOKEN"
ACCOUNT_TOKEN_ENV = "SPACETRADERS_ACCOUNT_TOKEN"
API_URL_ENV = "ST_RUN_API_URL"
CONFIG_ENV = "ST_RUN_CONFIG"
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class ConfigFileError(StRunError):
    """The config file could not be read or written."""


@dataclass(frozen=True)
class AgentEntry:
    """One saved agent. ``token`` is a redacted :class:`Token`."""

    symbol: str
    token: Token
    faction: str = ""
    api_url: str = DEFAULT_API_URL
    account: str = ""
    """Agents with the same account share its rate limit (empty: an account of its own)."""


@dataclass(frozen=True)
class UserConfig:
    """The whole file: agents by name and the default agent's name."""

    agents: Mapping[str, AgentEntry] = field(default_factory=dict)
    default_agent: str | None = None

    def with_agent(self, name: str, entry: AgentEntry, *, make_default: bool) -> UserConfig:
        """A copy with ``entry`` saved under ``name`` (replacing one of that name)."""
        agents = {**self.agents, name: entry}
        default = name if make_default or self.default_agent not in agents \
            else self.default_agent
        return replace(self, agents=agents, default_agent=default)

    def agent(self, name: str | None = None) -> AgentEntry | None:
        """The named agent, or the default one; None when there is none."""
        key = name or self.default_agent
        if key is None:
            return None
        if key not in self.agents:
            if name is not None:
                known = ", ".join(sorted(self.agents)) or "none saved"
                raise InvalidInput(f"no agent named {name!r} in the config file ({known})")
            return None
        return self.agents[key]


def config_path() -> Path:
    """Where the config file lives (it may not exist yet)."""
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "st-run" / "config.toml"


def load_config(path: Path | None = None) -> UserConfig:
    """Read the config file; an absent file is an empty config."""
    path = path or config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return UserConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML: {exc}") from None
    return _from_toml(raw, path)


def _from_toml(raw: dict[str, Any], path: Path) -> UserConfig:
    agents: dict[str, AgentEntry] = {}
    for name, item in (raw.get("agents") or {}).items():
        if not isinstance(item, dict) or not isinstance(item.get("token"), str) \
                or not item["token"].strip():
            raise ConfigFileError(f"{path}: agent {name!r} needs a 'token' string")
        agents[name] = AgentEntry(symbol=str(item.get("symbol", name)),
                                  token=token_from(item["token"], f"{path}: agent {name!r}"),
                                  faction=str(item.get("faction", "")),
                                  api_url=str(item.get("api_url", DEFAULT_API_URL)),
                                  account=str(item.get("account", "")))
    default = raw.get("default_agent")
    if default is not None and default not in agents:
        raise ConfigFileError(f"{path}: default_agent {default!r} is not under [agents]")
    return UserConfig(agents, default if isinstance(default, str) else None)


def save_config(config: UserConfig, path: Path | None = None) -> Path:
    """Write the file atomically with mode 0600; returns its path."""
    path = path or config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(to_toml(config))
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


def to_toml(config: UserConfig) -> str:
    """The config as TOML text (a tiny writer: strings only, which is all it holds)."""
    lines: list[str] = []
    if config.default_agent is not None:
        lines.append(f"default_agent = {_string(config.default_agent)}")
    for name, entry in config.agents.items():
        lines += ["", f"[agents.{_key(name)}]",
                  f"symbol = {_string(entry.symbol)}",
                  f"faction = {_string(entry.faction)}",
                  f"api_url = {_string(entry.api_url)}",
                  f"token = {_string(entry.token.reveal())}"]
        if entry.account:
            lines.append(f"account = {_string(entry.account)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " and c != "\x7f" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def permissions_problem(path: Path | None = None) -> str | None:
    """A message when the file is readable by group or others (it holds tokens)."""
    path = path or config_path()
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); run chmod 600"
    return None


def resolve_token(agent: str | None = None, config: UserConfig | None = None) -> Token | None:
    """``$SPACETRADERS_TOKEN`` (unless an agent is named), else the saved agent's token."""
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env and agent is None:
        return token_from(env, f"${TOKEN_ENV}")
    entry = (config if config is not None else load_config()).agent(agent)
    return entry.token if entry else None


def resolve_api_url(agent: str | None = None, config: UserConfig | None = None) -> str:
    """``$ST_RUN_API_URL``, else the saved agent's ``api_url``, else the real server."""
    env = os.environ.get(API_URL_ENV, "").strip()
    if env:
        return env
    entry = (config if config is not None else load_config()).agent(agent)
    return entry.api_url if entry else DEFAULT_API_URL


def account_token() -> Token | None:
    """``$SPACETRADERS_ACCOUNT_TOKEN`` (the real server needs it to register)."""
    value = os.environ.get(ACCOUNT_TOKEN_ENV, "").strip()
    return token_from(value, f"${ACCOUNT_TOKEN_ENV}") if value else None


def token_from(value: str, source: str) -> Token:
    """A ``Token`` from ``value``; a bad one is one line naming ``source``, never the token
    (``BadToken``, exit 2)."""
    try:
        return Token(value)
    except BadToken as exc:
        raise BadToken(f"{source}: {exc.message}") from None


def load_agents(path: Path | None = None) -> dict[str, Token]:
    """Saved agents' tokens by name, the default agent first (for the runtime)."""
    config = load_config(path)
    names = sorted(config.agents, key=lambda name: name != config.default_agent)
    return {name: config.agents[name].token for name in names}
