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


# The live server's error catalogue (GET /error-codes): code -> name.
ERROR_CODES: dict[int, str] = {
    3000: "ResponseSerializationError", 3001: "UnprocessableInputError",
    3002: "AllErrorHandlersFailedError", 3100: "SystemStatusMaintenanceError",
    3200: "ResetError", 4000: "CooldownConflictError", 4001: "WaypointNoAccessError",
    4100: "TokenEmptyError", 4101: "TokenMissingSubjectError", 4102: "TokenInvalidSubjectError",
    4103: "MissingTokenRequestError", 4104: "InvalidTokenRequestError",
    4105: "InvalidTokenSubjectError", 4106: "AccountNotExistsError", 4107: "AgentNotExistsError",
    4108: "AccountHasNoAgentError", 4109: "TokenInvalidVersionError",
    4110: "RegisterAgentSymbolReservedError", 4111: "RegisterAgentConflictSymbolError",
    4112: "RegisterAgentNoStartingLocationsError", 4113: "TokenResetDateMismatchError",
    4114: "InvalidAccountRoleError", 4115: "InvalidTokenError",
    4116: "MissingAccountTokenRequestError", 4200: "NavigateInTransitError",
    4201: "NavigateInvalidDestinationError", 4202: "NavigateOutsideSystemError",
    4203: "NavigateInsufficientFuelError", 4204: "NavigateSameDestinationError",
    4205: "ShipExtractInvalidWaypointError", 4206: "ShipExtractPermissionError",
    4214: "ShipInTransitError", 4215: "ShipMissingSensorArraysError",
    4216: "PurchaseShipCreditsError", 4217: "ShipCargoExceedsLimitError",
    4218: "ShipCargoMissingError", 4219: "ShipCargoUnitCountError",
    4220: "ShipSurveyVerificationError", 4221: "ShipSurveyExpirationError",
    4222: "ShipSurveyWaypointTypeError", 4223: "ShipSurveyOrbitError",
    4224: "ShipSurveyExhaustedError", 4228: "ShipCargoFullError", 4230: "WaypointChartedError",
    4231: "ShipTransferShipNotFound", 4232: "ShipTransferAgentConflict",
    4233: "ShipTransferSameShipConflict", 4234: "ShipTransferLocationConflict",
    4235: "WarpInsideSystemError", 4236: "ShipNotInOrbitError",
    4237: "ShipInvalidRefineryGoodError", 4238: "ShipInvalidRefineryTypeError",
    4239: "ShipMissingRefineryError", 4240: "ShipMissingSurveyorError",
    4241: "ShipMissingWarpDriveError", 4242: "ShipMissingMineralProcessorError",
    4243: "ShipMissingMiningLasersError", 4244: "ShipNotDockedError",
    4245: "PurchaseShipNotPresentError", 4246: "ShipMountNoShipyardError",
    4247: "ShipMissingMountError", 4248: "ShipMountInsufficientCreditsError",
    4249: "ShipMissingPowerError", 4250: "ShipMissingSlotsError",
    4251: "ShipMissingMountsError", 4252: "ShipMissingCrewError",
    4253: "ShipExtractDestabilizedError", 4254: "ShipJumpInvalidOriginError",
    4255: "ShipJumpInvalidWaypointError", 4256: "ShipJumpOriginUnderConstructionError",
    4257: "ShipMissingGasProcessorError", 4258: "ShipMissingGasSiphonsError",
    4259: "ShipSiphonInvalidWaypointError", 4260: "ShipSiphonPermissionError",
    4261: "WaypointNoYieldError", 4262: "ShipJumpDestinationUnderConstructionError",
    4263: "ShipScrapInvalidTraitError", 4264: "ShipRepairInvalidTraitError",
    4265: "AgentInsufficientCreditsError", 4266: "ShipModuleNoShipyardError",
    4267: "ShipModuleNotInstalledError", 4268: "ShipModuleInsufficientCreditsError",
    4269: "CantSlowDownWhileInTransitError", 4270: "ShipExtractInvalidSurveyLocationError",
    4271: "ShipTransferDockedOrbitConflict", 4500: "AcceptContractNotAuthorizedError",
    4501: "AcceptContractConflictError", 4502: "FulfillContractDeliveryError",
    4503: "ContractDeadlineError", 4504: "ContractFulfilledError",
    4505: "ContractNotAcceptedError", 4506: "ContractNotAuthorizedError",
    4508: "ShipDeliverTermsError", 4509: "ShipDeliverFulfilledError",
    4510: "ShipDeliverInvalidLocationError", 4511: "ExistingContractError",
    4600: "MarketTradeInsufficientCreditsError", 4601: "MarketTradeNoPurchaseError",
    4602: "MarketTradeNotSoldError", 4604: "MarketTradeUnitLimitError",
    4605: "ShipNotAvailableForPurchaseError", 4700: "WaypointNoFactionError",
    4800: "ConstructionMaterialNotRequired", 4801: "ConstructionMaterialFulfilled",
    4802: "ShipConstructionInvalidLocationError", 5000: "UnsupportedMediaTypeError",
}
