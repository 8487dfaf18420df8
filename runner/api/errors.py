"""Every error the SpaceTraders API can answer with, as typed exceptions.

The official code catalogue is DATA (``ERROR_CODES``, taken from section 5 of
``docs/spacetraders-rules.md``); one exception class per code is generated from it at
import time and looked up with :func:`error_class`. A few codes that callers act on get a
hand-written class first (cooldown and transit waits, the old-reset token); the generator
reuses those instead of making a second class. All derive from :class:`ApiError`, itself an
:class:`~runner.errors.StRunError`, so the CLI prints any of them as one line.

Transport-level failures (no usable answer from the server) are separate:
:class:`ServerUnavailable`, :class:`RateLimited`, :class:`ResponseLost`,
:class:`UnexpectedResponse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from runner.errors import StRunError

# code -> official name (without the "Error" suffix). Section 5 of the rules file.
ERROR_CODES: Mapping[int, str] = {
    3000: "ResponseSerialization", 3001: "UnprocessableInput", 3002: "AllErrorHandlersFailed",
    3100: "SystemStatusMaintenance", 3200: "Reset",
    4000: "CooldownConflict", 4001: "WaypointNoAccess",
    4100: "TokenEmpty", 4101: "TokenMissingSubject", 4102: "TokenInvalidSubject",
    4103: "MissingTokenRequest", 4104: "InvalidTokenRequest", 4105: "InvalidTokenSubject",
    4106: "AccountNotExists", 4107: "AgentNotExists", 4108: "AccountHasNoAgent",
    4109: "TokenInvalidVersion", 4110: "RegisterAgentSymbolReserved",
    4111: "RegisterAgentConflictSymbol", 4112: "RegisterAgentNoStartingLocations",
    4113: "TokenResetDateMismatch", 4114: "InvalidAccountRole", 4115: "InvalidToken",
    4116: "MissingAccountTokenRequest",
    4200: "NavigateInTransit", 4201: "NavigateInvalidDestination", 4202: "NavigateOutsideSystem",
    4203: "NavigateInsufficientFuel", 4204: "NavigateSameDestination",
    4205: "ShipExtractInvalidWaypoint", 4206: "ShipExtractPermission", 4214: "ShipInTransit",
    4215: "ShipMissingSensorArrays", 4216: "PurchaseShipCredits", 4217: "ShipCargoExceedsLimit",
    4218: "ShipCargoMissing", 4219: "ShipCargoUnitCount", 4220: "ShipSurveyVerification",
    4221: "ShipSurveyExpiration", 4222: "ShipSurveyWaypointType", 4223: "ShipSurveyOrbit",
    4224: "ShipSurveyExhausted", 4228: "ShipCargoFull", 4230: "WaypointCharted",
    4231: "ShipTransferShipNotFound", 4232: "ShipTransferAgentConflict",
    4233: "ShipTransferSameShipConflict", 4234: "ShipTransferLocationConflict",
    4235: "WarpInsideSystem", 4236: "ShipNotInOrbit", 4237: "ShipInvalidRefineryGood",
    4238: "ShipInvalidRefineryType", 4239: "ShipMissingRefinery", 4240: "ShipMissingSurveyor",
    4241: "ShipMissingWarpDrive", 4242: "ShipMissingMineralProcessor",
    4243: "ShipMissingMiningLasers", 4244: "ShipNotDocked", 4245: "PurchaseShipNotPresent",
    4246: "ShipMountNoShipyard", 4247: "ShipMissingMount", 4248: "ShipMountInsufficientCredits",
    4249: "ShipMissingPower", 4250: "ShipMissingSlots", 4251: "ShipMissingMounts",
    4252: "ShipMissingCrew", 4253: "ShipExtractDestabilized", 4254: "ShipJumpInvalidOrigin",
    4255: "ShipJumpInvalidWaypoint", 4256: "ShipJumpOriginUnderConstruction",
    4257: "ShipMissingGasProcessor", 4258: "ShipMissingGasSiphons",
    4259: "ShipSiphonInvalidWaypoint", 4260: "ShipSiphonPermission", 4261: "WaypointNoYield",
    4262: "ShipJumpDestinationUnderConstruction", 4263: "ShipScrapInvalidTrait",
    4264: "ShipRepairInvalidTrait", 4265: "AgentInsufficientCredits",
    4266: "ShipModuleNoShipyard", 4267: "ShipModuleNotInstalled",
    4268: "ShipModuleInsufficientCredits", 4269: "CantSlowDownWhileInTransit",
    4270: "ShipExtractInvalidSurveyLocation", 4271: "ShipTransferDockedOrbitConflict",
    4500: "AcceptContractNotAuthorized", 4501: "AcceptContractConflict",
    4502: "FulfillContractDelivery", 4503: "ContractDeadline", 4504: "ContractFulfilled",
    4505: "ContractNotAccepted", 4506: "ContractNotAuthorized", 4508: "ShipDeliverTerms",
    4509: "ShipDeliverFulfilled", 4510: "ShipDeliverInvalidLocation", 4511: "ExistingContract",
    4600: "MarketTradeInsufficientCredits", 4601: "MarketTradeNoPurchase",
    4602: "MarketTradeNotSold", 4604: "MarketTradeUnitLimit",
    4605: "ShipNotAvailableForPurchase", 4700: "WaypointNoFaction",
    4800: "ConstructionMaterialNotRequired", 4801: "ConstructionMaterialFulfilled",
    4802: "ShipConstructionInvalidLocation", 5000: "UnsupportedMediaType",
}

RATE_LIMIT_CODE = 429


class ApiError(StRunError):
    """The SpaceTraders API refused a request."""

    code: int = 0  # the class's code; an instance carries the code it was raised with
    name: str = "ApiError"

    def __init__(self, message: str | None = None, *, code: int | None = None,
                 data: Mapping[str, Any] | None = None, status: int = 0,
                 request_id: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.data: Mapping[str, Any] = dict(data or {})
        self.status = status
        self.request_id = request_id
        self.server_message = message or (self.__doc__ or "").strip()
        super().__init__(f"{self.name} ({self.code}): {self.server_message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # keep instances picklable although __init__ takes keywords
        return (_rebuild, (type(self), self.server_message, self.code, dict(self.data),
                           self.status, self.request_id))


def _rebuild(cls: type[ApiError], message: str, code: int, data: dict[str, Any],
             status: int, request_id: str | None) -> ApiError:
    return cls(message, code=code, data=data, status=status, request_id=request_id)


# --- families by code range: callers can catch a whole family ------------------------------

class ServerSideError(ApiError):
    """The server failed internally or is in maintenance (3xxx)."""


class AuthError(ApiError):
    """The token is missing, invalid or belongs to no agent (41xx)."""


class ShipError(ApiError):
    """A ship action broke a game rule (42xx)."""


class ContractError(ApiError):
    """A contract action broke a game rule (45xx)."""


class MarketError(ApiError):
    """A market trade broke a game rule (46xx)."""


class WaypointError(ApiError):
    """A waypoint, faction or construction rule was broken (40xx, 47xx, 48xx, 5xxx)."""


def _family(code: int) -> type[ApiError]:
    families: dict[int, type[ApiError]] = {
        30: ServerSideError, 31: ServerSideError, 32: ServerSideError, 41: AuthError,
        42: ShipError, 45: ContractError, 46: MarketError,
    }
    return families.get(code // 100, WaypointError)


# --- codes a caller acts on: hand-written so they carry the wait or the meaning ---------

def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Waits:
    """Mixin: the error says how long to wait before the action can succeed."""

    wait_seconds: float | None
    wait_until: datetime | None


class CooldownConflictError(_Waits, WaypointError):
    """The ship's reactor is cooling down; wait ``wait_seconds`` (until ``wait_until``)."""

    code = 4000
    name = "CooldownConflict"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        cooldown = self.data.get("cooldown") or {}
        remaining = cooldown.get("remainingSeconds")
        self.wait_seconds = float(remaining) if isinstance(remaining, int | float) else None
        self.wait_until = _parse_time(cooldown.get("expiration"))


