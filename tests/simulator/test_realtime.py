"""AppSync realtime protocol (notes §6)."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
import json

import aiohttp
import pytest

from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

from .helpers import (
    DATA_FEED,
    OTA_FEED,
    STATE_FEED,
    Api,
    Realtime,
    data_of,
    encode_header,
    reported_of,
)


async def test_handshake_and_keepalives(api: Api, cloud: HarviaCloud) -> None:
    socket = await api.realtime(init=False)
    assert socket.ws.protocol == "graphql-ws"
    ack = await socket.init()
    assert ack == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
    assert await socket.drain(keep_ka=True) == []
    cloud.advance(59)
    assert await socket.drain(keep_ka=True) == []
    cloud.advance(1)
    assert await socket.drain(keep_ka=True) == [{"type": "ka"}]
    cloud.advance(180)
    assert await socket.drain(keep_ka=True) == [{"type": "ka"}] * 3
    await socket.close()


async def test_keepalive_interval_and_timeout_are_configurable(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    cloud = HarviaCloud(
        start_time=0.0, keepalive_interval=10.0, connection_timeout_ms=5000
    )
    cloud.add_account("a@example.com", "pw")
    async with SimulatorServer(cloud) as server:
        api = Api(session, server)
        await api.login("a@example.com", "pw")
        socket = await api.realtime(init=False)
        assert (await socket.init())["payload"]["connectionTimeoutMs"] == 5000
        cloud.advance(30)
        assert await socket.drain(keep_ka=True) == [{"type": "ka"}] * 3
        cloud.keepalive_interval = 100.0
        cloud.advance(99)
        assert await socket.drain(keep_ka=True) == []
        await socket.close()


async def test_start_data_stop_complete(
    api: Api, fenix: SimDevice, server: SimulatorServer
) -> None:
    socket = await api.realtime()
    ack = await socket.start(STATE_FEED, {"receiver": "fenix-1"}, sub_id="s1")
    assert ack == {"id": "s1", "type": "start_ack"}
    fenix.panel.set_light(True)
    await server.flush()
    message = await socket.receive()
    assert message["id"] == "s1"
    assert message["type"] == "data"
    notice = message["payload"]["data"]["devicesStatesUpdateFeed"]
    assert notice["receiver"] == "fenix-1"
    item = notice["item"]
    assert (item["deviceId"], item["shadowName"], item["desired"]) == (
        "fenix-1",
        "C1",
        None,
    )
    assert item["reported"] == '{"light": {"on": 1}}'
    assert item["connectionState"] == {
        "connected": True,
        "updatedTimestamp": "1750000000000",
    }
    await socket.ws.send_json({"type": "stop", "id": "s1"})
    assert await socket.receive() == {"id": "s1", "type": "complete"}
    fenix.panel.set_light(False)
    assert await socket.drain() == []
    await socket.close()


async def test_pushes_are_partial(
    api: Api, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    socket = await api.realtime()
    await socket.start(STATE_FEED, {"receiver": "fenix-1"})
    await api.rest(
        "POST",
        "device",
        "/devices/command",
        json={"deviceId": "fenix-1", "command": {"type": "SAUNA", "state": "on"}},
    )
    (push,) = await socket.drain()
    assert reported_of(push) == {
        "saunaStatus": 1,
        "heater": {"on": 1, "state": 0},
        "light": {"on": 1},
    }
    cloud.advance(600)  # heating changes telemetry, not the shadow
    assert await socket.drain() == []
    fenix.panel.open_door()
    assert [reported_of(m) for m in await socket.drain()] == [{"remoteAllowed": 0}]
    await socket.close()


async def test_receiver_semantics(api: Api, fenix: SimDevice, account: Account) -> None:
    """Only the device id delivers; the user id (spec's form) is acked and silent."""
    socket = await api.realtime()
    assert (
        await socket.start(STATE_FEED, {"receiver": account.username}, sub_id="user")
    )["type"] == "start_ack"
    assert (await socket.start(STATE_FEED, {"receiver": "fenix-1"}, sub_id="device"))[
        "type"
    ] == "start_ack"
    fenix.panel.set_fan(True)
    messages = await socket.drain()
    assert [m["id"] for m in messages] == ["device"]
    await socket.close()


async def test_no_pushes_for_devices_of_others(
    api: Api,
    cloud: HarviaCloud,
    session: aiohttp.ClientSession,
    server: SimulatorServer,
) -> None:
    other = cloud.add_account("other@example.com", "pw")
    theirs = cloud.add_device(other, "fenix", device_id="theirs")
    socket = await api.realtime()
    await socket.start(STATE_FEED, {"receiver": "theirs"})
    theirs.panel.set_light(True)
    assert await socket.drain() == []
    await socket.close()


async def test_device_info_push_after_reconnect(
    api: Api, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    socket = await api.realtime()
    await socket.start(STATE_FEED, {"receiver": "fenix-1"})
    fenix.set_connected(False)
    fenix.panel.set_light(True)  # happens while offline: reported after reconnect
    cloud.advance(30)
    fenix.set_connected(True)
    messages = await socket.drain()
    items = [m["payload"]["data"]["devicesStatesUpdateFeed"]["item"] for m in messages]
    assert [i["connectionState"]["connected"] for i in items] == [
        False,
        True,
        True,
        True,
    ]
    assert json.loads(items[0]["reported"]) == {}
    assert set(json.loads(items[2]["reported"])) == {
        "deviceFwVersion",
        "wifissid",
        "espChip",
        "mac",
    }
    assert json.loads(items[3]["reported"]) == {"light": {"on": 1}}
    await socket.close()


async def test_data_feed(
    api: Api, fenix: SimDevice, sensor: SimDevice, cloud: HarviaCloud
) -> None:
    socket = await api.realtime("data")
    await socket.start(DATA_FEED, {"receiver": "fenix-1"}, sub_id="fenix")
    await socket.start(DATA_FEED, {"receiver": "sensor-1"}, sub_id="sensor")
    fenix.panel.power(True)
    (first,) = await socket.drain()
    notice = first["payload"]["data"]["devicesMeasurementsUpdateFeed"]
    assert notice["receiver"] == "fenix-1"
    assert isinstance(notice["item"]["data"], str)
    assert data_of(first)["heatOn"] == 1
    assert notice["item"]["sessionId"]
    cloud.advance(300)
    pushes = await socket.drain()
    assert 5 <= len(pushes) <= 10  # every 30-60 s while active
    assert {m["id"] for m in pushes} == {"fenix"}  # the cold sensor stays silent
    await socket.close()


async def test_ota_feed(api: Api, fenix: SimDevice, cloud: HarviaCloud) -> None:
    socket = await api.realtime()
    await socket.start(OTA_FEED, {"receiver": "fenix-1"}, sub_id="ota")
    await socket.start(STATE_FEED, {"receiver": "fenix-1"}, sub_id="state")
    await api.gql(
        'mutation { devicesOtaUpdatesStart(deviceId: "fenix-1", otaId: "ota-fenix-2.0-1.14.2") }'
    )
    cloud.advance(120)
    messages = await socket.drain()
    ota = [
        m["payload"]["data"]["otaUpdatesStatesUpdateFeed"]["item"]
        for m in messages
        if m["id"] == "ota"
    ]
    assert [i["progressPercent"] for i in ota] == [
        0,
        10,
        20,
        30,
        40,
        50,
        60,
        70,
        80,
        90,
        100,
    ]
    assert [i["updateState"] for i in ota][-2:] == ["IN_PROGRESS", "DONE"]
    assert ota[0]["updateFirmwareVersion"] == "1.14.2"
    state = [reported_of(m) for m in messages if m["id"] == "state"]
    assert state == [{"deviceFwVersion": "1.14.2"}]
    await socket.close()


async def test_aliases_and_partial_selections(api: Api, fenix: SimDevice) -> None:
    socket = await api.realtime()
    query = 'subscription { feed: devicesStatesUpdateFeed(receiver: "fenix-1") { item { reported } } }'
    await socket.start(query)
    fenix.panel.set_light(True)
    (message,) = await socket.drain()
    assert message["payload"] == {
        "data": {"feed": {"item": {"reported": '{"light": {"on": 1}}'}}}
    }
    await socket.close()


async def test_start_errors(api: Api) -> None:
    socket = await api.realtime()
    bad_field = await socket.start(
        'subscription { nope(receiver: "x") { receiver } }', sub_id="e1"
    )
    assert bad_field["type"] == "error"
    assert bad_field["id"] == "e1"
    assert bad_field["payload"]["errors"][0]["errorType"] == "ValidationError"
    query_not_sub = await socket.start(
        "{ usersDevicesList { nextToken } }", sub_id="e2"
    )
    assert query_not_sub["payload"]["errors"][0]["message"].endswith(
        "Only subscription operations can be started"
    )
    missing_var = await socket.start(STATE_FEED, {}, sub_id="e3")
    assert missing_var["type"] == "error"
    bad_token = await socket.start(
        STATE_FEED, {"receiver": "x"}, sub_id="e4", token="garbage"
    )
    assert bad_token["payload"]["errors"][0]["errorType"] == "UnauthorizedException"
    assert (await socket.start(STATE_FEED, {"receiver": "x"}, sub_id="dup"))[
        "type"
    ] == "start_ack"
    duplicate = await socket.start(STATE_FEED, {"receiver": "x"}, sub_id="dup")
    assert duplicate["payload"]["errors"][0]["errorType"] == "DuplicatedOperationError"
    for raw in (
        {"type": "start", "payload": {}},
        {"type": "start", "id": "p1"},
        {"type": "start", "id": "p2", "payload": {"data": "{not json", "extensions": {"authorization": {"Authorization": f"Bearer {api.token}"}}}},
        {"type": "start", "id": "p3", "payload": {"data": {"query": "subscription { devicesStatesUpdateFeed(receiver: \"x\") { receiver } }"}}},
        {"type": "start", "id": "p4", "payload": {"data": {"variables": []}, "extensions": {"authorization": {"Authorization": f"Bearer {api.token}"}}}},
        {"type": "start", "id": "p5", "payload": {"data": {"query": "subscription { devicesStatesUpdateFeed(receiver: \"x\") { receiver } }", "variables": [1]}, "extensions": {"authorization": {"Authorization": f"Bearer {api.token}"}}}},
        {"type": "start", "id": "p6", "payload": {"data": {"query": "subscription { ...F } fragment F on Subscription { devicesStatesUpdateFeed(receiver: \"x\") { receiver } }"}, "extensions": {"authorization": {"Authorization": f"Bearer {api.token}"}}}},
        {"type": "stop", "id": "never-started"},
        {"type": "stop"},
        {"type": "mystery", "id": "m1"},
        {"type": "mystery"},
        [1, 2],
    ):  # fmt: skip
        await socket.ws.send_json(raw)
        reply = await socket.receive()
        assert reply["type"] == "error", raw
    await socket.ws.send_str("{not json")
    assert (await socket.receive())["type"] == "error"
    await socket.ws.send_bytes(b"\x00")
    assert (await socket.receive())["type"] == "error"
    await socket.close()


async def test_start_before_connection_init(api: Api) -> None:
    socket = await api.realtime(init=False)
    reply = await socket.start(STATE_FEED, {"receiver": "x"})
    assert reply["type"] == "error"
    assert (
        reply["payload"]["errors"][0]["message"] == "connection_init is required first"
    )
    await socket.close()


async def test_connect_without_subprotocol_is_refused(api: Api) -> None:
    url = (
        api.endpoints["GraphQL"]["device"]["wss"]
        + f"?header={encode_header(api.token or '')}&payload=e30="
    )
    async with api.session.get(url.replace("ws://", "http://")) as resp:
        assert resp.status == 400
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await api.session.ws_connect(url)
    assert err.value.status == 400


async def test_data_socket_validates_against_the_data_schema(api: Api) -> None:
    socket = await api.realtime("data")
    reply = await socket.start(STATE_FEED, {"receiver": "x"})
    assert reply["type"] == "error"
    assert reply["payload"]["errors"][0]["errorType"] == "ValidationError"
    await socket.close()


async def test_server_stop_closes_sockets(
    session: aiohttp.ClientSession,
    cloud: HarviaCloud,
    account: Account,
    socket_enabled: None,
) -> None:
    server = SimulatorServer(cloud)
    await server.start()
    api = Api(session, server)
    await api.login()
    socket = await api.realtime()
    await socket.start(STATE_FEED, {"receiver": "x"})
    await server.stop()
    message = await socket.ws.receive(timeout=5)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await socket.close()
    await server.stop()  # idempotent


async def test_stop_cancels_requests_waiting_for_an_ack(
    session: aiohttp.ClientSession,
    cloud: HarviaCloud,
    account: Account,
    socket_enabled: None,
) -> None:
    """A command parked on a silent device must not hold up `stop()`."""
    device = cloud.add_device(account, "fenix", device_id="quiet")
    cloud.ack_timeout = 60.0
    cloud.faults.no_ack(device.device_id)
    arrived = asyncio.Event()

    class Watch(Counter[str]):
        def __setitem__(self, key: str, value: int) -> None:
            super().__setitem__(key, value)
            if key == "POST /devices/command":
                arrived.set()

    cloud.request_counts = Watch()
    server = SimulatorServer(cloud)
    await server.start()
    api = Api(session, server)
    await api.login()
    socket = await api.realtime()
    pending = asyncio.ensure_future(
        api.rest(
            "POST",
            "device",
            "/devices/command",
            json={"deviceId": "quiet", "command": {"type": "LIGHTS", "state": "on"}},
        )
    )
    await arrived.wait()
    started = asyncio.get_running_loop().time()
    await server.stop()
    assert asyncio.get_running_loop().time() - started < 5
    with pytest.raises(aiohttp.ClientError):
        await pending
    await socket.close()


async def test_ota_feed_refused_with_ota(
    api: Api, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    """An account refused OTA queries is refused the OTA feed too."""
    cloud.faults.refuse_ota(account.email)
    socket = await api.realtime()
    answer = await socket.start(OTA_FEED, {"receiver": "fenix-1"}, sub_id="ota")
    assert answer["type"] == "error"
    assert answer["payload"]["errors"][0]["errorType"] == "Unauthorized"
    assert (await socket.start(STATE_FEED, {"receiver": "fenix-1"}))["type"] == (
        "start_ack"
    )
    await socket.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("payload=e30=", "Both header and payload"),
        ("header={header}", "Both header and payload"),
        ("header=bm90IGpzb24=&payload=e30=", "not base64 JSON"),
        ("header={no_host}&payload=e30=", "must name the API host"),
    ],
)
async def test_connect_url_must_carry_header_payload_and_host(
    api: Api, query: str, message: str
) -> None:
    """AppSync refuses a handshake without `header`/`payload` or `host`."""
    await api.discover()
    token = api.token or ""
    no_host = base64.b64encode(
        json.dumps({"Authorization": f"Bearer {token}"}).encode()
    ).decode()
    url = (
        api.endpoints["GraphQL"]["device"]["wss"]
        + "?"
        + query.format(header=encode_header(token), no_host=no_host)
    )
    ws = await api.session.ws_connect(url, protocols=["graphql-ws"])
    socket = Realtime(ws, token)
    reply = await socket.init()
    assert reply["type"] == "connection_error"
    (error,) = reply["payload"]["errors"]
    assert error["errorType"] == "MalformedRequest"
    assert error["errorCode"] == 400
    assert message in error["message"]
    closing = await ws.receive(timeout=5)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 1008


async def test_account_connection_timeout(api: Api, account: Account) -> None:
    """An account's own connectionTimeoutMs is the one its connection_ack carries."""
    account.connection_timeout_ms = 60_000
    socket = await api.realtime(init=False)
    ack = await socket.init()
    assert ack == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 60000}}
    await socket.close()


