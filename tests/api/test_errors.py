"""Status/body → exception mapping (pure functions of the transport)."""

from __future__ import annotations

import logging
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
    body_code,
    error_text,
    map_failure,
    map_rest_error,
    safe_code,
)
from custom_components.harvia.api.appsync import map_graphql_errors


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


# -- privacy: the cloud's text never reaches str(exc) ---------------------------------

EMAIL = "someone.private@example.com"
LONG_ID = "a3f2e1c4-9b7d-4e21-8f3a-6c5d4b3a2f1e-DEVICE-0123456789"
SECRETS = (EMAIL, LONG_ID, "private", "a3f2e1c4")


def _assert_private(exc: BaseException) -> None:
    text = str(exc) + repr(exc)
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize(
    ("status", "body", "error", "expected"),
    [
        (400, {"error": "BadRequest", "message": f"Invalid e-mail {EMAIL}"}, HarviaBadRequestError, "HTTP 400 (BadRequest): request rejected"),
        (404, {"error": "NotFound", "message": f"Device {LONG_ID} not found"}, HarviaNotFoundError, "HTTP 404 (NotFound): not found"),
        (504, {"handled": False, "failureReason": f"Device {LONG_ID} unavailable"}, HarviaDeviceUnavailableError, "HTTP 504: device did not acknowledge"),
        (403, {"error": "Forbidden", "message": f"Remote start not allowed for {LONG_ID}"}, HarviaRemoteStartNotAllowedError, "HTTP 403 (Forbidden): remote start not allowed"),
        (400, {"message": f"Command 'X' is not supported for device {LONG_ID}"}, HarviaCommandNotSupportedError, "HTTP 400: command not supported"),
        (402, {"error": "PaymentRequired", "message": f"{EMAIL} has no licence"}, HarviaLicenseRequiredError, "HTTP 402 (PaymentRequired): MyHarvia licence"),
        (429, {"message": f"Too many requests from {EMAIL}"}, HarviaConnectionError, "HTTP 429: throttled"),
        (503, {"error": f"user {EMAIL}", "message": LONG_ID}, HarviaConnectionError, "HTTP 503: cloud service error"),
        (401, {"error": "Unauthorized", "message": f"token of {EMAIL} expired"}, TokenRejectedError, "HTTP 401 (Unauthorized): token rejected"),
        (400, f"plain text naming {EMAIL}", HarviaBadRequestError, "HTTP 400: request rejected"),
        (400, {"error": LONG_ID}, HarviaBadRequestError, "HTTP 400: request rejected"),
    ],
)  # fmt: skip
def test_rest_error_messages_carry_no_server_text(
    status: int,
    body: Any,
    error: type[HarviaError],
    expected: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Status, error code and our wording only; the server's text at debug level."""
    caplog.set_level(logging.DEBUG, logger="custom_components.harvia.api")
    exc = map_rest_error(status, body)
    assert type(exc) is error
    assert str(exc).startswith(expected)
    assert exc.status == status
    _assert_private(exc)
    # Logged for whoever debugs, only at debug level, and redacted.
    assert all(record.levelno == logging.DEBUG for record in caplog.records)
    assert "the cloud said" in caplog.text
    assert not any(s in caplog.text for s in (EMAIL, LONG_ID))


@pytest.mark.parametrize(
    ("entry", "error", "expected"),
    [
        ({"errorType": "ValidationError", "message": f"Validation error: '{EMAIL}' is not an ID"}, HarviaBadRequestError, "GraphQL error (ValidationError): request rejected"),
        ({"errorType": "UnauthorizedException", "message": f"Not Authorized to access {LONG_ID}"}, TokenRejectedError, "GraphQL error (UnauthorizedException): token rejected"),
        ({"message": f"Device {LONG_ID} not found", "extensions": {"code": "DEVICE_NOT_FOUND"}}, HarviaNotFoundError, "GraphQL error (DEVICE_NOT_FOUND): not found"),
        ({"errorType": "ForbiddenException", "message": f"Remote start not allowed on {LONG_ID}"}, HarviaRemoteStartNotAllowedError, "GraphQL error (ForbiddenException): remote start not allowed"),
        ({"errorType": f"Error for {EMAIL}", "extensions": {"code": 402}}, HarviaLicenseRequiredError, "GraphQL error (402): MyHarvia licence"),
        ({"errorType": LONG_ID, "message": EMAIL}, HarviaError, "GraphQL error: request failed"),
    ],
)  # fmt: skip
def test_graphql_error_messages_carry_no_server_text(
    entry: dict[str, Any], error: type[HarviaError], expected: str
) -> None:
    """errorType / extensions.code when they look like codes, and our wording."""
    exc = map_graphql_errors([entry])
    assert type(exc) is error
    assert str(exc).startswith(expected)
    _assert_private(exc)


def test_failure_reasons_carry_no_server_text() -> None:
    """handled:false reasons are classified, not quoted."""
    for reason, error in (
        (f"Remote start not allowed for {EMAIL}", HarviaRemoteStartNotAllowedError),
        (f"Command not supported for {LONG_ID}", HarviaCommandNotSupportedError),
        (f"Device {LONG_ID} unavailable", HarviaDeviceUnavailableError),
    ):
        exc = map_failure(reason)
        assert type(exc) is error
        assert str(exc).startswith("Command not handled: ")
        _assert_private(exc)


def test_safe_code() -> None:
    """Only one-word codes (and integers) pass as codes."""
    assert safe_code("NotFound") == "NotFound"
    assert safe_code(" Lambda:Unhandled ") == "Lambda:Unhandled"
    assert safe_code(402) == "402"
    for value in (EMAIL, LONG_ID, "two words", "", "x" * 65, True, None, 1.5, "id42"):
        assert safe_code(value) is None
    assert body_code({"error": 5, "errorType": "Conflict"}) == "Conflict"
    assert body_code({"error": EMAIL}) is None
    assert body_code("NotFound") is None


def test_token_problem_of_a_403() -> None:
    """A 403 says whether it is about the token; a 401 always is."""
    for body in (
        {"message": "Unauthorized"},
        {"message": "Missing Authentication Token"},
        {
            "message": "User is not authorized to access this resource with an explicit deny"
        },
        {"message": "The security token included in the request is expired"},
    ):
        exc = map_rest_error(403, body)
        assert isinstance(exc, TokenRejectedError)
        assert exc.token_problem, body
    for body in (None, {"error": "Forbidden"}, {"message": "Forbidden"}):
        exc = map_rest_error(403, body)
        assert isinstance(exc, TokenRejectedError)
        assert not exc.token_problem, body
    exc = map_rest_error(401, None)
    assert isinstance(exc, TokenRejectedError)
    assert exc.token_problem
