"""REST device and data APIs (spec REST section, notes §3-5)."""

from __future__ import annotations

import aiohttp
import pytest

from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

from .helpers import Api


def attrs(row: dict[str, object]) -> dict[str, str]:
    return {a["key"]: a["value"] for a in row["attr"]}  # type: ignore[attr-defined]


# -- device list -------------------------------------------------------------


async def test_devices_rows_carry_the_id_in_name(
    api: Api, fenix: SimDevice, sensor: SimDevice
) -> None:
    status, body = await api.rest("GET", "device", "/devices")
    assert status == 200
    assert "nextToken" not in body
    rows = {row["name"]: row for row in body["devices"]}
    assert set(rows) == {"fenix-1", "sensor-1"}
    row = rows["fenix-1"]
    assert "deviceId" not in row
    assert row["type"] == "Fenix"
    assert row["roles"] == ["owner"]
    assert row["via"] == "CanSee"
    fenix_attrs = attrs(row)
    for key in (
        "serialNumber", "brand", "connected", "HWID", "powerUnitHWID", "powerUnitFwVersion",
        "initialFirmware", "panelType", "powerUnitVariant", "BT_MAC", "organization",
        "createdAt", "gpsLat", "gpsLon",
    ):  # fmt: skip
        assert key in fenix_attrs
    assert fenix_attrs["connected"] == "true"
    assert fenix_attrs["powerUnitFwVersion"] == "1.12.0"
    assert rows["sensor-1"]["type"] == "SaunaSensor"


async def test_devices_pagination(
    api: Api, cloud: HarviaCloud, account: Account
) -> None:
    ids = [
        cloud.add_device(account, "fenix", name=f"S{i}").device_id for i in range(25)
    ]
    status, page1 = await api.rest("GET", "device", "/devices")
    assert status == 200
    assert len(page1["devices"]) == 20
    status, page2 = await api.rest(
        "GET", "device", "/devices", params={"nextToken": page1["nextToken"]}
    )
    assert len(page2["devices"]) == 5
    assert "nextToken" not in page2
    assert [r["name"] for r in page1["devices"] + page2["devices"]] == ids

    seen: list[str] = []
    params = {"maxResults": "10"}
    while True:
        _, page = await api.rest("GET", "device", "/devices", params=params)
        seen += [r["name"] for r in page["devices"]]
        if "nextToken" not in page:
            break
        params = {"maxResults": "10", "nextToken": page["nextToken"]}
    assert seen == ids


@pytest.mark.parametrize(
    "params", [{"maxResults": "0"}, {"maxResults": "x"}, {"nextToken": "garbage!"}]
)
async def test_devices_bad_paging_parameters(
    api: Api, fenix: SimDevice, params: dict[str, str]
) -> None:
    status, body = await api.rest("GET", "device", "/devices", params=params)
    assert status == 400
    assert set(body) == {"error", "message"}


async def test_next_token_is_bound_to_the_caller(
    api: Api,
    cloud: HarviaCloud,
    account: Account,
    session: aiohttp.ClientSession,
    server: SimulatorServer,
) -> None:
    for i in range(3):
        cloud.add_device(account, "fenix", name=f"S{i}")
    _, page = await api.rest("GET", "device", "/devices", params={"maxResults": "1"})
    cloud.add_account("other@example.com", "pw2")
    other = Api(session, server)
    await other.login("other@example.com", "pw2")
    status, _ = await other.rest(
        "GET", "device", "/devices", params={"nextToken": page["nextToken"]}
    )
    assert status == 400


# -- state ---------------------------------------------------------------------


async def test_state_defaults_to_c1(api: Api, fenix: SimDevice) -> None:
    status, body = await api.rest(
        "GET", "device", "/devices/state", params={"deviceId": "fenix-1"}
    )
    assert status == 200
    assert set(body) == {
        "deviceId",
        "shadowName",
        "state",
        "version",
        "timestamp",
        "metadata",
        "connectionState",
    }
    assert body["shadowName"] == "C1"
    assert body["connectionState"] == {
        "connected": True,
        "updatedTimestamp": 1_750_000_000_000,
    }
    state = body["state"]
    assert state["displayName"] == "Home Sauna"
    assert state["saunaStatus"] == 0
    assert state["heater"] == {"on": 0, "state": 0}
    assert state["activeProfile"] == 0
    assert set(state["profiles"]) == {"0", "1", "2", "3"}
    assert state["profiles"]["0"]["name"] == "Finnish"
    assert state["settings"]["maxTemp"] == 110
    assert state["settings"]["maxOnTime"] == 360
    assert state["remoteAllowed"] == 1
    assert state["timer"] == {"startTime": None, "readyTime": None}
    assert "displayName" in body["metadata"]["reported"]


