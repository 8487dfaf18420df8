"""The error table drives one typed exception per official code."""

from __future__ import annotations

import pickle

import pytest

from runner.api import errors
from runner.errors import StRunError


def test_every_code_in_the_table_has_its_own_class() -> None:
    for code, name in errors.ERROR_CODES.items():
        cls = errors.error_class(code)
        assert cls.code == code and cls.name == name
        assert issubclass(cls, errors.ApiError) and issubclass(cls, StRunError)
        assert getattr(errors, cls.__name__) is cls
    assert len({errors.error_class(c) for c in errors.ERROR_CODES}) == len(errors.ERROR_CODES)


@pytest.mark.parametrize(("code", "family"), [
    (3000, errors.ServerSideError), (4113, errors.AuthError), (4244, errors.ShipError),
    (4502, errors.ContractError), (4604, errors.MarketError), (4700, errors.WaypointError),
])
def test_codes_fall_into_families(code: int, family: type[errors.ApiError]) -> None:
    assert issubclass(errors.error_class(code), family)


def test_4214_is_ship_in_transit_and_carries_the_wait() -> None:
    exc = errors.api_error(400, {"error": {"code": 4214, "message": "in transit", "data": {
        "secondsToArrival": 42, "arrival": "2025-04-09T17:25:34.980Z"}}})
    assert isinstance(exc, errors.ShipInTransitError)
    assert exc.wait_seconds == 42
    assert exc.wait_until is not None and exc.wait_until.minute == 25
    assert (exc.code, exc.name, exc.status) == (4214, "ShipInTransit", 400)


def test_4000_cooldown_carries_the_wait() -> None:
    exc = errors.api_error(409, {"error": {"code": 4000, "message": "cooling", "data": {
        "cooldown": {"shipSymbol": "S-1", "totalSeconds": 70, "remainingSeconds": 12,
                     "expiration": "2025-04-09T17:25:34Z"}}}})
    assert isinstance(exc, errors.CooldownConflictError)
    assert exc.wait_seconds == 12 and exc.wait_until is not None
    assert exc.data["cooldown"]["shipSymbol"] == "S-1"


def test_old_reset_token_by_code_and_by_401_message() -> None:
    by_code = errors.api_error(401, {"error": {"code": 4113, "message": "mismatch"}})
    by_text = errors.api_error(401, {"error": {"code": 401, "message":
                                               "Token reset_date does not match the server"}})
    assert isinstance(by_code, errors.TokenFromOldReset)
    assert isinstance(by_text, errors.TokenFromOldReset)


def test_unknown_code_and_missing_body_still_give_an_api_error() -> None:
    unknown = errors.api_error(400, {"error": {"code": 4999, "message": "new"}})
    assert type(unknown) is errors.ApiError and unknown.code == 4999
    bare = errors.api_error(503, None)
    assert bare.code == 503 and "HTTP 503" in bare.message


def test_message_is_one_line_with_name_and_code() -> None:
    exc = errors.api_error(400, {"error": {"code": 4244, "message": "Ship must be docked."}})
    assert isinstance(exc, errors.ShipNotDockedError)
    assert exc.message == "ShipNotDocked (4244): Ship must be docked."


def test_errors_survive_pickling() -> None:
    exc = errors.api_error(400, {"error": {"code": 4000, "message": "x",
                                           "data": {"cooldown": {"remainingSeconds": 3}}}})
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is type(exc) and again.data == exc.data and again.wait_seconds == 3


def test_rate_limited_reads_retry_after_from_data() -> None:
    exc = errors.api_error(429, {"error": {"code": 429, "message": "slow down",
                                           "data": {"retryAfter": 0.7}}})
    assert isinstance(exc, errors.RateLimited) and exc.retry_after == 0.7
