"""Fault controls, from Python (`cloud.faults`) and over the admin API."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

from .helpers import DATA_FEED, EMAIL, PASSWORD, STATE_FEED, Api

LIGHTS_ON = {"deviceId": "fenix-1", "command": {"type": "LIGHTS", "state": "on"}}


async def admin(api: Api, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with api.session.request(
        method, api.server.base_url + "/_admin" + path, json=body
    ) as resp:
        if resp.content_type == "application/json":
            return resp.status, await resp.json()
        return resp.status, await resp.text()


async def test_reject_logins(api: Api, cloud: HarviaCloud, account: Account) -> None:
    cloud.add_account("second@example.com", "pw2")
    cloud.faults.reject_logins(EMAIL)
    assert (await api.login())[0] == 401
    assert (await api.login("second@example.com", "pw2"))[0] == 200
    cloud.faults.reject_logins()
    assert (await api.login("second@example.com", "pw2"))[0] == 401
    # Refresh tokens are untouched by a login rejection.
    status, _ = await api.rest(
        "POST",
        "generics",
        "/auth/refresh",
        json={"refreshToken": api.refresh_token, "email": "second@example.com"},
        auth=False,
    )
    assert status == 200
    cloud.faults.accept_logins("second@example.com")
    assert cloud.faults.login_rejected("second@example.com")  # "all" still on
    cloud.faults.accept_logins()
    assert (await api.login())[0] == 200


async def test_expire_tokens_keeps_refresh_working(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    cloud.faults.expire_tokens()
    status, body = await api.rest("GET", "device", "/devices")
    assert (status, body["message"]) == (401, "The incoming token has expired")
    status, body = await api.rest(
        "POST",
        "generics",
        "/auth/refresh",
        json={"refreshToken": api.refresh_token, "email": EMAIL},
        auth=False,
    )
    assert status == 200
    assert (await api.rest("GET", "device", "/devices", token=body["idToken"]))[
        0
    ] == 200


async def test_revoke_tokens(api: Api, cloud: HarviaCloud) -> None:
    cloud.faults.revoke_tokens()
    assert (await api.rest("GET", "device", "/devices"))[0] == 401
    status, _ = await api.rest(
        "POST",
        "generics",
        "/auth/refresh",
        json={"refreshToken": api.refresh_token, "email": EMAIL},
        auth=False,
    )
    assert status == 401
    assert (await api.login())[0] == 200


async def test_route_status_for_n_requests(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    cloud.faults.set_route("GET /devices", status=503, count=2)
    for _ in range(2):
        status, body = await api.rest("GET", "device", "/devices")
        assert (status, body["error"]) == (503, "ServiceUnavailable")
    assert (await api.rest("GET", "device", "/devices"))[0] == 200
    assert cloud.request_counts["GET /devices"] == 3


async def test_route_status_until_cleared_custom_body_and_wildcard(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    cloud.faults.set_route("POST /devices/command", status=504)
    status, body = await api.rest("POST", "device", "/devices/command", json=LIGHTS_ON)
    assert status == 504
    assert body["failureReason"] == "Device unavailable"
    assert not fenix.cabins["C1"].light
    cloud.faults.set_route(
        "POST /devices/command", status=429, body={"message": "Too Many Requests"}
    )
    assert await api.rest("POST", "device", "/devices/command", json=LIGHTS_ON) == (
        429,
        {"message": "Too Many Requests"},
    )
    cloud.faults.clear_route("POST /devices/command")
    assert (await api.rest("POST", "device", "/devices/command", json=LIGHTS_ON))[
        0
    ] == 200
    cloud.faults.set_route("*", status=500, count=1)
    assert (
        await api.rest(
            "GET", "data", "/data/latest-data", params={"deviceId": "fenix-1"}
        )
    )[0] == 500
    with pytest.raises(ValueError):
        cloud.faults.set_route("GET /devices")


async def test_route_latency(api: Api, cloud: HarviaCloud, fenix: SimDevice) -> None:
    cloud.faults.set_route("GET /devices/state", latency=0.01, count=1)
    assert (
        await api.rest(
            "GET", "device", "/devices/state", params={"deviceId": "fenix-1"}
        )
    )[0] == 200
    assert cloud.faults.take_route("GET /devices/state") is None


async def test_late_hold_answers_with_what_the_cloud_held_on_arrival(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """A late-held read is answered at once and delivered on release: it shows
    the state before a change made while it was held. `until_held` counts it."""
    with pytest.raises(ValueError):
        cloud.faults.hold_route("GET /devices/state", late=True, status=503)
    cloud.faults.hold_route("GET /devices/state", late=True)
    assert cloud.faults.describe()["routes"]["GET /devices/state"]["late"]
    reading = asyncio.create_task(
        api.rest("GET", "device", "/devices/state", params={"deviceId": "fenix-1"})
    )
    await cloud.faults.until_held("GET /devices/state")
    fenix.panel.power(True)
    cloud.faults.release_routes()
    status, body = await reading
    assert (status, body["state"]["saunaStatus"]) == (200, 0)
    _, now = await api.rest(
        "GET", "device", "/devices/state", params={"deviceId": "fenix-1"}
    )
    assert now["state"]["saunaStatus"] == 1

    # GraphQL alike; an early hold reads on release instead.
    document = '{ devicesStatesGet(deviceId: "fenix-1") { reported } }'
    route = "graphql:device:devicesStatesGet"
    for late, switch_to, answered in ((True, False, 1), (False, True, 1)):
        cloud.faults.hold_route(route, late=late)
        reading = asyncio.create_task(api.gql(document))
        await cloud.faults.until_held(route)
        fenix.panel.power(switch_to)
        cloud.faults.release_routes()
        _, body = await reading
        reported = json.loads(body["data"]["devicesStatesGet"]["reported"])
        assert reported["saunaStatus"] == answered
        cloud.faults.clear_route(route)


async def test_graphql_and_realtime_route_faults(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    cloud.faults.set_route("graphql:device:devicesStatesGet", status=500, count=1)
    status, body = await api.gql(
        '{ devicesStatesGet(deviceId: "fenix-1") { version } }'
    )
    assert status == 500
    assert body["errors"][0]["errorType"] == "InternalFailure"
    assert (await api.gql('{ devicesStatesGet(deviceId: "fenix-1") { version } }'))[
        0
    ] == 200
    cloud.faults.set_route("POST /graphql/data", status=401, count=1)
    status, body = await api.gql(
        '{ devicesMeasurementsLatest(deviceId: "fenix-1") { subId } }', api="data"
    )
    assert status == 401
    assert body["errors"][0]["errorType"] == "UnauthorizedException"
    cloud.faults.set_route("realtime:device:connect", status=503, count=1)
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await api.realtime()
    assert err.value.status == 503
    cloud.faults.set_route("realtime:device:start", status=429, count=1)
    socket = await api.realtime()
    reply = await socket.start(STATE_FEED, {"receiver": "fenix-1"})
    assert reply["type"] == "error"
    assert reply["payload"]["errors"][0]["errorType"] == "TooManyRequestsException"
    assert (await socket.start(STATE_FEED, {"receiver": "fenix-1"}, sub_id="again"))[
        "type"
    ] == "start_ack"
    await socket.close()


async def test_payment_required(api: Api, cloud: HarviaCloud, fenix: SimDevice) -> None:
    cloud.faults.payment_required(EMAIL)
    status, body = await api.rest("POST", "device", "/devices/command", json=LIGHTS_ON)
    assert (status, body["error"]) == (402, "PaymentRequired")
    assert (await api.rest("GET", "device", "/devices"))[0] == 200
    cloud.faults.payment_required(EMAIL, enabled=False)
    assert (await api.rest("POST", "device", "/devices/command", json=LIGHTS_ON))[
        0
    ] == 200


async def test_no_ack_and_offline(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    cloud.faults.no_ack("fenix-1")
    assert (await api.rest("POST", "device", "/devices/command", json=LIGHTS_ON))[
        0
    ] == 504
    cloud.faults.no_ack("fenix-1", enabled=False)
    cloud.advance(1)  # the cloud refuses bursts
    assert (await api.rest("POST", "device", "/devices/command", json=LIGHTS_ON))[
        0
    ] == 200
    cloud.faults.offline("fenix-1")
    _, state = await api.rest(
        "GET", "device", "/devices/state", params={"deviceId": "fenix-1"}
    )
    assert state["connectionState"]["connected"] is False
    _, rows = await api.rest("GET", "device", "/devices")
    assert {"key": "connected", "value": "false"} in rows["devices"][0]["attr"]
    assert (await api.rest("POST", "device", "/devices/command", json=LIGHTS_ON))[
        0
    ] == 504
    cloud.faults.offline("fenix-1", offline=False)
    assert fenix.connected


async def test_drop_sockets(api: Api, cloud: HarviaCloud) -> None:
    device_socket = await api.realtime("device")
    data_socket = await api.realtime("data")
    cloud.faults.drop_sockets("data")
    closing = await data_socket.ws.receive(timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == 1001
    assert await device_socket.drain() == []
    cloud.faults.drop_sockets()
    closing = await device_socket.ws.receive(timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE
    await device_socket.close()
    await data_socket.close()


async def test_stop_and_resume_keepalives(api: Api, cloud: HarviaCloud) -> None:
    socket = await api.realtime()
    cloud.faults.stop_keepalives()
    cloud.advance(600)
    assert await socket.drain(keep_ka=True) == []
    cloud.faults.resume_keepalives()
    cloud.advance(60)
    assert await socket.drain(keep_ka=True) == [{"type": "ka"}]
    await socket.close()


@pytest.mark.parametrize(
    "kind",
    [
        "not_json",
        "field_not_json",
        "wrong_types",
        "missing_item",
        "no_payload",
        "unknown_type",
    ],
)
async def test_malformed_device_messages(
    api: Api, cloud: HarviaCloud, fenix: SimDevice, kind: str
) -> None:
    socket = await api.realtime()
    await socket.start(STATE_FEED, {"receiver": "fenix-1"}, sub_id="s")
    await socket.start(STATE_FEED, {"receiver": "somebody-else"}, sub_id="other")
    cloud.faults.malformed("fenix-1", kind)
    raw = await socket.ws.receive(timeout=5)
    assert raw.type == aiohttp.WSMsgType.TEXT
    if kind == "not_json":
        with pytest.raises(ValueError):
            json.loads(raw.data)
    else:
        message = json.loads(raw.data)
        assert message["id"] == "s"
        if kind == "field_not_json":
            item = message["payload"]["data"]["devicesStatesUpdateFeed"]["item"]
            with pytest.raises(ValueError):
                json.loads(item["reported"])
        elif kind == "wrong_types":
            item = message["payload"]["data"]["devicesStatesUpdateFeed"]["item"]
            assert json.loads(item["reported"])["saunaStatus"] == "heating"
            assert item["timestamp"] == "yesterday"
        elif kind == "missing_item":
            assert message["payload"]["data"]["devicesStatesUpdateFeed"]["item"] is None
        elif kind == "no_payload":
            assert "payload" not in message
        else:
            assert message["type"] == "surprise"
    # The socket keeps working afterwards.
    fenix.panel.set_light(True)
    assert [m["id"] for m in await socket.drain()] == ["s"]
    await socket.close()


async def test_malformed_data_messages(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    socket = await api.realtime("data")
    await socket.start(DATA_FEED, {"receiver": "fenix-1"}, sub_id="d")
    cloud.faults.malformed("fenix-1", "field_not_json", api="data")
    cloud.faults.malformed("fenix-1", "wrong_types", api="data")
    first, second = await socket.drain()
    with pytest.raises(ValueError):
        json.loads(
            first["payload"]["data"]["devicesMeasurementsUpdateFeed"]["item"]["data"]
        )
    assert (
        json.loads(
            second["payload"]["data"]["devicesMeasurementsUpdateFeed"]["item"]["data"]
        )["temp"]
        == "hot"
    )
    with pytest.raises(ValueError):
        cloud.faults.malformed("fenix-1", "bogus")
    with pytest.raises(ValueError):
        cloud.faults.malformed("fenix-1", "not_json", api="events")
    await socket.close()


async def test_refuse_ota(api: Api, cloud: HarviaCloud, fenix: SimDevice) -> None:
    cloud.faults.refuse_ota(EMAIL)
    for document in (
        '{ otaUpdatesList(deviceType: "Fenix") { otaUpdates { otaId } } }',
        "{ otaUpdatesStatesList { otaUpdateStates { deviceId } } }",
        'mutation { devicesOtaUpdatesStart(deviceId: "fenix-1", otaId: "ota-fenix-2.0-1.14.2") }',
        'mutation { devicesOtaUpdatesCancel(deviceId: "fenix-1") }',
    ):
        status, body = await api.gql(document)
        assert status == 200
        assert body["data"] is None
        error = body["errors"][0]
        assert error["errorType"] == "Unauthorized"
        assert (
            error["message"].startswith("Not Authorized to access ota")
            or "devicesOta" in error["message"]
        )
    # Other GraphQL keeps working.
    assert (
        "errors" not in (await api.gql('{ devicesGet(deviceId: "fenix-1") { id } }'))[1]
    )
    cloud.faults.refuse_ota(EMAIL, enabled=False)
    assert "errors" not in (await api.gql("{ otaUpdatesStatesList { nextToken } }"))[1]


async def test_clear_resets_everything(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    faults = cloud.faults
    faults.reject_logins()
    faults.set_route("GET /devices", status=500)
    faults.payment_required(EMAIL)
    faults.refuse_ota(EMAIL)
    faults.no_ack("fenix-1")
    faults.offline("fenix-1")
    faults.stop_keepalives()
    faults.set_latency(0.05)
    faults.silence_feed("fenix-1", "data")
    assert faults.describe()["offline"] == ["fenix-1"]
    assert faults.describe()["silencedFeeds"] == [
        {"deviceId": "fenix-1", "api": "data"}
    ]
    cloud.remove_device("fenix-1")
    faults.clear()
    assert faults.describe() == {
        "rejectAllLogins": False, "rejectedLogins": [], "routes": {}, "paymentRequired": [],
        "otaRefused": [], "noAck": [], "offline": [], "keepalivesStopped": False,
        "heldStartAcks": {}, "notHandled": {}, "undefinedFields": [],
        "latency": 0.0, "silencedFeeds": [],
    }  # fmt: skip
    assert (await api.login())[0] == 200
    assert (await api.rest("GET", "device", "/devices"))[0] == 200


async def test_clear_brings_devices_back(cloud: HarviaCloud, fenix: SimDevice) -> None:
    cloud.faults.offline("fenix-1")
    cloud.faults.no_ack("fenix-1")
    cloud.faults.clear()
    assert fenix.connected
    assert not fenix.no_ack


# -- admin API ------------------------------------------------------------------------


async def test_admin_counts_and_advance(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    await api.rest("GET", "device", "/devices")
    status, counts = await admin(api, "GET", "/counts")
    assert status == 200
    assert counts["GET /devices"] == 1
    assert counts["POST /auth/token"] == 1
    assert not any(key.startswith("/_admin") or "admin" in key for key in counts)
    assert (await admin(api, "POST", "/counts/reset"))[0] == 200
    assert (await admin(api, "GET", "/counts"))[1] == {}
    before = cloud.now()
    status, body = await admin(api, "POST", "/advance", {"seconds": 90})
    assert (status, body["now"]) == (200, before + 90)
    assert (await admin(api, "POST", "/advance", {"seconds": -1}))[0] == 400
    assert (await admin(api, "POST", "/advance", {"seconds": "x"}))[0] == 400
    assert cloud.request_counts == {}


async def test_admin_index_state_and_world(api: Api, cloud: HarviaCloud) -> None:
    status, text = await admin(api, "GET", "")
    assert status == 200
    assert "/_admin/faults/malformed" in text
    status, body = await admin(
        api, "POST", "/accounts", {"email": "new@example.com", "password": "pw"}
    )
    assert status == 200
    assert body["username"] == cloud.account("new@example.com").username
    status, body = await admin(
        api,
        "POST",
        "/devices",
        {"email": "new@example.com", "kind": "generic", "name": "Spa"},
    )
    device_id = body["deviceId"]
    assert cloud.devices[device_id].kind == "generic"
    assert (
        await admin(
            api, "POST", "/devices", {"email": "ghost@example.com", "kind": "fenix"}
        )
    )[0] == 404
    assert (
        await admin(
            api, "POST", "/devices", {"email": "new@example.com", "kind": "toaster"}
        )
    )[0] == 400
    assert (await admin(api, "POST", "/accounts", {"email": "new@example.com"}))[
        0
    ] == 400
    assert (await admin(api, "POST", "/accounts", {}))[0] == 400
    _, state = await admin(api, "GET", "/state")
    assert state["now"] == cloud.now()
    assert any(
        d["deviceId"] == device_id and set(d["cabins"]) == {"C1", "C2"}
        for d in state["devices"]
    )
    assert (await admin(api, "DELETE", f"/devices/{device_id}"))[0] == 200
    assert device_id not in cloud.devices
    assert (await admin(api, "DELETE", f"/devices/{device_id}"))[0] == 404


async def test_admin_panel_actions(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    async def panel(body: dict[str, Any]) -> int:
        return (await admin(api, "POST", "/devices/fenix-1/panel", body))[0]

    assert await panel({"action": "open_door"}) == 200
    assert not fenix.remote_allowed
    assert await panel({"action": "close_door"}) == 200
    assert await panel({"action": "arm_remote_start", "armed": False}) == 200
    assert not fenix.remote_allowed
    assert await panel({"action": "power", "on": True}) == 200
    assert fenix.cabins["C1"].status == 1
    assert await panel({"action": "select_profile", "index": 2}) == 200
    assert fenix.cabins["C1"].active_profile == 2
    assert await panel({"action": "set_light", "on": False}) == 200
    assert await panel({"action": "set_fan", "on": True}) == 200
    assert await panel({"action": "set_target", "temperature": 70}) == 200
    assert await panel({"action": "set_settings", "max_on_time": 60}) == 200
    assert await panel({"action": "power", "on": False}) == 200
    assert await panel({"action": "schedule", "start_in_minutes": 5}) == 200
    assert fenix.cabins["C1"].status == 5
    assert await panel({"action": "cancel_schedule"}) == 200
    assert await panel({"action": "set_connected", "connected": False}) == 200
    assert not fenix.connected
    assert await panel({"action": "explode"}) == 400
    assert await panel({"action": "power", "bogus": 1}) == 400
    assert (await admin(api, "POST", "/devices/nope/panel", {"action": "open_door"}))[
        0
    ] == 404


async def test_admin_fault_routes(
    api: Api,
    cloud: HarviaCloud,
    fenix: SimDevice,
    session: aiohttp.ClientSession,
    server: SimulatorServer,
) -> None:
    ok = [
        ("/faults/logins", {"reject": True, "email": EMAIL}),
        ("/faults/logins", {"reject": False}),
        (
            "/faults/routes",
            {"route": "GET /devices", "status": 500, "count": 1, "latency": 0},
        ),
        ("/faults/routes/clear", {"route": "GET /devices"}),
        ("/faults/routes", {"route": "GET /devices", "status": 418, "body": {"x": 1}}),
        ("/faults/payment", {"email": EMAIL}),
        ("/faults/no-ack", {"deviceId": "fenix-1"}),
        ("/faults/offline", {"deviceId": "fenix-1", "offline": True}),
        ("/faults/drop-sockets", {"api": "device"}),
        ("/faults/keepalives", {"enabled": False}),
        ("/faults/malformed", {"deviceId": "fenix-1", "kind": "wrong_types"}),
        ("/faults/ota", {"email": EMAIL}),
    ]
    for path, body in ok:
        assert (await admin(api, "POST", path, body))[0] == 200, path
    _, described = await admin(api, "GET", "/faults")
    assert described["routes"]["GET /devices"]["status"] == 418
    assert described["paymentRequired"] == [EMAIL]
    assert described["keepalivesStopped"] is True
    assert (await api.rest("GET", "device", "/devices")) == (418, {"x": 1})
    assert (await admin(api, "POST", "/faults/clear"))[0] == 200
    assert (await admin(api, "POST", "/faults/keepalives", {"enabled": True}))[0] == 200
    assert (await admin(api, "POST", "/faults/tokens/expire"))[0] == 200
    assert (await api.rest("GET", "device", "/devices"))[0] == 401
    assert (await admin(api, "POST", "/faults/tokens/revoke"))[0] == 200
    assert (await api.login(EMAIL, PASSWORD))[0] == 200
    for path, body in (
        ("/faults/routes", {"status": 500}),
        ("/faults/routes", {"route": "x"}),
        ("/faults/payment", {}),
        ("/faults/malformed", {"deviceId": "fenix-1", "kind": "nope"}),
        ("/faults/no-ack", {"deviceId": "ghost"}),
    ):
        assert (await admin(api, "POST", path, body))[0] == 400, path
    async with session.post(
        server.base_url + "/_admin/faults/logins",
        data=b"{x",
        headers={"Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 400


async def test_silenced_feed(api: Api, cloud: HarviaCloud, fenix: SimDevice) -> None:
    """Acknowledged, never delivered (new subscriptions too) until cleared."""
    status, _ = await admin(
        api, "POST", "/faults/silence-feed", {"deviceId": "fenix-1"}
    )
    assert status == 200
    socket = await api.realtime("data")
    ack = await socket.start(DATA_FEED, {"receiver": "fenix-1"}, sub_id="d")
    assert ack["type"] == "start_ack"
    fenix.panel.set_light(True)  # telemetry follows an output change at once
    assert await socket.drain() == []
    await admin(
        api, "POST", "/faults/silence-feed", {"deviceId": "fenix-1", "enabled": False}
    )
    fenix.panel.set_light(False)
    assert [m["id"] for m in await socket.drain()] == ["d"]
    with pytest.raises(ValueError):
        cloud.faults.silence_feed("fenix-1", "events")
    await socket.close()


async def test_latency_on_requests_and_acks(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """Every HTTP request and realtime acknowledgement waits the latency; no
    push reaches a subscription before its start_ack."""
    assert (await admin(api, "POST", "/faults/latency", {"seconds": 0.02}))[0] == 200
    assert cloud.faults.describe()["latency"] == 0.02
    started = time.monotonic()
    assert (await api.rest("GET", "device", "/devices"))[0] == 200
    assert time.monotonic() - started >= 0.02
    socket = await api.realtime("data")
    await socket.ws.send_json(
        {
            "id": "d",
            "type": "start",
            "payload": {
                "data": json.dumps(
                    {"query": DATA_FEED, "variables": {"receiver": "fenix-1"}}
                ),
                "extensions": {
                    "authorization": {
                        "Authorization": f"Bearer {socket.token}",
                        "host": "127.0.0.1",
                    }
                },
            },
        }
    )
    fenix.panel.set_light(True)  # before the start_ack: not delivered
    assert (await socket.receive())["type"] == "start_ack"
    fenix.panel.set_light(False)
    assert [m["type"] for m in await socket.drain()] == ["data"]
    with pytest.raises(ValueError):
        cloud.faults.set_latency(-1)
    await socket.close()
