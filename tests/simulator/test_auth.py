"""Endpoints document and the Cognito-style auth wrapper (notes §1-2)."""

from __future__ import annotations

import base64
import json

import aiohttp
import pytest

from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer
from harvia_simulator.tokens import decode_unverified

from .helpers import EMAIL, PASSWORD, Api, encode_header


async def test_endpoints_document_points_back_at_the_server(
    session: aiohttp.ClientSession, server: SimulatorServer
) -> None:
    async with session.get(server.endpoints_url) as resp:
        assert resp.status == 200
        endpoints = (await resp.json())["endpoints"]
    base = server.base_url
    assert endpoints["RestApi"]["generics"]["https"] == f"{base}/rest/generics"
    assert set(endpoints["RestApi"]) == {"generics", "device", "data", "users"}
    assert set(endpoints["GraphQL"]) == {
        "device",
        "data",
        "events",
        "users",
        "stats",
        "payment",
    }
    device = endpoints["GraphQL"]["device"]
    assert device["https"] == f"{base}/graphql/device"
    assert device["wss"] == f"ws://127.0.0.1:{server.port}/realtime/device"
    assert device["schemaUrl"].startswith(base)
    config = endpoints["Config"]
    assert config["Region"] == "eu-central-1"
    assert {"UserPoolId", "IdentityPoolId", "Clients", "IotCoreEndpoint"} <= set(config)
    assert endpoints["version"] == "6.31.2"
    async with session.get(device["schemaUrl"]) as resp:
        assert "devicesStatesUpdateFeed" in await resp.text()


async def test_login_returns_cognito_tokens(
    session: aiohttp.ClientSession, server: SimulatorServer, account: Account
) -> None:
    api = Api(session, server)
    status, body = await api.login()
    assert status == 200
    assert set(body) == {"idToken", "accessToken", "refreshToken", "expiresIn"}
    assert body["expiresIn"] == 3600
    claims = decode_unverified(body["idToken"])
    assert claims["cognito:username"] == account.username
    assert claims["email"] == EMAIL
    assert claims["custom:organizationId"] == account.organization_id
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] == int(server.cloud.now())


async def test_login_is_case_insensitive_on_email(
    session: aiohttp.ClientSession, server: SimulatorServer, account: Account
) -> None:
    status, _ = await Api(session, server).login(EMAIL.upper(), PASSWORD)
    assert status == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [(EMAIL, "wrong"), ("nobody@example.com", PASSWORD)],
)
async def test_bad_credentials(
    session: aiohttp.ClientSession,
    server: SimulatorServer,
    account: Account,
    email: str,
    password: str,
) -> None:
    status, body = await Api(session, server).login(email, password)
    assert status == 401
    assert body == {
        "error": "NotAuthorizedException",
        "message": "Incorrect username or password.",
    }


