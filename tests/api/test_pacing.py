"""Writes to one device are serialised and paced; requests are bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging

import aiohttp
from aiohttp import web
import pytest

from custom_components.harvia.api import (
    CommandType,
    HarviaClient,
    HarviaCommandNotSupportedError,
    HarviaDeviceUnavailableError,
)
from custom_components.harvia.api._http import MAX_IN_FLIGHT, map_rest_error, redact
from custom_components.harvia.api.pacing import COMMAND_INTERVAL, DevicePacer
from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import ClientFactory

COMMAND_ROUTE = "POST /devices/command"


class FakeClock:
    """A clock that moves only when slept on; records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_pacer_spaces_writes_to_one_device() -> None:
    """The second write starts a full interval after the first started."""
    clock = FakeClock()
    pacer = DevicePacer(clock.time, clock.sleep)
    async with pacer.write("A"):
        clock.now += 0.25  # the first write took a quarter of a second
    async with pacer.write("A"):
        pass
    assert clock.sleeps == [pytest.approx(COMMAND_INTERVAL - 0.25)]
    clock.now += 5
    async with pacer.write("A"):
        pass
    assert len(clock.sleeps) == 1


async def test_pacer_does_not_hold_back_other_devices() -> None:
    """Different devices never wait for each other."""
    clock = FakeClock()
    pacer = DevicePacer(clock.time, clock.sleep)
    for device in ("A", "B", "C"):
        async with pacer.write(device):
            pass
    assert clock.sleeps == []


async def test_pacer_does_not_hold_back_other_devices_mid_write() -> None:
    """A write to one device in progress never blocks a write to another."""
    clock = FakeClock()
    pacer = DevicePacer(clock.time, clock.sleep)
    release = asyncio.Event()

    async def slow_write() -> None:
        async with pacer.write("A"):
            await release.wait()

    async def other_write() -> None:
        async with pacer.write("B"):
            pass

    first = asyncio.create_task(slow_write())
    await asyncio.sleep(0)
    other = asyncio.create_task(other_write())
    for _ in range(5):
        await asyncio.sleep(0)
    assert other.done()
    assert not first.done()
    release.set()
    await asyncio.gather(first, other)
    assert clock.sleeps == []


async def test_pacer_uses_its_own_interval() -> None:
    """The interval given to the pacer spaces the writes, not the default."""
    clock = FakeClock()
    pacer = DevicePacer(clock.time, clock.sleep, interval=COMMAND_INTERVAL * 3.5)
    async with pacer.write("A"):
        pass
    async with pacer.write("A"):
        pass
    assert clock.sleeps == [pytest.approx(COMMAND_INTERVAL * 3.5)]


async def test_pacer_serialises_writes_to_one_device() -> None:
    """A write waits until the one before it has finished."""
    clock = FakeClock()
    pacer = DevicePacer(clock.time, clock.sleep)
    release = asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with pacer.write("A"):
            order.append("first start")
            await release.wait()
            order.append("first end")

    async def second() -> None:
        async with pacer.write("A"):
            order.append("second start")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == ["first start"]
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first start", "first end", "second start"]