async def test_held_start_acks(
    api: Api, cloud: HarviaCloud, fenix: SimDevice, server: SimulatorServer
) -> None:
    """Held start_acks: the subscriptions stand but are silent until released."""
    cloud.faults.hold_start_acks("device", count=2)
    assert cloud.faults.describe()["heldStartAcks"] == {"device": 2}
    socket = await api.realtime()
    for sub_id in ("a", "b", "c"):
        await socket.ws.send_json(
            {
                "id": sub_id,
                "type": "start",
                "payload": {
                    "data": json.dumps(
                        {"query": STATE_FEED, "variables": {"receiver": "fenix-1"}}
                    ),
                    "extensions": {
                        "authorization": {
                            "Authorization": f"Bearer {api.token}",
                            "host": "127.0.0.1",
                        }
                    },
                },
            }
        )
    assert await socket.drain() == [{"id": "c", "type": "start_ack"}]
    fenix.panel.set_light(True)  # no data before a start_ack
    await server.flush()
    assert [(m["type"], m["id"]) for m in await socket.drain()] == [("data", "c")]
    await socket.ws.send_json({"type": "stop", "id": "b"})
    assert await socket.receive() == {"id": "b", "type": "complete"}
    cloud.faults.release_start_acks()
    await server.flush()
    assert await socket.drain() == [{"id": "a", "type": "start_ack"}]
    assert cloud.faults.describe()["heldStartAcks"] == {}
    with pytest.raises(ValueError):
        cloud.faults.hold_start_acks("other")
    cloud.faults.hold_start_acks("data")
    assert cloud.faults.take_held_ack("data")
    assert cloud.faults.take_held_ack("data")  # every one until released
    cloud.faults.clear()
    assert not cloud.faults.take_held_ack("data")
    await socket.close()


async def test_held_route_hangs_until_released(
    api: Api, cloud: HarviaCloud, server: SimulatorServer
) -> None:
    """A held route answers only once released (no real time involved)."""
    cloud.faults.hold_route("realtime:device:connect", count=1)
    assert cloud.faults.describe()["routes"]["realtime:device:connect"]["held"]
    connecting = asyncio.create_task(api.realtime())
    await cloud.faults.until_held("realtime:device:connect")
    await asyncio.sleep(0)
    assert not connecting.done()
    cloud.faults.release_routes()
    socket = await connecting
    await socket.close()
