"""Hostile payloads: every parser gives a typed result or HarviaParseError.

Property tests with arbitrary JSON (huge integers, NaN, infinities, deep
nesting, wrong types) plus the measured cases of the issue.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.harvia.api import (
    CabinStatus,
    Device,
    HarviaParseError,
    OtaState,
    OtaUpdate,
    ShadowState,
    Telemetry,
    decode_awsjson,
    merge_payload,
)
from custom_components.harvia.api.models import MAX_DEPTH

# Reproducible run to run (CI must not flake) and no example database on disk.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Scalars a hostile or broken cloud may send.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["1e400", "NaN", "-inf", "", "on", "0", "2025-13-45"])
)
# Keys the parsers look for, so that values land where they are read.
KEYS = st.sampled_from(
    [
        "temp", "temperature", "hum", "targetTemp", "targetHum", "heatOn",
        "saunaStatus", "activeProfile", "profiles", "0", "1", "3", "name",
        "duration", "settings", "maxTemp", "maxOnTime", "remoteAllowed", "timer",
        "startTime", "readyTime", "light", "on", "steamer", "deviceId", "id",
        "subId", "item", "data", "reported", "desired", "state", "timestamp",
        "connectionState", "connected", "version", "otaId", "updateState",
        "progressPercent", "attr", "key", "value", "roles", "type", "x",
    ]
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)
OBJECTS = st.dictionaries(KEYS, JSON, max_size=8)
# AWSJSON fields as they arrive: objects, or strings of JSON (or not).
AWSJSON = OBJECTS | OBJECTS.map(json.dumps) | st.text(max_size=20)

PARSERS = [
    Device.from_dict,
    ShadowState.from_dict,
    Telemetry.from_dict,
    OtaUpdate.from_dict,
    OtaState.from_dict,
]


def _deep(depth: int, leaf: Any = 1) -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def _check(result: Any) -> None:
    """Whatever a parser returns holds no non-finite floats."""
    for name in getattr(result, "__slots__", ()):
        value = getattr(result, name)
        if isinstance(value, float):
            assert math.isfinite(value)
        if isinstance(value, int) and not isinstance(value, bool):
            assert abs(value) <= 2**53


@pytest.mark.parametrize("parser", PARSERS)
@PROPERTY
@given(payload=JSON)
def test_parsers_survive_any_json(parser: Any, payload: Any) -> None:
    """Any JSON value: a typed result or HarviaParseError, nothing else."""
    try:
        result = parser(payload)
    except HarviaParseError:
        return
    _check(result)


@pytest.mark.parametrize("parser", PARSERS)
@PROPERTY
@given(
    payload=st.fixed_dictionaries(
        {"deviceId": st.just("D"), "otaId": st.just("O")},
        optional={"reported": AWSJSON, "data": AWSJSON, "state": AWSJSON},
    )
)
def test_parsers_survive_awsjson_fields(parser: Any, payload: Any) -> None:
    """AWSJSON fields as objects, JSON strings or junk."""
    try:
        result = parser(payload)
    except HarviaParseError:
        return
    _check(result)


@PROPERTY
@given(reported=JSON, telemetry=JSON, connected=st.none() | st.booleans())
def test_cabin_status_never_raises(
    reported: Any, telemetry: Any, connected: bool | None
) -> None:
    """The merged view takes anything: unknown fields are None."""
    status = CabinStatus.from_payloads(reported, telemetry, connected)
    _check(status)
    for profile in status.profiles.values():
        _check(profile)
    assert math.isfinite(status.max_temperature)


@PROPERTY
@given(old=OBJECTS, partial=OBJECTS)
def test_merge_payload_survives_any_objects(old: Any, partial: Any) -> None:
    """Deep merge of arbitrary objects: a dict or HarviaParseError."""
    before = json.dumps(old, default=str)
    try:
        merged = merge_payload(old, partial)
    except HarviaParseError:
        return
    assert isinstance(merged, dict)
    assert json.dumps(old, default=str) == before  # inputs untouched
    for key in partial:
        assert key in merged


@PROPERTY
@given(value=AWSJSON | JSON)
def test_decode_awsjson_survives_anything(value: Any) -> None:
    """A dict or HarviaParseError."""
    with contextlib.suppress(HarviaParseError):
        assert isinstance(decode_awsjson(value), dict)


# -- the measured cases ---------------------------------------------------------


def test_huge_integer_temperature_is_unknown() -> None:
    """`{"temp": 1e400}` written as a JSON integer: unknown, not OverflowError."""
    data = json.loads('{"temp": 1' + "0" * 400 + ', "hum": 30}')
    telemetry = Telemetry.from_dict({"deviceId": "D", "data": json.dumps(data)})
    assert telemetry.temperature is None
    assert telemetry.humidity == 30
    status = CabinStatus.from_payloads({"saunaStatus": 10**400}, data, True)
    assert status.current_temperature is None
    assert status.sauna_status is None


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e300, 10**20])
def test_out_of_range_numbers_are_unknown(value: float) -> None:
    """NaN, infinities and absurd magnitudes are unknown."""
    status = CabinStatus.from_payloads(
        {"activeProfile": value, "signalStrength": value, "remoteAllowed": value},
        {"timeToTarget": value, "temp": value},
        None,
    )
    assert status.active_profile is None
    assert status.signal_strength is None
    assert status.time_to_target is None
    assert status.current_temperature is None
    if not math.isfinite(value):
        assert status.remote_allowed is None


def test_huge_integer_id_is_not_a_string() -> None:
    """An id of 5,000 digits is no id (str() of it would raise)."""
    with pytest.raises(HarviaParseError):
        Device.from_dict({"deviceId": 10**5000})


def test_deeply_nested_reported_is_a_parse_error() -> None:
    """`reported` nested 2,000 deep: HarviaParseError, no traceback."""
    deep = _deep(2000)
    with pytest.raises(HarviaParseError):
        ShadowState.from_dict({"deviceId": "D", "reported": deep})
    with pytest.raises(HarviaParseError):
        ShadowState.from_dict({"deviceId": "D", "reported": json.dumps(deep)})
    with pytest.raises(HarviaParseError):
        merge_payload({}, {"profiles": deep})
    with pytest.raises(HarviaParseError):
        merge_payload({"profiles": deep}, {})


def test_json_nested_beyond_the_decoder_is_a_parse_error() -> None:
    """An AWSJSON string nested 100,000 deep: HarviaParseError."""
    text = '{"a":' * 100_000 + "1" + "}" * 100_000
    with pytest.raises(HarviaParseError):
        decode_awsjson(text)


def test_depth_bound_is_exact() -> None:
    """MAX_DEPTH levels are accepted, one more is refused."""
    assert merge_payload({}, _deep(MAX_DEPTH))
    with pytest.raises(HarviaParseError):
        merge_payload({}, _deep(MAX_DEPTH + 1))


def test_nested_partial_push_keeps_other_profiles() -> None:
    """`{"profiles": {"2": {"targetTemp": 70}}}` keeps the rest of every profile."""
    old = {
        "activeProfile": 2,
        "profiles": {
            str(i): {"name": name, "targetTemp": 80 + i, "targetHum": 10}
            for i, name in enumerate(["Finnish", "Relax", "Hot", "Custom"])
        },
    }
    merged = merge_payload(old, {"profiles": {"2": {"targetTemp": 70}}})
    assert merged["profiles"]["2"] == {"name": "Hot", "targetTemp": 70, "targetHum": 10}
    for index in ("0", "1", "3"):
        assert merged["profiles"][index] == old["profiles"][index]
    status = CabinStatus.from_payloads(merged, {}, True)
    assert [p.label for p in status.profiles.values()] == [
        "Finnish",
        "Relax",
        "Hot",
        "Custom",
    ]
    assert status.target_temperature == 70
    assert old["profiles"]["2"]["targetTemp"] == 82  # not modified


@pytest.mark.parametrize("stamp", [9e14, -9e14, "9e14"])
def test_timestamps_beyond_the_calendar_are_unknown(stamp: Any) -> None:
    """Epoch values datetime cannot hold: unknown, not OverflowError."""
    status = CabinStatus.from_payloads({"timer": {"startTime": stamp}}, {}, None)
    assert status.timer_start is None
