"""One poll of the account (poll.py) against the simulator, without Home Assistant."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.harvia.api import (
    HarviaClient,
    HarviaConnectionError,
    HarviaNotFoundError,
    HarviaParseError,
)
from custom_components.harvia.poll import (
    SHADOWS_PER_QUERY,
    TELEMETRY_PER_QUERY,
    Poll,
    gather_all,
    shadow_loader,
    telemetry_loader,
)
from custom_components.harvia.state import CLASSIC, AccountData, StateStore
from harvia_simulator import HarviaCloud, SimDevice

STATE_ROUTE = "GET /devices/state"
# Several cabins' states in one query.
BATCH_ROUTE = "POST /graphql/device"
BATCH_FIELD = "graphql:device:devicesStatesGet"


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
    """Every device's telemetry is asked for before any answer came back, in
    one query; the cabins' states asked for together share one query too."""
    known = await _poll(client).async_read()
    telemetry = "POST /graphql/data"

    async def asked(route: str, count: int, poll: Poll) -> asyncio.Task[AccountData]:
        cloud.request_counts.clear()
        cloud.faults.set_route(route, latency=3600.0)
        task = asyncio.create_task(poll.async_read())
        for _ in range(20000):
            if cloud.request_counts[route] == count or task.done():
                break
            await asyncio.sleep(0)
        assert cloud.request_counts[route] == count
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        cloud.faults.clear_route(route)
        return task

    await asked(telemetry, 1, _poll(client))
    # Telemetry by push: the four cabins are asked for in the same turn.
    pushed = Poll(
        client=client,
        store=StateStore(),
        known=known,
        telemetry_pushed=lambda _device_id: True,
    )
    await asked(BATCH_ROUTE, 1, pushed)
    assert cloud.request_counts[STATE_ROUTE] == 0


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
    cloud.faults.set_route(BATCH_ROUTE, status=503)
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