async def test_state_selectors(api: Api, generic: SimDevice, sensor: SimDevice) -> None:
    _, c2 = await api.rest(
        "GET",
        "device",
        "/devices/state",
        params={"deviceId": "generic-1", "subId": "C2"},
    )
    assert (c2["shadowName"], c2["state"]["displayName"]) == ("C2", "Spa 2")
    _, by_name = await api.rest(
        "GET",
        "device",
        "/devices/state",
        params={"deviceId": "generic-1", "cabinName": "Spa 2"},
    )
    assert by_name["shadowName"] == "C2"
    status, body = await api.rest(
        "GET",
        "device",
        "/devices/state",
        params={"deviceId": "generic-1", "subId": "C1", "cabinName": "Spa"},
    )
    assert (status, body["message"]) == (
        400,
        "subId and cabinName are mutually exclusive",
    )
    status, _ = await api.rest(
        "GET",
        "device",
        "/devices/state",
        params={"deviceId": "generic-1", "subId": "C9"},
    )
    assert status == 404
    status, _ = await api.rest(
        "GET",
        "device",
        "/devices/state",
        params={"deviceId": "generic-1", "cabinName": "Nope"},
    )
    assert status == 404
    _, classic = await api.rest(
        "GET", "device", "/devices/state", params={"deviceId": "sensor-1"}
    )
    assert classic["shadowName"] == "classic"
    assert classic["state"]["displayName"] == "Sensor"
    assert "saunaStatus" not in classic["state"]


