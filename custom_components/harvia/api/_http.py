"""HTTP plumbing shared by the auth and the client: one request, one mapping.

Nothing here retries: the caller decides. Nothing here logs request bodies,
headers or query strings (they hold tokens, e-mail addresses and device ids).
The cloud's error text is read to classify an error and logged at debug level
only; exception messages carry the status, the error code and our own wording.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import json
import logging
import re
from typing import Any, Final

import aiohttp

from .exceptions import (
    HarviaBadRequestError,
    HarviaCommandNotSupportedError,
    HarviaConnectionError,
    HarviaDeviceUnavailableError,
    HarviaError,
    HarviaLicenseRequiredError,
    HarviaNotFoundError,
    HarviaRemoteStartNotAllowedError,
    HarviaTimeoutError,
)

_LOGGER = logging.getLogger(__name__)

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
#: Throttling, whether said in prose, as an error type or as a code.
THROTTLED: Final = re.compile(
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
# A 401/403 body that speaks of the token or the caller's authorisation
# (API Gateway: "Unauthorized", "User is not authorized ... explicit deny",
# "Missing Authentication Token", "The security token ... is expired").
_TOKEN_PROBLEM: Final = re.compile(
    r"unauthori[sz]ed|not[\s_]*authori[sz]ed|token|authenticat|credential|"
    r"expired|signature|\bden(?:y|ied)\b",
    re.IGNORECASE,
)
# What an error code looks like (see safe_code).
_CODE: Final = re.compile(r"[A-Za-z][A-Za-z_.:]{0,63}")
#: Requests one account may have in flight at once: callers may gather freely.
MAX_IN_FLIGHT: Final = 8

# Values private wherever they appear: e-mail addresses, JWTs, MAC addresses.
_ADDRESSES: Final = (
    r"[^\s@'\"<>(){}\[\],;:]+@[^\s@'\"<>(){}\[\],;:]+\.[A-Za-z]{2,}"
    r"|eyJ[\w-]*\.[\w-]*\.?[\w-]*"
    r"|\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b"
)
_ADDRESS: Final = re.compile(_ADDRESSES)
# What else the cloud's prose may echo: quoted values (ids, names, input) and
# words that mix letters and digits or are long digit runs (serial numbers,
# device ids, SSIDs).
_PRIVATE: Final = re.compile(
    _ADDRESSES + r"|'[^']*'|\"[^\"]*\""
    r"|\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{6,}\b"
    r"|\b\d{6,}\b"
)

#: Our wording of the refusal of a remote start.
REMOTE_START_REFUSED: Final = (
    "remote start not allowed (door open or remote start not armed at the panel)"
)
#: Our wording of a command the device type does not support.
COMMAND_NOT_SUPPORTED: Final = "command not supported for this device type"


class TokenRejectedError(HarviaError):
    """Internal: the call was refused for its token (401/403, ``Unauthorized``).

    Never leaves the client: it is turned into a token refresh and a retry,
    or into a public error. ``token_problem`` is ``False`` for a 403 whose
    body does not speak of the token or of authorisation at all.
    """

    def __init__(
        self, message: str, *, status: int | None = None, token_problem: bool = True
    ) -> None:
        """Store the safe message, the status and what the body said."""
        super().__init__(message, status=status)
        self.token_problem = token_problem


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
    in_flight: asyncio.Semaphore | None = None,
) -> Response:
    """Send one request and read its body; network errors become Harvia errors.

    ``in_flight`` bounds the account's concurrent requests (the time spent
    waiting for a slot does not count against ``request_timeout``).
    """
    if in_flight is None:
        return await _send(
            session, method, url, request_timeout, token, params, json_body
        )
    async with in_flight:
        return await _send(
            session, method, url, request_timeout, token, params, json_body
        )


async def _send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    request_timeout: float,
    token: str | None,
    params: Mapping[str, str] | None,
    json_body: Any,
) -> Response:
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
    """The cloud's description from an ``{error, message, failureReason}`` body.

    For classification (and debug logs) only: it may echo input (e-mail
    addresses, ids), so it never goes into an exception message.
    """
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


def safe_code(value: Any) -> str | None:
    """``value`` when it looks like an error code (``NotFound``), else ``None``.

    Codes are one word of letters, ``_``, ``.`` and ``:`` (``Lambda:Unhandled``);
    anything with spaces, digits, ``@`` or ``-`` may be prose or an id, and is
    left out. Integers (``extensions.code`` 402) are codes too.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _CODE.fullmatch(value.strip()):
        return value.strip()
    return None


