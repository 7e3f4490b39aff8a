"""The simulator refuses what the spec and the notes say the cloud refuses."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLScalarType
import pytest

from harvia_simulator import HarviaCloud, SimDevice
from harvia_simulator.graphql_api import SCHEMAS

from .helpers import Api

SEND = (
    "mutation Send($d: ID!, $p: AWSJSON) { devicesCommandsSend(deviceId: $d, "
    'command: {type: LIGHTS}, subId: "C1", params: $p) { response failureReason } }'
)
LATEST = (
    "query Latest($d: String!) { devicesMeasurementsLatest(deviceId: $d) "
    "{ deviceId subId data } }"
)


def _command(device: SimDevice, command: dict[str, Any]) -> dict[str, Any]:
    return {"deviceId": device.device_id, "cabin": {"id": "C1"}, "command": command}


async def _send(api: Api, device: SimDevice, kind: str, state: Any = "on") -> Any:
    return await api.rest(
        "POST",
        "device",
        "/devices/command",
        json=_command(device, {"type": kind, "state": state}),
    )


# -- burst rule --------------------------------------------------------------


async def test_a_command_within_a_second_of_the_last_gets_504(
    api: Api, cloud: HarviaCloud, fenix: SimDevice, combi: SimDevice
) -> None:
    """Rapid bursts to one device: 504 `handled: false`; other devices unaffected."""
    assert (await _send(api, fenix, "LIGHTS"))[0] == 200
    cloud.advance(0.99)
    status, body = await _send(api, fenix, "FAN")
    assert status == 504
    assert body["handled"] is False
    assert body["failureReason"] == "Device unavailable"
    assert fenix.cabins["C1"].fan is False
    # Another device does not wait.
    assert (await _send(api, combi, "LIGHTS"))[0] == 200
    # A full second after the (refused) previous command: accepted.
    cloud.advance(1.0)
    assert (await _send(api, fenix, "FAN"))[0] == 200
    assert fenix.cabins["C1"].fan is True


async def test_burst_rule_covers_graphql_and_can_be_turned_off(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """GraphQL commands count too; `command_interval = 0` turns the rule off."""
    assert (await _send(api, fenix, "LIGHTS"))[0] == 200
    _, body = await api.gql(SEND, {"d": fenix.device_id, "p": '{"on": 0}'})
    assert body["data"] is None
    assert body["errors"][0]["errorType"] == "DeviceUnavailableException"
    cloud.command_interval = 0
    assert (await _send(api, fenix, "LIGHTS", "off"))[0] == 200
    assert (await _send(api, fenix, "LIGHTS", "on"))[0] == 200


# -- AWSJSON -----------------------------------------------------------------


async def test_awsjson_argument_must_be_a_json_string(
    api: Api, fenix: SimDevice
) -> None:
    """An object where AWSJSON is expected is a validation error."""
    _, body = await api.gql(SEND, {"d": fenix.device_id, "p": {"on": 1}})
    assert body["data"] is None
    assert body["errors"][0]["errorType"] == "ValidationError"
    assert fenix.cabins["C1"].light is False
    _, body = await api.gql(SEND, {"d": fenix.device_id, "p": "{not json"})
    assert body["errors"][0]["errorType"] == "ValidationError"
    literal = (
        f'mutation {{ devicesCommandsSend(deviceId: "{fenix.device_id}", '
        "command: {type: LIGHTS}, params: {on: 1}) { response } }"
    )
    _, body = await api.gql(literal)
    assert body["errors"][0]["errorType"] == "ValidationError"
    _, body = await api.gql(SEND, {"d": fenix.device_id, "p": '{"on": 1}'})
    assert body["data"]["devicesCommandsSend"]["response"] is True
    assert fenix.cabins["C1"].light is True


async def test_awsjson_fields_are_json_strings(api: Api, fenix: SimDevice) -> None:
    """`reported`, `metadata` and telemetry `data` leave as strings."""
    _, body = await api.gql(
        f'query {{ devicesStatesGet(deviceId: "{fenix.device_id}") '
        "{ reported metadata } }"
    )
    state = body["data"]["devicesStatesGet"]
    assert isinstance(state["reported"], str)
    assert isinstance(state["metadata"], str)
    _, body = await api.gql(LATEST, {"d": fenix.device_id}, api="data")
    assert isinstance(body["data"]["devicesMeasurementsLatest"][0]["data"], str)


# -- REST commands -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["HEATER", "STEAMER", "ADJUST_DURATION", "RESTART"])
async def test_rest_takes_only_the_documented_types(
    api: Api, generic: SimDevice, kind: str
) -> None:
    """SAUNA, LIGHTS and FAN only: other types are for GraphQL."""
    status, body = await _send(api, generic, kind)
    assert status == 400
    assert body == {
        "error": "BadRequest",
        "message": f"Command '{kind}' is not supported for device type 'sauna'",
    }


@pytest.mark.parametrize("state", ["ON", "On", "yes", " on", "enabled", ""])
async def test_rest_takes_only_the_documented_state_words(
    api: Api, fenix: SimDevice, state: str
) -> None:
    """on/off, true/false, 1/0, exactly."""
    status, body = await _send(api, fenix, "LIGHTS", state)
    assert status == 400
    assert body["error"] == "BadRequest"
    assert "command.state" in body["message"]


@pytest.mark.parametrize("state", [None, [1], {"on": 1}])
async def test_rest_state_of_the_wrong_type(
    api: Api, fenix: SimDevice, state: Any
) -> None:
    """A state that is no string, boolean or number."""
    status, _ = await _send(api, fenix, "LIGHTS", state)
    assert status == 400


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ({"type": "SAUNA", "params": {"duration": 30}}, 'Invalid command.params: only {"on": 0|1} is accepted here'),
        ({"type": "SAUNA", "params": {"on": 2}}, 'Invalid command.params: only {"on": 0|1} is accepted here'),
        ({"type": "SAUNA", "params": {"on": True}}, 'Invalid command.params: only {"on": 0|1} is accepted here'),
        ({"type": "SAUNA", "params": {"on": 1}, "state": "on"}, "Send command.state or command.params, not both"),
        ({"type": "SAUNA", "state": "on", "extra": 1}, "Unknown command field(s): extra"),
    ],
)  # fmt: skip
async def test_rest_params_only_as_documented(
    api: Api, generic: SimDevice, command: dict[str, Any], message: str
) -> None:
    """`command.params` on REST: the `{"on": 0|1}` toggle the cloud points to."""
    status, body = await api.rest(
        "POST", "device", "/devices/command", json=_command(generic, command)
    )
    assert (status, body) == (400, {"error": "BadRequest", "message": message})
    assert generic.cabins["C1"].status == 0


@pytest.mark.parametrize("profile", [1, "finnish", " Finnish", "9"])
async def test_rest_profile_forms(api: Api, fenix: SimDevice, profile: Any) -> None:
    """A profile is a string: an index or a name exactly as stored."""
    status, body = await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": fenix.device_id, "profile": profile},
    )
    assert status == 400
    assert body["error"] == "BadRequest"


async def test_rest_profile_by_stored_name(api: Api, fenix: SimDevice) -> None:
    """The stored name selects its profile."""
    status, body = await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": fenix.device_id, "profile": "Hot"},
    )
    assert status == 200
    assert body["activeProfile"] == 2


# -- GraphQL faults ----------------------------------------------------------


async def test_graphql_command_can_answer_response_false(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """Fault control: `response: false` with a failure reason; nothing happens."""
    cloud.faults.not_handled(fenix.device_id, "Device busy")
    assert cloud.faults.describe()["notHandled"] == {fenix.device_id: "Device busy"}
    _, body = await api.gql(SEND, {"d": fenix.device_id, "p": '{"on": 1}'})
    assert body["data"]["devicesCommandsSend"] == {
        "response": False,
        "failureReason": "Device busy",
    }
    assert fenix.cabins["C1"].light is False
    cloud.faults.not_handled(fenix.device_id, None)
    cloud.advance(1)
    _, body = await api.gql(SEND, {"d": fenix.device_id, "p": '{"on": 1}'})
    assert body["data"]["devicesCommandsSend"]["response"] is True


async def test_measurements_latest_can_be_undefined(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """AppSync's FieldUndefined validation error for the undocumented query."""
    cloud.faults.undefine_field("data", "devicesMeasurementsLatest")
    status, body = await api.gql(LATEST, {"d": fenix.device_id}, api="data")
    assert status == 400
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["errorType"] == "ValidationError"
    assert error["message"].startswith("Validation error of type FieldUndefined:")
    assert cloud.faults.describe()["undefinedFields"] == [
        "data:devicesMeasurementsLatest"
    ]
    # The documented REST read still works.
    status, _ = await api.rest(
        "GET", "data", "/data/latest-data", params={"deviceId": fenix.device_id}
    )
    assert status == 200
    cloud.faults.clear()
    status, body = await api.gql(LATEST, {"d": fenix.device_id}, api="data")
    assert body["data"]["devicesMeasurementsLatest"]


