"""The AppSync realtime client against the simulator over real websockets.

Virtual time drives everything slow: every timeout, liveness and socket age
are measured on the cloud's clock (``time_func=cloud.now``), keep-alives come
with ``cloud.advance``. Real waits are tiny (backoff in milliseconds) and
every wait for an outcome is bounded by a 5 s safety net, never a condition.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
import json
import logging
from typing import Any

import aiohttp
import pytest

from custom_components.harvia.api import (
    HarviaAuthenticationError,
    HarviaClient,
    HarviaConnectionError,
    HarviaError,
    HarviaParseError,
    OtaStatus,
)
from custom_components.harvia.api.realtime import (
    EMPTY_PAYLOAD,
    MAX_STARTS_IN_FLIGHT,
    SUBPROTOCOL,
    HarviaRealtime,
    OtaEvent,
    RealtimeEvent,
    RealtimeTimeouts,
    StateEvent,
    TelemetryEvent,
    parse_ota_notice,
    parse_state_notice,
    parse_telemetry_notice,
    realtime_url,
)
from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

from .conftest import EMAIL, PASSWORD, ClientFactory

STATE = "devicesStatesUpdateFeed"
OTA = "otaUpdatesStatesUpdateFeed"
DATA = "devicesMeasurementsUpdateFeed"
REFRESH = "POST /auth/refresh"
LOGIN = "POST /auth/token"
# Real seconds before a wait counts as hung: a guard, never a timing (what the
# tests wait for moves on the virtual clock), generous for a loaded machine.
SAFETY = 60.0
#: Production timeouts (on the virtual clock), with the clock read every
#: 5 ms and backoffs of a few milliseconds.
FAST = RealtimeTimeouts(poll_interval=0.005, backoff_base=0.001, backoff_cap=0.004)


class Push:
    """A realtime client under test, with what it reported."""

    def __init__(
        self, cloud: HarviaCloud, server: SimulatorServer, client: HarviaClient
    ) -> None:
        self.cloud = cloud
        self.server = server
        self.client = client
        self.events: list[RealtimeEvent] = []
        self.statuses: list[bool] = []
        self.task: asyncio.Task[None] | None = None
        self.rt: HarviaRealtime
        self._mark = 0

    def build(self, timeouts: RealtimeTimeouts = FAST, **kwargs: Any) -> HarviaRealtime:
        kwargs.setdefault("on_event", self.events.append)
        kwargs.setdefault("on_status", self.statuses.append)
        kwargs.setdefault("time_func", self.cloud.now)
        kwargs.setdefault("wall_time_func", self.cloud.now)
        kwargs.setdefault("random_func", lambda: 0.5)
        self.rt = HarviaRealtime(self.client, timeouts=timeouts, **kwargs)
        return self.rt

    def start(self, *device_ids: str) -> asyncio.Task[None]:
        self.task = asyncio.create_task(self.rt.run(device_ids))
        return self.task

    async def wait_until(
        self, predicate: Callable[[], bool], safety: float = SAFETY
    ) -> None:
        async def poll() -> None:
            while not predicate():
                if self.task is not None and self.task.done():
                    self.task.result()  # surface an unexpected end
                    pytest.fail("run() ended")
                await asyncio.sleep(0)  # a loop turn: no real time involved

        await asyncio.wait_for(poll(), safety)

    async def up(self, safety: float = SAFETY) -> None:
        """Wait until both sockets are connected and subscribed."""
        await self.wait_until(lambda: self.rt.connected is True, safety)

    async def checked(self) -> None:
        """Wait until both readers judged liveness at the current virtual time."""
        now = self.cloud.now()
        await self.wait_until(
            lambda: all(s.checked_at == now for s in self.rt._sockets)
        )

    def mark(self) -> None:
        """Forget the events so far for `event()`."""
        self._mark = len(self.events)

    async def event[E](
        self, kind: type[E], predicate: Callable[[E], bool] | None = None
    ) -> E:
        """Wait for an event of `kind` (matching `predicate`) after the mark."""

        def find() -> E | None:
            for event in self.events[self._mark :]:
                if isinstance(event, kind) and (predicate is None or predicate(event)):
                    return event
            return None

        await self.server.flush()
        await self.wait_until(lambda: find() is not None)
        found = find()
        assert found is not None
        return found

    async def settled(self) -> None:
        """Wait until every socket read a message at the current virtual time."""
        await self.server.flush()
        await self.wait_until(
            lambda: all(s.last_message_age == 0 for s in self.rt.stats.sockets)
        )

    def counts(self, name: str) -> int:
        return self.cloud.request_counts[name]


@pytest.fixture
async def push(
    cloud: HarviaCloud,
    server: SimulatorServer,
    make_client: ClientFactory,
    account: Account,
) -> AsyncIterator[Push]:
    """A realtime client factory; closed (and checked closed) after the test."""
    harness = Push(cloud, server, make_client())
    harness.build()
    yield harness
    await harness.rt.close()
    if harness.task is not None:
        await asyncio.wait_for(asyncio.wait([harness.task]), SAFETY)
    assert not harness.rt.running
    leftovers = [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("harvia-realtime")
    ]
    assert leftovers == []


def server_subscriptions(server: SimulatorServer, api: str) -> list[tuple[str, str]]:
    """(field, receiver) of every subscription the simulator holds for an API."""
    hub = server.realtime
    assert hub is not None
    return sorted(
        (sub.field, sub.receiver)
        for conn in hub._connections
        if conn.api == api
        for sub in conn.subscriptions.values()
    )


def socket(push: Push, api: str) -> Any:
    """The client's socket object of an API (for raw protocol tests)."""
    return next(s for s in push.rt._sockets if s.api == api)


# -- handshake and subscriptions -------------------------------------------------------