async def test_pacer_counts_the_interval_on_a_frozen_clock() -> None:
    """A clock that does not move while sleeping still spaces the starts."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = DevicePacer(lambda: 50.0, sleep)
    for _ in range(3):
        async with pacer.write("A"):
            pass
    assert slept == [1.0, 2.0]


async def test_a_scene_of_commands_to_one_device_succeeds(
    client: HarviaClient, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """Light, fan and heater at once: all land, a second apart on the cloud."""
    start = cloud.now()
    await asyncio.gather(
        client.send_command(fenix.device_id, "C1", CommandType.LIGHTS, True),
        client.send_command(fenix.device_id, "C1", CommandType.FAN, True),
        client.send_command(fenix.device_id, "C1", CommandType.SAUNA, True),
        client.set_target(fenix.device_id, "C1", temperature=85),
    )
    cabin = fenix.cabins["C1"]
    assert (cabin.light, cabin.fan, cabin.status) == (True, True, 1)
    assert cloud.request_counts[COMMAND_ROUTE] == 3
    # Four writes, three waits of a second each (on the virtual clock).
    assert cloud.now() - start == pytest.approx(3 * COMMAND_INTERVAL)


async def test_burst_504_is_not_retried(
    make_client: ClientFactory,
    client: HarviaClient,
    cloud: HarviaCloud,
    fenix: SimDevice,
) -> None:
    """Another pacer (another client) within the second: 504, never re-sent."""
    other = make_client()
    await other.login()
    await client.send_command(fenix.device_id, "C1", CommandType.LIGHTS, True)
    with pytest.raises(HarviaDeviceUnavailableError):
        await other.send_command(fenix.device_id, "C1", CommandType.SAUNA, True)
    assert cloud.request_counts[COMMAND_ROUTE] == 2
    assert fenix.cabins["C1"].status == 0


async def test_heater_goes_over_graphql(
    client: HarviaClient, cloud: HarviaCloud, generic: SimDevice
) -> None:
    """REST takes SAUNA, LIGHTS and FAN only: HEATER is a GraphQL command."""
    await client.send_command(generic.device_id, "C1", CommandType.HEATER, False)
    assert generic.cabins["C1"].element_on is False
    assert cloud.request_counts[COMMAND_ROUTE] == 0
    assert cloud.request_counts["graphql:device:devicesCommandsSend"] == 1


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("Device unavailable", HarviaDeviceUnavailableError),
        (None, HarviaDeviceUnavailableError),
        ("Command not supported", HarviaCommandNotSupportedError),
    ],
)
async def test_graphql_response_false_is_a_clear_error(
    client: HarviaClient,
    cloud: HarviaCloud,
    generic: SimDevice,
    reason: str | None,
    error: type[Exception],
) -> None:
    """`response: false` raises the error its reason names."""
    cloud.faults.not_handled(generic.device_id, reason or "")
    with pytest.raises(error):
        await client.send_command(generic.device_id, "C1", CommandType.STEAMER, True)
    assert generic.cabins["C1"].steamer is False


async def test_measurements_fall_back_to_rest_and_stay_there(
    client: HarviaClient, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """A refused devicesMeasurementsLatest switches this client to REST."""
    cloud.faults.undefine_field("data", "devicesMeasurementsLatest")
    (record,) = await client.get_latest_measurements(fenix.device_id)
    assert record.sub_id == "C1"
    assert record.temperature is not None
    assert cloud.request_counts["graphql:data:devicesMeasurementsLatest"] == 1
    assert cloud.request_counts["GET /data/latest-data"] == 1
    cloud.faults.clear()
    await client.get_latest_measurements(fenix.device_id)
    # Remembered: the GraphQL query is not tried again by this client.
    assert cloud.request_counts["graphql:data:devicesMeasurementsLatest"] == 1
    assert cloud.request_counts["GET /data/latest-data"] == 2


async def test_measurements_forbidden_fall_back_to_rest(
    client: HarviaClient, cloud: HarviaCloud, fenix: SimDevice
) -> None:
    """devicesMeasurementsLatest not allowed for the account (Forbidden, not a
    token problem) is a refusal too: telemetry comes over REST from then on."""
    cloud.faults.set_route(
        "graphql:data:devicesMeasurementsLatest", status=403, count=1
    )
    (record,) = await client.get_latest_measurements(fenix.device_id)
    assert record.sub_id == "C1"
    assert cloud.request_counts["GET /data/latest-data"] == 1
    await client.get_latest_measurements(fenix.device_id)
    assert cloud.request_counts["graphql:data:devicesMeasurementsLatest"] == 1
    assert cloud.request_counts["GET /data/latest-data"] == 2


async def test_measurements_over_rest_without_a_sample(
    client: HarviaClient, cloud: HarviaCloud, sensor: SimDevice
) -> None:
    """A cold sensor has no sample (404): no records."""
    cloud.faults.undefine_field("data", "devicesMeasurementsLatest")
    assert await client.get_latest_measurements(sensor.device_id) == []


async def test_measurements_over_rest_read_each_known_cabin(
    client: HarviaClient, cloud: HarviaCloud, generic: SimDevice
) -> None:
    """Over REST every cabin the caller knows is read (one call per cabin)."""
    cloud.faults.undefine_field("data", "devicesMeasurementsLatest")
    records = await client.get_latest_measurements(generic.device_id, ["C1", "C2"])
    assert sorted(r.sub_id or "" for r in records) == ["C1", "C2"]
    assert cloud.request_counts["GET /data/latest-data"] == 2


async def test_measurements_over_graphql_by_default(
    client: HarviaClient, cloud: HarviaCloud, generic: SimDevice
) -> None:
    """Every cabin in one call while the cloud takes the query."""
    records = await client.get_latest_measurements(generic.device_id)
    assert sorted(r.sub_id or "" for r in records) == ["C1", "C2"]
    assert cloud.request_counts["GET /data/latest-data"] == 0


# -- at most 8 requests in flight -----------------------------------------------


class Gate:
    """A server that holds every state read until released; counts them."""

    def __init__(self) -> None:
        self.base = ""
        self.in_flight = 0
        self.peak = 0
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        if request.path == "/endpoints":
            rest = {
                n: {"https": f"{self.base}/{n}"} for n in ("generics", "device", "data")
            }
            gql = {n: {"https": f"{self.base}/gql/{n}"} for n in ("device", "data")}
            return web.json_response({"endpoints": {"RestApi": rest, "GraphQL": gql}})
        if request.path == "/generics/auth/token":
            return web.json_response(
                {"idToken": "opaque", "refreshToken": "r", "expiresIn": 3600}
            )
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await self.release.wait()
        self.in_flight -= 1
        return web.json_response({"state": {"displayName": "x"}})


@pytest.fixture
async def gate(socket_enabled: None) -> AsyncIterator[Gate]:
    """The gated server on an ephemeral 127.0.0.1 port."""
    server = Gate()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    server.release.set()
    await runner.cleanup()


async def test_at_most_eight_requests_in_flight(
    gate: Gate, session: aiohttp.ClientSession
) -> None:
    """Twenty gathered reads: eight reach the cloud, the rest wait their turn."""
    client = HarviaClient(
        session, "a@example.com", "pw", endpoints_url=f"{gate.base}/endpoints"
    )
    await client.login()
    tasks = [
        asyncio.create_task(client.get_cabin_state(f"D{i}", "C1")) for i in range(20)
    ]
    # Loop turns, not time: until eight are held, then a while longer.
    quiet = 0
    while quiet < 200:
        quiet = quiet + 1 if gate.in_flight == MAX_IN_FLIGHT else 0
        await asyncio.sleep(0)
    assert gate.peak == MAX_IN_FLIGHT
    gate.release.set()
    states = await asyncio.gather(*tasks)
    assert len(states) == 20
    assert gate.peak == MAX_IN_FLIGHT


# -- redaction ------------------------------------------------------------------


@pytest.mark.parametrize(
    "private",
    [
        "someone.else@example.org",
        "FENIX12345678",
        "fenix-dry-0001",
        "24:0A:C4:12:34:56",
        "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl",
        "HomeWiFi-5G",
        "123456789",
    ],
)
def test_redact_masks_private_values(private: str) -> None:
    """E-mails, serials, ids, MACs, tokens and quoted values never survive."""
    text = redact(f"Device '{private}' of {private} failed")
    assert private not in text
    assert "failed" in text


def test_redact_keeps_plain_prose() -> None:
    """The words that classify an error stay readable."""
    text = "Device unavailable: remote start not allowed (HTTP 504)"
    assert redact(text) == text


def test_cloud_error_text_is_redacted_in_logs(
    caplog: pytest.LogCaptureFixture, account: Account
) -> None:
    """The cloud's message echoing an e-mail and a serial is logged redacted."""
    caplog.set_level(logging.DEBUG, logger="custom_components.harvia.api")
    error = map_rest_error(
        404,
        {
            "error": "NotFound",
            "message": f"Device FENIX12345678 of {account.email} not found",
        },
    )
    assert "not found" in str(error)
    assert "the cloud said" in caplog.text
    assert account.email not in caplog.text
    assert "FENIX12345678" not in caplog.text