async def test_unknown_and_foreign_devices_are_404(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    other = cloud.add_account("other@example.com", "pw")
    cloud.add_device(other, "fenix", device_id="theirs")
    for device_id in ("nope", "theirs"):
        status, body = await api.rest(
            "GET", "device", "/devices/state", params={"deviceId": device_id}
        )
        assert status == 404
        assert body == {
            "error": "NotFound",
            "message": f"Device '{device_id}' not found",
        }
    status, body = await api.rest("GET", "device", "/devices/state")
    assert (status, body["message"]) == (400, "deviceId is required")


# -- commands -------------------------------------------------------------------


@pytest.mark.parametrize("state", ["on", True, "true", "1"])
async def test_sauna_on_forms(api: Api, fenix: SimDevice, state: object) -> None:
    status, body = await api.rest(
        "POST", "device", "/devices/command",
        json={"deviceId": "fenix-1", "cabin": {"id": "C1"}, "command": {"type": "SAUNA", "state": state}},
    )  # fmt: skip
    assert (status, body) == (200, {"handled": True})
    assert fenix.cabins["C1"].status == 1


async def test_sauna_off_and_outputs(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    fenix.panel.power(True)
    for command, state in (
        ("LIGHTS", "on"),
        ("FAN", True),
        ("SAUNA", "off"),
    ):
        cloud.advance(1)  # the cloud refuses bursts
        status, _ = await api.rest(
            "POST",
            "device",
            "/devices/command",
            json={"deviceId": "fenix-1", "command": {"type": command, "state": state}},
        )
        assert status == 200, command
    cabin = fenix.cabins["C1"]
    assert (cabin.status, cabin.light, cabin.fan) == (0, True, True)


async def test_fenix_rejects_numbers_as_state(api: Api, fenix: SimDevice) -> None:
    status, body = await api.rest(
        "POST",
        "device",
        "/devices/command",
        json={"deviceId": "fenix-1", "command": {"type": "SAUNA", "state": 1}},
    )
    assert status == 400
    assert body["error"] == "BadRequest"
    assert body["message"].startswith("Invalid command.state value 1")
    assert "send command.params" in body["message"]
    # ... and command.params is how numbers are sent.
    status, _ = await api.rest(
        "POST", "device", "/devices/command",
        json={"deviceId": "fenix-1", "command": {"type": "LIGHTS", "params": {"on": 1}}},
    )  # fmt: skip
    assert status == 200
    assert fenix.cabins["C1"].light


@pytest.mark.parametrize(
    "command", ["STEAMER", "ADJUST_DURATION", "VAPORIZER", "RESTART"]
)
async def test_fenix_rejects_other_commands(
    api: Api, combi: SimDevice, command: str
) -> None:
    status, body = await api.rest(
        "POST",
        "device",
        "/devices/command",
        json={"deviceId": "combi-1", "command": {"type": command, "state": "on"}},
    )
    assert status == 400
    assert (
        body["message"]
        == f"Command '{command}' is not supported for device type 'Fenix'"
    )


async def test_generic_accepts_numbers_as_state(
    api: Api, cloud: HarviaCloud, generic: SimDevice
) -> None:
    """The spec's number form works where the device type takes it; the rest
    of the Command enum is GraphQL's (see test_graphql)."""
    for command in ("SAUNA", "LIGHTS", "FAN"):
        cloud.advance(1)
        status, _ = await api.rest(
            "POST", "device", "/devices/command",
            json={"deviceId": "generic-1", "cabin": {"id": "C2"}, "command": {"type": command, "state": 1}},
        )  # fmt: skip
        assert status == 200, command
    cabin = generic.cabins["C2"]
    assert (cabin.status, cabin.light, cabin.fan) == (1, True, True)
    assert generic.cabins["C1"].status == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"deviceId": "fenix-1"}, "command is required"),
        ({"deviceId": "fenix-1", "command": {"state": "on"}}, "command.type is required"),
        ({"deviceId": "fenix-1", "command": {"type": "SAUNA"}}, "command.state is required"),
        ({"deviceId": "fenix-1", "command": {"type": "DANCE", "state": "on"}}, "Invalid command.type value 'DANCE'"),
        ({"deviceId": "fenix-1", "command": {"type": "SAUNA", "state": "maybe"}}, None),
        ({"deviceId": "fenix-1", "command": {"type": "SAUNA", "state": None}}, None),
        ({"deviceId": "fenix-1", "command": {"type": "LIGHTS", "params": "{no"}}, "command.params must be JSON"),
        ({"deviceId": "fenix-1", "command": {"type": "LIGHTS", "params": [1]}}, "command.params must be an object"),
        ({"deviceId": "fenix-1", "command": {"type": "HEATER", "state": "on"}}, "Command 'HEATER' is not supported for device type 'Fenix'"),
        ({"deviceId": "fenix-1", "cabin": "C1", "command": {"type": "LIGHTS", "state": "on"}}, None),
        ({"deviceId": "fenix-1", "cabin": {"id": "C1", "name": "x"}, "command": {"type": "LIGHTS", "state": "on"}},
         "cabin.id and cabin.name are mutually exclusive"),
        ({"deviceId": "fenix-1", "cabin": {"id": 1}, "command": {"type": "LIGHTS", "state": "on"}}, None),
        ({"deviceId": "fenix-1", "cabin": {"name": 1}, "command": {"type": "LIGHTS", "state": "on"}}, None),
    ],
)  # fmt: skip
async def test_command_validation(
    api: Api, fenix: SimDevice, body: dict[str, object], message: str | None
) -> None:
    status, result = await api.rest("POST", "device", "/devices/command", json=body)
    assert status == 400
    assert set(result) == {"error", "message"}
    if message:
        assert result["message"] == message


async def test_command_by_cabin_name(api: Api, generic: SimDevice) -> None:
    status, _ = await api.rest(
        "POST", "device", "/devices/command",
        json={"deviceId": "generic-1", "cabin": {"name": "Spa 2"}, "command": {"type": "LIGHTS", "state": "on"}},
    )  # fmt: skip
    assert status == 200
    assert generic.cabins["C2"].light


async def test_command_to_offline_device_times_out(api: Api, fenix: SimDevice) -> None:
    fenix.set_connected(False)
    status, body = await api.rest(
        "POST",
        "device",
        "/devices/command",
        json={"deviceId": "fenix-1", "command": {"type": "LIGHTS", "state": "on"}},
    )
    assert status == 504
    assert body["handled"] is False
    assert body["failureReason"] == "Device unavailable"
    assert {"error", "message"} <= set(body)
    assert not fenix.cabins["C1"].light


