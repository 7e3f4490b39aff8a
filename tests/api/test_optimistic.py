"""Optimistic patches: merged into the raw payloads they show the commanded state."""

from __future__ import annotations

from typing import Any

from custom_components.harvia.api import (
    CabinStatus,
    CommandType,
    merge_payload,
    optimistic,
)

REPORTED: dict[str, Any] = {
    "saunaStatus": 0,
    "heater": {"on": 0},
    "activeProfile": 1,
    "profiles": {
        "0": {"targetTemp": 80, "duration": 180},
        "1": {"targetTemp": 90, "duration": 60},
    },
    "light": {"on": 0},
    "fan": {"on": 0},
    "steamer": {"on": 0},
}


def _apply(
    reported: dict[str, Any], telemetry: dict[str, Any], patch: optimistic.Patch
) -> CabinStatus:
    return CabinStatus.from_payloads(
        merge_payload(reported, patch.get("reported", {})),
        merge_payload(telemetry, patch.get("telemetry", {})),
        True,
    )


def test_power() -> None:
    """SAUNA on shows heating; off shows off."""
    status = _apply(REPORTED, {}, optimistic.power(True))
    assert status.is_heating and status.is_on
    status = _apply({**REPORTED, "saunaStatus": 5}, {}, optimistic.power(False))
    assert status.is_on is False
    assert optimistic.output(CommandType.SAUNA, True) == optimistic.power(True)
    assert optimistic.output("HEATER", False) == optimistic.power(False)


def test_outputs() -> None:
    """LIGHTS/FAN/STEAMER switch their reported output; others patch nothing."""
    status = _apply(REPORTED, {}, optimistic.output(CommandType.LIGHTS, True))
    assert status.light_on is True
    status = _apply(REPORTED, {}, optimistic.output(CommandType.FAN, True))
    assert status.fan_on is True
    status = _apply(
        REPORTED, {"steamOn": 1}, optimistic.output(CommandType.STEAMER, False)
    )
    assert status.steamer_on is False
    assert optimistic.output(CommandType.RESTART, True) == {}
    assert optimistic.output("NOT_A_COMMAND", True) == {}


def test_target_into_active_profile() -> None:
    """Off: the active profile's target changes; heating: the live one too."""
    before = CabinStatus.from_payloads(REPORTED, {}, True)
    status = _apply(REPORTED, {}, optimistic.target(before, temperature=95))
    assert status.target_temperature == 95
    assert status.profiles[0].target_temperature == 80
    heating_reported = {**REPORTED, "saunaStatus": 1}
    telemetry = {"targetTemp": 85, "targetHum": 10}
    heating = CabinStatus.from_payloads(heating_reported, telemetry, True)
    patch = optimistic.target(heating, temperature=70, humidity=20)
    status = _apply(heating_reported, telemetry, patch)
    assert status.target_temperature == 70
    assert status.target_humidity == 20
    assert optimistic.target(heating) == {}


def test_target_without_active_profile() -> None:
    """No active profile known: the top-level target (the last fallback)."""
    before = CabinStatus.from_payloads({}, {}, True)
    status = _apply({}, {}, optimistic.target(before, humidity=30))
    assert status.target_humidity == 30


def test_duration() -> None:
    """ADJUST_DURATION: the active profile when off, the running session when on."""
    before = CabinStatus.from_payloads(REPORTED, {}, True)
    status = _apply(REPORTED, {}, optimistic.duration(before, 45))
    assert status.active_profile_data is not None
    assert status.active_profile_data.duration == 45
    heating_reported = {**REPORTED, "saunaStatus": 1}
    telemetry = {"onTime": 20, "remainingTime": 40}
    heating = CabinStatus.from_payloads(heating_reported, telemetry, True)
    status = _apply(heating_reported, telemetry, optimistic.duration(heating, 90))
    assert status.remaining_time == 70
    assert (
        optimistic.duration(CabinStatus.from_payloads(heating_reported, {}, True), 5)
        == {}
    )
    assert optimistic.duration(CabinStatus.from_payloads({}, {}, True), 5) == {}
