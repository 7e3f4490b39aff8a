"""The power and energy estimate, without Home Assistant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.harvia.api import CabinStatus
from custom_components.harvia.energy import (
    CONF_HEATER_POWER,
    CONF_RATINGS,
    CONF_STEAMER_POWER,
    MAX_RATING,
    MIN_RATING,
    EnergyMeter,
    Ratings,
    cabin_power,
    estimated_power,
    heater_on,
    parse_rating,
    steamer_on,
)

T0 = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


def _status(
    reported: dict[str, object] | None = None,
    telemetry: dict[str, object] | None = None,
) -> CabinStatus:
    return CabinStatus.from_payloads(reported or {}, telemetry or {}, True)


@pytest.mark.parametrize(
    ("reported", "telemetry", "expected"),
    [
        # A running session: the relay as telemetry reports it.
        ({"saunaStatus": 1}, {"heatOn": 1}, True),
        ({"saunaStatus": 1}, {"heatOn": 0}, False),
        # No telemetry flag: the reported heater, else the session itself.
        ({"saunaStatus": 1, "heater": {"on": 0}}, {}, False),
        ({"saunaStatus": 1}, {}, True),
        # A scheduled start waits with heater.on = 1: nothing heats.
        ({"saunaStatus": 5, "heater": {"on": 1}}, {"heatOn": 1}, False),
        # Off, whatever stale telemetry says.
        ({"saunaStatus": 0}, {"heatOn": 1}, False),
        # Nothing known.
        ({}, {}, None),
    ],
)
def test_heater_on(
    reported: dict[str, object], telemetry: dict[str, object], expected: bool | None
) -> None:
    """The element draws power only while a session runs and its relay is on."""
    assert heater_on(_status(reported, telemetry)) is expected


@pytest.mark.parametrize(
    ("reported", "telemetry", "expected"),
    [
        ({"saunaStatus": 1, "steamer": {"on": 1}}, {}, True),
        ({"saunaStatus": 1}, {"steamOn": 1}, True),
        ({"saunaStatus": 1, "steamer": {"on": 0}}, {"steamOn": 1}, False),
        ({"saunaStatus": 0, "steamer": {"on": 1}}, {}, False),
        ({}, {"steamOn": 1}, None),
    ],
)
def test_steamer_on(
    reported: dict[str, object], telemetry: dict[str, object], expected: bool | None
) -> None:
    """The steam generator draws power only while a session runs and it is on."""
    assert steamer_on(_status(reported, telemetry)) is expected


def test_estimated_power() -> None:
    """Rated power while on, 0 while off, unknown without a state or rating."""
    assert estimated_power(True, 10.5) == 10_500.0
    assert estimated_power(False, 10.5) == 0.0
    assert estimated_power(None, 10.5) is None
    assert estimated_power(True, None) is None


def test_cabin_power() -> None:
    """Heater plus steamer; unknown when the heater is unrated or unknown."""
    combi = _status({"saunaStatus": 1, "steamer": {"on": 1}}, {"heatOn": 1})
    assert cabin_power(combi, Ratings(heater=9.0, steamer=2.2)) == 11_200.0
    assert cabin_power(combi, Ratings(heater=9.0)) == 9_000.0
    assert cabin_power(combi, Ratings(steamer=2.2)) is None
    assert cabin_power(_status(), Ratings(heater=9.0)) is None


def test_ratings_from_options() -> None:
    """Per controller; unusable stored values count as unset."""
    options = {
        CONF_RATINGS: {
            "a": {CONF_HEATER_POWER: 9, CONF_STEAMER_POWER: 2.2},
            "b": {CONF_HEATER_POWER: True, CONF_STEAMER_POWER: MAX_RATING + 1},
            "c": {CONF_HEATER_POWER: "9"},
        }
    }
    assert Ratings.from_options(options, "a") == Ratings(heater=9.0, steamer=2.2)
    assert Ratings.from_options(options, "b") == Ratings()
    assert Ratings.from_options(options, "c") == Ratings()
    assert Ratings.from_options(options, "missing") == Ratings()
    assert Ratings.from_options({}, "a") == Ratings()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.5", 10.5),
        (" 7,5 kW ", 7.5),
        ("9KW", 9.0),
        (6, 6.0),
        (str(MIN_RATING), MIN_RATING),
        (str(MAX_RATING), MAX_RATING),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_parse_rating(value: str | float | None, expected: float | None) -> None:
    """Picked or typed ratings, bounds included."""
    assert parse_rating(value) == expected


@pytest.mark.parametrize(
    "value", ["nine", "0.49", "50.01", "-9", "nan", "inf", str(MIN_RATING - 0.01)]
)
def test_parse_rating_refuses(value: str) -> None:
    """Out of range or not a number."""
    with pytest.raises(ValueError, match=r"."):
        parse_rating(value)


def test_meter_integrates_steps() -> None:
    """Each power holds until the next reading (a left Riemann sum)."""
    meter = EnergyMeter()
    meter.update(T0, 9_000.0)
    meter.update(T0 + timedelta(minutes=20), 0.0)
    assert meter.kwh == pytest.approx(3.0)
    meter.update(T0 + timedelta(minutes=50), 9_000.0)
    assert meter.kwh == pytest.approx(3.0)
    meter.update(T0 + timedelta(minutes=60), 9_000.0)
    assert meter.kwh == pytest.approx(4.5)
    assert meter.power == 9_000.0


def test_meter_unknown_power_counts_nothing() -> None:
    """Unknown power stops the count until a known one; time never runs back."""
    meter = EnergyMeter(1.25)
    meter.update(T0, None)
    meter.update(T0 + timedelta(hours=1), 6_000.0)
    assert meter.kwh == pytest.approx(1.25)
    # A reading from the past (a clock step back) counts nothing.
    meter.update(T0, 6_000.0)
    assert meter.kwh == pytest.approx(1.25)
    meter.update(T0 + timedelta(hours=1, minutes=30), 6_000.0)
    assert meter.kwh == pytest.approx(4.25)
