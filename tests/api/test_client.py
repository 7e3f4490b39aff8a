"""Every client method and error mapping, against the simulator over HTTP."""

from __future__ import annotations

import inspect
import logging

import pytest

from custom_components.harvia.api import (
    CabinStatus,
    CommandType,
    HarviaAuthenticationError,
    HarviaBadRequestError,
    HarviaClient,
    HarviaCommandNotSentError,
    HarviaCommandNotSupportedError,
    HarviaCommandTimeoutError,
    HarviaConnectionError,
    HarviaDeviceUnavailableError,
    HarviaError,
    HarviaForbiddenError,
    HarviaLicenseRequiredError,
    HarviaNotFoundError,
    HarviaParseError,
    HarviaRemoteStartNotAllowedError,
    HarviaTimeoutError,
    OtaStatus,
)
from harvia_simulator import Account, HarviaCloud, SimDevice
from harvia_simulator.devices import Cabin

from .conftest import ClientFactory

COMMAND = "POST /devices/command"
GQL_COMMAND = "graphql:device:devicesCommandsSend"
REFRESH = "POST /auth/refresh"


def _steamer(cabin: Cabin) -> bool:
    return cabin.steamer


# -- devices --------------------------------------------------------------------------


async def test_get_devices_follows_next_token(
    client: HarviaClient, cloud: HarviaCloud, account: Account
) -> None:
    """Every page is fetched until nextToken is absent."""
    added = [
        cloud.add_device(account, "fenix", name=f"S{i}").device_id for i in range(120)
    ]
    devices = await client.get_devices()
    assert [d.device_id for d in devices] == added
    assert cloud.request_counts["GET /devices"] == 3


async def test_get_devices_models(
    client: HarviaClient,
    fenix: SimDevice,
    generic: SimDevice,
    sensor: SimDevice,
    cloud: HarviaCloud,
    account: Account,
) -> None:
    """Rows (id in `name`) become typed devices with their attributes."""
    combi = cloud.add_device(account, "fenix_combi", name="Combi")
    devices = {d.device_id: d for d in await client.get_devices()}
    device = devices[fenix.device_id]
    assert device.type == "Fenix"
    assert device.serial_number == fenix.serial_number
    assert device.connected is True
    assert device.hw_version == "2.0"
    assert device.firmware_version == "1.12.0"
    assert device.mac == fenix.bt_mac
    assert device.panel_type == "Fenix"
    assert device.has_steamer is False
    assert not device.capabilities.supports(CommandType.STEAMER)
    assert devices[combi.device_id].has_steamer is True
    # Without the device row the cabin's own reports tell a combi apart.
    for device_id, expected in ((combi.device_id, True), (fenix.device_id, False)):
        state = await client.get_cabin_state(device_id, "C1")
        status = CabinStatus.from_payloads(state.reported, {}, True)
        assert status.has_steamer is expected
        assert status.mac is not None
    assert devices[generic.device_id].capabilities.default_cabin == "C1"
    assert devices[generic.device_id].has_steamer is None
    assert devices[sensor.device_id].capabilities.telemetry_only
    assert devices[sensor.device_id].has_steamer is False


async def test_get_devices_empty_and_malformed(
    client: HarviaClient, cloud: HarviaCloud
) -> None:
    """No devices; then answers whose shape is unusable."""
    assert await client.get_devices() == []
    cloud.faults.set_route("GET /devices", status=200, body={"devices": None}, count=1)
    assert await client.get_devices() == []
    cloud.faults.set_route("GET /devices", status=200, body={"devices": "x"}, count=1)
    with pytest.raises(HarviaParseError):
        await client.get_devices()
    cloud.faults.set_route(
        "GET /devices", status=200, body={"devices": [{"type": "Fenix"}]}, count=1
    )
    assert await client.get_devices() == []
    # A cloud that repeats its nextToken does not loop forever.
    cloud.faults.set_route(
        "GET /devices", status=200, body={"devices": [{"id": "A"}], "nextToken": "same"}
    )
    assert [d.device_id for d in await client.get_devices()] == ["A", "A"]


