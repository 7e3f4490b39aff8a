"""Pure model tests: payload dicts in, typed models out, every quirk covered."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import Any

import pytest

from custom_components.harvia.api import (
    DEFAULT_MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    CabinStatus,
    CommandType,
    Device,
    HarviaParseError,
    OtaState,
    OtaStatus,
    OtaUpdate,
    Profile,
    ShadowState,
    Telemetry,
    decode_awsjson,
    device_capabilities,
    merge_payload,
)

# A Fenix row as the real cloud sends it: the id sits in "name".
FENIX_ROW: dict[str, Any] = {
    "name": "a1b2c3d4-fenix",
    "type": "Fenix",
    "attr": [
        {"key": "serialNumber", "value": "SN-0001"},
        {"key": "connected", "value": "true"},
        {"key": "HWID", "value": "HW-7"},
        {"key": "powerUnitFwVersion", "value": "2.1.0"},
        {"key": "panelType", "value": "FNX-PANEL"},
        {"key": "BT_MAC", "value": "AA:BB:CC:DD:EE:FF"},
        {"key": "brand", "value": "Harvia"},
        {"key": "latitude", "value": "60.17"},
        {"key": "nullValue", "value": None},
        {"key": "number", "value": 3},
        {"key": "flag", "value": False},
        {"value": "no key"},
        "not an object",
    ],
    "roles": ["owner", 5],
    "via": "CanSee",
}

FENIX_REPORTED: dict[str, Any] = {
    "displayName": "Home Sauna",
    "saunaStatus": 0,
    "heater": {"on": 0, "state": 0},
    "activeProfile": "1",
    "profiles": {
        "0": {"name": "Classic", "targetTemp": 80, "targetHum": 10, "duration": 180},
        "1": {"name": "Hot", "targetTemp": 90, "targetHum": 5, "duration": 120},
        "2": {"name": "", "targetTemp": 70, "targetHum": 20, "duration": 60},
        "3": {"targetTemp": 75, "targetHum": 15, "duration": 90},
    },
    "targetTemp": 60,
    "targetHum": 30,
    "light": {"on": 1},
    "fan": {"on": 0},
    "steamer": {"on": 0, "state": 0},
    "settings": {"maxTemp": 105, "maxOnTime": 360, "remoteControl": 1},
    "remoteAllowed": 1,
    "timer": {
        "startTime": "2025-01-01T18:00:00.000Z",
        "readyTime": "2025-01-01T19:00:00Z",
    },
    "signalStrength": -61,
    "deviceFwVersion": "3.4.5",
}

TELEMETRY_DATA: dict[str, Any] = {
    "temp": 65.5,
    "hum": 12,
    "targetTemp": 85,
    "targetHum": 8,
    "heatOn": 1,
    "steamOn": 0,
    "lightOn": 0,
    "fanOn": 1,
    "panelTemp": 31,
    "timeToTarget": 12,
    "remainingTime": 95,
    "onTime": 25,
    "totalSessions": 321,
    "totalBathingHours": 410.5,
    "totalHours": 900,
    "heaterPower": 0,
}


# -- Device ----------------------------------------------------------------------


def test_device_id_from_name_and_attributes() -> None:
    """Real rows carry the id in name; attributes become a str dict."""
    device = Device.from_dict(FENIX_ROW)
    assert device.device_id == "a1b2c3d4-fenix"
    assert device.type == "Fenix"
    assert device.serial_number == "SN-0001"
    assert device.connected is True
    assert device.hw_version == "HW-7"
    assert device.firmware_version == "2.1.0"
    assert device.panel_type == "FNX-PANEL"
    assert device.mac == "AA:BB:CC:DD:EE:FF"
    assert device.model == "Fenix"
    assert device.roles == ("owner",)
    assert device.via == "CanSee"
    # Private attributes are kept as data, never promoted.
    assert device.attributes["latitude"] == "60.17"
    assert device.attributes["number"] == "3"
    assert device.attributes["flag"] == "false"
    assert "nullValue" not in device.attributes
    assert not device.capabilities.supports(CommandType.STEAMER)


def test_device_id_precedence() -> None:
    """deviceId wins over id, which wins over name."""
    assert Device.from_dict({"deviceId": "A", "id": "B", "name": "C"}).device_id == "A"
    assert Device.from_dict({"id": "B", "name": "C"}).device_id == "B"
    assert Device.from_dict({"deviceId": None, "name": "C"}).device_id == "C"
    assert Device.from_dict({"deviceId": "", "id": {}, "name": "C"}).device_id == "C"


def test_device_spec_form_and_fallbacks() -> None:
    """The spec's example row and attribute fallbacks."""
    device = Device.from_dict(
        {
            "deviceId": "DEVICE-ABC123-XYZ789",
            "type": "sauna",
            "attributes": {"powerUnitHWID": "PU-1", "initialFirmware": "1.0"},
        }
    )
    assert device.hw_version == "PU-1"
    assert device.firmware_version == "1.0"
    assert device.serial_number is None
    assert device.connected is None
    assert device.mac is None
    assert device.panel_type is None
    assert device.model == "sauna"
    assert device.roles == ()
    assert device.capabilities.supports(CommandType.ADJUST_DURATION)
    untyped = Device.from_dict({"id": "X", "attr": "garbage", "roles": "owner"})
    assert untyped.attributes == {}
    assert untyped.model == "Sauna controller"
    assert Device.from_dict({"id": "S", "type": "SaunaSensor"}).model == "SaunaSensor"