async def test_login_missing_fields_and_bad_json(
    session: aiohttp.ClientSession, server: SimulatorServer, account: Account
) -> None:
    api = Api(session, server)
    status, body = await api.rest(
        "POST", "generics", "/auth/token", json={"username": EMAIL}, auth=False
    )
    assert status == 400
    assert body["error"] == "InvalidParameterException"
    status, body = await api.rest(
        "POST", "generics", "/auth/token", json={"password": "x"}, auth=False
    )
    assert status == 400
    status, body = await api.rest(
        "POST", "generics", "/auth/token", json=[1, 2], auth=False
    )
    assert (status, body["error"]) == (400, "BadRequest")
    async with session.post(
        api.rest_base("generics") + "/auth/token",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["message"] == "Request body must be valid JSON"


async def test_passwordless_account(
    session: aiohttp.ClientSession, server: SimulatorServer, cloud: HarviaCloud
) -> None:
    cloud.add_account("apple@example.com", None)
    status, body = await Api(session, server).login("apple@example.com", "anything")
    assert status == 400
    assert body == {
        "error": "PasswordNotSet",
        "message": "This account has no password: set one in the MyHarvia app.",
    }


async def test_refresh_keeps_the_refresh_token(api: Api, fenix: SimDevice) -> None:
    first = api.token
    api.server.cloud.advance(10)
    status, body = await api.rest(
        "POST",
        "generics",
        "/auth/refresh",
        json={"refreshToken": api.refresh_token, "email": EMAIL},
        auth=False,
    )
    assert status == 200
    assert set(body) == {"idToken", "accessToken", "expiresIn"}
    assert body["idToken"] != first
    status, _ = await api.rest("GET", "device", "/devices", token=body["idToken"])
    assert status == 200
    # The old id token stays valid until it expires.
    status, _ = await api.rest("GET", "device", "/devices", token=first)
    assert status == 200


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"refreshToken": "bogus", "email": EMAIL}, 401),
        ({"email": EMAIL}, 400),
        ({"refreshToken": "x"}, 400),
    ],
)
async def test_refresh_errors(api: Api, payload: dict[str, str], status: int) -> None:
    code, _ = await api.rest(
        "POST", "generics", "/auth/refresh", json=payload, auth=False
    )
    assert code == status


async def test_refresh_needs_the_matching_email(api: Api) -> None:
    status, body = await api.rest(
        "POST", "generics", "/auth/refresh",
        json={"refreshToken": api.refresh_token, "email": "other@example.com"}, auth=False,
    )  # fmt: skip
    assert (status, body["error"]) == (401, "NotAuthorizedException")


async def test_refresh_token_expires(api: Api) -> None:
    api.server.cloud.advance(31 * 24 * 3600)
    status, body = await api.rest(
        "POST",
        "generics",
        "/auth/refresh",
        json={"refreshToken": api.refresh_token, "email": EMAIL},
        auth=False,
    )
    assert (status, body["message"]) == (401, "Refresh Token has expired")


async def test_revoke_invalidates_refresh_and_id_tokens(
    api: Api, fenix: SimDevice
) -> None:
    body = {"refreshToken": api.refresh_token, "email": EMAIL}
    status, result = await api.rest(
        "POST", "generics", "/auth/revoke", json=body, auth=False
    )
    assert (status, result) == (200, {"success": True})
    status, result = await api.rest(
        "POST", "generics", "/auth/refresh", json=body, auth=False
    )
    assert (status, result["message"]) == (401, "Refresh Token has been revoked")
    await _assert_refused_everywhere(api, "The incoming token has been revoked")


async def test_revoke_errors(api: Api) -> None:
    status, _ = await api.rest(
        "POST",
        "generics",
        "/auth/revoke",
        json={"refreshToken": "nope", "email": EMAIL},
        auth=False,
    )
    assert status == 401
    status, _ = await api.rest(
        "POST", "generics", "/auth/revoke", json={"email": EMAIL}, auth=False
    )
    assert status == 400
    status, _ = await api.rest(
        "POST", "generics", "/auth/revoke", json={"refreshToken": "x"}, auth=False
    )
    assert status == 400


async def test_expired_token_is_refused_everywhere(api: Api, fenix: SimDevice) -> None:
    api.server.cloud.advance(3599)
    status, _ = await api.rest("GET", "device", "/devices")
    assert status == 200
    api.server.cloud.advance(1)
    await _assert_refused_everywhere(api, "The incoming token has expired")


async def test_token_lifetime_is_configurable(
    session: aiohttp.ClientSession,
    server: SimulatorServer,
    cloud: HarviaCloud,
    account: Account,
) -> None:
    cloud.token_lifetime = 120.0
    api = Api(session, server)
    _, body = await api.login()
    assert body["expiresIn"] == 120
    cloud.advance(121)
    status, _ = await api.rest("GET", "device", "/devices")
    assert status == 401


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", ""],
)
async def test_malformed_tokens(api: Api, fenix: SimDevice, token: str) -> None:
    api.token = token or " "
    await _assert_refused_everywhere(api, None)


