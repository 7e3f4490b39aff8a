"""Token lifecycle against the Harvia REST auth wrapper (Cognito behind it).

* ``POST {generics}/auth/token`` logs in; the **idToken** is the bearer token.
* ``POST {generics}/auth/refresh`` renews the idToken ~60 s before it expires;
  the answer carries no refresh token, so the old one is kept.
* Concurrent callers share one renewal (an :class:`asyncio.Lock` with a
  re-check once acquired).
* A refresh that is definitely rejected falls back to a fresh login; only a
  login that is definitely rejected raises :class:`HarviaAuthenticationError`.
  Timeouts, 5xx and throttling raise :class:`HarviaConnectionError`.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping
import json
import logging
import re
import time
from typing import Any, Final

import aiohttp

from ._http import THROTTLED, Response, body_code, error_text, log_server_text, send
from .exceptions import (
    HarviaAuthenticationError,
    HarviaBadRequestError,
    HarviaConnectionError,
    HarviaError,
    HarviaNoPasswordError,
    HarviaParseError,
    HarviaTimeoutError,
)
from .models import parse_float

_LOGGER = logging.getLogger(__name__)

#: Renew the idToken this many seconds before it expires.
REFRESH_MARGIN: Final = 60.0
#: Lifetime assumed when neither the JWT nor the answer says.
DEFAULT_LIFETIME: Final = 3600.0

_NO_PASSWORD: Final = re.compile(
    r"password\s*not\s*set|passwordnotset|no\s+password|password\s+is\s+not\s+set|"
    r"has\s+no\s+password|federated|external\s+(?:identity\s+)?provider|"
    r"identity\s+provider|sign(?:ed)?[\s-]*(?:in|up)\s+with\s+(?:apple|google)|"
    r"(?:apple|google)\s+(?:sign[\s-]*in|account)",
    re.IGNORECASE,
)
_BAD_CREDENTIALS: Final = re.compile(
    r"notauthorized|not\s+authorized|usernotfound|user\s+not\s+found|"
    r"user\s+does\s+not\s+exist|incorrect\s+username|invalid\s+(?:username|password|"
    r"credentials|refresh\s+token)|usernotconfirmed|not\s+confirmed|"
    r"passwordresetrequired|password\s+reset\s+required|unauthori[sz]ed|expired",
    re.IGNORECASE,
)


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """Decode a JWT's payload without verifying it; ``{}`` when unreadable."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(segment.encode("ascii")))
    except (ValueError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


class _RefreshRejectedError(HarviaError):
    """Internal: the refresh token was definitely refused."""


class HarviaAuth:
    """Keeps a valid idToken for one account.

    ``time_func`` is the clock used for expiry (JWT ``exp`` is wall-clock
    seconds); tests inject their own.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        generics_url: str,
        username: str,
        password: str,
        *,
        request_timeout: float = 20.0,
        time_func: Callable[[], float] = time.time,
        in_flight: asyncio.Semaphore | None = None,
    ) -> None:
        """Store the account; nothing is sent before the first call.

        ``in_flight`` is the account's bound on concurrent requests.
        """
        self._session = session
        self._generics_url = generics_url.rstrip("/")
        self._username = username
        self._password = password
        self._request_timeout = request_timeout
        self._time = time_func
        self._in_flight = in_flight
        self._lock = asyncio.Lock()
        self._id_token: str | None = None
        self._refresh_token: str | None = None
        self._expires_at: float = 0.0
        self._claims: dict[str, Any] = {}

    def __repr__(self) -> str:
        """Never show the account or tokens."""
        return f"<HarviaAuth logged_in={self._id_token is not None}>"

    @property
    def id_token(self) -> str | None:
        """The current idToken (may be close to expiry)."""
        return self._id_token

    @property
    def expires_at(self) -> float:
        """When the idToken expires, in ``time_func`` seconds (0 if none)."""
        return self._expires_at

    @property
    def claims(self) -> Mapping[str, Any]:
        """The idToken's (unverified) claims."""
        return self._claims

    @property
    def user_id(self) -> str | None:
        """The stable user id: the JWT's ``cognito:username`` (else ``sub``)."""
        for key in ("cognito:username", "sub"):
            value = self._claims.get(key)
            if isinstance(value, str) and value:
                return value
        return None

    def _needs_renewal(self) -> bool:
        return (
            self._id_token is None or self._time() >= self._expires_at - REFRESH_MARGIN
        )

    async def login(self) -> None:
        """Log in with the password (always a fresh login)."""
        async with self._lock:
            await self._login()

    async def get_id_token(self) -> str:
        """Return a valid idToken, renewing it ahead of expiry when needed."""
        if not self._needs_renewal():
            assert self._id_token is not None
            return self._id_token
        async with self._lock:
            # Another caller may have renewed while this one waited.
            if not self._needs_renewal():
                assert self._id_token is not None
                return self._id_token
            if self._id_token is None:
                await self._login()
            else:
                try:
                    await self._renew()
                except HarviaConnectionError:
                    if self._id_token is None or self._time() >= self._expires_at:
                        raise
                    # Still valid for a few seconds: use it, renew next time.
                    _LOGGER.debug(
                        "Token renewal failed transiently; using current token"
                    )
            assert self._id_token is not None
            return self._id_token

    async def renew(self, rejected_token: str | None = None) -> str:
        """Renew after the cloud rejected ``rejected_token`` (401/403).

        When another caller already replaced that token, the new one is
        returned without a second renewal.
        """
        async with self._lock:
            if (
                rejected_token is not None
                and self._id_token is not None
                and self._id_token != rejected_token
            ):
                return self._id_token
            await self._renew()
            assert self._id_token is not None
            return self._id_token

    async def revoke(self) -> bool:
        """Revoke the refresh token (best effort) and forget the tokens."""
        async with self._lock:
            refresh_token, token = self._refresh_token, self._id_token
            self._id_token = self._refresh_token = None
            self._expires_at = 0.0
            self._claims = {}
            if refresh_token is None:
                return False
            try:
                response = await self._post(
                    "/auth/revoke",
                    {"refreshToken": refresh_token, "email": self._username},
                    token=token,
                )
            except HarviaError:
                _LOGGER.debug("Token revocation failed")
                return False
            return response.ok

    # -- internals (hold the lock) --------------------------------------------

    async def _renew(self) -> None:
        if self._refresh_token is not None:
            try:
                await self._refresh()
            except _RefreshRejectedError:
                _LOGGER.debug("Refresh token rejected; logging in again")
            else:
                return
        await self._login()

    async def _post(
        self, path: str, body: Mapping[str, Any], token: str | None = None
    ) -> Response:
        return await send(
            self._session,
            "POST",
            f"{self._generics_url}{path}",
            request_timeout=self._request_timeout,
            token=token,
            json_body=dict(body),
            in_flight=self._in_flight,
        )

    async def _login(self) -> None:
        _LOGGER.debug("Logging in to the Harvia cloud")
        response = await self._post(
            "/auth/token", {"username": self._username, "password": self._password}
        )
        if not response.ok:
            raise _login_error(response)
        self._store(response, keep_refresh_token=False)

    async def _refresh(self) -> None:
        _LOGGER.debug("Renewing the Harvia sign-in")
        response = await self._post(
            "/auth/refresh",
            {"refreshToken": self._refresh_token, "email": self._username},
        )
        if not response.ok:
            transient = _transient_error(response)
            if transient is not None:
                raise transient
            # Any other refusal (400/401/403 NotAuthorized, expired or revoked
            # refresh token): definite; the caller logs in afresh.
            raise _RefreshRejectedError(
                f"HTTP {response.status}", status=response.status
            )
        self._store(response, keep_refresh_token=True)

    def _store(self, response: Response, *, keep_refresh_token: bool) -> None:
        if not response.valid_json:
            raise HarviaConnectionError("Auth answer is not JSON")
        body = response.body
        if not isinstance(body, Mapping):
            raise HarviaParseError("Auth answer is not a JSON object")
        id_token = body.get("idToken")
        if not isinstance(id_token, str) or not id_token:
            raise HarviaParseError("Auth answer has no idToken")
        refresh_token = body.get("refreshToken")
        if isinstance(refresh_token, str) and refresh_token:
            self._refresh_token = refresh_token
        elif not keep_refresh_token:
            self._refresh_token = None
        claims = decode_jwt_claims(id_token)
        now = self._time()
        exp = parse_float(claims.get("exp"))
        expires_in = parse_float(body.get("expiresIn"))
        if exp is not None and exp > now:
            expires_at = exp
        elif expires_in is not None and expires_in > 0:
            expires_at = now + expires_in
        else:
            expires_at = now + DEFAULT_LIFETIME
        self._id_token = id_token
        self._claims = claims
        self._expires_at = expires_at


def _transient_error(response: Response) -> HarviaConnectionError | None:
    """Timeouts, 5xx and throttling: never a credential problem."""
    status = response.status
    if status == 408:
        return HarviaTimeoutError(
            "Harvia auth request timed out (HTTP 408)", status=status
        )
    if status >= 500 or status == 429 or THROTTLED.search(error_text(response.body)):
        return HarviaConnectionError(
            f"Harvia auth service unavailable (HTTP {status})", status=status
        )
    return None


def _login_error(response: Response) -> HarviaError:
    """Classify a failed login: only a definite rejection is an auth error."""
    transient = _transient_error(response)
    if transient is not None:
        return transient
    status = response.status
    # The text may echo the e-mail address: classify with it, log it at debug
    # level, keep only the status and the error code in the message.
    text = error_text(response.body)
    log_server_text(f"Login refused (HTTP {status})", text)
    code = body_code(response.body)
    suffix = f", {code}" if code else ""
    if _NO_PASSWORD.search(text):
        return HarviaNoPasswordError(
            "The account has no password (Apple/Google sign-in only): "
            "set one in the MyHarvia app",
            status=status,
        )
    if status in (401, 403) or _BAD_CREDENTIALS.search(text):
        return HarviaAuthenticationError(
            f"Login rejected (HTTP {status}{suffix})", status=status
        )
    return HarviaBadRequestError(f"Login failed (HTTP {status}{suffix})", status=status)