@pytest.mark.parametrize(
    "payload", [None, [], "x", 3, {}, {"deviceId": ""}, {"name": {}}]
)
def test_device_unusable(payload: Any) -> None:
    """No id at all, or not an object: the one typed parse error."""
    with pytest.raises(HarviaParseError):
        Device.from_dict(payload)


# -- capabilities -------------------------------------------------------------------


def test_capabilities() -> None:
    """Fenix rejects STEAMER/ADJUST_DURATION; the sensor is telemetry-only."""
    fenix = device_capabilities("Fenix")
    assert fenix.supports(CommandType.SAUNA)
    assert fenix.supports("LIGHTS")
    assert not fenix.supports(CommandType.STEAMER)
    assert not fenix.supports(CommandType.ADJUST_DURATION)
    assert fenix.default_cabin == "C1"
    assert device_capabilities("FENIX") is fenix
    sensor = device_capabilities("SaunaSensor")
    assert sensor.telemetry_only
    assert not sensor.supports(CommandType.SAUNA)
    assert sensor.default_cabin is None
    other = device_capabilities("sauna")
    assert other.commands == frozenset(CommandType)
    assert other.supports(CommandType.STEAMER)
    assert device_capabilities(None) == other


def test_command_enum_is_the_spec_enum() -> None:
    """The whole Command enum of the spec, as strings."""
    assert {c.value for c in CommandType} == {
        "ADJUST_DURATION", "REMAINING_TIME", "AFTER_HEATER", "EXT_SWITCH", "FAN",
        "HEATER", "IR_HEATER", "LIGHTS", "RESTART", "SAUNA", "STEAMER", "TRACE_LOG",
        "UPDATE", "VAPORIZER",
    }  # fmt: skip
    assert CommandType.SAUNA == "SAUNA"


# -- AWSJSON and merge -----------------------------------------------------------------


def test_decode_awsjson() -> None:
    """Strings, objects and empties decode; anything else is a parse error."""
    assert decode_awsjson('{"a": 1}') == {"a": 1}
    assert decode_awsjson(b'{"a": 1}') == {"a": 1}
    assert decode_awsjson({"a": 1}) == {"a": 1}
    assert decode_awsjson(None) == {}
    assert decode_awsjson("") == {}
    assert decode_awsjson("null") == {}
    for bad in ("{not json", "[1, 2]", "5", 5, ["a"]):
        with pytest.raises(HarviaParseError):
            decode_awsjson(bad)


