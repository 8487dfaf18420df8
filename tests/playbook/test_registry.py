"""The action registry: one module per action, all registered, clashes refused atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

import runner.actions as actions_pkg
from runner.actions import Action, ActionRegistry, registry

ISSUE_ACTIONS = {
    "navigate", "dock", "orbit", "refuel", "flight_mode", "wait", "repeat", "extract", "survey",
    "buy", "sell", "jettison", "deliver", "negotiate_contract", "accept_contract",
    "fulfill_contract", "scan_market", "tour", "log",
    # issue 17
    "transfer", "purchase_ship", "supply_construction", "siphon", "refine", "chart", "scan",
    "install_mount", "remove_mount", "install_module", "remove_module", "repair", "scrap"}


def _action(name: str) -> Action:
    return Action(name=name, summary="", schema={"type": "null"}, normalize=lambda v: {})


def test_every_issue_action_is_registered_from_its_own_module() -> None:
    assert set(registry().names()) == ISSUE_ACTIONS
    folder = Path(actions_pkg.__file__).parent
    for name in ISSUE_ACTIONS:
        assert (folder / f"{name}.py").exists(), name
        assert registry()[name].expand is not None or registry()[name].nested


def test_registering_a_taken_name_is_refused_and_adds_nothing() -> None:
    reg = ActionRegistry([_action("a")])
    with pytest.raises(ValueError, match="`a` is registered twice"):
        reg.register(_action("b"), _action("a"))
    assert reg.names() == ["a"]
    with pytest.raises(ValueError, match="registered twice"):
        ActionRegistry([_action("c"), _action("c")])


def test_an_action_may_not_take_a_keyword_name() -> None:
    with pytest.raises(ValueError, match="clashes with a step keyword"):
        ActionRegistry([_action("when")], reserved=["when"])


def test_registry_lookup() -> None:
    reg = registry()
    assert "dock" in reg and "nope" not in reg
    assert reg.get("nope") is None
    assert [a.name for a in reg] == reg.names()


def test_every_action_has_expansion_tests() -> None:
    text = (Path(__file__).parent / "test_actions.py").read_text()
    untested = [a.name for a in registry() if f"- {a.name}" not in text]
    assert not untested, f"actions without a test in test_actions.py: {untested}"
