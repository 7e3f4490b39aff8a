"""What every AppSync GraphQL answer shares: its ``errors`` and its pages.

The HTTP client (queries and mutations) and the realtime client
(``connection_error``, ``error`` and ``data`` frames) read errors with the
same parser, so an error means the same whichever way it came. The cloud's
free text (``message``) is kept only to classify an error; it can echo an
e-mail address or a serial number, so it is redacted before it is logged and
never goes into an exception message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._http import (
    _BAD_REQUEST,
    _DEVICE_UNAVAILABLE,
    _FORBIDDEN,
    _LICENSE,
    _NOT_FOUND,
    _NOT_SUPPORTED,
    _REMOTE_START,
    _SERVER_FAILURE,
    COMMAND_NOT_SUPPORTED,
    REMOTE_START_REFUSED,
    THROTTLED,
    TokenRejectedError,
    _detail,
    log_server_text,
    safe_code,
)
from .exceptions import (
    HarviaBadRequestError,
    HarviaCommandNotSupportedError,
    HarviaConnectionError,
    HarviaDeviceUnavailableError,
    HarviaError,
    HarviaForbiddenError,
    HarviaLicenseRequiredError,
    HarviaNotFoundError,
    HarviaParseError,
    HarviaRemoteStartNotAllowedError,
)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    return str(value) if isinstance(value, str | int) else ""


@dataclass(frozen=True, slots=True)
class GraphQLErrorEntry:
    """One entry of an ``errors`` list, as text.

    ``message`` is the cloud's prose: for classification only.
    """

    error_type: str
    code: str
    status: int | None
    message: str

    @property
    def codes(self) -> list[str]:
        """``errorType`` and ``extensions.code`` where they look like codes."""
        code = safe_code(self.code)
        if code is None and self.code.isdecimal() and len(self.code) <= 3:
            code = self.code  # a numeric code such as 402
        return [c for c in (safe_code(self.error_type), code) if c]

    @property
    def unauthorized(self) -> bool:
        """Whether the entry says the token was refused."""
        return (
            "unauthorized" in self.error_type.lower()
            or "unauthorized" in self.code.lower()
            or self.status == 401
        )


def parse_errors(errors: Any) -> tuple[GraphQLErrorEntry, ...]:
    """The entries of an ``errors`` value (a list, or one object); never raises."""
    if isinstance(errors, Mapping):
        errors = [errors]
    if not isinstance(errors, list):
        return ()
    entries: list[GraphQLErrorEntry] = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        extensions = error.get("extensions")
        raw_code = extensions.get("code") if isinstance(extensions, Mapping) else None
        status = error.get("errorCode")
        if isinstance(status, str) and status.isdecimal() and len(status) <= 3:
            status = int(status)
        entries.append(
            GraphQLErrorEntry(
                error_type=_text(error.get("errorType")),
                code=_text(raw_code),
                status=status
                if isinstance(status, int)
                and not isinstance(status, bool)
                and 100 <= status <= 599
                else None,
                message=_text(error.get("message")),
            )
        )
    return tuple(entries)


def errors_of(payload: Any) -> tuple[GraphQLErrorEntry, ...]:
    """The ``errors`` of a payload (``{"errors": ...}``); empty when none."""
    return parse_errors(payload.get("errors")) if isinstance(payload, Mapping) else ()


def describe_errors(entries: tuple[GraphQLErrorEntry, ...]) -> str:
    """A short, secret-free description: the codes (never the messages)."""
    described: list[str] = []
    for entry in entries:
        codes = entry.codes
        if codes:
            described.append(codes[0])
        elif entry.status is not None:
            described.append(f"code {entry.status}")
    return ", ".join(described) or "unspecified"


def is_unauthorized(entries: tuple[GraphQLErrorEntry, ...]) -> bool:
    """Whether any entry says the token was refused."""
    return any(entry.unauthorized for entry in entries)


def map_graphql_errors(errors: Any) -> HarviaError:
    """Map a GraphQL ``errors`` value to the exception to raise.

    The first entry decides. As with REST, the message holds the codes (when
    they look like codes) and our wording, never the cloud's text.
    """
    entries = parse_errors(errors)
    first = entries[0] if entries else GraphQLErrorEntry("", "", None, "")
    text = " ".join(p for p in (first.error_type, first.code, first.message) if p)
    log_server_text("GraphQL error", first.message)
    codes = first.codes
    code = first.code

    def error(cls: type[HarviaError], wording: str) -> HarviaError:
        return cls(_detail("GraphQL error", codes, wording))

    if first.unauthorized:
        return TokenRejectedError(_detail("GraphQL error", codes, "token rejected"))
    if _NOT_SUPPORTED.search(text):
        return error(HarviaCommandNotSupportedError, COMMAND_NOT_SUPPORTED)
    if _REMOTE_START.search(text):
        return error(HarviaRemoteStartNotAllowedError, REMOTE_START_REFUSED)
    if _LICENSE.search(text) or code == "402":
        return error(HarviaLicenseRequiredError, "MyHarvia licence required")
    if _DEVICE_UNAVAILABLE.search(text) or code == "504":
        return error(HarviaDeviceUnavailableError, "device did not acknowledge")
    if THROTTLED.search(text):
        return error(HarviaConnectionError, "throttled")
    if _NOT_FOUND.search(text) or code == "404":
        return error(HarviaNotFoundError, "not found")
    if _FORBIDDEN.search(text) or code == "403":
        # Not a token problem ("Unauthorized" is reserved for those).
        return error(HarviaForbiddenError, "not allowed for this account")
    if _BAD_REQUEST.search(text) or code == "400":
        return error(HarviaBadRequestError, "request rejected")
    if _SERVER_FAILURE.search(text):
        return error(HarviaConnectionError, "cloud service error")
    return error(HarviaError, "request failed")


async def collect_pages(
    fetch: Callable[[str | None], Awaitable[Any]],
    items_key: str,
    *,
    label: str,
    max_pages: int,
) -> list[Any]:
    """Every item of a ``nextToken``-paged list.

    ``fetch(next_token)`` returns one page (``{items_key: [...], nextToken}``)
    or ``None`` for no page. A token seen before ends the walk, as does
    ``max_pages`` (a cloud that keeps answering with a next page).
    """
    rows: list[Any] = []
    seen_tokens: set[str] = set()
    next_token: str | None = None
    for _ in range(max_pages):
        page = await fetch(next_token)
        if page is None:
            break
        if not isinstance(page, Mapping):
            raise HarviaParseError(f"{label}: expected an object")
        items = page.get(items_key) or []
        if not isinstance(items, list):
            raise HarviaParseError(f"{label}.{items_key}: expected a list")
        rows.extend(item for item in items if item is not None)
        token = page.get("nextToken")
        if not isinstance(token, str) or not token or token in seen_tokens:
            break
        seen_tokens.add(token)
        next_token = token
    return rows
