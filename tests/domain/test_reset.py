"""The pure decisions of surviving a server reset: when one happened, whether to rejoin."""

from __future__ import annotations

import pytest

from runner.domain.reset import (
    CannotRejoin,
    Rejoin,
    ResetDetector,
    ResetSeen,
    check_due,
    decide_rejoin,
)

URL = "https://api.spacetraders.io/v2"


def test_the_first_reset_date_is_the_baseline() -> None:
    detector = ResetDetector()
    assert detector.status(URL, "2026-11-29", ["a", "b"]) == []
    assert detector.status(URL, "2026-11-29", ["a", "b"]) == []


def test_a_changed_reset_date_is_a_reset_for_every_agent_of_that_server() -> None:
    detector = ResetDetector()
    detector.status(URL, "2026-11-29", ["a", "b"])
    detector.status("http://other/v2", "2026-10-01", ["c"])
    seen = detector.status(URL, "2026-12-06", ["a", "b"])
    cause = "the server's resetDate changed from 2026-11-29 to 2026-12-06"
    assert seen == [ResetSeen("a", cause), ResetSeen("b", cause)]
    assert detector.status("http://other/v2", "2026-10-01", ["c"]) == []


def test_an_agent_is_handled_once_per_reset_whatever_the_signs() -> None:
    detector = ResetDetector()
    detector.status(URL, "2026-11-29", ["a"])
    first = detector.token_dead("a")
    assert first == ResetSeen("a", "its token answered 4113 (from an old reset)")
    assert detector.token_dead("a") is None  # a second container's 4113
    assert detector.status(URL, "2026-12-06", ["a"]) == []  # GET / says so a bit later
    detector.handled("a")
    assert detector.token_dead("a") is not None  # the next reset counts again


def test_one_agent_in_handling_does_not_hide_another() -> None:
    detector = ResetDetector()
    detector.status(URL, "d1", ["a", "b"])
    assert detector.token_dead("a") is not None
    assert [s.agent for s in detector.status(URL, "d2", ["a", "b"])] == ["b"]


@pytest.mark.parametrize(("last", "now", "due"), [
    (None, 0.0, True), (100.0, 399.0, False), (100.0, 400.0, True), (100.0, 100.0, False)])
def test_check_due(last: float | None, now: float, due: bool) -> None:
    assert check_due(last, now, 300.0) is due


@pytest.mark.parametrize(("symbol", "faction", "account", "expected"), [
    ("ALPHA", "COSMIC", True, Rejoin("ALPHA", "COSMIC")),
    ("ALPHA", "COSMIC", False, "set SPACETRADERS_ACCOUNT_TOKEN"),
    ("ALPHA", "", True, "its faction is not saved"),
    (None, None, True, "$SPACETRADERS_TOKEN"),
])
def test_decide_rejoin(symbol: str | None, faction: str | None, account: bool,
                       expected: Rejoin | str) -> None:
    decision = decide_rejoin("alpha", symbol, faction, account)
    if isinstance(expected, Rejoin):
        assert decision == expected
    else:
        assert isinstance(decision, CannotRejoin)
        assert expected in decision.what_to_do
        assert decision.what_to_do.startswith("agent alpha: ")
        assert "\n" not in decision.what_to_do
