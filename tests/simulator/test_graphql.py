"""GraphQL over HTTP: device and data AppSync APIs."""

from __future__ import annotations

import json

import aiohttp
from graphql import build_schema, parse, validate
import pytest

from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer
from harvia_simulator.graphql_api import SDL

from .helpers import Api

DEVICE_FIELDS = "id type attr { key value } roles via"


async def test_devices_get_and_list(
    api: Api, fenix: SimDevice, sensor: SimDevice
) -> None:
    status, body = await api.gql(
        "query Get($id: ID!) { devicesGet(deviceId: $id) { " + DEVICE_FIELDS + " } }",
        {"id": "fenix-1"},
    )
    assert status == 200
    device = body["data"]["devicesGet"]
    assert (device["id"], device["type"], device["via"]) == (
        "fenix-1",
        "Fenix",
        "CanSee",
    )
    assert {"key": "panelType", "value": "Fenix"} in device["attr"]
    _, body = await api.gql("{ usersDevicesList { devices { id type } nextToken } }")
    listing = body["data"]["usersDevicesList"]
    assert [d["id"] for d in listing["devices"]] == ["fenix-1", "sensor-1"]
    assert listing["nextToken"] is None


async def test_users_devices_list_pagination(
    api: Api, cloud: HarviaCloud, account: Account
) -> None:
    for i in range(23):
        cloud.add_device(account, "fenix", name=f"S{i}")
    query = "query L($t: String) { usersDevicesList(nextToken: $t) { devices { id } nextToken } }"
    _, first = await api.gql(query)
    page = first["data"]["usersDevicesList"]
    assert len(page["devices"]) == 20
    _, second = await api.gql(query, {"t": page["nextToken"]})
    assert len(second["data"]["usersDevicesList"]["devices"]) == 3
    assert second["data"]["usersDevicesList"]["nextToken"] is None


async def test_devices_states_get(
    api: Api, fenix: SimDevice, sensor: SimDevice
) -> None:
    query = (
        "query S($id: ID!, $shadow: String) { devicesStatesGet(deviceId: $id, shadowName: $shadow) "
        "{ deviceId shadowName desired reported timestamp version metadata "
        "connectionState { connected updatedTimestamp } } }"
    )
    _, body = await api.gql(query, {"id": "fenix-1", "shadow": "C1"})
    state = body["data"]["devicesStatesGet"]
    assert isinstance(state["reported"], str)
    reported = json.loads(state["reported"])
    assert reported["displayName"] == "Home Sauna"
    assert state["desired"] is None
    assert state["connectionState"] == {
        "connected": True,
        "updatedTimestamp": "1750000000000",
    }
    assert isinstance(state["timestamp"], float)
    assert "reported" in json.loads(state["metadata"])
    _, body = await api.gql(query, {"id": "sensor-1"})
    assert body["data"]["devicesStatesGet"]["shadowName"] == "classic"


async def test_devices_metadata_get(
    api: Api, fenix: SimDevice, account: Account
) -> None:
    _, body = await api.gql(
        '{ devicesMetadataGet(deviceId: "fenix-1") { deviceId owner roles contactName } }'
    )
    assert body["data"]["devicesMetadataGet"] == {
        "deviceId": "fenix-1",
        "owner": account.username,
        "roles": ["owner"],
        "contactName": None,
    }


async def test_not_found_error_shape(api: Api, fenix: SimDevice) -> None:
    status, body = await api.gql('{ devicesGet(deviceId: "nope") { id } }')
    assert status == 200
    assert body["data"] is None
    error = body["errors"][0]
    assert error["message"] == "Device 'nope' not found"
    assert error["errorType"] == "NotFoundException"
    assert error["path"] == ["devicesGet"]
    assert error["extensions"]["code"] == "DEVICE_NOT_FOUND"