async def test_remote_start_refused_when_not_allowed(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    fenix.panel.open_door()
    status, body = await api.rest(
        "POST",
        "device",
        "/devices/command",
        json={"deviceId": "fenix-1", "command": {"type": "SAUNA", "state": "on"}},
    )
    assert (status, body) == (
        403,
        {"error": "Forbidden", "message": "Remote start not allowed"},
    )
    # Stopping and other outputs still work.
    cloud.advance(1)
    status, _ = await api.rest(
        "POST",
        "device",
        "/devices/command",
        json={"deviceId": "fenix-1", "command": {"type": "LIGHTS", "state": "on"}},
    )
    assert status == 200


async def test_writes_need_the_licence_reads_do_not(
    session: aiohttp.ClientSession, server: SimulatorServer, cloud: HarviaCloud
) -> None:
    free = cloud.add_account("free@example.com", "pw", licensed=False)
    cloud.add_device(free, "fenix", device_id="free-1")
    api = Api(session, server)
    await api.login("free@example.com", "pw")
    for method, path, body in (
        (
            "POST",
            "/devices/command",
            {"deviceId": "free-1", "command": {"type": "SAUNA", "state": "on"}},
        ),
        ("PATCH", "/devices/target", {"deviceId": "free-1", "temperature": 70}),
        ("PATCH", "/devices/profile", {"deviceId": "free-1", "profile": "1"}),
    ):
        status, result = await api.rest(method, "device", path, json=body)
        assert status == 402, path
        assert result["error"] == "PaymentRequired"
        assert "Control licence" in result["message"]
    assert (await api.rest("GET", "device", "/devices"))[0] == 200
    assert (
        await api.rest("GET", "device", "/devices/state", params={"deviceId": "free-1"})
    )[0] == 200
    assert (
        await api.rest(
            "GET", "data", "/data/latest-data", params={"deviceId": "free-1"}
        )
    )[0] == 200


# -- target and profile ------------------------------------------------------------


async def test_target_writes_into_the_active_profile(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    status, body = await api.rest(
        "PATCH", "device", "/devices/target",
        json={"deviceId": "fenix-1", "cabin": {"id": "C1"}, "temperature": 85, "humidity": 20},
    )  # fmt: skip
    assert status == 200
    assert body == {
        "deviceId": "fenix-1",
        "shadowName": "C1",
        "updated": {"temperature": 85, "humidity": 20},
    }
    cloud.advance(35)  # the panel takes it within ~35 s
    _, state = await api.rest(
        "GET", "device", "/devices/state", params={"deviceId": "fenix-1"}
    )
    assert state["state"]["profiles"]["0"]["targetTemp"] == 85
    assert state["state"]["profiles"]["0"]["targetHum"] == 20
    # The stale top-level copy matches no preset and never moves.
    assert (state["state"]["targetTemp"], state["state"]["targetHum"]) == (65, 30)

    fenix.panel.power(True)
    await api.rest(
        "PATCH",
        "device",
        "/devices/target",
        json={"deviceId": "fenix-1", "temperature": 95},
    )
    cloud.advance(35)
    cabin = fenix.cabins["C1"]
    assert cabin.session is not None
    assert cabin.session.target_temp == 95
    _, data = await api.rest(
        "GET", "data", "/data/latest-data", params={"deviceId": "fenix-1"}
    )
    assert data["data"]["targetTemp"] == 95


@pytest.mark.parametrize(
    "body",
    [
        {"deviceId": "fenix-1"},
        {"deviceId": "fenix-1", "temperature": 39},
        {"deviceId": "fenix-1", "temperature": 111},
        {"deviceId": "fenix-1", "humidity": 101},
        {"deviceId": "fenix-1", "temperature": "hot"},
        {"deviceId": "fenix-1", "temperature": True},
    ],
)
async def test_target_validation(
    api: Api, fenix: SimDevice, body: dict[str, object]
) -> None:
    status, _ = await api.rest("PATCH", "device", "/devices/target", json=body)
    assert status == 400


async def test_target_not_on_a_sensor(api: Api, sensor: SimDevice) -> None:
    status, body = await api.rest(
        "PATCH",
        "device",
        "/devices/target",
        json={"deviceId": "sensor-1", "temperature": 70},
    )
    assert status == 400
    assert "SaunaSensor" in body["message"]


async def test_profile_applies_after_a_delay_and_drops_a_second_change(
    api: Api, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    cloud.profile_delay = 12.0  # fixed here; drawn from 10-15 s by default
    status, body = await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": "fenix-1", "profile": "2"},
    )
    assert status == 200
    assert body == {
        "deviceId": "fenix-1",
        "shadowName": "C1",
        "activeProfile": 2,
        "profile": "Hot",
    }
    cloud.advance(5)
    # A second change while the first is pending: 200, but the panel drops it.
    status, body = await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": "fenix-1", "profile": "Relax"},
    )
    assert (status, body["activeProfile"]) == (200, 1)
    cloud.advance(6.9)
    _, state = await api.rest(
        "GET", "device", "/devices/state", params={"deviceId": "fenix-1"}
    )
    assert state["state"]["activeProfile"] == 0
    cloud.advance(0.1)
    _, state = await api.rest(
        "GET", "device", "/devices/state", params={"deviceId": "fenix-1"}
    )
    assert state["state"]["activeProfile"] == 2
    cloud.advance(60)
    assert fenix.cabins["C1"].active_profile == 2  # "Relax" never applied
    # Once applied, the next change goes through.
    await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": "fenix-1", "profile": "3"},
    )
    cloud.advance(12)
    assert fenix.cabins["C1"].active_profile == 3


