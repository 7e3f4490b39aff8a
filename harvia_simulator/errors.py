"""The one exception the simulated cloud raises for every refused operation.

REST, GraphQL and realtime each render it in their own wire shape, so the cloud
logic stays protocol-free.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# GraphQL errorType / extensions.code per HTTP-equivalent status. AppSync has no
# published mapping for Harvia's domain errors; these names keep "Unauthorized"
# reserved for token problems, which is what clients key on (notes §8).
_GRAPHQL_NAMES: dict[int, tuple[str, str]] = {
    400: ("BadRequestException", "BAD_REQUEST"),
    401: ("UnauthorizedException", "UNAUTHORIZED"),
    402: ("PaymentRequiredException", "PAYMENT_REQUIRED"),
    403: ("ForbiddenException", "FORBIDDEN"),
    404: ("NotFoundException", "NOT_FOUND"),
    409: ("ConflictException", "CONFLICT"),
    429: ("TooManyRequestsException", "TOO_MANY_REQUESTS"),
    504: ("DeviceUnavailableException", "DEVICE_UNAVAILABLE"),
}


class SimError(Exception):
    """A refused request: HTTP-equivalent status, error name, message, extras."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        code: str | None = None,
        error_type: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.extra = extra
        default_type, default_code = graphql_names(status)
        self.code = code or default_code
        self.error_type = error_type or default_type

    def body(self) -> dict[str, Any]:
        """The REST error body: `{error, message}` plus any extras."""
        return {"error": self.error, "message": self.message, **self.extra}


def graphql_names(status: int) -> tuple[str, str]:
    """GraphQL (errorType, extensions.code) for an HTTP-equivalent status."""
    if status in _GRAPHQL_NAMES:
        return _GRAPHQL_NAMES[status]
    if status >= 500:
        return ("InternalFailure", "INTERNAL_ERROR")
    return (f"{status_name(status)}Exception", status_name(status).upper())


def status_name(status: int) -> str:
    """`HTTPStatus` phrase without spaces, e.g. 503 -> ServiceUnavailable."""
    try:
        return HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        return f"Status{status}"


def bad_request(message: str) -> SimError:
    """A 400 with the REST error name used throughout."""
    return SimError(400, "BadRequest", message)


def not_found(message: str, *, code: str = "NOT_FOUND") -> SimError:
    """A 404 for unknown or not-owned resources (never reveals which)."""
    return SimError(404, "NotFound", message, code=code)