async def test_get_devices_skips_unreadable_rows(
    client: HarviaClient, cloud: HarviaCloud, caplog: pytest.LogCaptureFixture
) -> None:
    """One malformed row does not hide the other devices; nothing id-like logged."""
    caplog.set_level(logging.DEBUG, logger="custom_components.harvia.api")
    rows = [
        {"type": "Fenix", "attr": [{"key": "serialNumber", "value": "SN-SECRET"}]},
        "junk",
        None,
        {"name": "GOOD-1", "type": "Fenix"},
        {"deviceId": "GOOD-2", "type": "SaunaSensor"},
    ]
    cloud.faults.set_route("GET /devices", status=200, body={"devices": rows}, count=1)
    devices = await client.get_devices()
    assert [d.device_id for d in devices] == ["GOOD-1", "GOOD-2"]
    assert caplog.text.count("Skipping a device row") == 3
    assert "SN-SECRET" not in caplog.text


# -- state and telemetry -----------------------------------------------------------------


async def test_get_cabin_state(
    client: HarviaClient, fenix: SimDevice, generic: SimDevice, sensor: SimDevice
) -> None:
    """REST /devices/state for a named cabin, the default and the classic shadow."""
    state = await client.get_cabin_state(fenix.device_id, "C1")
    assert state.device_id == fenix.device_id
    assert state.shadow_name == "C1"
    assert state.connected is True
    assert state.version is not None
    assert state.reported["displayName"] == "Home Sauna"
    default = await client.get_cabin_state(fenix.device_id, None)
    assert default.shadow_name == "C1"
    c2 = await client.get_cabin_state(generic.device_id, "C2")
    assert c2.reported["displayName"] == "Spa 2"
    classic = await client.get_cabin_state(sensor.device_id, None)
    assert classic.shadow_name == "classic"
    with pytest.raises(HarviaNotFoundError):
        await client.get_cabin_state(fenix.device_id, "C9")
    with pytest.raises(HarviaNotFoundError):
        await client.get_cabin_state("NOPE", "C1")


async def test_get_telemetry(
    client: HarviaClient,
    fenix: SimDevice,
    generic: SimDevice,
    sensor: SimDevice,
    cloud: HarviaCloud,
) -> None:
    """REST latest-data: temp/hum (Fenix) and temperature/humidity (generic)."""
    record = await client.get_telemetry(fenix.device_id, "C1")
    assert record.sub_id == "C1"
    assert record.temperature is not None
    assert "temp" in record.raw
    spec_form = await client.get_telemetry(generic.device_id, "C2")
    assert spec_form.sub_id == "C2"
    assert "temperature" in spec_form.raw
    assert spec_form.temperature == pytest.approx(21.0)
    assert (await client.get_telemetry(fenix.device_id, None)).sub_id == "C1"
    # The sensor in a cold cabin has no measurement at all.
    with pytest.raises(HarviaNotFoundError):
        await client.get_telemetry(sensor.device_id, None)
    for body, expected in (
        ({}, None),
        ({"items": 1}, None),
    ):
        cloud.faults.set_route("GET /data/latest-data", status=200, body=body, count=1)
        assert (
            await client.get_telemetry(fenix.device_id, "C1")
        ).temperature is expected


async def test_get_latest_measurements(
    client: HarviaClient, generic: SimDevice, sensor: SimDevice, cloud: HarviaCloud
) -> None:
    """GraphQL data API: one record per cabin, data decoded from AWSJSON."""
    records = await client.get_latest_measurements(generic.device_id)
    assert [r.sub_id for r in records] == ["C1", "C2"]
    assert all(r.temperature is not None for r in records)
    assert records[0].timestamp is not None
    assert await client.get_latest_measurements(sensor.device_id) == []
    # The sensor reports once its cabin is warm.
    sensor.panel.power(True)
    cloud.advance(1800)
    (warm,) = await client.get_latest_measurements(sensor.device_id)
    assert warm.temperature is not None
    assert warm.temperature > 40
    status = CabinStatus.from_payloads({}, warm.raw, True)
    assert status.current_temperature == warm.temperature
    with pytest.raises(HarviaNotFoundError):
        await client.get_latest_measurements("NOPE")
    for data, count in (
        ({"devicesMeasurementsLatest": None}, 0),
        ({"devicesMeasurementsLatest": {"deviceId": "x", "data": "{}"}}, 1),
    ):
        cloud.faults.set_route(
            "POST /graphql/data", status=200, body={"data": data}, count=1
        )
        assert len(await client.get_latest_measurements(generic.device_id)) == count
    cloud.faults.set_route(
        "POST /graphql/data",
        status=200,
        body={"data": {"devicesMeasurementsLatest": "x"}},
        count=1,
    )
    with pytest.raises(HarviaParseError):
        await client.get_latest_measurements(generic.device_id)
    # A malformed item is skipped; the others are kept.
    items = [
        {"deviceId": "x", "subId": "C1", "data": "{bad json"},
        "junk",
        None,
        {"deviceId": "x", "subId": "C2", "data": '{"temp": 70}'},
    ]
    cloud.faults.set_route(
        "POST /graphql/data",
        status=200,
        body={"data": {"devicesMeasurementsLatest": items}},
        count=1,
    )
    (kept,) = await client.get_latest_measurements(generic.device_id)
    assert kept.sub_id == "C2"
    assert kept.temperature == 70