def body_code(body: Any) -> str | None:
    """The error code of an ``{error, errorType}`` body, when it is one."""
    if not isinstance(body, Mapping):
        return None
    for key in ("error", "errorType"):
        value = body.get(key)
        if isinstance(value, str) and (code := safe_code(value)) is not None:
            return code
    return None


def _detail(prefix: str, codes: list[str], wording: str) -> str:
    """``HTTP 504 (GatewayTimeout): device did not acknowledge``."""
    unique = list(dict.fromkeys(codes))
    return prefix + (f" ({', '.join(unique)})" if unique else "") + f": {wording}"


def redact(text: str) -> str:
    """``text`` with e-mails, tokens, MACs, quoted values and ids masked.

    The one scrubber of the cloud's prose before it reaches a log line.
    """
    return _PRIVATE.sub("***", text)


def redact_addresses(text: str, mask: str = "***") -> str:
    """``text`` with e-mail addresses, JWTs and MAC addresses masked.

    For data that must stay readable otherwise (diagnostics keep ids).
    """
    return _ADDRESS.sub(mask, text)


def log_server_text(context: str, text: str) -> None:
    """Log the cloud's own error text at debug level, redacted (never in messages)."""
    if text:
        # Bounded first: the cloud's text may be long, and redaction scans it.
        _LOGGER.debug("%s; the cloud said: %s", context, redact(text[:300]))


def map_rest_error(status: int, body: Any) -> HarviaError:
    """Map a non-2xx REST answer to the exception to raise.

    401/403 give :class:`TokenRejectedError` unless the body says a remote
    start was refused. The cloud's text is read to classify and logged at
    debug level; the message holds the status, the error code and our wording.
    """
    text = error_text(body)
    code = body_code(body)
    log_server_text(f"Harvia cloud answered HTTP {status}", text)

    def error(cls: type[HarviaError], wording: str) -> HarviaError:
        return cls(
            _detail(f"HTTP {status}", [code] if code else [], wording), status=status
        )

    if _REMOTE_START.search(text) and status in (400, 403, 409, 412, 422, 423):
        return error(HarviaRemoteStartNotAllowedError, REMOTE_START_REFUSED)
    if status in (401, 403):
        return TokenRejectedError(
            _detail(f"HTTP {status}", [code] if code else [], "token rejected"),
            status=status,
            token_problem=status == 401 or bool(_TOKEN_PROBLEM.search(text)),
        )
    if status == 402:
        return error(HarviaLicenseRequiredError, "MyHarvia licence required")
    if status == 404:
        return error(HarviaNotFoundError, "not found")
    if status == 504:
        return error(HarviaDeviceUnavailableError, "device did not acknowledge")
    if status == 408:
        return error(HarviaTimeoutError, "request timed out")
    if status == 429 or THROTTLED.search(text):
        return error(HarviaConnectionError, "throttled")
    if status >= 500:
        return error(HarviaConnectionError, "cloud service error")
    if _NOT_SUPPORTED.search(text):
        return error(HarviaCommandNotSupportedError, COMMAND_NOT_SUPPORTED)
    if 400 <= status < 500:
        return error(HarviaBadRequestError, "request rejected")
    return error(HarviaConnectionError, "unexpected answer")


def map_failure(reason: str | None) -> HarviaError:
    """Map a ``handled: false``/``response: false`` command answer."""
    text = reason or ""
    log_server_text("Command not handled", text)
    if _NOT_SUPPORTED.search(text):
        return HarviaCommandNotSupportedError(
            f"Command not handled: {COMMAND_NOT_SUPPORTED}"
        )
    if _REMOTE_START.search(text):
        return HarviaRemoteStartNotAllowedError(
            f"Command not handled: {REMOTE_START_REFUSED}"
        )
    return HarviaDeviceUnavailableError(
        "Command not handled: device did not acknowledge"
    )