@pytest.mark.parametrize("profile", ["eco", "7", None, 1.5, True])
async def test_profile_validation(api: Api, fenix: SimDevice, profile: object) -> None:
    status, _ = await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": "fenix-1", "profile": profile},
    )
    assert status == 400


async def test_profile_not_on_a_sensor(api: Api, sensor: SimDevice) -> None:
    status, _ = await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": "sensor-1", "profile": "0"},
    )
    assert status == 400


# -- data ------------------------------------------------------------------------


async def test_latest_data(api: Api, fenix: SimDevice, generic: SimDevice) -> None:
    status, body = await api.rest(
        "GET",
        "data",
        "/data/latest-data",
        params={"deviceId": "fenix-1", "cabinId": "C1"},
    )
    assert status == 200
    assert set(body) == {"deviceId", "subId", "timestamp", "sessionId", "type", "data"}
    assert (body["deviceId"], body["subId"]) == ("fenix-1", "C1")
    data = body["data"]
    for key in (
        "temp", "hum", "targetTemp", "targetHum", "heatOn", "steamOn", "lightOn", "fanOn",
        "panelTemp", "mainSensorTemp", "extSensorTemp", "timeToTarget", "remainingTime",
        "onTime", "totalSessions", "totalBathingHours", "totalHours", "heaterPower",
        "safetyRelay", "doorSafetyState",
    ):  # fmt: skip
        assert key in data, key
    assert data["heaterPower"] == 0
    _, spa = await api.rest(
        "GET",
        "data",
        "/data/latest-data",
        params={"deviceId": "generic-1", "cabinId": "C2"},
    )
    assert spa["subId"] == "C2"
    assert "temperature" in spa["data"]
    assert "humidity" in spa["data"]
    assert "temp" not in spa["data"]


async def test_latest_data_of_a_cold_sensor_is_404(
    api: Api, sensor: SimDevice, cloud: HarviaCloud
) -> None:
    status, body = await api.rest(
        "GET", "data", "/data/latest-data", params={"deviceId": "sensor-1"}
    )
    assert status == 404
    assert body["error"] == "NotFound"
    sensor.panel.power(True)
    cloud.advance(40 * 60)
    status, body = await api.rest(
        "GET",
        "data",
        "/data/latest-data",
        params={"deviceId": "sensor-1", "cabinId": "classic"},
    )
    assert status == 200
    assert set(body["data"]) == {"temp", "hum"}
    assert body["data"]["temp"] >= 40


async def test_unknown_route_is_json_404(api: Api) -> None:
    status, body = await api.rest("GET", "device", "/nope")
    assert status == 404
    assert body["error"] == "NotFound"