async def test_commands_send(
    api: Api, cloud: HarviaCloud, fenix: SimDevice, generic: SimDevice
) -> None:
    """Commands a second apart (the cloud refuses bursts)."""
    mutation = (
        "mutation C($id: ID!, $cmd: Command!, $sub: String, $params: AWSJSON) "
        "{ devicesCommandsSend(deviceId: $id, command: $cmd, subId: $sub, params: $params) "
        "{ response failureReason } }"
    )
    _, body = await api.gql(
        mutation, {"id": "fenix-1", "cmd": {"type": "SAUNA"}, "params": '{"on": 1}'}
    )
    assert body == {
        "data": {"devicesCommandsSend": {"response": True, "failureReason": None}}
    }
    assert fenix.cabins["C1"].status == 1
    # No on/state: toggles.
    cloud.advance(1)
    await api.gql(mutation, {"id": "fenix-1", "cmd": {"type": "LIGHTS"}})
    assert fenix.cabins["C1"].light is False  # session start switched it on
    cloud.advance(1)
    await api.gql(
        mutation,
        {"id": "fenix-1", "cmd": {"type": "SAUNA"}, "params": '{"state": "off"}'},
    )
    assert fenix.cabins["C1"].status == 0
    # The whole enum on the generic type, with a cabin and params.
    for command, params in (("SAUNA", '{"on": 1}'), ("ADJUST_DURATION", '{"duration": 90}'),
                            ("STEAMER", '{"on": true}'), ("REMAINING_TIME", None),
                            ("TRACE_LOG", None), ("UPDATE", None), ("RESTART", None)):  # fmt: skip
        cloud.advance(1)
        _, body = await api.gql(
            mutation,
            {
                "id": "generic-1",
                "cmd": {"type": command},
                "sub": "C2",
                "params": params,
            },
        )
        assert body["data"]["devicesCommandsSend"]["response"] is True, (command, body)
    session = generic.cabins["C2"].session
    assert session is not None
    assert session.duration_min == 90
    # Inline literal form of the spec's example.
    cloud.advance(1)
    _, body = await api.gql(
        'mutation { devicesCommandsSend(deviceId: "fenix-1", command: {type: FAN}, params: "{\\"on\\": 1}") { response } }'
    )
    assert body["data"]["devicesCommandsSend"]["response"] is True
    assert fenix.cabins["C1"].fan


@pytest.mark.parametrize(
    ("variables", "error_type", "code"),
    [
        (
            {"id": "fenix-1", "cmd": {"type": "STEAMER"}},
            "BadRequestException",
            "BAD_REQUEST",
        ),
        (
            {"id": "fenix-1", "cmd": {"type": "LIGHTS"}, "params": "{bad"},
            "ValidationError",
            "VALIDATION_ERROR",
        ),
        (
            {"id": "fenix-1", "cmd": {"type": "LIGHTS"}, "params": "[1]"},
            "BadRequestException",
            "BAD_REQUEST",
        ),
        (
            {"id": "generic-1", "cmd": {"type": "ADJUST_DURATION"}, "params": "{}"},
            "BadRequestException",
            "BAD_REQUEST",
        ),
        (
            {"id": "missing", "cmd": {"type": "LIGHTS"}},
            "NotFoundException",
            "DEVICE_NOT_FOUND",
        ),
    ],
)
async def test_commands_send_errors(
    api: Api,
    fenix: SimDevice,
    generic: SimDevice,
    variables: dict[str, object],
    error_type: str,
    code: str,
) -> None:
    mutation = (
        "mutation C($id: ID!, $cmd: Command!, $params: AWSJSON) "
        "{ devicesCommandsSend(deviceId: $id, command: $cmd, params: $params) { response } }"
    )
    status, body = await api.gql(mutation, variables)
    assert status == 200
    assert body["data"] is None
    assert body["errors"][0]["errorType"] == error_type
    assert body["errors"][0]["extensions"]["code"] == code


