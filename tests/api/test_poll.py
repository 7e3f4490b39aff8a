"""One poll of the account (poll.py) against the simulator, without Home Assistant."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.harvia.api import HarviaClient, HarviaConnectionError
from custom_components.harvia.poll import Poll, gather_all
from custom_components.harvia.state import CLASSIC, AccountData, StateStore
from harvia_simulator import HarviaCloud, SimDevice

STATE_ROUTE = "GET /devices/state"


def _poll(client: HarviaClient, known: AccountData | None = None) -> Poll:
    return Poll(
        client=client,
        store=StateStore(),
        known=known,
        telemetry_pushed=lambda _device_id: False,
    )


async def test_every_device_and_cabin_read(
    client: HarviaClient, fenix: SimDevice, generic: SimDevice, sensor: SimDevice
) -> None:
    """Controllers with their cabins, the sensor on its classic shadow."""
    data = await _poll(client).async_read()
    assert {device_id: sorted(d.cabins) for device_id, d in data.items()} == {
        fenix.device_id: ["C1"],
        generic.device_id: ["C1", "C2"],
        sensor.device_id: [CLASSIC],
    }
    assert data[fenix.device_id].name == "Home Sauna"
    assert data[generic.device_id].cabins["C2"].status.current_temperature is not None


async def test_devices_and_cabins_read_concurrently(
    cloud: HarviaCloud,
    client: HarviaClient,
    fenix: SimDevice,
    generic: SimDevice,
    sensor: SimDevice,
) -> None:
    """Every cabin's state is asked for before any answer came back."""
    await client.get_devices()  # signed in and endpoints known
    cloud.faults.set_route(STATE_ROUTE, latency=3600.0)
    task = asyncio.create_task(_poll(client).async_read())
    for _ in range(20000):
        if cloud.request_counts[STATE_ROUTE] == 4 or task.done():
            break
        await asyncio.sleep(0)
    assert cloud.request_counts[STATE_ROUTE] == 4
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_unreadable_device_keeps_its_last_data(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice
) -> None:
    """A device the cloud cannot answer for keeps what the last poll read."""
    known = await _poll(client).async_read()
    cloud.faults.set_route(STATE_ROUTE, status=404)
    poll = _poll(client, known)
    data = await poll.async_read()
    assert data == known
    assert poll.unreadable == {fenix.device_id}


async def test_failure_for_all_raises_and_ends_the_poll(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """A cloud failure fails the poll; merges after it are not re-applied."""
    await client.get_devices()
    cloud.faults.set_route(STATE_ROUTE, status=503)
    poll = _poll(client)
    with pytest.raises(HarviaConnectionError):
        await poll.async_read()
    result: AccountData = {}
    poll.store.poll_ended(result)
    assert result == {}


async def test_gather_all_waits_for_every_read() -> None:
    """The first failure is raised only after every read finished."""
    finished: list[str] = []

    async def read(name: str, fail: bool = False) -> str:
        await asyncio.sleep(0)
        finished.append(name)
        if fail:
            raise HarviaConnectionError(name)
        return name

    assert await gather_all([read("a"), read("b")]) == ["a", "b"]
    finished.clear()
    with pytest.raises(HarviaConnectionError, match="a"):
        await gather_all([read("a", fail=True), read("b"), read("c", fail=True)])
    assert sorted(finished) == ["a", "b", "c"]
