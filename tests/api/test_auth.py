"""Login and the token lifecycle, against the simulator over HTTP."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Coroutine
import json
import logging
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.harvia.api import (
    HarviaAuth,
    HarviaAuthenticationError,
    HarviaBadRequestError,
    HarviaClient,
    HarviaConnectionError,
    HarviaError,
    HarviaNoPasswordError,
    HarviaParseError,
    HarviaTimeoutError,
    decode_jwt_claims,
)
from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

from .conftest import EMAIL, PASSWORD, ClientFactory

REFRESH = "POST /auth/refresh"
LOGIN = "POST /auth/token"
DEVICES = "GET /devices"


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def _logged_in(client: HarviaClient) -> bool:
    return client.logged_in


async def test_login_discovers_endpoints(
    make_client: ClientFactory,
    account: Account,
    server: SimulatorServer,
    cloud: HarviaCloud,
) -> None:
    """login() fetches the endpoints document, logs in, exposes the user id."""
    client = make_client()
    assert _logged_in(client) is False
    assert client.user_id is None
    with pytest.raises(HarviaError):
        _ = client.endpoints
    await client.login()
    assert _logged_in(client) is True
    assert client.user_id == account.username
    endpoints = client.endpoints
    base = server.base_url
    assert endpoints.rest_generics == f"{base}/rest/generics"
    assert endpoints.rest_device == f"{base}/rest/device"
    assert endpoints.rest_data == f"{base}/rest/data"
    assert endpoints.rest_users == f"{base}/rest/users"
    assert endpoints.graphql_device.https == f"{base}/graphql/device"
    assert (
        endpoints.graphql_device.wss == f"ws{base.removeprefix('http')}/realtime/device"
    )
    assert endpoints.graphql_data.https == f"{base}/graphql/data"
    assert endpoints.graphql_device.host == base.removeprefix("http://")
    assert set(endpoints.graphql) >= {"device", "data", "events"}
    assert endpoints.region == "eu-central-1"
    assert endpoints.version == "6.31.2"
    assert cloud.request_counts["GET /endpoints"] == 1
    assert cloud.request_counts[LOGIN] == 1
    assert "owner" not in repr(client)


async def test_calls_log_in_on_demand(
    make_client: ClientFactory, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A call before login() logs in once, even from concurrent callers."""
    client = make_client()
    results = await asyncio.gather(*(client.get_devices() for _ in range(5)))
    assert all(len(devices) == 1 for devices in results)
    assert cloud.request_counts[LOGIN] == 1
    assert cloud.request_counts["GET /endpoints"] == 1
    assert await client.get_id_token() == await client.get_id_token()


