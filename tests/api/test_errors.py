"""Status/body → exception mapping (pure functions of the transport)."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.harvia.api import (
    HarviaBadRequestError,
    HarviaCommandNotSupportedError,
    HarviaConnectionError,
    HarviaDeviceUnavailableError,
    HarviaError,
    HarviaForbiddenError,
    HarviaLicenseRequiredError,
    HarviaNotFoundError,
    HarviaRemoteStartNotAllowedError,
    HarviaTimeoutError,
)
from custom_components.harvia.api._http import (
    TokenRejectedError,
    error_text,
    map_failure,
    map_graphql_errors,
    map_rest_error,
)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"message": "Unauthorized"}, TokenRejectedError),
        (403, {"message": "Forbidden"}, TokenRejectedError),
        (403, {"error": "Forbidden", "message": "Remote start not allowed"}, HarviaRemoteStartNotAllowedError),
        (409, {"message": "Door is open"}, HarviaRemoteStartNotAllowedError),
        (402, {"error": "PaymentRequired"}, HarviaLicenseRequiredError),
        (404, None, HarviaNotFoundError),
        (504, {"message": "Endpoint request timed out"}, HarviaDeviceUnavailableError),
        (408, None, HarviaTimeoutError),
        (400, {"error": "TooManyRequestsException"}, HarviaConnectionError),
        (500, "Internal Server Error", HarviaConnectionError),
        (400, {"message": "Command 'STEAMER' is not supported for device type 'Fenix'"}, HarviaCommandNotSupportedError),
        (400, {"message": "Invalid command.state value"}, HarviaBadRequestError),
        (418, [], HarviaBadRequestError),
        (302, None, HarviaConnectionError),
    ],
)  # fmt: skip
def test_map_rest_error(status: int, body: Any, error: type[HarviaError]) -> None:
    """REST statuses and bodies."""
    assert type(map_rest_error(status, body)) is error


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"errorType": "UnauthorizedException", "message": "x"}, TokenRejectedError),
        ({"errorType": "Unauthorized", "message": "Not Authorized to access x"}, TokenRejectedError),
        ({"extensions": {"code": "UNAUTHORIZED"}}, TokenRejectedError),
        ({"message": "Command 'X' is not supported for device type 'Fenix'"}, HarviaCommandNotSupportedError),
        ({"errorType": "ForbiddenException", "message": "Remote start not allowed"}, HarviaRemoteStartNotAllowedError),
        ({"errorType": "PaymentRequiredException"}, HarviaLicenseRequiredError),
        ({"extensions": {"code": 402}}, HarviaLicenseRequiredError),
        ({"errorType": "DeviceUnavailableException"}, HarviaDeviceUnavailableError),
        ({"message": "Device did not acknowledge"}, HarviaDeviceUnavailableError),
        ({"errorType": "TooManyRequestsException"}, HarviaConnectionError),
        ({"message": "Device not found", "extensions": {"code": "DEVICE_NOT_FOUND"}}, HarviaNotFoundError),
        ({"errorType": "ForbiddenException"}, HarviaForbiddenError),
        ({"errorType": "ValidationError", "message": "Validation error: x"}, HarviaBadRequestError),
        ({"errorType": "InternalFailure"}, HarviaConnectionError),
        ({"errorType": "ConflictException"}, HarviaError),
        ({"errorType": True, "message": None}, HarviaError),
    ],
)  # fmt: skip
def test_map_graphql_errors(entry: dict[str, Any], error: type[HarviaError]) -> None:
    """AppSync error entries."""
    assert type(map_graphql_errors([entry])) is error


def test_map_graphql_errors_degenerate() -> None:
    """No usable entry at all."""
    assert type(map_graphql_errors("x")) is HarviaError
    assert type(map_graphql_errors([])) is HarviaError
    assert type(map_graphql_errors(["x"])) is HarviaError


def test_map_failure_and_error_text() -> None:
    """handled:false reasons; short texts from bodies."""
    assert (
        type(map_failure("Remote start not allowed"))
        is HarviaRemoteStartNotAllowedError
    )
    assert type(map_failure(None)) is HarviaDeviceUnavailableError
    assert error_text({"error": "E", "message": "M", "failureReason": "F"}) == "E: M: F"
    assert error_text({"error": "", "message": 5, "x": "y"}) == "5"
    assert error_text("plain") == "plain"
    assert error_text(None) == ""
