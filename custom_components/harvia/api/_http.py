"""HTTP plumbing shared by the auth and the client: one request, one mapping.

Nothing here retries: the caller decides. Nothing here logs bodies, headers or
query strings (they hold tokens, e-mail addresses and device ids).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import json
import re
from typing import Any, Final

import aiohttp

from .exceptions import (
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

# Patterns match prose ("not found"), CamelCase error types ("NotFoundException")
# and upper-case codes ("NOT_FOUND") alike.
_NOT_SUPPORTED: Final = re.compile(r"not[\s_]*supported", re.IGNORECASE)
_REMOTE_START: Final = re.compile(
    r"remote[\s_]*(?:start|control|operation)|remote[\s_]*allowed|"
    r"door[\s_]+(?:is[\s_]+)?open",
    re.IGNORECASE,
)
_DEVICE_UNAVAILABLE: Final = re.compile(
    r"device[\s_]*(?:is[\s_]*)?(?:unavailable|offline|not[\s_]*connected)|"
    r"did[\s_]+not[\s_]+(?:respond|acknowledge)",
    re.IGNORECASE,
)
_THROTTLED: Final = re.compile(
    r"throttl|too[\s_]*many[\s_]*requests|rate[\s_]*exceeded|limit[\s_]*exceeded",
    re.IGNORECASE,
)
_SERVER_FAILURE: Final = re.compile(
    r"internal[\s_]*(?:failure|error|server)|service[\s_]*unavailable|timed?[\s_]*out",
    re.IGNORECASE,
)
_LICENSE: Final = re.compile(r"payment|licen[cs]e", re.IGNORECASE)
_NOT_FOUND: Final = re.compile(
    r"not[\s_]*found|does[\s_]+not[\s_]+exist", re.IGNORECASE
)
_FORBIDDEN: Final = re.compile(r"forbidden|access[\s_]*denied", re.IGNORECASE)
_BAD_REQUEST: Final = re.compile(
    r"validation|bad[\s_]*request|invalid|malformed", re.IGNORECASE
)


class TokenRejectedError(HarviaError):
    """Internal: the call was refused for its token (401/403, ``Unauthorized``).

    Never leaves the client: it is turned into a token refresh and a retry,
    or into a public error.
    """


@dataclass(frozen=True, slots=True)
class Response:
    """A finished HTTP exchange: status and decoded JSON body."""

    status: int
    body: Any
    valid_json: bool

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    request_timeout: float,
    token: str | None = None,
    params: Mapping[str, str] | None = None,
    json_body: Any = None,
) -> Response:
    """Send one request and read its body; network errors become Harvia errors."""
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with asyncio.timeout(request_timeout):
            async with session.request(
                method,
                url,
                params=dict(params) if params else None,
                json=json_body,
                headers=headers,
            ) as response:
                text = await response.text()
                status = response.status
    except TimeoutError as err:
        raise HarviaTimeoutError(
            f"Timeout talking to the Harvia cloud ({method})"
        ) from err
    except (aiohttp.ClientError, OSError, ValueError) as err:
        # ValueError: aiohttp refuses malformed URLs (e.g. InvalidURL).
        raise HarviaConnectionError(
            f"Error talking to the Harvia cloud: {type(err).__name__}"
        ) from err
    if not text.strip():
        return Response(status, None, True)
    try:
        return Response(status, json.loads(text), True)
    except ValueError:
        return Response(status, None, False)


def error_text(body: Any) -> str:
    """A short description from an ``{error, message, failureReason}`` body."""
    if isinstance(body, str):
        return body[:200]
    if not isinstance(body, Mapping):
        return ""
    parts = [
        str(body[key])
        for key in ("error", "errorType", "message", "failureReason")
        if isinstance(body.get(key), str | int) and body.get(key) != ""
    ]
    return ": ".join(parts)[:300]


def map_rest_error(status: int, body: Any) -> HarviaError:
    """Map a non-2xx REST answer to the exception to raise.

    401/403 give :class:`TokenRejectedError` unless the body says a remote
    start was refused.
    """
    text = error_text(body)
    detail = f"HTTP {status}" + (f": {text}" if text else "")
    if _REMOTE_START.search(text) and status in (400, 403, 409, 412, 422, 423):
        return HarviaRemoteStartNotAllowedError(detail)
    if status in (401, 403):
        return TokenRejectedError(detail)
    if status == 402:
        return HarviaLicenseRequiredError(detail)
    if status == 404:
        return HarviaNotFoundError(detail)
    if status == 504:
        return HarviaDeviceUnavailableError(detail)
    if status == 408:
        return HarviaTimeoutError(detail)
    if status == 429 or _THROTTLED.search(text):
        return HarviaConnectionError(detail)
    if status >= 500:
        return HarviaConnectionError(detail)
    if _NOT_SUPPORTED.search(text):
        return HarviaCommandNotSupportedError(detail)
    if 400 <= status < 500:
        return HarviaBadRequestError(detail)
    return HarviaConnectionError(detail)


def map_failure(reason: str | None) -> HarviaError:
    """Map a ``handled: false``/``response: false`` command answer."""
    text = reason or "command not handled"
    if _NOT_SUPPORTED.search(text):
        return HarviaCommandNotSupportedError(text)
    if _REMOTE_START.search(text):
        return HarviaRemoteStartNotAllowedError(text)
    return HarviaDeviceUnavailableError(text)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    return str(value) if isinstance(value, str | int) else ""


def map_graphql_errors(errors: Any) -> HarviaError:
    """Map a GraphQL ``errors`` list to the exception to raise."""
    first: Mapping[str, Any] = {}
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        first = errors[0]
    message = _text(first.get("message"))
    error_type = _text(first.get("errorType"))
    extensions = first.get("extensions")
    code = _text(extensions.get("code")) if isinstance(extensions, Mapping) else ""
    text = " ".join(part for part in (error_type, code, message) if part)
    detail = f"GraphQL error: {text[:300]}" if text else "GraphQL error"
    if "unauthorized" in error_type.lower() or "unauthorized" in code.lower():
        return TokenRejectedError(detail)
    if _NOT_SUPPORTED.search(text):
        return HarviaCommandNotSupportedError(detail)
    if _REMOTE_START.search(text):
        return HarviaRemoteStartNotAllowedError(detail)
    if _LICENSE.search(text) or code == "402":
        return HarviaLicenseRequiredError(detail)
    if _DEVICE_UNAVAILABLE.search(text) or code == "504":
        return HarviaDeviceUnavailableError(detail)
    if _THROTTLED.search(text):
        return HarviaConnectionError(detail)
    if _NOT_FOUND.search(text) or code == "404":
        return HarviaNotFoundError(detail)
    if _FORBIDDEN.search(text) or code == "403":
        # Not a token problem ("Unauthorized" is reserved for those).
        return HarviaForbiddenError(detail)
    if _BAD_REQUEST.search(text) or code == "400":
        return HarviaBadRequestError(detail)
    if _SERVER_FAILURE.search(text):
        return HarviaConnectionError(detail)
    return HarviaError(detail)