async def test_refresh_ahead_of_expiry_keeps_refresh_token(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """~60 s before expiry the token is refreshed; the refresh token is kept."""
    auth = client._auth
    assert auth is not None
    refresh_token = auth._refresh_token
    first = auth.id_token
    cloud.advance(3600 - 120)
    await client.get_devices()
    assert cloud.request_counts[REFRESH] == 0
    cloud.advance(90)  # 30 s before expiry: inside the margin
    await client.get_devices()
    assert cloud.request_counts[REFRESH] == 1
    assert auth.id_token != first
    assert auth._refresh_token == refresh_token
    # The kept refresh token works again an hour later.
    cloud.advance(3600)
    await client.get_devices()
    assert cloud.request_counts[REFRESH] == 2
    assert cloud.request_counts[LOGIN] == 1
    assert cloud.request_counts[DEVICES] == 3
    assert auth.expires_at == pytest.approx(cloud.now() + 3600, abs=2)
    assert auth.claims["token_use"] == "id"


async def test_unauthorized_refreshes_and_retries_once(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A 401 refreshes the token and re-sends the call once."""
    cloud.faults.expire_tokens()
    devices = await client.get_devices()
    assert [d.device_id for d in devices] == [fenix.device_id]
    assert cloud.request_counts[DEVICES] == 2
    assert cloud.request_counts[REFRESH] == 1
    assert cloud.request_counts[LOGIN] == 1


async def test_graphql_unauthorized_refreshes_and_retries(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """GraphQL's Unauthorized takes the same token path."""
    cloud.faults.expire_tokens()
    states = await client.get_ota_states()
    assert [state.device_id for state in states] == [fenix.device_id]
    assert cloud.request_counts["POST /graphql/device"] == 2
    assert cloud.request_counts[REFRESH] == 1


async def test_refresh_rejected_logs_in_again(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A refresh token that is definitely refused leads to a fresh login."""
    cloud.faults.revoke_tokens()
    await client.get_devices()
    assert cloud.request_counts[REFRESH] == 1
    assert cloud.request_counts[LOGIN] == 2
    assert cloud.request_counts[DEVICES] == 2


async def test_refresh_rejected_ahead_of_expiry_logs_in(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """The ahead-of-expiry refresh falls back to a login too."""
    cloud.faults.revoke_tokens()
    cloud.advance(3590)
    await client.get_devices()
    assert cloud.request_counts[REFRESH] == 1
    assert cloud.request_counts[LOGIN] == 2
    assert cloud.request_counts[DEVICES] == 1


async def test_login_rejected_after_refresh_rejected(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Refresh refused and password refused: an authentication error."""
    cloud.faults.revoke_tokens()
    cloud.faults.reject_logins(EMAIL)
    with pytest.raises(HarviaAuthenticationError):
        await client.get_devices()


@pytest.mark.parametrize(
    ("username", "password"),
    [(EMAIL, "wrong"), ("nobody@example.com", PASSWORD), (EMAIL.upper(), "wrong")],
)
async def test_bad_credentials(
    make_client: ClientFactory, account: Account, username: str, password: str
) -> None:
    """401 NotAuthorized on login is an authentication error."""
    with pytest.raises(HarviaAuthenticationError) as err:
        await make_client(username, password).login()
    assert not isinstance(err.value, HarviaNoPasswordError)
    assert password not in str(err.value)


async def test_empty_password_is_bad_request(
    make_client: ClientFactory, account: Account
) -> None:
    """A 400 that is no credential rejection is a bad request."""
    with pytest.raises(HarviaBadRequestError):
        await make_client(EMAIL, "").login()


async def test_no_password_account(
    make_client: ClientFactory, cloud: HarviaCloud
) -> None:
    """An Apple/Google-only account has no password: its own error."""
    cloud.add_account("apple@example.com", None)
    with pytest.raises(HarviaNoPasswordError) as err:
        await make_client("apple@example.com", "anything").login()
    assert isinstance(err.value, HarviaAuthenticationError)


@pytest.mark.parametrize(
    "body",
    [
        {
            "error": "NotAuthorizedException",
            "message": "User is federated: sign in with Google",
        },
        {
            "error": "InvalidParameterException",
            "message": "Password is not set for user",
        },
    ],
)
async def test_no_password_cognito_messages(
    make_client: ClientFactory,
    account: Account,
    cloud: HarviaCloud,
    body: dict[str, str],
) -> None:
    """Cognito-ish wordings of a missing password are recognised too."""
    cloud.faults.set_route(LOGIN, status=400, body=body)
    with pytest.raises(HarviaNoPasswordError):
        await make_client().login()


@pytest.mark.parametrize(
    ("status", "body", "error", "expected"),
    [
        (400, {"error": "InvalidParameterException", "message": f"Invalid e-mail: {EMAIL}"}, HarviaBadRequestError, "Login failed (HTTP 400, InvalidParameterException)"),
        (400, {"error": f"bad user {EMAIL}", "message": "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"}, HarviaBadRequestError, "Login failed (HTTP 400)"),
        (401, {"error": "NotAuthorizedException", "message": f"Incorrect username or password for {EMAIL}"}, HarviaAuthenticationError, "Login rejected (HTTP 401, NotAuthorizedException)"),
        (400, {"error": "UserNotFoundException", "message": f"User {EMAIL} does not exist"}, HarviaAuthenticationError, "Login rejected (HTTP 400, UserNotFoundException)"),
    ],
)  # fmt: skip
async def test_login_errors_carry_no_server_text(
    make_client: ClientFactory,
    account: Account,
    cloud: HarviaCloud,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: dict[str, str],
    error: type[HarviaError],
    expected: str,
) -> None:
    """Cognito messages may echo the e-mail: only the status and code are kept."""
    caplog.set_level(logging.DEBUG, logger="custom_components.harvia.api")
    cloud.faults.set_route(LOGIN, status=status, body=body)
    with pytest.raises(error) as err:
        await make_client().login()
    assert str(err.value) == expected
    assert err.value.status == status
    assert EMAIL not in str(err.value)
    assert "1f2e3d4c" not in str(err.value)
    assert all(r.levelno == logging.DEBUG for r in caplog.records)
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_login_transient_failures_are_connection_errors(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud, status: int
) -> None:
    """5xx and throttling on login never look like bad credentials."""
    cloud.faults.set_route(LOGIN, status=status, count=1)
    with pytest.raises(HarviaConnectionError) as err:
        await make_client().login()
    assert not isinstance(err.value, HarviaAuthenticationError)


async def test_login_throttled_by_message(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud
) -> None:
    """Cognito throttling arrives as a 400 with TooManyRequests: transient."""
    cloud.faults.set_route(
        LOGIN,
        status=400,
        body={"error": "TooManyRequestsException", "message": "Rate exceeded"},
    )
    with pytest.raises(HarviaConnectionError):
        await make_client().login()


async def test_login_timeout(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud
) -> None:
    """A login that does not answer in time is a timeout, not an auth error."""
    cloud.faults.set_route(LOGIN, latency=1.0, status=200, count=1)
    with pytest.raises(HarviaTimeoutError):
        await make_client(request_timeout=0.1).login()
    cloud.faults.set_route(LOGIN, status=408, count=1)
    with pytest.raises(HarviaTimeoutError):
        await make_client().login()


async def test_login_answer_without_token(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud
) -> None:
    """A 200 without an idToken is a parse error."""
    cloud.faults.set_route(LOGIN, status=200, body={"accessToken": "x"}, count=1)
    with pytest.raises(HarviaParseError):
        await make_client().login()


async def test_opaque_token_uses_expires_in(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud
) -> None:
    """Without a readable JWT the lifetime comes from expiresIn."""
    cloud.faults.set_route(
        LOGIN, status=200, body={"idToken": "opaque", "expiresIn": 120}, count=1
    )
    client = make_client()
    await client.login()
    assert client.user_id is None
    assert client._auth is not None
    assert client._auth.expires_at == pytest.approx(cloud.now() + 120)
    # No refresh token: renewal is a fresh login (now a real one).
    cloud.advance(100)
    token = await client.get_id_token()
    assert token != "opaque"
    assert cloud.request_counts[LOGIN] == 2
    assert cloud.request_counts[REFRESH] == 0


async def test_expired_exp_falls_back_to_expires_in(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud
) -> None:
    """A JWT exp already past (clock skew) is ignored in favour of expiresIn."""
    token = _jwt({"exp": cloud.now() - 10, "cognito:username": "u-1"})
    cloud.faults.set_route(LOGIN, status=200, body={"idToken": token}, count=1)
    client = make_client()
    await client.login()
    assert client.user_id == "u-1"
    assert client._auth is not None
    assert client._auth.expires_at == pytest.approx(cloud.now() + 3600)


async def test_refresh_transient_failure_keeps_valid_token(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A failed ahead-of-expiry refresh uses the still-valid token."""
    cloud.advance(3600 - 30)
    cloud.faults.set_route(REFRESH, status=503, count=1)
    assert len(await client.get_devices()) == 1
    assert cloud.request_counts[REFRESH] == 1
    assert cloud.request_counts[LOGIN] == 1
    # Next call refreshes for real.
    await client.get_devices()
    assert cloud.request_counts[REFRESH] == 2


@pytest.mark.parametrize("status", [500, 503, 429, 408])
async def test_refresh_transient_failure_after_expiry(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud, status: int
) -> None:
    """An expired token whose refresh fails transiently: connection error."""
    cloud.advance(3600)
    cloud.faults.set_route(REFRESH, status=status, count=1)
    with pytest.raises(HarviaConnectionError) as err:
        await client.get_devices()
    assert not isinstance(err.value, HarviaAuthenticationError)
    assert cloud.request_counts[LOGIN] == 1
    # The next attempt recovers.
    assert len(await client.get_devices()) == 1


async def test_refresh_transient_failure_after_401(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A 401 whose refresh fails transiently: connection error, no login."""
    cloud.faults.expire_tokens()
    cloud.faults.set_route(REFRESH, status=502, count=1)
    with pytest.raises(HarviaConnectionError):
        await client.get_devices()
    assert cloud.request_counts[LOGIN] == 1


async def test_concurrent_callers_share_one_refresh(
    client: HarviaClient, fenix: SimDevice, generic: SimDevice, cloud: HarviaCloud
) -> None:
    """Many callers near expiry: exactly one /auth/refresh."""
    cloud.advance(3600 - 10)
    calls: list[Coroutine[Any, Any, object]] = [client.get_devices() for _ in range(4)]
    calls += [client.get_cabin_state(fenix.device_id, "C1") for _ in range(4)]
    calls += [client.get_latest_measurements(generic.device_id) for _ in range(4)]
    await asyncio.gather(*calls)
    assert cloud.request_counts[REFRESH] == 1
    assert cloud.request_counts[LOGIN] == 1


async def test_concurrent_401s_share_one_refresh(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Many callers rejected with 401 at once: one renewal, each retries once."""
    cloud.faults.expire_tokens()
    await asyncio.gather(
        *(client.get_cabin_state(fenix.device_id, None) for _ in range(6))
    )
    assert cloud.request_counts[REFRESH] == 1
    assert cloud.request_counts["GET /devices/state"] == 12


async def test_renew_and_revoke(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """renew_id_token for the realtime client; revoke() at unload."""
    token = await client.get_id_token()
    renewed = await client.renew_id_token(token)
    assert renewed != token
    # A stale rejected token does not renew twice.
    assert await client.renew_id_token(token) == renewed
    assert cloud.request_counts[REFRESH] == 1
    assert await client.revoke() is True
    assert cloud.request_counts["POST /auth/revoke"] == 1
    assert await client.revoke() is False
    # After a revoke the client logs in again on demand.
    assert len(await client.get_devices()) == 1
    assert cloud.request_counts[LOGIN] == 2


async def test_revoke_failure_is_swallowed(
    client: HarviaClient, cloud: HarviaCloud, make_client: ClientFactory
) -> None:
    """Revocation is best effort."""
    cloud.faults.set_route("POST /auth/revoke", status=500)
    assert await client.revoke() is False
    assert await make_client().revoke() is False


async def test_endpoints_failures(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud
) -> None:
    """The endpoints document failing is a connection error; malformed a parse error."""
    cloud.faults.set_route("GET /endpoints", status=500, count=1)
    with pytest.raises(HarviaConnectionError):
        await make_client().login()
    for status in (403, 404):
        cloud.faults.set_route("GET /endpoints", status=status, count=1)
        with pytest.raises(HarviaConnectionError):
            await make_client().login()
    cloud.faults.set_route(
        "GET /endpoints", status=200, body={"endpoints": {"RestApi": {}}}, count=1
    )
    with pytest.raises(HarviaParseError):
        await make_client().login()


async def test_unreachable_cloud(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """Nothing listening: a connection error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HarviaClient(
        session, EMAIL, PASSWORD, endpoints_url=f"http://127.0.0.1:{port}/endpoints"
    )
    with pytest.raises(HarviaConnectionError):
        await client.login()
    bad = HarviaClient(session, EMAIL, PASSWORD, endpoints_url="not a url")
    with pytest.raises(HarviaConnectionError):
        await bad.login()


async def test_nothing_secret_is_logged(
    client: HarviaClient,
    fenix: SimDevice,
    cloud: HarviaCloud,
    caplog: pytest.LogCaptureFixture,
    make_client: ClientFactory,
) -> None:
    """Debug logs never hold passwords, e-mails, tokens, ids or serials."""
    caplog.set_level(logging.DEBUG, logger="custom_components.harvia.api")
    other = make_client()
    await other.login()
    cloud.faults.expire_tokens()
    await other.get_devices()
    await other.send_command(fenix.device_id, "C1", "LIGHTS", True)
    cloud.faults.revoke_tokens()
    await other.get_cabin_state(fenix.device_id, None)
    assert caplog.records
    token = await other.get_id_token()
    for secret in (PASSWORD, EMAIL, token, fenix.device_id, fenix.serial_number):
        assert secret not in caplog.text
    assert PASSWORD not in repr(other._auth)


def test_decode_jwt_claims() -> None:
    """Unverified decoding; anything unreadable gives no claims."""
    assert decode_jwt_claims(_jwt({"a": 1})) == {"a": 1}
    assert decode_jwt_claims("a.b") == {}
    assert decode_jwt_claims("a.!!!.c") == {}
    assert decode_jwt_claims(f"a.{base64.urlsafe_b64encode(b'[1]').decode()}.c") == {}


async def test_auth_standalone(
    session: aiohttp.ClientSession,
    server: SimulatorServer,
    account: Account,
    cloud: HarviaCloud,
) -> None:
    """HarviaAuth can be used on its own with the generics base URL."""
    auth = HarviaAuth(
        session,
        f"{server.base_url}/rest/generics/",
        EMAIL,
        PASSWORD,
        time_func=cloud.now,
    )
    assert auth.user_id is None
    token = await auth.get_id_token()
    assert auth.user_id == account.username
    await auth.login()
    assert auth.id_token != token
    assert "HarviaAuth" in repr(auth)


async def test_revoke_network_failure_is_swallowed(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud
) -> None:
    """A revoke that times out still returns (False)."""
    client = make_client(request_timeout=1.0)
    await client.login()
    cloud.faults.hold_route("POST /auth/revoke")  # never answers
    assert await client.revoke() is False


async def test_unreadable_exp(
    make_client: ClientFactory, account: Account, cloud: HarviaCloud
) -> None:
    """exp that is not a number is ignored."""
    token = _jwt({"exp": "soon", "sub": "s-1"})
    cloud.faults.set_route(
        LOGIN, status=200, body={"idToken": token, "expiresIn": "x"}, count=1
    )
    client = make_client()
    await client.login()
    assert client.user_id == "s-1"
    assert client._auth is not None
    assert client._auth.expires_at == pytest.approx(cloud.now() + 3600)
