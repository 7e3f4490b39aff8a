"""Cognito-like tokens: HS256 JWTs signed with a per-instance secret.

Only this simulator verifies them, so a local secret and the standard library
are enough. Every token is also recorded server-side, which is how "revoke"
and the "expire everything now" fault work without touching the JWTs.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
import hashlib
import hmac
import json
import secrets
from typing import Any
import uuid

USER_POOL_ID = "eu-central-1_HarviaSim"
APP_CLIENT_ID = "harviasimulatorappclient01"
ISSUER = f"https://cognito-idp.eu-central-1.amazonaws.com/{USER_POOL_ID}"
# Cognito's default refresh-token lifetime; the real value is unknown (notes §2).
REFRESH_LIFETIME = 30 * 24 * 3600.0


class TokenError(Exception):
    """A token that must be refused; `reason` is machine-readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a token is issued to."""

    username: str
    email: str
    organization_id: str


@dataclass(slots=True)
class _Family:
    """One login: its refresh token and every token issued from it."""

    refresh_token: str
    principal: Principal
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class _Issued:
    serial: int
    family_id: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What `/auth/token` and `/auth/refresh` return."""

    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int

    def body(self) -> dict[str, Any]:
        """Wire shape; refresh responses carry no refresh token (notes §2)."""
        body: dict[str, Any] = {
            "idToken": self.id_token,
            "accessToken": self.access_token,
            "expiresIn": self.expires_in,
        }
        if self.refresh_token is not None:
            body["refreshToken"] = self.refresh_token
        return body


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_unverified(token: str) -> dict[str, Any]:
    """The claims of a JWT without checking anything (what clients do)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed", "Invalid token")
    try:
        claims = json.loads(_unb64(parts[1]))
    except ValueError as err:
        raise TokenError("malformed", "Invalid token") from err
    if not isinstance(claims, dict):
        raise TokenError("malformed", "Invalid token")
    return claims


class TokenAuthority:
    """Issues, refreshes, revokes and verifies tokens against the virtual clock."""

    def __init__(self, now: Callable[[], float], lifetime: float) -> None:
        self._now = now
        self.lifetime = lifetime
        self.refresh_lifetime = REFRESH_LIFETIME
        self._secret = secrets.token_bytes(32)
        self._families: dict[str, _Family] = {}
        self._by_refresh: dict[str, str] = {}
        self._issued: dict[str, _Issued] = {}
        self._serial = 0
        self._valid_from_serial = 0

    # -- issuing -----------------------------------------------------------

    def login(self, principal: Principal) -> TokenSet:
        """A fresh login: new refresh token family plus id/access tokens."""
        family_id = str(uuid.uuid4())
        refresh = _b64(secrets.token_bytes(48))
        self._families[family_id] = _Family(
            refresh, principal, self._now() + self.refresh_lifetime
        )
        self._by_refresh[refresh] = family_id
        id_token, access_token = self._issue_pair(family_id, principal)
        return TokenSet(id_token, access_token, refresh, int(self.lifetime))

    def refresh(self, refresh_token: str, email: str) -> TokenSet:
        """New id/access tokens; the refresh token stays the same (no rotation)."""
        family_id, family = self._family_for(refresh_token, email)
        id_token, access_token = self._issue_pair(family_id, family.principal)
        return TokenSet(id_token, access_token, None, int(self.lifetime))

    def revoke(self, refresh_token: str, email: str) -> None:
        """Revoke a refresh token and every token issued from it."""
        family_id = self._by_refresh.get(refresh_token)
        family = self._families.get(family_id) if family_id else None
        if family is None or family.principal.email.lower() != email.lower():
            raise TokenError("unknown", "Invalid Refresh Token")
        family.revoked = True

    def _family_for(self, refresh_token: str, email: str) -> tuple[str, _Family]:
        family_id = self._by_refresh.get(refresh_token)
        family = self._families.get(family_id) if family_id else None
        if (
            family_id is None
            or family is None
            or family.principal.email.lower() != email.lower()
        ):
            raise TokenError("unknown", "Invalid Refresh Token")
        if family.revoked:
            raise TokenError("revoked", "Refresh Token has been revoked")
        if self._now() >= family.expires_at:
            raise TokenError("expired", "Refresh Token has expired")
        return family_id, family

    def _issue_pair(self, family_id: str, principal: Principal) -> tuple[str, str]:
        now = self._now()
        common = {
            "sub": principal.username,
            "iss": ISSUER,
            "origin_jti": family_id,
            "event_id": str(uuid.uuid4()),
            "auth_time": int(now),
            "iat": int(now),
            "exp": int(now + self.lifetime),
        }
        id_claims = {
            **common,
            "cognito:username": principal.username,
            "email": principal.email,
            "email_verified": True,
            "custom:organizationId": principal.organization_id,
            "aud": APP_CLIENT_ID,
            "token_use": "id",
        }
        access_claims = {
            **common,
            "username": principal.username,
            "client_id": APP_CLIENT_ID,
            "scope": "aws.cognito.signin.user.admin",
            "token_use": "access",
        }
        return self._sign(id_claims, family_id), self._sign(access_claims, family_id)

    def _sign(self, claims: dict[str, Any], family_id: str) -> str:
        jti = str(uuid.uuid4())
        self._serial += 1
        self._issued[jti] = _Issued(
            self._serial, family_id, self._now() + self.lifetime
        )
        header = {"kid": "harvia-simulator", "alg": "HS256", "typ": "JWT"}
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps({**claims, "jti": jti}, separators=(",", ":")).encode())
        )
        signature = hmac.new(
            self._secret, signing_input.encode("ascii"), hashlib.sha256
        ).digest()
        return signing_input + "." + _b64(signature)

    # -- verifying -----------------------------------------------------------

    def verify_id_token(self, token: str) -> dict[str, Any]:
        """Claims of a valid idToken; raises `TokenError` otherwise."""
        claims = decode_unverified(token)
        signing_input, _, signature = token.rpartition(".")
        expected = hmac.new(
            self._secret, signing_input.encode("ascii"), hashlib.sha256
        ).digest()
        try:
            given = _unb64(signature)
        except ValueError as err:
            raise TokenError("malformed", "Invalid token") from err
        if not hmac.compare_digest(expected, given):
            raise TokenError("signature", "Invalid token signature")
        issued = self._issued.get(str(claims.get("jti")))
        if issued is None:
            raise TokenError("unknown", "Invalid token")
        # API Gateway's Cognito authorizer is set up for idTokens (notes §2).
        if claims.get("token_use") != "id":
            raise TokenError("wrong_use", "Unauthorized: an idToken is required")
        if self._now() >= issued.expires_at or issued.serial <= self._valid_from_serial:
            raise TokenError("expired", "The incoming token has expired")
        family = self._families.get(issued.family_id)
        if family is None or family.revoked:
            raise TokenError("revoked", "The incoming token has been revoked")
        return claims

    # -- faults --------------------------------------------------------------

    def expire_all(self) -> None:
        """Every id/access token issued so far counts as expired from now on."""
        self._valid_from_serial = self._serial

    def revoke_all(self) -> None:
        """Revoke every refresh token (and with it every issued token)."""
        for family in self._families.values():
            family.revoked = True
