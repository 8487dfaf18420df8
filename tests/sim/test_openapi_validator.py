"""The shared SpecValidator (tests/support/openapi.py) catches what it should."""

from __future__ import annotations

import pytest

from tests.support.openapi import SpecValidator, _nullable


def test_templates_match_with_or_without_prefix(spec: SpecValidator) -> None:
    assert spec.template_for("/v2/my/ships/AG-1/navigate") == "/my/ships/{shipSymbol}/navigate"
    assert spec.template_for("/my/ships/AG-1") == "/my/ships/{shipSymbol}"
    assert spec.template_for("/v2/") == "/"
    assert spec.template_for("/my/ships/AG-1/extract/survey?x=1") == (
        "/my/ships/{shipSymbol}/extract/survey")
    with pytest.raises(AssertionError, match="no path"):
        spec.template_for("/nowhere/at/all")


def test_mismatch_names_the_place(spec: SpecValidator) -> None:
    body = {"data": {"nav": {"status": "FLYING"}, "fuel": {"current": -1, "capacity": 4},
                     "events": []}}
    with pytest.raises(AssertionError) as info:
        spec.validate_response("POST", "/my/ships/A-1/navigate", 200, body)
    text = str(info.value)
    assert "POST /my/ships/{shipSymbol}/navigate -> 200" in text
    assert "/data/fuel/current" in text and "/data/nav" in text


def test_undocumented_success_status_and_error_envelope(spec: SpecValidator) -> None:
    with pytest.raises(AssertionError, match="not a documented response"):
        spec.validate_response("GET", "/my/agent", 201, {"data": {}})
    spec.validate_response("GET", "/my/agent", 401, {"error": {"code": 4103, "message": "m"}})
    with pytest.raises(AssertionError):
        spec.validate_response("GET", "/my/agent", 401, {"error": {"message": "no code"}})
    with pytest.raises(AssertionError, match="no body"):
        spec.validate_response("GET", "/my/ships/A-1/cooldown", 204, {"data": 1})
    spec.validate_response("GET", "/my/ships/A-1/cooldown", 204, None)


def test_request_bodies(spec: SpecValidator) -> None:
    spec.validate_request("POST", "/v2/my/ships/A-1/navigate", {"waypointSymbol": "X1-A-B"})
    with pytest.raises(AssertionError):
        spec.validate_request("POST", "/v2/my/ships/A-1/navigate", {"waypointSymbol": 3})
    with pytest.raises(AssertionError):
        spec.validate_request("POST", "/my/ships/A-1/purchase", {"symbol": "NOT_A_GOOD",
                                                                 "units": 1})
    with pytest.raises(AssertionError, match="method not in"):
        spec.validate_request("DELETE", "/my/agent", None)


def test_nullable_becomes_a_null_type() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "nullable": True},
                                               "b": {"$ref": "x.json", "nullable": True}}}
    out = _nullable(schema)
    assert out["properties"]["a"]["type"] == ["string", "null"]
    assert out["properties"]["b"] == {"anyOf": [{"$ref": "x.json"}, {"type": "null"}]}
