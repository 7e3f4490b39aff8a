"""Outputs and readings only some controllers report; what Fenix panels take."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.harvia.api import CabinStatus, CommandType, device_capabilities


def test_extra_outputs_from_shadow_or_telemetry() -> None:
    """`<output>.on` in the shadow wins; telemetry `<output>On` otherwise."""
    status = CabinStatus.from_payloads(
        {"vaporizer": {"on": 1}, "irHeater": {"on": 0}, "afterHeater": {"on": "x"}},
        {"vaporizerOn": 0, "afterHeaterOn": 1, "extSwitchOn": "1"},
        True,
    )
    assert status.vaporizer_on is True
    assert status.ir_heater_on is False
    assert status.after_heater_on is True
    assert status.ext_switch_on is True


@pytest.mark.parametrize(
    ("telemetry", "expected"),
    [
        ({"extSensorTemp": 23.5}, 23.5),
        ({"extSensorTemp": "21"}, 21.0),
        ({"extSensorTemp": "n/a"}, None),
        ({"extSensorTemp": None}, None),
        ({}, None),
    ],
)
def test_external_sensor_temperature(
    telemetry: dict[str, Any], expected: float | None
) -> None:
    """A reading that is not a number is unknown."""
    assert CabinStatus.from_payloads({}, telemetry, None).ext_sensor_temperature == (
        expected
    )


def test_not_reported_is_unknown() -> None:
    """A controller that reports none of them: all unknown."""
    status = CabinStatus.from_payloads({"light": {"on": 1}}, {"temp": 60}, True)
    assert (
        status.vaporizer_on,
        status.ir_heater_on,
        status.after_heater_on,
        status.ext_switch_on,
        status.ext_sensor_temperature,
    ) == (None, None, None, None, None)


def test_fenix_takes_only_what_is_seen_to_work() -> None:
    """SAUNA/LIGHTS/FAN/HEATER; nothing else is offered on a Fenix panel."""
    fenix = device_capabilities("Fenix")
    assert fenix.commands == {
        CommandType.SAUNA,
        CommandType.LIGHTS,
        CommandType.FAN,
        CommandType.HEATER,
    }
    for command in (
        CommandType.RESTART,
        CommandType.VAPORIZER,
        CommandType.IR_HEATER,
        CommandType.AFTER_HEATER,
        CommandType.EXT_SWITCH,
    ):
        assert not fenix.supports(command)
        assert device_capabilities("sauna").supports(command)
