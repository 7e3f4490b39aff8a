"""The suite-wide check (tests/conftest.py) catches deprecations naming us."""

from __future__ import annotations

import logging

import pytest

from .conftest import names_our_deprecation


def _record(name: str, message: str, level: int = logging.WARNING) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (  # report_usage, from a custom integration's frame
            "homeassistant.helpers.frame",
            "Detected that custom integration 'harvia' calls "
            "`device_registry.async_get_device`, which is deprecated. This will "
            "stop working in Home Assistant 2027.8.0, please report it",
        ),
        (  # deprecated entity members, logged on the integration's logger
            "custom_components.harvia.climate",
            "Detected code that reads the deprecated HarviaClimate.temperature_unit, "
            "use native_temperature_unit instead. This will stop working in Home "
            "Assistant 2027.11",
        ),
        (  # deprecated functions and properties
            "homeassistant.data_entry_flow",
            "The deprecated function show_advanced_options was called from harvia. "
            "It will be removed in HA Core 2027.6.",
        ),
    ],
)
def test_deprecations_naming_us_are_caught(name: str, message: str) -> None:
    assert names_our_deprecation(_record(name, message))


@pytest.mark.parametrize(
    ("name", "message", "level"),
    [
        (  # another integration's deprecation
            "homeassistant.helpers.frame",
            "Detected that custom integration 'other' calls a deprecated API",
            logging.WARNING,
        ),
        (  # our own log line, not a deprecation
            "custom_components.harvia",
            "Harvia push updates were lost; polling every 0:02:00",
            logging.WARNING,
        ),
        (  # below warning level
            "custom_components.harvia",
            "deprecated field in a payload",
            logging.DEBUG,
        ),
    ],
)
def test_other_records_pass(name: str, message: str, level: int) -> None:
    assert not names_our_deprecation(_record(name, message, level))