async def test_full_cabin_view(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A session seen through state + telemetry: heating, live target, then off."""
    fenix.panel.set_target(temperature=85)
    await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, True)
    cloud.advance(600)
    state = await client.get_cabin_state(fenix.device_id, "C1")
    telemetry = await client.get_telemetry(fenix.device_id, "C1")
    status = CabinStatus.from_payloads(state.reported, telemetry.raw, state.connected)
    assert status.is_heating is True
    assert status.target_temperature == 85
    assert status.current_temperature is not None
    assert status.current_temperature > 30
    assert status.firmware_version == "1.12.0"
    assert status.mac == fenix.mac
    # A scheduled start is waiting, not heating.
    await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, False)
    fenix.panel.schedule(30)
    state = await client.get_cabin_state(fenix.device_id, "C1")
    status = CabinStatus.from_payloads(state.reported, {}, state.connected)
    assert state.reported["heater"]["on"] == 1
    assert status.is_waiting is True
    assert status.is_heating is False
    assert status.timer_start is not None


# -- commands -----------------------------------------------------------------------------


async def test_rest_commands(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """SAUNA, LIGHTS, FAN (the spec's REST types) go over REST with state on/off."""
    cabin = fenix.cabins["C1"]
    await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, True)
    assert cabin.status == 1
    await client.send_command(fenix.device_id, "C1", "LIGHTS", False)
    assert cabin.light is False
    await client.send_command(fenix.device_id, None, CommandType.FAN, True)
    assert cabin.fan is True
    await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, False)
    assert cabin.status == 0
    assert cloud.request_counts[COMMAND] == 4
    assert cloud.request_counts[GQL_COMMAND] == 0
    with pytest.raises(ValueError, match="Unknown command"):
        await client.send_command(fenix.device_id, "C1", "DANCE", True)


async def test_graphql_commands(
    client: HarviaClient, generic: SimDevice, cloud: HarviaCloud
) -> None:
    """Other commands go over devicesCommandsSend with params as a JSON string."""
    cabin = generic.cabins["C2"]
    await client.send_command(generic.device_id, "C2", CommandType.SAUNA, True)
    await client.send_command(generic.device_id, "C2", CommandType.STEAMER, True)
    assert _steamer(cabin) is True
    await client.send_command(generic.device_id, "C2", CommandType.STEAMER, False)
    assert _steamer(cabin) is False
    await client.send_command(
        generic.device_id,
        "C2",
        CommandType.ADJUST_DURATION,
        True,
        params={"duration": 30},
    )
    assert cabin.session is not None
    assert cabin.session.duration_min == 30
    await client.send_command(generic.device_id, "C1", CommandType.VAPORIZER, True)
    await client.send_command(generic.device_id, "C1", CommandType.TRACE_LOG, True)
    # params with a REST command switch it to GraphQL.
    await client.send_command(generic.device_id, "C2", "LIGHTS", True, params={"on": 0})
    assert cabin.light is False
    assert cloud.request_counts[GQL_COMMAND] == 6
    assert cloud.request_counts[COMMAND] == 1
    with pytest.raises(HarviaBadRequestError):
        await client.send_command(
            generic.device_id,
            "C2",
            CommandType.ADJUST_DURATION,
            True,
            params={"duration": -1},
        )


async def test_graphql_command_not_handled(
    client: HarviaClient, generic: SimDevice, cloud: HarviaCloud
) -> None:
    """response false with a failure reason maps like REST."""
    for reason, error in (
        ("Device unavailable", HarviaDeviceUnavailableError),
        (
            "Command 'X' is not supported for device type 'Y'",
            HarviaCommandNotSupportedError,
        ),
        ("Remote start not allowed", HarviaRemoteStartNotAllowedError),
        (None, HarviaDeviceUnavailableError),
    ):
        cloud.faults.set_route(
            GQL_COMMAND,
            status=200,
            body={
                "data": {
                    "devicesCommandsSend": {"response": False, "failureReason": reason}
                }
            },
            count=1,
        )
        with pytest.raises(error):
            await client.send_command(
                generic.device_id, "C1", CommandType.STEAMER, True
            )


