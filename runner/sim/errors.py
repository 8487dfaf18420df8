"""Game errors as values: an HTTP status, the official error code, a message and data."""

from __future__ import annotations

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
