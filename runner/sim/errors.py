"""Game errors as values: an HTTP status, the official error code, a message and data."""

from __future__ import annotations

import json
from typing import Any


class ApiError(Exception):
    """An error response ``{"error": {"code", "message", "data"}}`` with HTTP ``status``."""

    def __init__(self, status: int, code: int, message: str,
                 data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        if request_id:
            error["requestId"] = request_id
        return {"error": error}


def game_error(code: int, message: str, **data: Any) -> ApiError:
    """A rule violation: HTTP 400 (409 for cooldown conflicts) with ``code``."""
    return ApiError(409 if code == 4000 else 400, code, message, data or None)


def not_found(what: str, symbol: str) -> ApiError:
    return ApiError(404, 404, f"{what} {symbol} not found.", {"symbol": symbol})


def invalid_input(message: str, **data: Any) -> ApiError:
    """Unusable request input (bad JSON, wrong types, missing fields): 422 with code 3001."""
    return ApiError(422, 3001, message, data or None)


class DroppedConnection(Exception):
    """Raised inside the app to make the server close the socket without a response."""


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object (empty body = ``{}``); 422/3001 when it is not one.

    ``NaN``/``Infinity`` are refused: Python accepts them, JSON does not, and echoing them
    back (in the ledger) would break the response.
    """
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        raise invalid_input("Request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_input("Request body must be a JSON object.")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
