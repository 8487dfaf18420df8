"""Which limiter each agent's client gets (``runner.runtime.limits``) and the config
file's ``account`` key (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.api.limiter import RateLimiter
from runner.api.secrets import Token
from runner.api.shared_limiter import SharedRateLimiter
from runner.config import AgentEntry, UserConfig, load_config, save_config
from runner.errors import InvalidInput
from runner.runtime.limits import Limiters, limit_scopes, shared_enabled
from runner.state.store import Store


@pytest.mark.parametrize(("raw", "enabled"), [("", True), ("on", True), ("OFF", False),
                                               ("0", False)])
def test_the_shared_limiter_switch(raw: str, enabled: bool) -> None:
    assert shared_enabled({"ST_RUN_SHARED_LIMIT": raw}) is enabled


def test_a_bad_switch_is_one_line() -> None:
    with pytest.raises(InvalidInput, match="ST_RUN_SHARED_LIMIT='maybe': expected on or off"):
        shared_enabled({"ST_RUN_SHARED_LIMIT": "maybe"})


def test_scopes_name_the_account_and_the_address_when_configured() -> None:
    assert limit_scopes("acme", {}) == ("account:acme",)
    assert limit_scopes("acme", {"ST_RUN_LIMIT_ADDRESS": "office"}) == \
        ("account:acme", "address:office")


def test_without_a_store_agents_of_one_account_share_one_limiter() -> None:
    limiters = Limiters(None, "me")
    first, second = limiters.for_account("acme", "a1"), limiters.for_account("acme", "a2")
    assert isinstance(first, RateLimiter) and first is second
    assert limiters.for_account("other", "b1") is not first


def test_with_a_store_each_client_gets_a_shared_limiter(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "state.db"))
    try:
        limiter = Limiters(store, "host:1:x", environ={}).for_account("acme", "a1")
        assert isinstance(limiter, SharedRateLimiter)
        assert limiter.scopes == ("account:acme",) and limiter.owner == "host:1:x:a1"
        off = Limiters(store, "host:1:x", environ={"ST_RUN_SHARED_LIMIT": "off"})
        assert isinstance(off.for_account("acme", "a1"), RateLimiter)
    finally:
        store.close()


def test_the_account_key_round_trips_through_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config = UserConfig().with_agent("one", AgentEntry("ONE", Token("t1"), "COSMIC",
                                                        account="acme"), make_default=True)
    config = config.with_agent("two", AgentEntry("TWO", Token("t2")), make_default=False)
    save_config(config, path)
    loaded = load_config(path)
    assert loaded.agents["one"].account == "acme"
    assert loaded.agents["two"].account == ""