class ShipInTransitError(_Waits, ShipError):
    """The ship is in transit; wait until it arrives (``wait_until`` / ``wait_seconds``)."""

    code = 4214
    name = "ShipInTransit"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        seconds = self.data.get("secondsToArrival")
        self.wait_seconds = float(seconds) if isinstance(seconds, int | float) else None
        self.wait_until = _parse_time(self.data.get("arrival"))


class TokenFromOldReset(AuthError):
    """The token is from an old reset: the universe was wiped; register a new agent."""

    code = 4113
    name = "TokenResetDateMismatch"


_HAND_WRITTEN: tuple[type[ApiError], ...] = (
    CooldownConflictError, ShipInTransitError, TokenFromOldReset)


def _generate() -> dict[int, type[ApiError]]:
    classes: dict[int, type[ApiError]] = {cls.code: cls for cls in _HAND_WRITTEN}
    for code, name in ERROR_CODES.items():
        if code not in classes:
            doc = f"SpaceTraders error {code} ({name})."
            classes[code] = type(f"{name}Error", (_family(code),),
                                 {"code": code, "name": name, "__doc__": doc,
                                  "__module__": __name__})
    return classes


ERROR_CLASSES: Mapping[int, type[ApiError]] = _generate()
# Export generated classes as module attributes: ``errors.ShipNotDockedError``.
globals().update({cls.__name__: cls for cls in ERROR_CLASSES.values()})


