"""The realtime package's pure rooms: frames, notices, errors, pages, timings.

Property tests feed arbitrary JSON (big integers, NaN, deep nesting, wrong
types) to the frame decoder and the notice parsers: they return their typed
result or raise :class:`HarviaParseError`, never anything else.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
import json
import logging
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.harvia.api import HarviaParseError, appsync
from custom_components.harvia.api._http import TokenRejectedError
from custom_components.harvia.api.realtime import (
    FEEDS,
    MAX_STARTS_IN_FLIGHT,
    OtaEvent,
    RealtimeTimeouts,
    StateEvent,
    TelemetryEvent,
    decode_frame,
    parse_ota_notice,
    parse_state_notice,
    parse_telemetry_notice,
    protocol,
)
from custom_components.harvia.api.realtime.socket import backoff_delay

EMAIL = "someone.else@example.org"
SERIAL = "HV2X93847561"

PROPERTY = settings(
    max_examples=150,
    deadline=None,  # a loaded machine must not fail a property
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


#: JSON text as the cloud could send it inside AWSJSON fields or frames.
json_texts = (
    json_values.map(json.dumps)
    | st.integers(min_value=1, max_value=200_000).map(_nested)
    | st.integers(min_value=4_000, max_value=6_000).map(lambda n: "1" * n)
    | st.sampled_from(["NaN", "-Infinity", "1e400", "{", "", "null", "[]"])
    | st.text(max_size=30)
)
_item_keys = [
    "deviceId", "shadowName", "desired", "reported", "timestamp",
    "connectionState", "subId", "sessionId", "type", "data", "otaId",
    "updateState", "progressPercent", "firmwareVersion", "updateFirmwareVersion",
    "resultCode", "organizationId",
]  # fmt: skip
items = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(_item_keys, json_values | json_texts)
)
notices = (
    st.fixed_dictionaries({"receiver": json_values, "item": items})
    | st.fixed_dictionaries({"item": json_values})
    | json_values
)


@PROPERTY
@given(notice=notices)
def test_notice_parsers_raise_only_parse_errors(notice: Any) -> None:
    """Any notice: an event or HarviaParseError, for every feed."""
    for feed in FEEDS:
        try:
            event = feed.parse(notice, "receiver")
        except HarviaParseError:
            continue
        assert isinstance(event, StateEvent | TelemetryEvent | OtaEvent)


@PROPERTY
@given(
    text=json_texts
    | json_values.map(lambda v: json.dumps({"type": "data", "payload": v}))
)
def test_frame_decoder_raises_only_parse_errors(text: str) -> None:
    """Any frame: a JSON object no deeper than the bound, or HarviaParseError."""
    for frame in (text, text.encode("utf-8", "surrogatepass")):
        try:
            message = decode_frame(frame)
        except HarviaParseError:
            continue
        assert isinstance(message, dict)
        assert not protocol._too_deep(message, protocol.MAX_FRAME_DEPTH)


@PROPERTY
@given(errors=json_values)
def test_error_parser_never_raises(errors: Any) -> None:
    """Any errors value: entries, a description and a mapped error."""
    entries = appsync.parse_errors(errors)
    description = appsync.describe_errors(entries)
    assert isinstance(description, str)
    appsync.is_unauthorized(entries)
    assert isinstance(appsync.map_graphql_errors(errors), Exception)


def test_frame_decoder_bounds() -> None:
    """Depth, size, constants, long integers and non-objects are refused."""
    depth = protocol.MAX_FRAME_DEPTH
    assert decode_frame('{"a": ' + _nested(depth - 2, "{}") + "}")
    for bad, reason in (
        ('{"a": ' + _nested(depth - 1, "{}") + "}", "nested too deeply"),
        ('{"a": ' + _nested(100_000) + "}", "nested too deeply"),
        ('{"a": ' + "1" * 5000 + "}", "not JSON"),
        ('{"a": NaN}', "not JSON"),
        ('{"a": Infinity}', "not JSON"),
        ("[1]", "not a JSON object"),
        ("1", "not a JSON object"),
        ("x" * (protocol.MAX_FRAME_SIZE + 1), "too large"),
        (b"\xff\xfe", "not JSON"),
    ):
        with pytest.raises(HarviaParseError, match=reason):
            decode_frame(bad)
    assert decode_frame(b'{"type": "ka"}') == {"type": "ka"}
    assert protocol.message_id({"id": 5}) is None
    assert protocol.message_id({"id": "x"}) == "x"


def test_start_and_stop_messages() -> None:
    """A start carries the document, the receiver and the authorization."""
    from custom_components.harvia.api import GraphQLEndpoint

    endpoint = GraphQLEndpoint(
        https="https://abc.appsync-api.example.com/graphql",
        wss="wss://abc.appsync-realtime-api.example.com/graphql",
    )
    feed = FEEDS[0]
    start = protocol.start_message("id-1", feed.document, "dev", "tok", endpoint)
    assert start["id"] == "id-1"
    assert start["type"] == "start"
    data = json.loads(start["payload"]["data"])
    assert data["variables"] == {"receiver": "dev"}
    assert feed.field in data["query"]
    assert start["payload"]["extensions"]["authorization"] == {
        "Authorization": "Bearer tok",
        "host": "abc.appsync-api.example.com",
    }
    assert protocol.stop_message("id-1") == {"type": "stop", "id": "id-1"}
    assert protocol.encode({"type": "ka"}) == '{"type":"ka"}'


def test_a_model_bug_becomes_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a model raises, the parser raises HarviaParseError."""
    from custom_components.harvia.api import models

    def broken(cls: type, payload: Any) -> Any:
        raise OverflowError("int too large to convert to float")

    monkeypatch.setattr(models.ShadowState, "from_dict", classmethod(broken))
    with pytest.raises(HarviaParseError, match="OverflowError") as err:
        parse_state_notice({"item": {"reported": "{}"}}, "dev")
    assert isinstance(err.value.__cause__, OverflowError)
    assert isinstance(
        parse_telemetry_notice({"item": {"data": "{}"}}, "dev").telemetry.raw, dict
    )
    assert parse_ota_notice({"item": {}}, "dev").device_id == "dev"
    assert StateEvent("d", None, {}, None).timestamp is None