async def test_handshake_and_subscriptions_per_device(
    push: Push, cloud: HarviaCloud, server: SimulatorServer, account: Account
) -> None:
    """One socket per API; one start per device per feed, receiver = device id."""
    first = cloud.add_device(account, "fenix", name="One")
    second = cloud.add_device(account, "fenix_combi", name="Two")
    ids = sorted([first.device_id, second.device_id])
    push.start(*ids)
    await push.up()
    assert push.statuses == [True]
    for api in ("device", "data"):
        assert push.counts(f"realtime:{api}:connect") == 1
        assert push.counts(f"realtime:{api}:connection_init") == 1
    assert push.counts("realtime:device:start") == 4
    assert push.counts("realtime:data:start") == 2
    assert server_subscriptions(server, "device") == sorted(
        [(OTA, i) for i in ids] + [(STATE, i) for i in ids]
    )
    assert server_subscriptions(server, "data") == [(DATA, i) for i in ids]

    stats = push.rt.stats
    assert stats.running and stats.connected
    assert stats.connected_sockets == 2
    assert stats.active_subscriptions == 6
    assert stats.reconnects == 0
    assert stats.devices == 2
    assert stats.last_error is None
    diagnostics = push.rt.diagnostics()
    assert diagnostics["active_subscriptions"] == 6
    device, data = diagnostics["sockets"]
    assert (device["api"], device["devices"], device["subscriptions"]) == (
        "device",
        2,
        4,
    )
    assert (data["api"], data["connected"]) == ("data", True)
    text = json.dumps(diagnostics) + repr(push.rt)
    token = push.client._auth.id_token if push.client._auth else None
    assert token and token not in text
    for secret in (EMAIL, PASSWORD, *ids):
        assert secret not in text


def test_connect_url_carries_header_and_payload() -> None:
    """`header` is base64 JSON {Authorization: Bearer, host}; payload is e30=."""
    from base64 import b64decode

    from custom_components.harvia.api import GraphQLEndpoint

    endpoint = GraphQLEndpoint(
        https="https://abc.appsync-api.eu-central-1.amazonaws.com/graphql",
        wss="wss://abc.appsync-realtime-api.eu-central-1.amazonaws.com/graphql",
    )
    url = realtime_url(endpoint, "tok>en?")
    assert url.host == "abc.appsync-realtime-api.eu-central-1.amazonaws.com"
    assert url.query["payload"] == EMPTY_PAYLOAD
    header = json.loads(b64decode(url.query["header"]))
    assert header == {
        "Authorization": "Bearer tok>en?",
        "host": "abc.appsync-api.eu-central-1.amazonaws.com",
    }
    assert SUBPROTOCOL == "graphql-ws"


async def test_no_devices_no_sockets_until_set(
    push: Push, fenix: SimDevice, server: SimulatorServer
) -> None:
    """Without devices nothing connects; set_devices starts the sockets."""
    push.rt.set_devices([fenix.device_id])
    push.rt.set_devices([fenix.device_id])  # unchanged: no-op
    push.start()
    for _ in range(20):
        await asyncio.sleep(0)
    assert push.counts("realtime:device:connect") == 0
    assert push.rt.stats.devices == 0
    push.rt.set_devices([fenix.device_id])
    await push.up()
    assert server_subscriptions(server, "data") == [(DATA, fenix.device_id)]


async def test_run_twice_is_refused(push: Push, fenix: SimDevice) -> None:
    """One run at a time."""
    push.start(fenix.device_id)
    await push.up()
    with pytest.raises(RuntimeError):
        await push.rt.run([fenix.device_id])


# -- events ------------------------------------------------------------------------------


async def test_panel_change_arrives_as_partial_state_event(
    push: Push, fenix: SimDevice
) -> None:
    """A panel change pushes only what changed, parsed by the shadow model."""
    push.start(fenix.device_id)
    await push.up()
    push.mark()
    fenix.panel.set_light(True)
    event = await push.event(StateEvent)
    assert event.device_id == fenix.device_id
    assert event.shadow_name == "C1"
    assert event.reported == {"light": {"on": 1}}
    assert event.connected is True
    assert event.timestamp is not None
    telemetry = await push.event(TelemetryEvent)
    assert telemetry.device_id == fenix.device_id
    assert telemetry.telemetry.light_on is True


