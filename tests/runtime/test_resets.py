"""The ResetKeeper's registration paths, with a stand-in client (a unit test: the process
tests in tests/watch/test_watch_reset.py drive the real thing against the simulator).

Real store and real config file; the client only answers ``register``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from pathlib import Path

import pytest

from runner.api import Token
from runner.api.errors import ApiError, ServerUnavailable
from runner.api.models import Registration
from runner.config import AgentEntry, UserConfig, load_config, save_config
from runner.domain.reset import ResetSeen
from runner.domain.ship import Agent
from runner.runtime.adapters import AgentDirectory
from runner.runtime.resets import ResetKeeper
from runner.runtime.supervisor import Supervisor
from runner.state.store import Store

OLD, NEW, OTHER = "old-" + "a" * 40, "new-" + "b" * 40, "other-" + "c" * 40


class StandIn:
    """Answers ``register`` with each of ``answers`` in turn (an exception is raised)."""

    def __init__(self, answers: list[str | Exception]) -> None:
        self.answers = answers
        self.token: Token | None = Token(OLD)
        self.registered: list[tuple[str, str, Token | None]] = []

    async def register(self, symbol: str, faction: str, *, account_token: Token | None,
                       **_: object) -> Registration:
        self.registered.append((symbol, faction, account_token))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Registration(Token(answer), Agent(symbol, "X1-A1-A1", 175_000, faction))

    def use_token(self, token: Token) -> None:
        self.token = token


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("ST_RUN_CONFIG", str(path))
    monkeypatch.setenv("SPACETRADERS_ACCOUNT_TOKEN", "account-" + "d" * 40)
    save_config(UserConfig({"alpha": AgentEntry("ALPHA", Token(OLD), "COSMIC")}, "alpha"),
                path)
    return path


def keeper(tmp_path: Path, client: StandIn) -> tuple[ResetKeeper, list[str], list[str]]:
    """A keeper over a real store; returns it, the lines it said and the agents restarted."""
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    supervisor = Supervisor(store, AgentDirectory({"alpha": client}, default="alpha"))
    said: list[str] = []
    supervisor.on_message = said.append
    restarted: list[str] = []

    async def restart(agent: str, skip: Collection[int]) -> int:
        restarted.append(agent)
        return 3

    return ResetKeeper(supervisor, restart, interval_s=1.0), said, restarted


def test_registers_again_saves_the_token_and_restarts(tmp_path: Path, config: Path) -> None:
    client = StandIn([NEW])
    reset, said, restarted = keeper(tmp_path, client)
    asyncio.run(reset.handle(ResetSeen("alpha", "a test")))
    assert client.registered[0][:2] == ("ALPHA", "COSMIC") and client.registered[0][2]
    assert client.token == Token(NEW) and load_config(config).agents["alpha"].token == Token(NEW)
    assert restarted == ["alpha"]
    assert said[0] == "agent alpha: server reset detected (a test)"
    assert said[-1] == "agent alpha: started 3 playbook(s) afresh in the new universe"
    assert reset.detector.token_dead("alpha") is not None  # handled: a new reset counts


def test_an_unreachable_server_is_tried_again_at_the_next_check(tmp_path: Path,
                                                                config: Path) -> None:
    client = StandIn([ServerUnavailable("connection refused"), NEW])
    reset, said, restarted = keeper(tmp_path, client)

    async def scenario() -> None:
        await reset.handle(ResetSeen("alpha", "a test"))
        assert restarted == [] and "trying again in 1s" in said[-1]
        await reset.retry_stuck()

    asyncio.run(scenario())
    assert restarted == ["alpha"] and client.token == Token(NEW)
    assert len(client.registered) == 2


def test_a_symbol_another_process_registered_takes_up_its_saved_token(
        tmp_path: Path, config: Path) -> None:
    """Two st-run processes of one agent: the second one's registration is refused (4111),
    and it uses the token the first one saved."""
    client = StandIn([ApiError("Agent symbol ALPHA has already been claimed.", code=4111)])
    reset, said, restarted = keeper(tmp_path, client)
    original = client.register

    async def racing(symbol: str, faction: str, **kwargs: object) -> Registration:
        save_config(UserConfig({"alpha": AgentEntry("ALPHA", Token(OTHER), "COSMIC")},
                               "alpha"), config)  # the other process wins the race
        return await original(symbol, faction, **kwargs)  # type: ignore[arg-type]

    client.register = racing  # type: ignore[method-assign]
    asyncio.run(reset.handle(ResetSeen("alpha", "a test")))
    assert client.token == Token(OTHER) and restarted == ["alpha"]
    assert any("re-registered as ALPHA elsewhere" in line for line in said)


def test_a_refusal_says_what_to_do_once_and_waits_for_a_saved_token(
        tmp_path: Path, config: Path) -> None:
    client = StandIn([ApiError("Faction is not recruiting.", code=4112)])
    reset, said, restarted = keeper(tmp_path, client)

    async def scenario() -> None:
        await reset.handle(ResetSeen("alpha", "a test"))
        await reset.retry_stuck()  # nothing new saved: nothing said, nothing sent
        assert restarted == [] and len(client.registered) == 1
        assert sum("register it yourself" in line for line in said) == 1
        save_config(UserConfig({"alpha": AgentEntry("ALPHA", Token(NEW), "COSMIC")},
                               "alpha"), config)  # `st-run register --force`
        await reset.retry_stuck()

    asyncio.run(scenario())
    assert restarted == ["alpha"] and client.token == Token(NEW)