async def test_tampered_and_access_tokens(api: Api, fenix: SimDevice) -> None:
    assert api.token is not None
    header, payload, signature = api.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["email"] = "mallory@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    status, body = await api.rest(
        "GET", "device", "/devices", token=f"{header}.{forged}.{signature}"
    )
    assert (status, body["message"]) == (401, "Invalid token signature")
    status, body = await api.rest(
        "GET", "device", "/devices", token=f"{header}.{payload}.%%%"
    )
    assert status == 401
    # The accessToken is not what the API takes (notes §2).
    _, tokens = await api.login()
    status, body = await api.rest(
        "GET", "device", "/devices", token=tokens["accessToken"]
    )
    assert status == 401


async def test_missing_authorization_header(api: Api) -> None:
    status, body = await api.rest("GET", "device", "/devices", auth=False)
    assert status == 401
    assert body == {"error": "Unauthorized", "message": "Missing Authorization header"}


async def test_raw_token_without_bearer_prefix(api: Api, fenix: SimDevice) -> None:
    async with api.session.get(
        api.rest_base("device") + "/devices", headers={"Authorization": api.token or ""}
    ) as resp:
        assert resp.status == 200


async def test_token_of_removed_user(api: Api, cloud: HarviaCloud) -> None:
    del cloud.accounts[EMAIL]
    status, body = await api.rest("GET", "device", "/devices")
    assert (status, body["message"]) == (401, "User does not exist")


async def _assert_refused_everywhere(api: Api, message: str | None) -> None:
    """401 on every REST route, GraphQL (HTTP 401, UnauthorizedException) and realtime."""
    calls = [
        ("GET", "device", "/devices", None),
        ("GET", "device", "/devices/state?deviceId=fenix-1", None),
        (
            "POST",
            "device",
            "/devices/command",
            {"deviceId": "fenix-1", "command": {"type": "LIGHTS", "state": "on"}},
        ),
        (
            "PATCH",
            "device",
            "/devices/target",
            {"deviceId": "fenix-1", "temperature": 70},
        ),
        (
            "PATCH",
            "device",
            "/devices/profile",
            {"deviceId": "fenix-1", "profile": "1"},
        ),
        ("GET", "data", "/data/latest-data?deviceId=fenix-1", None),
    ]
    for method, api_name, path, body in calls:
        status, result = await api.rest(method, api_name, path, json=body)
        assert status == 401, path
        assert result["error"] == "Unauthorized"
        if message:
            assert result["message"] == message
    for api_name, query in (
        ("device", '{ devicesGet(deviceId: "fenix-1") { id } }'),
        ("data", '{ devicesMeasurementsLatest(deviceId: "fenix-1") { data } }'),
    ):
        status, result = await api.gql(query, api=api_name)
        assert status == 401
        assert result["errors"][0]["errorType"] == "UnauthorizedException"
    for api_name in ("device", "data"):
        socket = await api.realtime(api_name, init=False)
        reply = await socket.init()
        assert reply["type"] == "connection_error"
        assert reply["payload"]["errors"][0]["errorType"] == "UnauthorizedException"
        closing = await socket.ws.receive(timeout=5)
        assert closing.type == aiohttp.WSMsgType.CLOSE
        await socket.close()


async def test_realtime_connect_without_header(api: Api) -> None:
    url = api.endpoints["GraphQL"]["device"]["wss"]
    for query in (
        "",
        "?header=%%%&payload=e30=",
        f"?header={base64.b64encode(b'[1]').decode()}",
    ):
        ws = await api.session.ws_connect(url + query, protocols=["graphql-ws"])
        await ws.send_json({"type": "connection_init"})
        msg = await ws.receive_json(timeout=5)
        assert msg["type"] == "connection_error"
        await ws.close()
    assert encode_header("t")  # helper sanity