async def test_telemetry_arrives(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Heating telemetry arrives on the data socket as Telemetry models."""
    push.start(fenix.device_id)
    await push.up()
    fenix.panel.power(True)
    push.mark()
    cloud.advance(120)
    event = await push.event(
        TelemetryEvent, lambda e: e.telemetry.temperature is not None
    )
    assert event.device_id == fenix.device_id
    assert event.telemetry.sub_id == "C1"
    assert event.telemetry.heat_on is True
    assert event.telemetry.raw["temp"] == event.telemetry.temperature


async def test_connection_state_push(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A device going offline arrives as a state event with connected=False."""
    push.start(fenix.device_id)
    await push.up()
    push.mark()
    cloud.faults.offline(fenix.device_id)
    event = await push.event(StateEvent, lambda e: e.connected is False)
    assert event.reported == {}


async def test_ota_progress_arrives(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Firmware progress arrives as OtaEvent (OtaState model)."""
    push.start(fenix.device_id)
    await push.up()
    updates = await push.client.get_ota_updates(fenix.device_type, fenix.hw_version)
    update = next(u for u in updates if u.enabled and u.firmware_version != "1.12.0")
    push.mark()
    assert await push.client.start_ota(fenix.device_id, update.ota_id)
    started = await push.event(OtaEvent)
    assert started.device_id == fenix.device_id
    assert started.ota.update_state == OtaStatus.IN_PROGRESS
    cloud.advance(130)
    done = await push.event(OtaEvent, lambda e: e.ota.update_state == OtaStatus.DONE)
    assert done.ota.progress_percent == 100
    assert done.ota.update_firmware_version == update.firmware_version


async def test_only_subscribed_devices_are_delivered(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    """A device of the account that is not subscribed sends nothing."""
    other = cloud.add_device(account, "fenix", name="Other")
    push.start(fenix.device_id)
    await push.up()
    push.mark()
    other.panel.set_light(True)
    fenix.panel.set_fan(True)
    await push.event(StateEvent, lambda e: e.device_id == fenix.device_id)
    assert all(e.device_id != other.device_id for e in push.events)


async def test_callback_errors_do_not_stop_the_loop(
    push: Push, fenix: SimDevice, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing on_event/on_status is logged; pushes keep flowing."""
    seen: list[RealtimeEvent] = []

    def on_event(event: RealtimeEvent) -> None:
        seen.append(event)
        raise ValueError("integration bug")

    def on_status(status: bool) -> None:
        push.statuses.append(status)
        raise ValueError("integration bug")

    push.build(on_event=on_event, on_status=on_status)
    push.start(fenix.device_id)
    await push.up()
    fenix.panel.set_light(True)
    await push.server.flush()
    await push.wait_until(lambda: len(seen) >= 2)
    fenix.panel.set_light(False)
    await push.server.flush()
    await push.wait_until(lambda: len(seen) >= 4)
    assert "callback failed" in caplog.text


# -- malformed messages ------------------------------------------------------------------


@pytest.mark.parametrize("api", ["device", "data"])
async def test_malformed_messages_are_dropped(
    push: Push, fenix: SimDevice, api: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Broken pushes are logged at debug and dropped; the socket stays."""
    caplog.set_level(logging.DEBUG, "custom_components.harvia.api.realtime")
    push.start(fenix.device_id)
    await push.up()
    kinds = (
        "not_json",
        "field_not_json",
        "missing_item",
        "no_payload",
        "deep_nesting",
        "huge_integer",
    )
    for count, kind in enumerate(kinds, start=1):
        push.cloud.faults.malformed(fenix.device_id, kind, api)
        await push.server.flush()
        await push.wait_until(dropped_equals(push, count))
    push.mark()
    push.cloud.faults.malformed(fenix.device_id, "unknown_type", api)
    # Wrong value types inside a valid object are the models' business:
    # they arrive, with the unusable values read as unknown.
    push.cloud.faults.malformed(fenix.device_id, "wrong_types", api)
    if api == "device":
        odd = await push.event(StateEvent)
        assert odd.reported["saunaStatus"] == "heating"
        assert odd.connected is None
        assert odd.timestamp is None
    else:
        odd_data = await push.event(TelemetryEvent)
        assert odd_data.telemetry.temperature is None
        assert odd_data.telemetry.heat_on is True
    push.mark()
    fenix.panel.set_light(True)
    await push.event(StateEvent if api == "device" else TelemetryEvent)
    assert push.rt.stats.dropped == len(kinds)
    assert push.counts(f"realtime:{api}:connect") == 1
    assert push.counts(f"realtime:{api}:start") == (2 if api == "device" else 1)
    assert push.statuses == [True]
    # One debug line per dropped message, no traceback.
    drops = [r for r in caplog.records if "Dropping" in r.getMessage()]
    assert len(drops) == len(kinds)
    assert all(r.levelno == logging.DEBUG and r.exc_info is None for r in drops)
    assert "nested too deeply" in caplog.text
    assert fenix.device_id not in caplog.text


def dropped_equals(push: Push, count: int) -> Callable[[], bool]:
    """A condition: exactly `count` messages dropped so far."""
    return lambda: push.rt.stats.dropped == count


def test_notice_parsers_reject_bad_payloads() -> None:
    """The parsers raise HarviaParseError for every unusable notice."""
    bad_notices: tuple[Any, ...] = (
        None,
        [],
        "x",
        {"receiver": "d"},
        {"item": None},
        {"item": [1]},
    )
    for parse in (parse_state_notice, parse_telemetry_notice, parse_ota_notice):
        for bad in bad_notices:
            with pytest.raises(HarviaParseError):
                parse(bad, "dev")
    with pytest.raises(HarviaParseError):
        parse_state_notice({"item": {"deviceId": "d", "reported": "[1, 2]"}}, "d")
    with pytest.raises(HarviaParseError):
        parse_telemetry_notice({"item": {"deviceId": "d", "data": "{bad"}}, "d")
    # Missing ids fall back to the receiver.
    assert parse_state_notice({"item": {"reported": "{}"}}, "dev").device_id == "dev"
    assert parse_telemetry_notice({"item": {"data": "{}"}}, "dev").device_id == "dev"
    ota = parse_ota_notice({"item": {"updateState": "DONE"}}, "dev")
    assert ota.device_id == "dev"
    assert ota.ota.update_state == "DONE"


# -- reconnects --------------------------------------------------------------------------


async def test_dropped_sockets_reconnect_and_resubscribe(
    push: Push, fenix: SimDevice, server: SimulatorServer
) -> None:
    """A dropped socket comes back with every subscription; status follows."""
    push.start(fenix.device_id)
    await push.up()
    push.cloud.faults.drop_sockets()
    await server.flush()
    await push.wait_until(
        lambda: push.counts("realtime:device:connect") == 2
        and push.counts("realtime:data:connect") == 2
    )
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
    await push.up()
    assert push.statuses[:2] == [True, False]
    for api in ("device", "data"):
        assert push.counts(f"realtime:{api}:connect") == 2
    assert push.counts("realtime:device:start") == 4
    assert push.counts("realtime:data:start") == 2
    assert server_subscriptions(server, "device") == sorted(
        [(OTA, fenix.device_id), (STATE, fenix.device_id)]
    )
    stats = push.rt.stats
    assert stats.reconnects == 2
    assert stats.last_error is not None
    assert "socket closed" in stats.last_error
    push.mark()
    fenix.panel.set_light(True)
    await push.event(StateEvent)


async def test_dropping_one_api_keeps_the_other(
    push: Push, fenix: SimDevice, server: SimulatorServer
) -> None:
    """Only the dropped socket reconnects."""
    push.start(fenix.device_id)
    await push.up()
    push.cloud.faults.drop_sockets("data")
    await server.flush()
    await push.wait_until(lambda: push.statuses == [True, False, True])
    assert push.counts("realtime:data:connect") == 2
    assert push.counts("realtime:device:connect") == 1


async def test_backoff_grows_and_resets_after_a_stable_connection(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Failed connects back off exponentially (capped, jittered)."""
    slow = replace(FAST, backoff_base=1.0, backoff_cap=60.0)
    rt = push.build(slow, random_func=lambda: 0.0)
    assert [rt.backoff(n) for n in (1, 2, 3, 7, 8, 50)] == [
        0.5,
        1.0,
        2.0,
        30.0,
        30.0,
        30.0,
    ]
    rt = push.build(slow, random_func=lambda: 1.0)
    assert rt.backoff(1) == 1.0
    assert rt.backoff(10) == 60.0

    delays: list[float] = []
    rt = push.build()
    original = rt.backoff

    def spy(failures: int) -> float:
        delays.append(failures)
        return original(failures)

    rt.backoff = spy  # type: ignore[method-assign]
    cloud.faults.set_route("realtime:device:connect", status=500, count=3)
    push.start(fenix.device_id)
    await push.up()
    assert delays == [1, 2, 3]
    assert push.counts("realtime:device:connect") == 4
    # Up for longer than stable_after: the next failure starts over.
    cloud.advance(100)
    await push.settled()
    cloud.faults.set_route("realtime:device:connect", status=500, count=1)
    cloud.faults.drop_sockets("device")
    await push.server.flush()
    await push.wait_until(lambda: push.counts("realtime:device:connect") == 6)
    await push.up()
    # The drop after a stable connection starts over at 1; the refused
    # connect right after it is the second failure in a row.
    assert delays == [1, 2, 3, 1, 2]


async def test_stopped_keepalives_are_detected(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Silence for connectionTimeoutMs (from the ack) means dead: reconnect."""
    push.start(fenix.device_id)
    await push.up()
    for _ in range(3):  # 750 virtual s with keep-alives: alive
        cloud.advance(250)
        await push.settled()
    assert push.counts("realtime:device:connect") == 1
    cloud.faults.stop_keepalives()
    cloud.advance(301)
    await push.wait_until(lambda: push.counts("realtime:device:connect") == 2)
    await push.up()
    assert push.statuses[:2] == [True, False]
    assert "connection timeout" in (push.rt.stats.last_error or "")


async def test_liveness_override(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A liveness override replaces the server's connectionTimeoutMs."""
    push.build(replace(FAST, liveness=10.0))
    push.start(fenix.device_id)
    await push.up()
    cloud.faults.stop_keepalives()
    cloud.advance(11)
    await push.wait_until(lambda: push.counts("realtime:data:connect") == 2)


async def test_long_connection_renews_before_the_token_expires(
    cloud: HarviaCloud,
    server: SimulatorServer,
    make_client: ClientFactory,
    account: Account,
    fenix: SimDevice,
) -> None:
    """The socket is renewed, with a fresh token, before the handshake token expires."""
    cloud.token_lifetime = 600.0
    push = Push(cloud, server, make_client())
    push.build()
    push.start(fenix.device_id)
    try:
        await push.up()
        assert push.counts(REFRESH) == 0
        cloud.advance(250)
        await push.settled()
        assert push.counts("realtime:device:connect") == 1
        cloud.advance(250)  # 500 s: within 120 s of expiry
        await push.server.flush()
        await push.wait_until(
            lambda: push.counts("realtime:device:connect") == 2
            and push.counts("realtime:data:connect") == 2
        )
        await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
        assert push.counts(REFRESH) == 1  # one renewal shared by both sockets
        assert push.statuses == [True]  # a planned renewal is not an outage
        assert push.rt.is_subscribed(fenix.device_id, DATA)
        assert all(s.carried is None for s in push.rt._sockets)
        cloud.advance(200)  # the first token has expired; the sockets live on
        await push.settled()
        push.mark()
        fenix.panel.set_light(True)
        await push.event(StateEvent)
        assert push.counts("realtime:device:connect") == 2
    finally:
        await push.rt.close()


async def test_max_connection_age(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Sockets are renewed at least every max_connection_age."""
    push.build(replace(FAST, max_connection_age=100.0))
    push.start(fenix.device_id)
    await push.up()
    cloud.advance(101)
    await push.wait_until(lambda: push.counts("realtime:data:connect") == 2)
    assert push.counts(REFRESH) == 0


# -- authentication ----------------------------------------------------------------------


async def test_expired_token_is_renewed_on_reconnect(
    push: Push, fenix: SimDevice, server: SimulatorServer
) -> None:
    """connection_error Unauthorized: renew the token and reconnect at once."""
    push.start(fenix.device_id)
    await push.up()
    push.cloud.faults.expire_tokens()
    push.cloud.faults.drop_sockets()
    await server.flush()
    await push.wait_until(
        lambda: push.counts("realtime:device:connect") == 3
        and push.counts("realtime:data:connect") == 3
    )  # dropped, refused, accepted
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
    await push.up()
    assert push.counts(REFRESH) == 1  # one renewal for both sockets


async def test_http_401_on_connect_renews(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A 401 at the websocket upgrade goes through the same renewal."""
    cloud.faults.set_route("realtime:data:connect", status=401, count=1)
    push.start(fenix.device_id)
    await push.up()
    assert push.counts(REFRESH) == 1
    assert push.counts("realtime:data:connect") == 2


async def test_repeated_401_backs_off_without_reauth(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """Refused again after a renewal: back off and retry, no auth error."""
    cloud.faults.set_route("realtime:data:connect", status=401, count=3)
    push.start(fenix.device_id)
    await push.up()
    assert push.counts("realtime:data:connect") == 4
    assert push.counts(REFRESH) == 3


async def test_rejected_credentials_end_run(
    push: Push, fenix: SimDevice, server: SimulatorServer
) -> None:
    """Revoked refresh token and rejected login: HarviaAuthenticationError."""
    task = push.start(fenix.device_id)
    await push.up()
    push.cloud.faults.revoke_tokens()
    push.cloud.faults.reject_logins()
    push.cloud.faults.drop_sockets()
    await server.flush()
    with pytest.raises(HarviaAuthenticationError):
        await asyncio.wait_for(task, SAFETY)
    assert push.statuses[-1] is False
    assert push.counts(LOGIN) >= 2
    assert not push.rt.running


async def test_wrong_password_ends_run_at_once(
    cloud: HarviaCloud,
    server: SimulatorServer,
    make_client: ClientFactory,
    account: Account,
    fenix: SimDevice,
) -> None:
    """A login that is rejected from the start raises out of run()."""
    push = Push(cloud, server, make_client(password="wrong"))
    push.build()
    with pytest.raises(HarviaAuthenticationError):
        await asyncio.wait_for(push.rt.run([fenix.device_id]), SAFETY)
    assert cloud.request_counts["realtime:device:connect"] == 0


async def test_transient_login_failure_is_retried(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A 503 from the auth service is retried with backoff, never an auth error."""
    cloud.faults.set_route(LOGIN, status=503, count=1)
    push.start(fenix.device_id)
    await push.up()
    assert push.counts(LOGIN) == 2


async def test_unauthorized_start_is_renewed_and_retried(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A start refused as Unauthorized is retried once with a renewed token."""
    cloud.faults.set_route("realtime:data:start", status=401, count=1)
    push.start(fenix.device_id)
    await push.up()
    assert push.counts("realtime:data:start") == 2
    assert push.counts(REFRESH) == 1
    assert push.rt.stats.active_subscriptions == 3


async def test_start_refused_even_with_renewed_token(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, server: SimulatorServer
) -> None:
    """Refused twice: the subscription is given up until the next connection."""
    cloud.faults.set_route("realtime:data:start", status=401, count=2)
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.statuses == [False])
    await push.wait_until(lambda: push.rt.is_subscribed(fenix.device_id, STATE))
    assert not push.rt.is_subscribed(fenix.device_id, DATA)
    stats = push.rt.stats
    data = next(s for s in stats.sockets if s.api == "data")
    assert data.failed_subscriptions == 1
    assert data.subscriptions == 0
    assert "renewed token" in (data.last_error or "")
    assert push.counts("realtime:data:connect") == 1
    cloud.faults.drop_sockets("data")
    await server.flush()
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
    await push.up()
    assert push.statuses == [False, True]
    assert push.rt.is_subscribed(fenix.device_id, DATA)


async def test_failed_start_is_given_up_until_reconnect(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, server: SimulatorServer
) -> None:
    """A start error that is not about the token leaves the socket up."""
    cloud.faults.set_route("realtime:device:start", status=500, count=1)
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.statuses == [False])
    await push.wait_until(lambda: push.rt.stats.connected_sockets == 2)
    await push.wait_until(lambda: push.rt.is_subscribed(fenix.device_id, DATA))
    device = next(s for s in push.rt.stats.sockets if s.api == "device")
    assert device.failed_subscriptions == 1
    assert device.subscriptions == 1
    assert "InternalFailure" in (device.last_error or "")
    assert push.counts("realtime:device:start") == 2
    cloud.faults.drop_sockets("device")
    await server.flush()
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
    await push.up()
    assert push.statuses == [False, True]


# -- push health: every wanted subscription ----------------------------------------------


async def test_status_is_false_while_a_telemetry_subscription_is_missing(
    push: Push,
    fenix: SimDevice,
    cloud: HarviaCloud,
    account: Account,
    server: SimulatorServer,
) -> None:
    """Both sockets up but one start refused: not healthy; set_devices retries."""
    other = cloud.add_device(account, "fenix", name="Other")
    cloud.faults.set_route("realtime:data:start", status=500, count=1)
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.statuses == [False])
    await push.wait_until(
        lambda: push.rt.stats.connected_sockets == 2
        and push.rt.is_subscribed(fenix.device_id, STATE)
        and push.rt.is_subscribed(fenix.device_id, OTA)
    )
    assert not push.rt.is_subscribed(fenix.device_id, DATA)
    assert push.rt.connected is False
    # Telemetry keeps flowing nowhere: no True until it is subscribed.
    for _ in range(20):
        await asyncio.sleep(0)
    assert push.statuses == [False]
    # A change of devices retries the failed subscription.
    push.rt.set_devices([fenix.device_id, other.device_id])
    await push.up()
    assert push.statuses == [False, True]
    for device_id in (fenix.device_id, other.device_id):
        for feed in (STATE, OTA, DATA):
            assert push.rt.is_subscribed(device_id, feed)
    assert push.counts("realtime:data:start") == 3
    assert push.rt.stats.active_subscriptions == 6
    assert push.counts("realtime:data:connect") == 1


async def test_every_start_refused_is_never_up(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, server: SimulatorServer
) -> None:
    """Connected sockets without any subscription do not count as push."""
    cloud.faults.set_route("realtime:device:start", status=500, count=2)
    cloud.faults.set_route("realtime:data:start", status=500, count=1)
    push.start(fenix.device_id)
    await push.wait_until(
        lambda: push.rt.stats.connected_sockets == 2
        and sum(s.failed_subscriptions for s in push.rt.stats.sockets) == 3
    )
    assert push.statuses == [False]
    assert push.rt.stats.active_subscriptions == 0
    assert not any(
        push.rt.is_subscribed(fenix.device_id, feed) for feed in (STATE, OTA, DATA)
    )
    # The next connections retry them.
    cloud.faults.drop_sockets()
    await server.flush()
    await push.up()
    assert push.statuses == [False, True]


async def test_a_subscription_ended_by_the_server_reports_false(
    push: Push, fenix: SimDevice, server: SimulatorServer
) -> None:
    """`complete` for a live subscription: False until it is active again."""
    push.start(fenix.device_id)
    await push.up()
    data = socket(push, "data")
    (live_id,) = data.subscriptions.subs
    # A client-side stop the client did not ask for: the server completes it.
    await data.ws.send_json({"type": "stop", "id": live_id})
    await server.flush()
    await push.wait_until(lambda: push.statuses == [True, False])
    assert not push.rt.is_subscribed(fenix.device_id, DATA)
    assert push.rt.is_subscribed(fenix.device_id, STATE)
    assert push.rt.connected is False
    push.cloud.faults.drop_sockets("data")
    await server.flush()
    await push.wait_until(lambda: push.statuses == [True, False, True])
    assert push.rt.is_subscribed(fenix.device_id, DATA)


async def test_added_device_is_not_push_until_subscribed(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    """set_devices with a new device: False, then True once it is subscribed."""
    other = cloud.add_device(account, "fenix", name="Other")
    push.start(fenix.device_id)
    await push.up()
    assert not push.rt.is_subscribed(other.device_id, DATA)
    push.rt.set_devices([fenix.device_id, other.device_id])
    assert push.statuses == [True, False]
    await push.up()
    assert push.statuses == [True, False, True]
    assert push.rt.is_subscribed(other.device_id, DATA)
    # Removing a device keeps the others healthy: no change reported.
    push.rt.set_devices([other.device_id])
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
    assert push.statuses == [True, False, True]
    assert not push.rt.is_subscribed(fenix.device_id, STATE)


async def test_is_subscribed_edges(push: Push, fenix: SimDevice) -> None:
    """Unknown feeds and devices are not subscribed; nothing before run()."""
    assert not push.rt.is_subscribed(fenix.device_id, DATA)
    push.start(fenix.device_id)
    await push.up()
    assert push.rt.is_subscribed(fenix.device_id, DATA)
    assert not push.rt.is_subscribed(fenix.device_id, "noSuchFeed")
    assert not push.rt.is_subscribed("other-device", DATA)
    await push.rt.close()
    assert not push.rt.is_subscribed(fenix.device_id, DATA)


# -- timeouts ----------------------------------------------------------------------------


async def test_start_ack_timeout_reconnects(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, server: SimulatorServer
) -> None:
    """No start_ack within start_ack seconds (virtual): the socket is broken;
    the next one subscribes again."""
    cloud.faults.hold_start_acks("data", count=1)
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.counts("realtime:data:start") == 1)
    assert socket(push, "data").subscriptions.pending
    cloud.advance(FAST.start_ack)
    await push.wait_until(lambda: push.counts("realtime:data:connect") == 2)
    await push.up()
    assert "start_ack" in (push.rt.stats.last_error or "")
    assert push.rt.is_subscribed(fenix.device_id, DATA)


async def test_start_ack_timeout_is_its_own(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """The start_ack wait is the start_ack timeout (7 s here), not the far
    longer connection_ack one: at exactly 7 s the socket is renewed."""
    push.build(replace(FAST, connection_ack=60.0, start_ack=7.0))
    cloud.faults.hold_start_acks("data", count=1)
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.counts("realtime:data:start") == 1)
    cloud.advance(7.0)
    await push.wait_until(lambda: push.counts("realtime:data:connect") == 2)
    await push.up()
    assert "start_ack" in (push.rt.stats.last_error or "")


async def test_connect_timeout_retries(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A websocket upgrade that hangs is abandoned after `connect` s (virtual)."""
    cloud.faults.hold_route("realtime:device:connect", count=1)
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.counts("realtime:device:connect") == 1)
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 1)  # data
    try:
        cloud.advance(FAST.connect)
        await push.up()
    finally:
        cloud.faults.release_routes()
    assert push.counts("realtime:device:connect") == 2
    assert push.rt.stats.sockets[0].connects == 1
    assert "connect timed out" in (push.rt.stats.last_error or "")


# -- raw protocol edges ------------------------------------------------------------------


async def test_connection_level_error_reconnects(push: Push, fenix: SimDevice) -> None:
    """An `error` without id (here: the server refusing junk) ends the socket."""
    push.start(fenix.device_id)
    await push.up()
    await socket(push, "data").ws.send_str("not json")
    await push.wait_until(lambda: push.counts("realtime:data:connect") == 2)
    await push.up()
    assert "BadRequestException" in (push.rt.stats.last_error or "")


async def test_unexpected_complete_and_error_give_up_one_subscription(
    push: Push, fenix: SimDevice, server: SimulatorServer
) -> None:
    """A server-side `complete` or an `error` for a live subscription drops it."""
    push.start(fenix.device_id)
    await push.up()
    device = socket(push, "device")
    state_id, ota_id = (
        next(i for i, s in device.subscriptions.subs.items() if s.feed.field == field)
        for field in (STATE, OTA)
    )
    await device.ws.send_json({"type": "stop", "id": state_id})
    # A duplicate start makes the server answer `error` with the live id.
    token = await push.client.get_id_token()
    authorization = {"Authorization": f"Bearer {token}", "host": "x"}
    await device.ws.send_json(
        {
            "type": "start",
            "id": ota_id,
            "payload": {"data": "{}", "extensions": {"authorization": authorization}},
        }
    )
    await server.flush()
    await push.wait_until(lambda: push.rt.stats.sockets[0].failed_subscriptions == 2)
    assert push.rt.stats.sockets[0].subscriptions == 0
    assert push.counts("realtime:device:connect") == 1
    push.mark()
    push.cloud.faults.drop_sockets("device")
    await server.flush()
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)


async def test_unauthorized_error_for_a_live_subscription_renews(
    push: Push, fenix: SimDevice, server: SimulatorServer
) -> None:
    """`error` Unauthorized for a live id: renew the token and reconnect."""
    push.start(fenix.device_id)
    await push.up()
    device = socket(push, "device")
    live_id = next(iter(device.subscriptions.subs))
    # An error for an id the client does not know is ignored.
    await device.ws.send_json({"type": "stop", "id": "unknown-id"})
    await server.flush()
    # A start without authorization is refused as Unauthorized, with its id.
    await device.ws.send_json({"type": "start", "id": live_id, "payload": {}})
    await push.wait_until(lambda: push.counts("realtime:device:connect") == 2)
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
    assert push.counts(REFRESH) == 1
    assert push.counts("realtime:data:connect") == 1


async def test_connection_ack_timeout_retries(push: Push, fenix: SimDevice) -> None:
    """No connection_ack in time: retry (here until the timeout is sane again)."""
    push.build(replace(FAST, connection_ack=0.0))
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.counts("realtime:device:connect") >= 2)
    assert "connection_ack" in (push.rt.stats.last_error or "")
    push.rt.timeouts = FAST
    await push.up()


async def test_cloud_outage_is_retried_until_it_is_back(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, server: SimulatorServer
) -> None:
    """An unreachable cloud never ends run(); the sockets return with it."""
    push.start(fenix.device_id)
    await push.up()
    port = server.port
    await server.stop()
    await push.wait_until(lambda: push.rt.stats.connected_sockets == 0)
    await push.wait_until(lambda: "connect failed" in (push.rt.stats.last_error or ""))
    assert push.statuses == [True, False]
    assert push.rt.running
    revived = SimulatorServer(cloud, host="127.0.0.1", port=port)
    await revived.start()
    try:
        await push.up()
        assert push.statuses == [True, False, True]
    finally:
        await push.rt.close()
        await revived.stop()


def test_protocol_helpers() -> None:
    """Error descriptions never carry messages; unauthorized is recognised."""
    from custom_components.harvia.api import appsync
    from custom_components.harvia.api.realtime import protocol, socket as rt_socket

    errors = appsync.errors_of({"errors": {"errorType": "X", "message": "secret"}})
    assert appsync.describe_errors(errors) == "X"
    assert appsync.errors_of({"errors": "nope"}) == ()
    assert appsync.errors_of(None) == ()
    assert (
        appsync.describe_errors(
            appsync.parse_errors(
                [
                    {"extensions": {"code": "LIMIT"}},
                    {"errorCode": 503},
                    {"message": "secret"},
                    "not an entry",
                ]
            )
        )
        == "LIMIT, code 503"
    )
    assert appsync.describe_errors(()) == "unspecified"
    for unauthorized in (
        {"errorCode": 401},
        {"errorCode": "401"},
        {"extensions": {"code": "UNAUTHORIZED"}},
    ):
        assert appsync.is_unauthorized(appsync.parse_errors([unauthorized]))
    assert not appsync.is_unauthorized(
        appsync.parse_errors([{"errorType": "ForbiddenException"}])
    )
    assert protocol.connection_timeout({"connectionTimeoutMs": 5000}) == 5.0
    for bad in (
        None,
        {},
        {"connectionTimeoutMs": True},
        {"connectionTimeoutMs": -1},
        {"connectionTimeoutMs": 10**400},
        {"connectionTimeoutMs": float("nan")},
    ):
        assert protocol.connection_timeout(bad) == protocol.DEFAULT_CONNECTION_TIMEOUT
    describe = rt_socket.describe_failure
    assert describe(OSError("secret")) == "OSError"
    assert describe(HarviaParseError()) == "HarviaParseError"
    # Type and status only: never the text of the cloud's errors.
    assert (
        describe(HarviaConnectionError("owner@example.com", status=503))
        == "HarviaConnectionError (HTTP 503)"
    )
    assert describe(HarviaError("owner@example.com")) == "HarviaError"
    assert (
        appsync.describe_errors(
            appsync.parse_errors(
                [
                    {"errorType": "owner@example.com", "errorCode": 400},
                    {
                        "errorType": "Not allowed for 1f2e3d4c-5b6a",
                        "extensions": {"code": "X"},
                    },
                ]
            )
        )
        == "code 400, X"
    )
    assert rt_socket.token_expiry("not.a.jwt") is None


# -- devices added and removed -----------------------------------------------------------


async def test_set_devices_adds_and_removes_subscriptions(
    push: Push,
    fenix: SimDevice,
    cloud: HarviaCloud,
    account: Account,
    server: SimulatorServer,
) -> None:
    """Added devices are subscribed, removed ones stopped, on the live sockets."""
    other = cloud.add_device(account, "fenix", name="Other")
    push.start(fenix.device_id)
    await push.up()
    push.rt.set_devices([fenix.device_id, other.device_id])
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 6)
    assert push.counts("realtime:device:start") == 4
    assert push.counts("realtime:data:start") == 2
    push.mark()
    other.panel.set_light(True)
    await push.event(StateEvent, lambda e: e.device_id == other.device_id)

    push.rt.set_devices([other.device_id])
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
    await push.wait_until(
        lambda: push.counts("realtime:device:stop") == 2
        and push.counts("realtime:data:stop") == 1
    )
    await server.flush()
    assert server_subscriptions(server, "device") == sorted(
        [(OTA, other.device_id), (STATE, other.device_id)]
    )
    push.mark()
    fenix.panel.set_light(True)
    other.panel.set_fan(True)
    await push.event(StateEvent, lambda e: e.device_id == other.device_id)
    assert all(e.device_id != fenix.device_id for e in push.events[push._mark :])

    # No devices left: no sockets, and nothing missing.
    push.rt.set_devices([])
    hub = server.realtime
    assert hub is not None
    await push.wait_until(lambda: hub.connection_count == 0)
    assert push.rt.stats.sockets == ()
    assert push.statuses[-1] is True
    assert push.counts("realtime:device:connect") == 1


# -- shutdown ----------------------------------------------------------------------------


async def test_close_ends_run_and_leaves_no_tasks(push: Push, fenix: SimDevice) -> None:
    """close() makes run() return and closes the sockets."""
    task = push.start(fenix.device_id)
    await push.up()
    await push.rt.close()
    await asyncio.wait_for(task, SAFETY)
    assert task.result() is None
    assert not push.rt.running
    assert push.rt.stats.connected_sockets == 0
    assert not [
        t for t in asyncio.all_tasks() if t.get_name().startswith("harvia-realtime")
    ]
    await push.rt.close()  # idempotent
    # It can run again.
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.counts("realtime:device:connect") == 2)


async def test_cancel_leaves_no_tasks(push: Push, fenix: SimDevice) -> None:
    """Cancelling the task running run() cleans up everything."""
    task = push.start(fenix.device_id)
    await push.up()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, SAFETY)
    assert not push.rt.running
    assert not [
        t for t in asyncio.all_tasks() if t.get_name().startswith("harvia-realtime")
    ]
    hub = push.server.realtime
    assert hub is not None
    await push.wait_until(lambda: hub.connection_count == 0)


async def test_session_from_home_assistant_is_used(
    cloud: HarviaCloud,
    server: SimulatorServer,
    make_client: ClientFactory,
    account: Account,
    fenix: SimDevice,
) -> None:
    """An explicitly given aiohttp session carries the websockets."""
    async with aiohttp.ClientSession() as session:
        push = Push(cloud, server, make_client())
        push.build(session=session)
        assert push.rt.session is session
        push.start(fenix.device_id)
        try:
            await push.up()
        finally:
            await push.rt.close()


async def test_refused_ota_feed_keeps_push_healthy(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    """The OTA feed is optional: refused, state and telemetry still count as push."""
    cloud.faults.refuse_ota(account.email)
    push.start(fenix.device_id)
    await push.wait_until(lambda: push.statuses == [True])
    assert push.rt.is_subscribed(fenix.device_id, STATE)
    assert push.rt.is_subscribed(fenix.device_id, DATA)
    assert not push.rt.is_subscribed(fenix.device_id, OTA)


# -- many devices: starts in flight ------------------------------------------------------


async def test_starts_do_not_wait_for_each_ack(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    """Every start of a round is sent before the first start_ack arrives."""
    other = cloud.add_device(account, "fenix", name="Other")
    third = cloud.add_device(account, "fenix_combi", name="Third")
    cloud.faults.hold_start_acks("device")
    push.start(fenix.device_id, other.device_id, third.device_id)
    await push.wait_until(lambda: push.counts("realtime:device:start") == 6)
    device = socket(push, "device")
    assert len(device.subscriptions.pending) == 6  # none acknowledged yet
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)  # data
    assert len(device.subscriptions.pending) == 6
    cloud.faults.release_start_acks()
    await push.up()
    assert push.rt.stats.active_subscriptions == 9


async def test_at_most_eight_starts_in_flight(
    push: Push, cloud: HarviaCloud, account: Account, server: SimulatorServer
) -> None:
    """With start_acks held, a socket has exactly MAX_STARTS_IN_FLIGHT waiting."""
    ids = [cloud.add_device(account, "fenix", name=f"S{n}").device_id for n in range(6)]
    cloud.faults.hold_start_acks("device")
    push.start(*ids)
    await push.wait_until(
        lambda: push.counts("realtime:device:start") == MAX_STARTS_IN_FLIGHT
    )
    # The data socket (6 starts, acks not held) is done meanwhile; the device
    # socket still waits with a full window and sends nothing more.
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 6)
    await server.flush()
    assert len(socket(push, "device").subscriptions.pending) == MAX_STARTS_IN_FLIGHT
    assert push.counts("realtime:device:start") == MAX_STARTS_IN_FLIGHT
    cloud.faults.release_start_acks()
    await push.up()
    assert push.counts("realtime:device:start") == 12
    assert push.rt.stats.active_subscriptions == 18


async def test_a_hundred_devices_subscribe(
    push: Push, cloud: HarviaCloud, account: Account, server: SimulatorServer
) -> None:
    """100 devices: 300 subscriptions; the device API's 200 on two sockets."""
    ids = [
        cloud.add_device(account, "fenix", name=f"S{n}").device_id for n in range(100)
    ]
    push.start(*ids)
    await push.up(safety=120.0)  # generous: the machine may be busy
    assert push.counts("realtime:device:start") == 200
    assert push.counts("realtime:data:start") == 100
    assert push.counts("realtime:device:connect") == 2
    assert push.counts("realtime:data:connect") == 1
    assert len(server_subscriptions(server, "data")) == 100
    assert all(push.rt.is_subscribed(i, DATA) for i in ids)


# -- silent feeds: last message per feed, resubscribe -----------------------------------


async def test_last_message_per_device_and_feed(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    """Each (device, feed) keeps the virtual time of its last message."""
    other = cloud.add_device(account, "fenix", name="Other")
    assert push.rt.last_message_at(fenix.device_id, STATE) is None
    assert push.rt.silent_for(fenix.device_id, STATE) is None
    push.start(fenix.device_id, other.device_id)
    await push.up()
    subscribed = cloud.now()
    assert push.rt.last_message_at(fenix.device_id, STATE) is None
    assert push.rt.silent_for(fenix.device_id, DATA) == 0.0
    cloud.advance(100)
    await push.settled()
    push.mark()
    fenix.panel.set_light(True)
    await push.event(TelemetryEvent)
    await push.event(StateEvent)
    pushed = cloud.now()
    assert pushed > subscribed
    assert push.rt.last_message_at(fenix.device_id, STATE) == pushed
    assert push.rt.last_message_at(fenix.device_id, DATA) == pushed
    assert push.rt.last_message_at(other.device_id, STATE) is None
    cloud.advance(50)
    await push.settled()
    assert push.rt.silent_for(fenix.device_id, STATE) == 50
    assert push.rt.silent_for(other.device_id, STATE) == 150
    # Unknown feeds and devices have no times.
    assert push.rt.last_message_at(fenix.device_id, "noSuchFeed") is None
    assert push.rt.silent_for("no-such-device", STATE) is None
    # A message that cannot be parsed still shows the feed is alive.
    cloud.advance(10)
    cloud.faults.malformed(fenix.device_id, "field_not_json", "data")
    await push.server.flush()
    await push.wait_until(dropped_equals(push, 1))
    assert push.rt.last_message_at(fenix.device_id, DATA) == cloud.now()
    # A removed device forgets its times.
    push.rt.set_devices([other.device_id])
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 3)
    assert push.rt.last_message_at(fenix.device_id, STATE) is None


async def test_resubscribe_restarts_one_feed_on_the_same_socket(
    push: Push,
    fenix: SimDevice,
    cloud: HarviaCloud,
    account: Account,
    server: SimulatorServer,
) -> None:
    """stop + start for one (device, feed); health does not flap; count restarts."""
    other = cloud.add_device(account, "fenix", name="Other")
    push.start(fenix.device_id, other.device_id)
    await push.up()
    data = socket(push, "data")
    before = dict(data.subscriptions.keys)
    cloud.advance(200)
    await push.settled()
    assert push.rt.silent_for(fenix.device_id, DATA) == 200
    assert push.rt.resubscribe(fenix.device_id, DATA)
    assert push.rt.is_subscribed(fenix.device_id, DATA)  # meanwhile too
    await push.wait_until(
        lambda: push.counts("realtime:data:stop") == 1
        and push.counts("realtime:data:start") == 3
        and push.rt.stats.active_subscriptions == 6
    )
    assert (
        data.subscriptions.keys[(DATA, fenix.device_id)]
        != before[(DATA, fenix.device_id)]
    )
    assert (
        data.subscriptions.keys[(DATA, other.device_id)]
        == before[(DATA, other.device_id)]
    )
    assert push.rt.silent_for(fenix.device_id, DATA) == 0
    assert push.rt.silent_for(other.device_id, DATA) == 200
    assert push.counts("realtime:data:connect") == 1
    assert push.counts("realtime:device:stop") == 0
    assert push.statuses == [True]
    await server.flush()
    assert server_subscriptions(server, "data") == sorted(
        [(DATA, fenix.device_id), (DATA, other.device_id)]
    )
    push.mark()
    fenix.panel.set_light(True)
    event = await push.event(TelemetryEvent)
    assert event.device_id == fenix.device_id
    # Nothing to restart: unknown device or feed, or no connection.
    assert not push.rt.resubscribe("no-such-device", DATA)
    assert not push.rt.resubscribe(fenix.device_id, "noSuchFeed")
    await push.rt.close()
    assert not push.rt.resubscribe(fenix.device_id, DATA)


async def test_refused_resubscribe_reports_false(
    push: Push, fenix: SimDevice, cloud: HarviaCloud
) -> None:
    """A restart the cloud refuses is a failed subscription like any other."""
    push.start(fenix.device_id)
    await push.up()
    cloud.faults.set_route("realtime:data:start", status=500, count=1)
    assert push.rt.resubscribe(fenix.device_id, DATA)
    await push.wait_until(lambda: push.statuses == [True, False])
    assert not push.rt.is_subscribed(fenix.device_id, DATA)
    assert push.rt.silent_for(fenix.device_id, DATA) is None


# -- the account's connectionTimeoutMs ---------------------------------------------------


async def test_connection_timeout_from_the_ack_is_exact(
    push: Push, fenix: SimDevice, cloud: HarviaCloud, account: Account
) -> None:
    """connectionTimeoutMs 60 000: silent 59 s is alive, 61 s is dead."""
    account.connection_timeout_ms = 60_000
    push.start(fenix.device_id)
    await push.up()
    assert all(s.liveness == 60.0 for s in push.rt._sockets)
    cloud.faults.stop_keepalives()
    cloud.advance(59)
    await push.checked()
    assert push.counts("realtime:device:connect") == 1
    assert push.counts("realtime:data:connect") == 1
    assert push.statuses == [True]
    cloud.advance(2)
    await push.wait_until(
        lambda: push.counts("realtime:device:connect") == 2
        and push.counts("realtime:data:connect") == 2
    )
    await push.up()
    assert push.statuses == [True, False, True]
    assert "connection timeout" in (push.rt.stats.last_error or "")