# -- panel lag -----------------------------------------------------------------


async def test_profile_change_lands_10_to_15_s_later(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """Drawn per write from 10-15 virtual seconds."""
    cabin = fenix.cabins["C1"]
    await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": fenix.device_id, "profile": "2"},
    )
    assert cabin.pending_profile is not None
    lag = cabin.pending_profile[1] - cloud.now()
    assert 10.0 <= lag <= 15.0
    cloud.advance(9.9)
    assert cabin.active_profile == 0
    cloud.advance(5.2)
    assert cabin.active_profile == 2


async def test_target_is_reported_late(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """A target shows up to ~35 s after the write; the shadow keeps the old one."""
    cloud.target_delay = 30.0
    status, body = await api.rest(
        "PATCH",
        "device",
        "/devices/target",
        json={"deviceId": fenix.device_id, "temperature": 95},
    )
    assert status == 200
    assert body["updated"] == {"temperature": 95}
    profiles = fenix.shadows["C1"].reported["profiles"]
    assert profiles["0"]["targetTemp"] == 80
    cloud.advance(29)
    assert fenix.shadows["C1"].reported["profiles"]["0"]["targetTemp"] == 80
    cloud.advance(1)
    assert fenix.shadows["C1"].reported["profiles"]["0"]["targetTemp"] == 95


async def test_target_written_during_a_profile_change_lands_after_it(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """The panel takes the target only once the profile change has landed,
    into the profile then active."""
    cloud.profile_delay = 12.0
    cloud.target_delay = 2.0
    await api.rest(
        "PATCH",
        "device",
        "/devices/profile",
        json={"deviceId": fenix.device_id, "profile": "2"},
    )
    await api.rest(
        "PATCH",
        "device",
        "/devices/target",
        json={"deviceId": fenix.device_id, "temperature": 99},
    )
    cloud.advance(5)
    assert fenix.cabins["C1"].profiles[0].target_temp == 80
    assert fenix.cabins["C1"].profiles[2].target_temp == 90
    cloud.advance(8)
    assert fenix.cabins["C1"].active_profile == 2
    assert fenix.cabins["C1"].profiles[2].target_temp == 99
    assert fenix.cabins["C1"].profiles[0].target_temp == 80


async def test_target_lag_is_drawn_up_to_35_s(
    cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """Without a fixed delay each write draws its own, within 2-35 s."""
    lags = [cloud.target_lag() for _ in range(50)]
    assert all(2.0 <= lag <= 35.0 for lag in lags)
    assert max(lags) - min(lags) > 10


# -- fixtures unlike the client's defaults -----------------------------------


async def test_panel_without_remote_allowed(
    api: Api, cloud: HarviaCloud, account: Any
) -> None:
    """A panel whose firmware never reports `remoteAllowed`; starts still work."""
    device = cloud.add_device(
        account, "fenix", device_id="fenix-old", reports_remote_allowed=False
    )
    assert "remoteAllowed" not in device.shadows["C1"].reported
    assert (await _send(api, device, "SAUNA"))[0] == 200
    assert "remoteAllowed" not in device.shadows["C1"].reported


async def test_forgotten_reports_leave_an_empty_shadow(
    api: Api, fenix: SimDevice
) -> None:
    """A device the cloud has heard nothing from: empty state, no telemetry."""
    fenix.forget_reports()
    status, body = await api.rest(
        "GET", "device", "/devices/state", params={"deviceId": fenix.device_id}
    )
    assert status == 200
    assert body["state"] == {}
    status, _ = await api.rest(
        "GET", "data", "/data/latest-data", params={"deviceId": fenix.device_id}
    )
    assert status == 404


async def test_target_without_lag_lands_at_once(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """`target_delay = 0`: the panel takes the write at once."""
    cloud.target_delay = 0.0
    await api.rest(
        "PATCH",
        "device",
        "/devices/target",
        json={"deviceId": fenix.device_id, "temperature": 77},
    )
    assert fenix.shadows["C1"].reported["profiles"]["0"]["targetTemp"] == 77


async def test_admin_api_sets_the_new_faults(
    api: Api, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """`response: false` and undefined fields over the admin API."""

    async def admin(path: str, body: dict[str, Any]) -> int:
        async with api.session.post(
            f"{api.server.base_url}/_admin/faults/{path}", json=body
        ) as resp:
            return resp.status

    assert await admin("not-handled", {"deviceId": fenix.device_id}) == 200
    assert cloud.faults.not_handled_reason(fenix.device_id) == "Device unavailable"
    assert (
        await admin("not-handled", {"deviceId": fenix.device_id, "reason": None}) == 200
    )
    assert cloud.faults.not_handled_reason(fenix.device_id) is None
    body = {"api": "data", "field": "devicesMeasurementsLatest"}
    assert await admin("undefined-field", body) == 200
    assert cloud.faults.undefined_fields("data") == {"devicesMeasurementsLatest"}
    assert await admin("undefined-field", {**body, "undefined": False}) == 200
    assert cloud.faults.undefined_fields("data") == frozenset()


def test_awsjson_fields_cannot_leave_as_objects() -> None:
    """The schema itself refuses to send an object where AWSJSON is a string."""
    scalar = SCHEMAS["device"].type_map["AWSJSON"]
    assert isinstance(scalar, GraphQLScalarType)
    assert scalar.serialize('{"a": 1}') == '{"a": 1}'
    with pytest.raises(TypeError):
        scalar.serialize({"a": 1})