def test_merge_payload_deep() -> None:
    """Nested dicts merge, scalars and lists replace, inputs stay untouched."""
    old: dict[str, Any] = {
        "light": {"on": 0},
        "profiles": {"0": {"name": "A", "targetTemp": 80}},
        "x": [1],
    }
    partial: dict[str, Any] = {
        "profiles": {"0": {"targetTemp": 85}},
        "x": [2],
        "light": 5,
        "new": {"a": 1},
    }
    merged = merge_payload(old, partial)
    assert merged == {
        "light": 5,
        "profiles": {"0": {"name": "A", "targetTemp": 85}},
        "x": [2],
        "new": {"a": 1},
    }
    assert old["profiles"]["0"]["targetTemp"] == 80
    merged["new"]["a"] = 2
    assert partial["new"]["a"] == 1
    merged["profiles"]["0"]["name"] = "B"
    assert old["profiles"]["0"]["name"] == "A"
    assert merge_payload({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}


# -- ShadowState ----------------------------------------------------------------------


def test_shadow_state_rest_form() -> None:
    """REST /devices/state: state holds the reported document."""
    state = ShadowState.from_dict(
        {
            "deviceId": "D1",
            "shadowName": "C1",
            "state": {"temp": 78, "targetHum": 38},
            "version": 123,
            "timestamp": 1735689600000,
            "metadata": {"state": {}},
            "connectionState": {"connected": True, "updatedTimestamp": 1735689600000},
        }
    )
    assert state.device_id == "D1"
    assert state.shadow_name == "C1"
    assert state.reported == {"temp": 78, "targetHum": 38}
    assert state.connected is True
    assert state.version == 123
    assert state.timestamp == datetime(2025, 1, 1, tzinfo=UTC)


def test_shadow_state_graphql_awsjson_and_feed() -> None:
    """GraphQL: reported/desired are JSON strings; feed notices wrap an item."""
    notice = {
        "receiver": "D1",
        "item": {
            "deviceId": "D1",
            "shadowName": "C1",
            "reported": json.dumps({"saunaStatus": 1}),
            "desired": json.dumps({"light": {"on": 1}}),
            "timestamp": 1735689600.5,
            "connectionState": {"connected": False, "updatedTimestamp": "x"},
        },
    }
    state = ShadowState.from_dict(notice)
    assert state.reported == {"saunaStatus": 1}
    assert state.connected is False
    assert state.version is None
    assert state.timestamp is not None


def test_shadow_state_aws_style_and_degraded() -> None:
    """AWS {"state": {"reported", "desired"}}; broken extras degrade to None."""
    state = ShadowState.from_dict(
        {
            "state": {"reported": {"a": 1}, "desired": {"b": 2}},
            "connectionState": '{"connected": "true"}',
            "version": "7.5",
            "timestamp": "garbage",
        }
    )
    assert state.reported == {"a": 1}
    assert state.connected is True
    assert state.version is None
    assert state.timestamp is None
    state = ShadowState.from_dict(
        {
            "reported": None,
            "desired": "{broken",
            "connectionState": "{broken",
            "connected": 0,
        }
    )
    assert state.reported == {}
    assert state.connected is False
    assert ShadowState.from_dict({}).connected is None


@pytest.mark.parametrize(
    "payload",
    [None, "x", [], {"reported": "{broken"}, {"state": "[1]"}, {"reported": 5}],
)
def test_shadow_state_unusable(payload: Any) -> None:
    """Not an object, or a reported document that is not one."""
    with pytest.raises(HarviaParseError):
        ShadowState.from_dict(payload)


# -- Telemetry -----------------------------------------------------------------------


def test_telemetry_rest_form() -> None:
    """REST latest-data with temp/hum names."""
    record = Telemetry.from_dict(
        {
            "deviceId": "D1",
            "subId": "C1",
            "timestamp": 1735689600000,
            "sessionId": "s-1",
            "type": "measurement",
            "data": TELEMETRY_DATA,
        }
    )
    assert record.device_id == "D1"
    assert record.sub_id == "C1"
    assert record.session_id == "s-1"
    assert record.type == "measurement"
    assert record.timestamp == datetime(2025, 1, 1, tzinfo=UTC)
    assert record.temperature == 65.5
    assert record.humidity == 12.0
    assert record.target_temperature == 85.0
    assert record.target_humidity == 8.0
    assert record.heat_on is True
    assert record.steam_on is False
    assert record.light_on is False
    assert record.fan_on is True
    assert record.panel_temperature == 31.0
    assert record.time_to_target == 12
    assert record.remaining_time == 95
    assert record.on_time == 25
    assert record.total_sessions == 321
    assert record.total_bathing_hours == 410.5
    assert record.total_hours == 900.0
    assert record.raw == TELEMETRY_DATA


def test_telemetry_spec_names_awsjson_and_feed() -> None:
    """temperature/humidity names, data as an AWSJSON string inside a feed item."""
    record = Telemetry.from_dict(
        {
            "receiver": "D1",
            "item": {
                "deviceId": "D1",
                "subId": "C2",
                "timestamp": "2025-01-01T00:00:00Z",
                "data": json.dumps(
                    {"temperature": "70.5", "humidity": 30, "heatOn": "true"}
                ),
            },
        }
    )
    assert record.sub_id == "C2"
    assert record.temperature == 70.5
    assert record.humidity == 30.0
    assert record.heat_on is True
    assert record.timestamp == datetime(2025, 1, 1, tzinfo=UTC)


def test_telemetry_without_data_wrapper_and_wrong_types() -> None:
    """Measurements at top level; wrong-typed values become None."""
    record = Telemetry.from_dict(
        {"deviceId": "D1", "cabinId": "C1", "temp": [1], "hum": True, "heatOn": "maybe",
         "timeToTarget": "soon", "totalSessions": float("nan"), "totalHours": "inf"}
    )  # fmt: skip
    assert record.sub_id == "C1"
    assert record.raw["temp"] == [1]
    assert "deviceId" not in record.raw
    assert record.temperature is None
    assert record.humidity is None
    assert record.heat_on is None
    assert record.time_to_target is None
    assert record.total_sessions is None
    assert record.total_hours is None
    empty = Telemetry.from_data({})
    assert empty.temperature is None
    assert empty.raw == {}


@pytest.mark.parametrize("payload", [None, 1, "x", {"data": "{broken"}, {"data": "[]"}])
def test_telemetry_unusable(payload: Any) -> None:
    """Not an object, or data that is not one."""
    with pytest.raises(HarviaParseError):
        Telemetry.from_dict(payload)


# -- CabinStatus ------------------------------------------------------------------------


def test_cabin_status_off_uses_active_profile_target() -> None:
    """Off: the target is the active profile's, not the stale top-level one."""
    status = CabinStatus.from_payloads(FENIX_REPORTED, TELEMETRY_DATA, True)
    assert status.display_name == "Home Sauna"
    assert status.sauna_status == 0
    assert status.is_heating is False
    assert status.is_waiting is False
    assert status.is_on is False
    assert status.active_profile == 1
    assert status.active_profile_data is not None
    assert status.active_profile_data.name == "Hot"
    assert status.target_temperature == 90
    assert status.target_humidity == 5
    assert status.current_temperature == 65.5
    assert status.current_humidity == 12
    assert status.light_on is True  # reported wins over telemetry
    assert status.fan_on is False
    assert status.steamer_on is False
    assert status.max_temperature == 105
    assert status.min_temperature == MIN_TEMPERATURE
    assert status.max_on_time == 360
    assert status.remote_allowed is True
    assert status.timer_start == datetime(2025, 1, 1, 18, tzinfo=UTC)
    assert status.timer_ready == datetime(2025, 1, 1, 19, tzinfo=UTC)
    assert status.signal_strength == -61
    assert status.firmware_version == "3.4.5"
    assert status.panel_temperature == 31
    assert status.time_to_target == 12
    assert status.remaining_time == 95
    assert status.on_time == 25
    assert status.total_sessions == 321
    assert status.total_bathing_hours == 410.5
    assert status.total_hours == 900
    assert status.connected is True


def test_cabin_status_profiles_and_labels() -> None:
    """Profiles keyed by int; labels fall back to the slot number and stay unique."""
    status = CabinStatus.from_payloads(FENIX_REPORTED, {}, None)
    assert list(status.profiles) == [0, 1, 2, 3]
    assert status.profiles[0] == Profile(0, "Classic", 80, 10, 180, "Classic")
    assert status.profiles[2].name is None
    assert status.profiles[2].label == "Profile 3"
    assert status.profiles[3].label == "Profile 4"
    dupes = CabinStatus.from_payloads(
        {"profiles": [{"name": "Eco"}, {"name": "Eco"}, "junk", {"name": 7}]}, {}, None
    )
    assert [p.label for p in dupes.profiles.values()] == ["Eco", "Eco (2)", "7"]
    assert CabinStatus.from_payloads({"profiles": "junk"}, {}, None).profiles == {}
    odd = CabinStatus.from_payloads(
        {"profiles": {"x": {}, "-1": {}, "1": {}}}, {}, None
    )
    assert list(odd.profiles) == [1]


def test_cabin_status_heating_uses_live_target() -> None:
    """saunaStatus 1: heating, the target is the live session's (telemetry)."""
    reported = {**FENIX_REPORTED, "saunaStatus": 1, "heater": {"on": 1}}
    status = CabinStatus.from_payloads(reported, TELEMETRY_DATA, True)
    assert status.is_heating is True
    assert status.is_waiting is False
    assert status.is_on is True
    assert status.target_temperature == 85
    assert status.target_humidity == 8
    # Heating without live telemetry: the active profile's value.
    status = CabinStatus.from_payloads(reported, {}, True)
    assert status.target_temperature == 90


def test_cabin_status_scheduled_wait_is_not_heating() -> None:
    """saunaStatus 5 with heater.on 1 is a scheduled wait, not heating."""
    reported = {**FENIX_REPORTED, "saunaStatus": 5, "heater": {"on": 1}}
    status = CabinStatus.from_payloads(reported, {"heatOn": 1}, True)
    assert status.is_heating is False
    assert status.is_waiting is True
    assert status.is_on is True
    assert status.target_temperature == 90  # not heating: the profile's


def test_cabin_status_fallback_without_sauna_status() -> None:
    """No saunaStatus: heater.on, then telemetry heatOn."""
    status = CabinStatus.from_payloads({"heater": {"on": 1}}, {"heatOn": 0}, None)
    assert status.is_heating is True
    assert status.is_waiting is False
    assert status.is_on is True
    status = CabinStatus.from_payloads({}, {"heatOn": 0}, None)
    assert status.is_heating is False
    assert status.is_on is False
    status = CabinStatus.from_payloads({}, {}, None)
    assert status.is_heating is None
    assert status.is_waiting is None
    assert status.is_on is None


def test_cabin_status_stale_target_only_as_last_fallback() -> None:
    """Top-level targetTemp is used only when nothing better exists."""
    status = CabinStatus.from_payloads({"targetTemp": 60, "targetHum": 30}, {}, None)
    assert status.target_temperature == 60
    assert status.target_humidity == 30
    # Off with no profile: the telemetry target beats the stale one.
    status = CabinStatus.from_payloads({"targetTemp": 60}, {"targetTemp": 75}, None)
    assert status.target_temperature == 75
    # Unknown active profile index: fallbacks.
    status = CabinStatus.from_payloads(
        {"activeProfile": 9, "profiles": {"0": {"targetTemp": 80}}, "targetTemp": 60},
        {},
        None,
    )
    assert status.active_profile == 9
    assert status.active_profile_data is None
    assert status.target_temperature == 60


@pytest.mark.parametrize(
    ("value", "expected"), [(2, 2), ("2", 2), ("2.0", 2), (2.0, 2), ("two", None),
                            (True, None), (None, None), (1.5, None), ([2], None)]
)  # fmt: skip
def test_cabin_status_active_profile_forms(value: Any, expected: int | None) -> None:
    """activeProfile as int or numeric string; anything else is None."""
    assert (
        CabinStatus.from_payloads({"activeProfile": value}, {}, None).active_profile
        == expected
    )


def test_cabin_status_spec_names_and_reported_fallback() -> None:
    """temperature/humidity in telemetry, or temp/hum in the shadow (sensor)."""
    status = CabinStatus.from_payloads({}, {"temperature": 50, "humidity": 20}, None)
    assert status.current_temperature == 50
    assert status.current_humidity == 20
    status = CabinStatus.from_payloads({"temp": 45, "hum": 22}, {}, None)
    assert status.current_temperature == 45
    assert status.current_humidity == 22
    status = CabinStatus.from_payloads(
        {}, {"lightOn": 1, "fanOn": 0, "steamOn": 1}, None
    )
    assert (status.light_on, status.fan_on, status.steamer_on) == (True, False, True)


def test_cabin_status_every_field_tolerant() -> None:
    """Garbage everywhere: None fields, defaults, never an exception."""
    garbage: dict[str, Any] = {
        "displayName": {"x": 1},
        "saunaStatus": "running",
        "heater": "on",
        "activeProfile": {},
        "profiles": [None, 5],
        "targetTemp": "hot",
        "light": [1],
        "fan": {"on": "maybe"},
        "steamer": None,
        "settings": {"maxTemp": "very", "maxOnTime": None},
        "remoteAllowed": "perhaps",
        "timer": {"startTime": "not a date", "readyTime": 1e30},
        "signalStrength": "weak",
        "deviceFwVersion": 3,
    }
    status = CabinStatus.from_payloads(garbage, {"temp": "x", "panelTemp": {}}, None)
    assert status.display_name is None
    assert status.sauna_status is None
    assert status.is_heating is None
    assert status.active_profile is None
    assert status.profiles == {}
    assert status.target_temperature is None
    assert status.light_on is None
    assert status.fan_on is None
    assert status.steamer_on is None
    assert status.max_temperature == DEFAULT_MAX_TEMPERATURE
    assert status.max_on_time is None
    assert status.remote_allowed is None
    assert status.timer_start is None
    assert status.timer_ready is None
    assert status.signal_strength is None
    assert status.firmware_version == "3"
    assert status.current_temperature is None
    assert status.panel_temperature is None
    # Not even mappings.
    status = CabinStatus.from_payloads(None, None, None)
    assert status.max_temperature == DEFAULT_MAX_TEMPERATURE
    assert status.is_on is None
    status = CabinStatus.from_payloads({"settings": {"maxTemp": 20}}, {}, None)
    assert status.max_temperature == DEFAULT_MAX_TEMPERATURE


def test_cabin_status_timer_forms() -> None:
    """ISO with or without zone, epoch seconds and milliseconds, empty strings."""
    status = CabinStatus.from_payloads(
        {"timer": {"startTime": "2025-01-01T18:00:00", "readyTime": 1735689600000}},
        {},
        None,
    )
    assert status.timer_start == datetime(2025, 1, 1, 18, tzinfo=UTC)
    assert status.timer_ready == datetime(2025, 1, 1, tzinfo=UTC)
    status = CabinStatus.from_payloads(
        {"timer": {"startTime": "", "readyTime": "1735689600"}}, {}, None
    )
    assert status.timer_start is None
    assert status.timer_ready == datetime(2025, 1, 1, tzinfo=UTC)


def test_cabin_status_after_partial_merge() -> None:
    """A partial push merged into the previous shadow changes only its keys."""
    reported = merge_payload(FENIX_REPORTED, {"saunaStatus": 1, "heater": {"on": 1}})
    reported = merge_payload(reported, {"profiles": {"1": {"targetTemp": 95}}})
    status = CabinStatus.from_payloads(reported, {}, True)
    assert status.is_heating is True
    assert status.target_temperature == 95
    assert status.profiles[1].name == "Hot"
    assert status.display_name == "Home Sauna"


# -- OTA ---------------------------------------------------------------------------------


def test_ota_models() -> None:
    """OtaUpdate and OtaState from their GraphQL objects."""
    update = OtaUpdate.from_dict(
        {
            "otaId": "ota-1",
            "firmwareVersion": "3.5.0",
            "description": "Fixes",
            "enabled": True,
            "betaTesting": False,
            "deviceType": "Fenix",
            "hwVersion": "HW-7",
            "size": 1024,
            "filename": "fw.bin",
        }
    )
    assert update.ota_id == "ota-1"
    assert update.firmware_version == "3.5.0"
    assert update.enabled is True
    assert update.beta_testing is False
    state = OtaState.from_dict(
        {"item": {"deviceId": "D1", "updateState": "IN_PROGRESS", "progressPercent": 40,
                  "updateFirmwareVersion": "3.5.0", "timestamp": "2025-01-01T00:00:00Z"}}
    )  # fmt: skip
    assert state.device_id == "D1"
    assert state.update_state == OtaStatus.IN_PROGRESS
    assert state.progress_percent == 40
    bad_updates: tuple[Any, ...] = (None, {}, {"otaId": None})
    for bad in bad_updates:
        with pytest.raises(HarviaParseError):
            OtaUpdate.from_dict(bad)
    bad_states: tuple[Any, ...] = (None, {}, {"updateState": "DONE"})
    for bad in bad_states:
        with pytest.raises(HarviaParseError):
            OtaState.from_dict(bad)


def test_small_coercions() -> None:
    """Odd scalars: non-finite numbers, false words, no active profile."""
    device = Device.from_dict(
        {
            "id": "D",
            "attr": [
                {"key": "connected", "value": "off"},
                {"key": "n", "value": float("inf")},
            ],
        }
    )
    assert device.connected is False
    assert "n" not in device.attributes
    assert CabinStatus.from_payloads({}, {}, None).active_profile_data is None