async def test_shadows_of_one_turn_share_a_query(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """Shadows asked for together: one query (split at its size); one alone: REST."""
    await client.get_devices()
    loader = shadow_loader(client)
    refs = [
        (fenix.device_id, "C1"),
        (generic.device_id, "C1"),
        (generic.device_id, "C2"),
    ]
    states = await asyncio.gather(*(loader.load(ref) for ref in refs * 10))
    assert [s.device_id for s in states[:3]] == [r[0] for r in refs]
    assert cloud.request_counts[BATCH_ROUTE] == -(-30 // SHADOWS_PER_QUERY)
    assert cloud.request_counts[BATCH_FIELD] == 30
    assert cloud.request_counts[STATE_ROUTE] == 0
    assert (await loader.load((fenix.device_id, "C1"))).device_id == fenix.device_id
    assert cloud.request_counts[STATE_ROUTE] == 1


async def test_refused_query_reads_each_shadow_alone(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """A device gone from a query fails alone; the others are read."""
    await client.get_devices()
    loader = shadow_loader(client)
    results = await asyncio.gather(
        loader.load((fenix.device_id, "C1")),
        loader.load(("gone-0009", "C1")),
        return_exceptions=True,
    )
    assert not isinstance(results[0], BaseException)
    assert results[0].device_id == fenix.device_id
    assert isinstance(results[1], HarviaNotFoundError)
    assert cloud.request_counts[STATE_ROUTE] == 2


async def test_query_failure_fails_every_shadow(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """A cloud failure of the query is every shadow's failure (no re-reads)."""
    await client.get_devices()
    cloud.faults.set_route(BATCH_ROUTE, status=503)
    loader = shadow_loader(client)
    results = await asyncio.gather(
        loader.load((fenix.device_id, "C1")),
        loader.load((generic.device_id, "C1")),
        return_exceptions=True,
    )
    assert all(isinstance(r, HarviaConnectionError) for r in results)
    assert cloud.request_counts[STATE_ROUTE] == 0


async def test_unreadable_shadow_in_a_query(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """A shadow that cannot be parsed is that shadow's parse error alone."""
    await client.get_devices()
    body = {
        "data": {
            "c0": {"deviceId": fenix.device_id, "reported": "{broken"},
            "c1": {"deviceId": generic.device_id, "reported": "{}"},
        }
    }
    cloud.faults.set_route(BATCH_ROUTE, status=200, body=body, count=1)
    results = await client.get_cabin_states(
        [(fenix.device_id, "C1"), (generic.device_id, None)]
    )
    assert isinstance(results[0], HarviaParseError)
    assert not isinstance(results[1], HarviaParseError)
    loader = shadow_loader(client)
    cloud.faults.set_route(BATCH_ROUTE, status=200, body=body, count=1)
    first, second = await asyncio.gather(
        loader.load((fenix.device_id, "C1")),
        loader.load((generic.device_id, None)),
        return_exceptions=True,
    )
    assert isinstance(first, HarviaParseError)
    assert not isinstance(second, BaseException)


TELEMETRY_ROUTE = "POST /graphql/data"
TELEMETRY_FIELD = "graphql:data:devicesMeasurementsLatest"
LATEST_DATA_ROUTE = "GET /data/latest-data"


async def test_telemetry_of_one_turn_shares_a_query(
    cloud: HarviaCloud,
    client: HarviaClient,
    fenix: SimDevice,
    generic: SimDevice,
    sensor: SimDevice,
) -> None:
    """Devices' telemetry asked for together: one query (split at its size)."""
    await client.get_devices()
    loader = telemetry_loader(client)
    refs = [
        (fenix.device_id, ("C1",)),
        (generic.device_id, ("C1", "C2")),
        (sensor.device_id, (None,)),
    ]
    cloud.request_counts.clear()
    records = await asyncio.gather(*(loader.load(ref) for ref in refs * 10))
    assert cloud.request_counts[TELEMETRY_ROUTE] == -(-30 // TELEMETRY_PER_QUERY)
    assert cloud.request_counts[TELEMETRY_FIELD] == 30
    assert cloud.request_counts[LATEST_DATA_ROUTE] == 0
    assert {r.device_id for r in records[0]} == {fenix.device_id}
    assert {r.sub_id for r in records[1]} == {"C1", "C2"}
    assert records[0][0].raw["temp"] == fenix.cabins["C1"].temp


async def test_refused_telemetry_query_reads_over_rest(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """A cloud without the undocumented query: REST per cabin, from then on."""
    await client.get_devices()
    cloud.faults.undefine_field("data", "devicesMeasurementsLatest")
    loader = telemetry_loader(client)
    cloud.request_counts.clear()
    fenix_records, generic_records = await asyncio.gather(
        loader.load((fenix.device_id, ("C1",))),
        loader.load((generic.device_id, ("C1", "C2"))),
    )
    assert [r.sub_id for r in fenix_records] == ["C1"]
    assert sorted(str(r.sub_id) for r in generic_records) == ["C1", "C2"]
    assert cloud.request_counts[TELEMETRY_ROUTE] == 1
    assert cloud.request_counts[LATEST_DATA_ROUTE] == 3
    # Remembered: the next turn goes straight to REST.
    await asyncio.gather(
        loader.load((fenix.device_id, ("C1",))),
        loader.load((generic.device_id, ("C1",))),
    )
    assert cloud.request_counts[TELEMETRY_ROUTE] == 1
    assert cloud.request_counts[LATEST_DATA_ROUTE] == 5


async def test_telemetry_query_with_a_device_gone(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """A device gone from a query fails alone; the others are read."""
    await client.get_devices()
    loader = telemetry_loader(client)
    results = await asyncio.gather(
        loader.load((fenix.device_id, ("C1",))),
        loader.load(("gone-0009", ("C1",))),
        return_exceptions=True,
    )
    assert not isinstance(results[0], BaseException)
    assert [r.device_id for r in results[0]] == [fenix.device_id]
    assert isinstance(results[1], HarviaNotFoundError)


async def test_unreadable_telemetry_in_a_query(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """An answer that cannot be parsed is that device's parse error alone."""
    await client.get_devices()
    body = {
        "data": {
            "m0": "not a record",
            "m1": [
                {
                    "deviceId": generic.device_id,
                    "subId": "C2",
                    "timestamp": 1764700000000,
                    "data": '{"temp": 61.5}',
                }
            ],
        }
    }
    cloud.faults.set_route(TELEMETRY_ROUTE, status=200, body=body, count=1)
    loader = telemetry_loader(client)
    first, second = await asyncio.gather(
        loader.load((fenix.device_id, ("C1",))),
        loader.load((generic.device_id, ("C1", "C2"))),
        return_exceptions=True,
    )
    assert isinstance(first, HarviaParseError)
    assert not isinstance(second, BaseException)
    assert [(r.sub_id, r.raw["temp"]) for r in second] == [("C2", 61.5)]
    assert cloud.request_counts[TELEMETRY_ROUTE] == 1


async def test_query_the_cloud_will_not_run_reads_each_shadow_alone(
    cloud: HarviaCloud, client: HarviaClient, fenix: SimDevice, generic: SimDevice
) -> None:
    """A cloud that refuses the aliased query still has every shadow read."""
    await client.get_devices()
    body = {
        "data": None,
        "errors": [
            {
                "errorType": "ValidationError",
                "message": "Validation error of type FieldUndefined: aliased query",
            }
        ],
    }
    cloud.faults.set_route(BATCH_ROUTE, status=400, body=body, count=1)
    loader = shadow_loader(client)
    states = await asyncio.gather(
        loader.load((fenix.device_id, "C1")), loader.load((generic.device_id, "C2"))
    )
    assert [(s.device_id, s.shadow_name) for s in states] == [
        (fenix.device_id, "C1"),
        (generic.device_id, "C2"),
    ]
    assert cloud.request_counts[BATCH_ROUTE] == 1
    assert cloud.request_counts[STATE_ROUTE] == 2