def test_timeouts_are_frozen_and_backoff_is_bounded() -> None:
    """One frozen set of timings; backoff doubles, jitters and stops at the cap."""
    timeouts = RealtimeTimeouts(backoff_base=2.0, backoff_cap=10.0)
    with pytest.raises(FrozenInstanceError):
        timeouts.connect = 1.0  # type: ignore[misc]
    assert [backoff_delay(n, timeouts, 1.0) for n in (1, 2, 3, 4, 99)] == [
        2.0,
        4.0,
        8.0,
        10.0,
        10.0,
    ]
    assert backoff_delay(1, timeouts, 0.0) == 1.0
    assert RealtimeTimeouts().liveness is None
    assert MAX_STARTS_IN_FLIGHT == 8


# -- shared with the HTTP client ----------------------------------------------


def test_cloud_text_is_redacted_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    """The cloud's message is logged without e-mail addresses, ids or serials."""
    caplog.set_level(logging.DEBUG)
    error = appsync.map_graphql_errors(
        [
            {
                "errorType": "ValidationError",
                "message": f"User {EMAIL} may not read {SERIAL} "
                "(3f2a9c1e-0b7d-4e2f-9a61-5c8d7e6f1a2b, AA:BB:CC:DD:EE:FF, 12345678)",
            }
        ]
    )
    assert "request rejected" in str(error)
    assert "may not read" in caplog.text
    for secret in (EMAIL, SERIAL, "3f2a9c1e", "AA:BB", "12345678"):
        assert secret not in caplog.text
        assert secret not in str(error)


def test_unauthorized_in_any_form_is_a_token_problem() -> None:
    """errorType, extensions.code or errorCode 401: the token was refused."""
    for entry in (
        {"errorType": "UnauthorizedException"},
        {"extensions": {"code": "Unauthorized"}},
        {"errorCode": 401},
    ):
        assert isinstance(appsync.map_graphql_errors([entry]), TokenRejectedError)
    entries = appsync.parse_errors([{"errorCode": "9999"}, {"errorCode": True}])
    assert [entry.status for entry in entries] == [None, None]


async def test_pages_are_collected_until_no_new_token() -> None:
    """Pages follow nextToken; a repeated token or max_pages ends the walk."""
    pages = {
        None: {"rows": [1, None, 2], "nextToken": "a"},
        "a": {"rows": [3], "nextToken": "b"},
        "b": {"rows": None, "nextToken": "a"},  # seen before: the end
    }
    asked: list[str | None] = []

    async def fetch(token: str | None) -> Any:
        asked.append(token)
        return pages[token]

    assert await appsync.collect_pages(fetch, "rows", label="x", max_pages=10) == [
        1,
        2,
        3,
    ]
    assert asked == [None, "a", "b"]
    asked.clear()
    assert await appsync.collect_pages(fetch, "rows", label="x", max_pages=1) == [
        1,
        2,
    ]

    async def none(token: str | None) -> Any:
        return None

    assert await appsync.collect_pages(none, "rows", label="x", max_pages=5) == []
    for bad, match in (([1], "x: expected an object"), ({"rows": 1}, "x.rows")):

        async def broken(token: str | None, bad: Any = bad) -> Any:
            return bad

        with pytest.raises(HarviaParseError, match=match):
            await appsync.collect_pages(broken, "rows", label="x", max_pages=5)