def __getattr__(name: str) -> type[ApiError]:
    # Only reached for names the generator did not create; it tells mypy that generated
    # classes (``errors.ShipNotDockedError``) exist and are ApiError subclasses.
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def error_class(code: int) -> type[ApiError]:
    """The exception class for an error code; plain :class:`ApiError` for unknown codes."""
    return ERROR_CLASSES.get(code, ApiError)


# --- transport-level failures -------------------------------------------------------------

class RateLimited(ApiError):
    """The server's rate limiter refused the request (429); retry after ``retry_after``."""

    code = RATE_LIMIT_CODE
    name = "RateLimited"

    def __init__(self, message: str | None = None, *, retry_after: float | None = None,
                 bare: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        data_wait = self.data.get("retryAfter")
        if retry_after is None and isinstance(data_wait, int | float):
            retry_after = float(data_wait)
        self.retry_after = retry_after
        self.bare = bare  # True: no x-ratelimit headers, the cloud front end answered


class ServerUnavailable(StRunError):
    """The SpaceTraders server did not answer usefully (connection failed, 5xx, timeouts)."""


class ResponseLost(StRunError):
    """A state-changing request's outcome could not be determined; check the game state."""


class UnexpectedResponse(StRunError):
    """The server answered with something that is not the SpaceTraders API's JSON."""


def api_error(status: int, body: Mapping[str, Any] | None) -> ApiError:
    """The typed exception for an error response (``{"error": {...}}``), by ``error.code``.

    A 401 whose message mentions a reset is :class:`TokenFromOldReset` whatever its code.
    """
    error = (body or {}).get("error") or {}
    raw_code = error.get("code")
    code = raw_code if isinstance(raw_code, int) else status
    message = str(error.get("message") or f"HTTP {status}")
    data = error.get("data") if isinstance(error.get("data"), Mapping) else None
    request_id = error.get("requestId") if isinstance(error.get("requestId"), str) else None
    cls = error_class(code)
    if status == 401 and "reset" in message.lower():
        cls = TokenFromOldReset
    elif code == RATE_LIMIT_CODE:
        cls = RateLimited
    return cls(message, code=code, data=data, status=status, request_id=request_id)