async def test_commands_send_504_and_402_and_403(
    api: Api, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    mutation = 'mutation { devicesCommandsSend(deviceId: "fenix-1", command: {type: SAUNA}, params: "{\\"on\\": 1}") { response } }'
    fenix.panel.arm_remote_start(False)
    _, body = await api.gql(mutation)
    assert body["errors"][0]["errorType"] == "ForbiddenException"
    assert body["errors"][0]["message"] == "Remote start not allowed"
    fenix.panel.arm_remote_start(True)
    cloud.faults.no_ack("fenix-1")
    _, body = await api.gql(mutation)
    error = body["errors"][0]
    assert (error["errorType"], error["extensions"]["code"], error["extensions"]["statusCode"]) == (
        "DeviceUnavailableException", "DEVICE_UNAVAILABLE", 504,
    )  # fmt: skip
    account.licensed = False
    _, body = await api.gql(mutation)
    assert body["errors"][0]["errorType"] == "PaymentRequiredException"
    assert body["errors"][0]["extensions"]["code"] == "PAYMENT_REQUIRED"


async def test_states_update_is_acknowledged_but_never_applied(
    api: Api, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    mutation = (
        "mutation U($id: ID!, $state: AWSJSON!) "
        '{ devicesStatesUpdate(deviceId: $id, state: $state, shadowName: "C1", clientToken: "abc") }'
    )
    status, body = await api.gql(
        mutation,
        {"id": "fenix-1", "state": json.dumps({"desired": {"saunaStatus": 1}})},
    )
    assert status == 200
    result = json.loads(body["data"]["devicesStatesUpdate"])
    assert result["state"] == {"desired": {"saunaStatus": 1}}
    assert result["clientToken"] == "abc"
    cloud.advance(600)
    assert fenix.cabins["C1"].status == 0
    _, body = await api.gql(
        '{ devicesStatesGet(deviceId: "fenix-1") { desired reported } }'
    )
    state = body["data"]["devicesStatesGet"]
    assert json.loads(state["desired"]) == {"saunaStatus": 1}
    assert json.loads(state["reported"])["saunaStatus"] == 0
    for bad in ('"just a string"', '{"desired": 5}'):
        _, body = await api.gql(mutation, {"id": "fenix-1", "state": bad})
        assert body["errors"][0]["errorType"] == "BadRequestException"


async def test_ota_list_and_pagination(
    api: Api, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    query = (
        "query O($type: String, $hw: String, $t: String) { otaUpdatesList(deviceType: $type, hwVersion: $hw, nextToken: $t) "
        "{ otaUpdates { otaId firmwareVersion size description filename enabled deviceType hwVersion betaTesting } nextToken } }"
    )
    _, body = await api.gql(query, {"type": "Fenix", "hw": "2.0"})
    updates = body["data"]["otaUpdatesList"]["otaUpdates"]
    assert [u["firmwareVersion"] for u in updates] == [
        "1.12.0",
        "1.14.2",
        "1.15.0-beta.1",
    ]
    assert updates[2]["betaTesting"] is True
    assert updates[2]["enabled"] is False
    assert updates[1]["enabled"] is True
    cloud.ota_page_size = 2
    _, body = await api.gql(query, {})
    page = body["data"]["otaUpdatesList"]
    assert len(page["otaUpdates"]) == 2
    _, body = await api.gql(query, {"t": page["nextToken"]})
    assert (
        body["data"]["otaUpdatesList"]["otaUpdates"][0]["firmwareVersion"]
        == "1.15.0-beta.1"
    )


async def test_ota_install_flow(
    api: Api, fenix: SimDevice, sensor: SimDevice, cloud: HarviaCloud
) -> None:
    states = (
        "query S($active: Boolean) { otaUpdatesStatesList(onlyActive: $active) "
        "{ otaUpdateStates { deviceId updateState progressPercent updateFirmwareVersion resultCode timestamp } nextToken } }"
    )
    _, body = await api.gql(states, {"active": False})
    rows = body["data"]["otaUpdatesStatesList"]["otaUpdateStates"]
    assert {r["deviceId"]: r["updateState"] for r in rows} == {
        "fenix-1": "IDLE",
        "sensor-1": "IDLE",
    }
    start = "mutation S($id: ID!, $ota: ID!) { devicesOtaUpdatesStart(deviceId: $id, otaId: $ota) }"
    _, body = await api.gql(start, {"id": "fenix-1", "ota": "ota-fenix-2.0-1.14.2"})
    assert body == {"data": {"devicesOtaUpdatesStart": True}}
    _, body = await api.gql(start, {"id": "fenix-1", "ota": "ota-fenix-2.0-1.14.2"})
    assert body["errors"][0]["errorType"] == "ConflictException"
    cloud.advance(60)
    _, body = await api.gql(states, {"active": True})
    rows = body["data"]["otaUpdatesStatesList"]["otaUpdateStates"]
    assert len(rows) == 1
    assert rows[0]["updateState"] == "IN_PROGRESS"
    assert rows[0]["progressPercent"] == 50
    assert rows[0]["updateFirmwareVersion"] == "1.14.2"
    cloud.advance(60)
    _, body = await api.gql(states, {"active": False})
    done = next(
        r
        for r in body["data"]["otaUpdatesStatesList"]["otaUpdateStates"]
        if r["deviceId"] == "fenix-1"
    )
    assert (done["updateState"], done["progressPercent"], done["resultCode"]) == (
        "DONE",
        100,
        0,
    )
    _, body = await api.gql(
        '{ devicesGet(deviceId: "fenix-1") { attr { key value } } }'
    )
    assert {"key": "powerUnitFwVersion", "value": "1.14.2"} in body["data"][
        "devicesGet"
    ]["attr"]
    assert {"key": "initialFirmware", "value": "1.12.0"} in body["data"]["devicesGet"][
        "attr"
    ]
    _, body = await api.gql('{ devicesStatesGet(deviceId: "fenix-1") { reported } }')
    assert (
        json.loads(body["data"]["devicesStatesGet"]["reported"])["deviceFwVersion"]
        == "1.14.2"
    )


async def test_ota_cancel_and_errors(
    api: Api, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    cancel = 'mutation { devicesOtaUpdatesCancel(deviceId: "fenix-1") }'
    _, body = await api.gql(cancel)
    assert body == {"data": {"devicesOtaUpdatesCancel": False}}
    start = 'mutation S($ota: ID!) { devicesOtaUpdatesStart(deviceId: "fenix-1", otaId: $ota) }'
    _, body = await api.gql(start, {"ota": "ota-nope"})
    assert body["errors"][0]["errorType"] == "NotFoundException"
    _, body = await api.gql(start, {"ota": "ota-saunasensor-1.0-2.4.1"})
    assert body["errors"][0]["errorType"] == "BadRequestException"
    fenix.set_connected(False)
    _, body = await api.gql(start, {"ota": "ota-fenix-2.0-1.14.2"})
    assert body["errors"][0]["errorType"] == "DeviceUnavailableException"
    fenix.set_connected(True)
    await api.gql(start, {"ota": "ota-fenix-2.0-1.14.2"})
    cloud.advance(30)
    _, body = await api.gql(cancel)
    assert body == {"data": {"devicesOtaUpdatesCancel": True}}
    cloud.advance(300)
    assert fenix.firmware == "1.12.0"
    assert fenix.ota is not None
    assert fenix.ota.state == "CANCELLED"


async def test_measurements_latest(
    api: Api, fenix: SimDevice, generic: SimDevice
) -> None:
    query = "query M($id: String!) { devicesMeasurementsLatest(deviceId: $id) { deviceId subId timestamp sessionId type data } }"
    _, body = await api.gql(query, {"id": "generic-1"}, api="data")
    items = body["data"]["devicesMeasurementsLatest"]
    assert [i["subId"] for i in items] == ["C1", "C2"]
    assert isinstance(items[0]["data"], str)
    assert "temperature" in json.loads(items[0]["data"])
    assert items[0]["timestamp"].isdigit()
    _, body = await api.gql(query, {"id": "nope"}, api="data")
    assert body["errors"][0]["errorType"] == "NotFoundException"


async def test_validation_errors(api: Api, fenix: SimDevice) -> None:
    for query in (
        '{ devicesGet(deviceId: "fenix-1") { nosuchfield } }',
        "{ nope }",
        "query {",
    ):
        status, body = await api.gql(query)
        assert status == 200
        assert body["data"] is None
        assert body["errors"][0]["errorType"] == "ValidationError"
        assert body["errors"][0]["message"].startswith("Validation error")
    # Variables of the wrong type.
    status, body = await api.gql(
        "query Q($id: ID!) { devicesGet(deviceId: $id) { id } }", {"id": None}
    )
    assert body["errors"][0]["errorType"] == "ValidationError"
    # Unknown operation name among several.
    async with api.session.post(
        api.endpoints["GraphQL"]["device"]["https"],
        json={
            "query": "query A { usersDevicesList { nextToken } } query B { usersDevicesList { nextToken } }",
            "operationName": "C",
        },
        headers={"Authorization": f"Bearer {api.token}"},
    ) as resp:
        body = await resp.json()
    assert body["errors"][0]["errorType"] == "ValidationError"


async def test_subscription_over_http_is_refused(api: Api) -> None:
    _, body = await api.gql(
        'subscription { devicesStatesUpdateFeed(receiver: "x") { receiver } }'
    )
    assert body["errors"][0]["errorType"] == "UnsupportedOperation"


async def test_malformed_http_bodies(api: Api) -> None:
    url = api.endpoints["GraphQL"]["device"]["https"]
    headers = {"Authorization": f"Bearer {api.token}"}
    for payload in (
        {"data": b"{nope"},
        {"json": {"query": 5}},
        {"json": {"query": "{ x }", "variables": [1]}},
    ):
        async with api.session.post(url, headers=headers, **payload) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body["errors"][0]["errorType"] == "MalformedHttpRequestException"


async def test_unsimulated_apis(api: Api) -> None:
    url = api.endpoints["GraphQL"]["stats"]["https"]
    async with api.session.post(
        url, json={"query": "{ x }"}, headers={"Authorization": f"Bearer {api.token}"}
    ) as resp:
        body = await resp.json()
    assert body["errors"][0]["errorType"] == "UnsupportedOperation"
    async with api.session.post(url, json={"query": "{ x }"}) as resp:
        assert resp.status == 401


async def test_per_field_request_counts(
    api: Api, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    cloud.request_counts.clear()
    await api.gql(
        '{ a: devicesGet(deviceId: "fenix-1") { id } devicesStatesGet(deviceId: "fenix-1") { version } }'
    )
    await api.gql(
        '{ devicesMeasurementsLatest(deviceId: "fenix-1") { subId } }', api="data"
    )
    assert cloud.request_counts == {
        "POST /graphql/device": 1,
        "graphql:device:devicesGet": 1,
        "graphql:device:devicesStatesGet": 1,
        "POST /graphql/data": 1,
        "graphql:data:devicesMeasurementsLatest": 1,
    }


def test_sdl_validates_the_documented_operations() -> None:
    """Documents as a spec-following client writes them validate against the SDL."""
    device = build_schema(SDL["device"])
    data = build_schema(SDL["data"])
    documents = [
        (
            device,
            'query { devicesGet(deviceId: "x") { id type attr { key value } roles via } }',
        ),
        (
            device,
            'mutation($cmd: Command!, $p: AWSJSON) { devicesCommandsSend(deviceId: "x", command: $cmd, subId: "C1", params: $p) { response failureReason } }',
        ),
        (
            device,
            "query { otaUpdatesStatesList(onlyActive: true) { otaUpdateStates { deviceId updateState progressPercent timestamp } nextToken } }",
        ),
        (
            device,
            'subscription { otaUpdatesStatesUpdateFeed(receiver: "x") { receiver item { deviceId updateState progressPercent timestamp } } }',
        ),
        (
            data,
            "subscription($r: ID!) { devicesMeasurementsUpdateFeed(receiver: $r) { receiver item { deviceId subId timestamp sessionId type data } } }",
        ),
    ]
    for schema, document in documents:
        assert validate(schema, parse(document)) == []


async def test_graphql_401_without_token(
    session: aiohttp.ClientSession, server: SimulatorServer
) -> None:
    async with session.get(server.endpoints_url) as resp:
        url = (await resp.json())["endpoints"]["GraphQL"]["device"]["https"]
    async with session.post(
        url, json={"query": "{ usersDevicesList { nextToken } }"}
    ) as resp:
        assert resp.status == 401
        body = await resp.json()
    assert body["errors"][0]["errorType"] == "UnauthorizedException"