async def test_rest_command_not_handled(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A 200 with handled false is not a success."""
    cloud.faults.set_route(
        COMMAND,
        status=200,
        body={"handled": False, "failureReason": "Device unavailable"},
    )
    with pytest.raises(HarviaDeviceUnavailableError):
        await client.send_command(fenix.device_id, "C1", CommandType.LIGHTS, True)


@pytest.mark.parametrize("command", [CommandType.STEAMER, CommandType.ADJUST_DURATION])
async def test_fenix_rejects_command(
    client: HarviaClient, fenix: SimDevice, command: CommandType
) -> None:
    """400 "not supported for device type" is its own error."""
    with pytest.raises(HarviaCommandNotSupportedError) as err:
        await client.send_command(
            fenix.device_id, "C1", command, True, params={"duration": 5}
        )
    assert isinstance(err.value, HarviaBadRequestError)


async def test_license_required(make_client: ClientFactory, cloud: HarviaCloud) -> None:
    """402 on writes without the Control licence; reads keep working."""
    cloud.add_account("free@example.com", "pw", licensed=False)
    device = cloud.add_device(cloud.account("free@example.com"), "generic")
    client = make_client("free@example.com", "pw")
    assert len(await client.get_devices()) == 1
    await client.get_cabin_state(device.device_id, "C1")
    with pytest.raises(HarviaLicenseRequiredError):
        await client.send_command(device.device_id, "C1", CommandType.SAUNA, True)
    with pytest.raises(HarviaLicenseRequiredError):
        await client.send_command(device.device_id, "C1", CommandType.STEAMER, True)
    with pytest.raises(HarviaLicenseRequiredError):
        await client.set_target(device.device_id, "C1", temperature=80)
    with pytest.raises(HarviaLicenseRequiredError):
        await client.set_profile(device.device_id, "C1", 1)


async def test_device_unavailable(
    client: HarviaClient, fenix: SimDevice, generic: SimDevice, cloud: HarviaCloud
) -> None:
    """504 / failureReason "Device unavailable", over REST and GraphQL; sent once."""
    cloud.faults.no_ack(fenix.device_id)
    with pytest.raises(HarviaDeviceUnavailableError):
        await client.send_command(fenix.device_id, "C1", CommandType.LIGHTS, True)
    assert cloud.request_counts[COMMAND] == 1
    cloud.faults.offline(generic.device_id)
    with pytest.raises(HarviaDeviceUnavailableError):
        await client.send_command(generic.device_id, "C1", CommandType.STEAMER, True)
    assert cloud.request_counts[GQL_COMMAND] == 1
    state = await client.get_cabin_state(generic.device_id, "C1")
    assert state.connected is False


async def test_remote_start_refused(
    client: HarviaClient, fenix: SimDevice, generic: SimDevice, cloud: HarviaCloud
) -> None:
    """Door open: remote start refused (a 403 that is not about the token)."""
    fenix.panel.open_door()
    state = await client.get_cabin_state(fenix.device_id, "C1")
    assert CabinStatus.from_payloads(state.reported, {}, True).remote_allowed is False
    with pytest.raises(HarviaRemoteStartNotAllowedError):
        await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, True)
    assert cloud.request_counts[COMMAND] == 1
    assert cloud.request_counts[REFRESH] == 0
    generic.panel.arm_remote_start(False)
    with pytest.raises(HarviaRemoteStartNotAllowedError):
        await client.send_command(
            generic.device_id, "C1", CommandType.SAUNA, True, params={"on": 1}
        )
    assert cloud.request_counts[REFRESH] == 0


async def test_command_unknown_device(client: HarviaClient, account: Account) -> None:
    """404 for a device the account does not have."""
    with pytest.raises(HarviaNotFoundError):
        await client.send_command("NOPE", "C1", CommandType.LIGHTS, True)
    with pytest.raises(HarviaNotFoundError):
        await client.send_command("NOPE", "C1", CommandType.STEAMER, True)


async def test_heater_on_never_resent(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A 401 on SAUNA on: renewed, but the command is not re-sent."""
    command = CommandType.SAUNA
    cloud.faults.expire_tokens()
    with pytest.raises(HarviaCommandNotSentError) as err:
        await client.send_command(fenix.device_id, "C1", command, True)
    assert not isinstance(err.value, HarviaAuthenticationError)
    assert cloud.request_counts[COMMAND] == 1
    assert cloud.request_counts[REFRESH] == 1
    assert fenix.cabins["C1"].status == 0
    # The caller decides: sending again works with the renewed token.
    await client.send_command(fenix.device_id, "C1", command, True)
    assert cloud.request_counts[COMMAND] == 2
    assert cloud.request_counts[REFRESH] == 1


@pytest.mark.parametrize(
    ("command", "params"),
    [(CommandType.SAUNA, {"on": 1}), (CommandType.HEATER, None)],
)
async def test_heater_on_via_graphql_never_resent(
    client: HarviaClient,
    generic: SimDevice,
    cloud: HarviaCloud,
    command: CommandType,
    params: dict[str, int] | None,
) -> None:
    """The rule holds whatever the transport (HEATER is a GraphQL command)."""
    generic.cabins["C1"].element_on = False
    cloud.faults.expire_tokens()
    with pytest.raises(HarviaCommandNotSentError):
        await client.send_command(generic.device_id, "C1", command, True, params=params)
    assert cloud.request_counts["POST /graphql/device"] == 1
    assert generic.cabins["C1"].element_on is False


@pytest.mark.parametrize(
    ("command", "on"),
    [
        (CommandType.SAUNA, False),
        (CommandType.LIGHTS, True),
    ],
)
async def test_other_commands_resent_after_401(
    client: HarviaClient,
    fenix: SimDevice,
    cloud: HarviaCloud,
    command: CommandType,
    on: bool,
) -> None:
    """Switching off (or a light) is re-sent once after the token refresh."""
    cloud.faults.expire_tokens()
    await client.send_command(fenix.device_id, "C1", command, on)
    assert cloud.request_counts[COMMAND] == 2
    assert cloud.request_counts[REFRESH] == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_command_server_error_not_retried(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud, status: int
) -> None:
    """A 5xx is a connection error and the command is not re-sent."""
    cloud.faults.set_route(COMMAND, status=status, count=1)
    with pytest.raises(HarviaConnectionError):
        await client.send_command(fenix.device_id, "C1", CommandType.LIGHTS, True)
    assert cloud.request_counts[COMMAND] == 1


def test_command_timeout_default() -> None:
    """Commands wait longer than API Gateway's ~29 s by default."""
    default = inspect.signature(HarviaClient).parameters["command_timeout"].default
    assert default >= 35.0
    assert issubclass(HarviaCommandTimeoutError, HarviaDeviceUnavailableError)
    assert not issubclass(HarviaCommandTimeoutError, HarviaConnectionError)


async def test_command_timeout_not_retried(
    make_client: ClientFactory, account: Account, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A command timeout: outcome unknown, a device error, never re-sent."""
    client = make_client(command_timeout=0.3)
    await client.login()
    cloud.faults.hold_route(COMMAND)  # never acknowledged
    with pytest.raises(HarviaCommandTimeoutError) as err:
        await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, True)
    assert isinstance(err.value, HarviaDeviceUnavailableError)
    assert not isinstance(err.value, HarviaTimeoutError)
    assert "unknown" in str(err.value)
    assert cloud.request_counts[COMMAND] == 1


async def test_graphql_command_timeout_not_retried(
    make_client: ClientFactory, account: Account, generic: SimDevice, cloud: HarviaCloud
) -> None:
    """The same over GraphQL devicesCommandsSend."""
    client = make_client(command_timeout=0.3)
    await client.login()
    cloud.faults.hold_route("POST /graphql/device")  # never acknowledged
    with pytest.raises(HarviaCommandTimeoutError):
        await client.send_command(generic.device_id, "C1", CommandType.STEAMER, True)
    assert cloud.request_counts["POST /graphql/device"] == 1


async def test_slow_acknowledgement_outlasts_the_request_timeout(
    make_client: ClientFactory, account: Account, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A command waits for its own timeout, not the (shorter) request timeout."""
    # Margins for a loaded machine: sign-in well within the request timeout,
    # the acknowledgement twice as slow as it.
    client = make_client(request_timeout=1.0, command_timeout=30.0)
    await client.login()
    cloud.faults.set_route(COMMAND, latency=2.0, count=1)
    await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, True)
    assert fenix.cabins["C1"].status == 1
    # Reads keep the request timeout.
    cloud.faults.hold_route("GET /devices/state")  # never answers
    with pytest.raises(HarviaTimeoutError) as err:
        await client.get_cabin_state(fenix.device_id, "C1")
    assert not isinstance(err.value, HarviaCommandTimeoutError)


async def test_throttled_and_odd_statuses(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """429 is transient; an unknown 4xx is a bad request; a 3xx is unusable."""
    cloud.faults.set_route(COMMAND, status=429, count=1)
    with pytest.raises(HarviaConnectionError):
        await client.send_command(fenix.device_id, "C1", CommandType.LIGHTS, True)
    cloud.faults.set_route(COMMAND, status=409, count=1)
    with pytest.raises(HarviaBadRequestError):
        await client.send_command(fenix.device_id, "C1", CommandType.LIGHTS, True)
    cloud.faults.set_route("GET /devices/state", status=304, count=1)
    with pytest.raises(HarviaConnectionError):
        await client.get_cabin_state(fenix.device_id, "C1")


async def test_403_on_sauna_on_is_a_remote_start_refusal(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A 403 saying so is the refusal at once: no refresh, never re-sent."""
    cloud.faults.set_route(
        COMMAND,
        status=403,
        body={"error": "Forbidden", "message": "Remote start not allowed"},
        count=1,
    )
    with pytest.raises(HarviaRemoteStartNotAllowedError) as err:
        await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, True)
    assert str(err.value).startswith("HTTP 403 (Forbidden): remote start not allowed")
    assert cloud.request_counts[COMMAND] == 1
    assert cloud.request_counts[REFRESH] == 0
    assert fenix.cabins["C1"].status == 0


@pytest.mark.parametrize(
    "body", [{"error": "Forbidden"}, {"message": "Forbidden"}, None]
)
async def test_bare_403_on_sauna_on_after_good_refresh(
    client: HarviaClient,
    fenix: SimDevice,
    cloud: HarviaCloud,
    body: dict[str, str] | None,
) -> None:
    """A 403 not about the token, and the refresh worked: the start was refused."""
    cloud.faults.set_route(COMMAND, status=403, body=body, count=1)
    with pytest.raises(HarviaRemoteStartNotAllowedError) as err:
        await client.send_command(fenix.device_id, "C1", CommandType.SAUNA, True)
    assert err.value.status == 403
    assert cloud.request_counts[COMMAND] == 1
    assert cloud.request_counts[REFRESH] == 1
    assert fenix.cabins["C1"].status == 0


@pytest.mark.parametrize(
    ("command", "body"),
    [
        (CommandType.SAUNA, {"message": "Unauthorized"}),
        (CommandType.SAUNA, {"message": "The incoming token has expired"}),
        (CommandType.SAUNA, {"message": "User is not authorized to access this resource with an explicit deny"}),
    ],
)  # fmt: skip
async def test_token_403_on_heater_on_is_not_sent(
    client: HarviaClient,
    fenix: SimDevice,
    cloud: HarviaCloud,
    command: CommandType,
    body: dict[str, str],
) -> None:
    """A 403 about the token: not sent, not re-sent."""
    cloud.faults.set_route(COMMAND, status=403, body=body, count=1)
    with pytest.raises(HarviaCommandNotSentError):
        await client.send_command(fenix.device_id, "C1", command, True)
    assert cloud.request_counts[COMMAND] == 1
    assert cloud.request_counts[REFRESH] == 1


async def test_errors_never_quote_the_cloud(
    client: HarviaClient,
    fenix: SimDevice,
    generic: SimDevice,
    cloud: HarviaCloud,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cloud message echoing an e-mail or an id stays out of str(exc)."""
    caplog.set_level(logging.DEBUG, logger="custom_components.harvia.api")
    email = "someone@example.com"
    long_id = "3f2a9c1e-77b0-4d5e-9a8b-0c1d2e3f4a5b"
    cloud.faults.set_route(
        COMMAND,
        status=400,
        body={"error": "BadRequest", "message": f"Bad command by {email} on {long_id}"},
        count=1,
    )
    with pytest.raises(HarviaBadRequestError) as rest:
        await client.send_command(fenix.device_id, "C1", CommandType.LIGHTS, True)
    cloud.faults.set_route(
        "POST /graphql/device",
        status=200,
        body={
            "data": None,
            "errors": [
                {
                    "errorType": "ValidationError",
                    "message": f"Validation error: {email} / {long_id}",
                }
            ],
        },
        count=1,
    )
    with pytest.raises(HarviaBadRequestError) as gql:
        await client.get_ota_states()
    with pytest.raises(HarviaNotFoundError) as missing:
        await client.get_cabin_state(long_id, "C1")
    assert str(rest.value) == "HTTP 400 (BadRequest): request rejected"
    assert str(gql.value) == "GraphQL error (ValidationError): request rejected"
    for err in (rest.value, gql.value, missing.value):
        assert email not in str(err)
        assert long_id not in str(err)
    # The cloud's words are logged for debugging, at debug level only, redacted.
    assert "the cloud said" in caplog.text
    assert email not in caplog.text
    assert long_id not in caplog.text
    assert all(record.levelno == logging.DEBUG for record in caplog.records)


async def test_persistent_403_is_forbidden_not_auth(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Still refused with a fresh token: forbidden, never a re-auth."""
    cloud.faults.set_route("GET /devices/state", status=403, count=2)
    with pytest.raises(HarviaForbiddenError) as err:
        await client.get_cabin_state(fenix.device_id, "C1")
    assert not isinstance(err.value, HarviaAuthenticationError)
    assert cloud.request_counts[REFRESH] == 1
    assert cloud.request_counts["GET /devices/state"] == 2


# -- writes -------------------------------------------------------------------------------


async def test_set_target(
    client: HarviaClient, fenix: SimDevice, generic: SimDevice, cloud: HarviaCloud
) -> None:
    """Targets land in the active profile; integers are sent as such."""
    await client.set_target(fenix.device_id, "C1", temperature=85.0)
    cloud.advance(35)  # the panel takes a target within ~35 s
    assert fenix.cabins["C1"].profile.target_temp == 85
    await client.set_target(generic.device_id, "C2", temperature=70, humidity=30.0)
    cloud.advance(35)
    cabin = generic.cabins["C2"]
    assert (cabin.profile.target_temp, cabin.profile.target_hum) == (70, 30)
    await client.set_target(generic.device_id, None, humidity=25.5)
    cloud.advance(35)
    assert generic.cabins["C1"].profile.target_hum in (25, 26)
    state = await client.get_cabin_state(fenix.device_id, "C1")
    status = CabinStatus.from_payloads(state.reported, {}, True)
    assert status.target_temperature == 85
    with pytest.raises(HarviaBadRequestError):
        await client.set_target(fenix.device_id, "C1", temperature=150)
    with pytest.raises(ValueError, match="temperature"):
        await client.set_target(fenix.device_id, "C1")


async def test_set_profile(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """The profile index is applied after the panel's delay."""
    await client.set_profile(fenix.device_id, "C1", 2)
    assert fenix.cabins["C1"].active_profile == 0
    cloud.advance(15)
    assert fenix.cabins["C1"].active_profile == 2
    await client.set_profile(fenix.device_id, None, 1)
    cloud.advance(15)
    state = await client.get_cabin_state(fenix.device_id, "C1")
    assert CabinStatus.from_payloads(state.reported, {}, True).active_profile == 1
    with pytest.raises(HarviaBadRequestError):
        await client.set_profile(fenix.device_id, "C1", 9)


async def test_active_profile_as_string(
    client: HarviaClient, cloud: HarviaCloud, account: Account
) -> None:
    """Devices that report activeProfile as a string."""
    device = cloud.add_device(account, "fenix", active_profile_as_string=True)
    device.panel.select_profile(3)
    state = await client.get_cabin_state(device.device_id, "C1")
    assert state.reported["activeProfile"] == "3"
    status = CabinStatus.from_payloads(state.reported, {}, True)
    assert status.active_profile == 3
    assert status.target_temperature == 75


# -- firmware -----------------------------------------------------------------------------


async def test_ota_updates_paginated(client: HarviaClient, cloud: HarviaCloud) -> None:
    """otaUpdatesList is followed through every page."""
    cloud.ota_page_size = 1
    updates = await client.get_ota_updates("Fenix", "2.0")
    assert [u.firmware_version for u in updates] == [
        "1.12.0",
        "1.14.2",
        "1.15.0-beta.1",
    ]
    assert updates[2].beta_testing is True
    assert updates[2].enabled is False
    assert cloud.request_counts["graphql:device:otaUpdatesList"] == 3
    assert len(await client.get_ota_updates(None, None)) == 8
    assert await client.get_ota_updates("Nope", None) == []


async def test_ota_lifecycle(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Start, progress, cancel, and the refusals along the way."""
    (idle,) = await client.get_ota_states()
    assert idle.device_id == fenix.device_id
    assert idle.update_state == OtaStatus.IDLE
    assert await client.get_ota_states(only_active=True) == []
    assert await client.start_ota(fenix.device_id, "ota-fenix-2.0-1.14.2") is True
    cloud.advance(30)
    (running,) = await client.get_ota_states(only_active=True)
    assert running.update_state == OtaStatus.IN_PROGRESS
    assert running.progress_percent is not None
    assert running.progress_percent > 0
    assert running.update_firmware_version == "1.14.2"
    with pytest.raises(HarviaError):
        await client.start_ota(fenix.device_id, "ota-fenix-2.0-1.14.2")
    assert await client.cancel_ota(fenix.device_id) is True
    (cancelled,) = await client.get_ota_states()
    assert cancelled.update_state == OtaStatus.CANCELLED
    assert await client.cancel_ota(fenix.device_id) is False
    with pytest.raises(HarviaNotFoundError):
        await client.start_ota(fenix.device_id, "ota-nope")
    with pytest.raises(HarviaBadRequestError):
        await client.start_ota(fenix.device_id, "ota-sauna-1.0-3.1.0")
    cloud.faults.offline(fenix.device_id)
    with pytest.raises(HarviaDeviceUnavailableError):
        await client.start_ota(fenix.device_id, "ota-fenix-2.0-1.14.2")


async def test_ota_refused_is_forbidden(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    """A consumer account refused OTA: forbidden after one renewal, no re-auth."""
    cloud.faults.refuse_ota(account.email)
    with pytest.raises(HarviaForbiddenError):
        await client.get_ota_updates("Fenix", "2.0")
    assert cloud.request_counts[REFRESH] == 1
    with pytest.raises(HarviaForbiddenError):
        await client.start_ota(fenix.device_id, "ota-fenix-2.0-1.14.2")
    # Other calls are unaffected.
    assert len(await client.get_devices()) == 1


async def test_ota_malformed_pages(client: HarviaClient, cloud: HarviaCloud) -> None:
    """Pages that are not objects or lists are parse errors; null ends the list."""
    route = "graphql:device:otaUpdatesList"
    for body in (
        {"data": {"otaUpdatesList": "x"}},
        {"data": {"otaUpdatesList": {"otaUpdates": "x"}}},
        {"data": {"otaUpdatesList": {"otaUpdates": [{"otaId": None}]}}},
        {"data": "x"},
    ):
        cloud.faults.set_route(route, status=200, body=body, count=1)
        with pytest.raises(HarviaParseError):
            await client.get_ota_updates("Fenix", None)
    cloud.faults.set_route(
        route, status=200, body={"data": {"otaUpdatesList": None}}, count=1
    )
    assert await client.get_ota_updates("Fenix", None) == []


# -- GraphQL error mapping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, HarviaConnectionError),
        (503, HarviaConnectionError),
        (429, HarviaConnectionError),
        (504, HarviaDeviceUnavailableError),
        (402, HarviaLicenseRequiredError),
        (404, HarviaNotFoundError),
        (400, HarviaBadRequestError),
        (409, HarviaError),
    ],
)
async def test_graphql_error_statuses(
    client: HarviaClient,
    fenix: SimDevice,
    cloud: HarviaCloud,
    status: int,
    error: type[Exception],
) -> None:
    """AppSync-style errors per status map onto the hierarchy."""
    cloud.faults.set_route(
        "graphql:device:otaUpdatesStatesList", status=status, count=1
    )
    with pytest.raises(error):
        await client.get_ota_states()


async def test_graphql_forbidden_is_not_token(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """errorType Forbidden (not Unauthorized) does not touch the token."""
    cloud.faults.set_route("graphql:device:otaUpdatesStatesList", status=403, count=1)
    with pytest.raises(HarviaForbiddenError):
        await client.get_ota_states()
    assert cloud.request_counts[REFRESH] == 0


async def test_graphql_timeout(
    make_client: ClientFactory, account: Account, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A GraphQL call that hangs times out."""
    client = make_client(request_timeout=1.0)
    await client.login()
    cloud.faults.hold_route("POST /graphql/device")  # never answers
    with pytest.raises(HarviaTimeoutError):
        await client.get_ota_states()


async def test_graphql_partial_data_is_kept(
    client: HarviaClient, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Errors beside usable data do not discard the data."""
    cloud.faults.set_route(
        "POST /graphql/device",
        status=200,
        body={
            "data": {"otaUpdatesStatesList": {"otaUpdateStates": [{"deviceId": "X"}]}},
            "errors": [{"message": "progress unavailable", "errorType": "Partial"}],
        },
        count=1,
    )
    assert [state.device_id for state in await client.get_ota_states()] == ["X"]
