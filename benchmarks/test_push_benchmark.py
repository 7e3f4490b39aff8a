"""Push benchmarks: latency of a panel change and the cloud's load over a day.

Run with `scripts/benchmark`; they print their measurements. They are not part
of `scripts/test`: timings belong in benchmarks, not in tests.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
import statistics
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import Account, HarviaCloud, SimDevice
from tests.integration.conftest import async_pass_time, async_settle_push

STATE_READS = ("GET /devices/state", "graphql:device:devicesStatesGet")
TELEMETRY_READS = ("GET /data/latest-data", "graphql:data:devicesMeasurementsLatest")
READS = STATE_READS + TELEMETRY_READS


@pytest.fixture
def devices(cloud: HarviaCloud, account: Account) -> dict[str, SimDevice]:
    """A Fenix, a Fenix combi, a two-cabin controller and a sauna sensor."""
    return {
        "fenix": cloud.add_device(account, "fenix", name="Home Sauna"),
        "combi": cloud.add_device(account, "fenix_combi", name="Steam Room"),
        "generic": cloud.add_device(account, "generic", name="Spa"),
        "sensor": cloud.add_device(account, "sauna_sensor", name="Sensor"),
    }


async def test_panel_to_entity_latency(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Wall time from a change at the panel to the entity's new state."""
    coordinator = init_integration.runtime_data.coordinator
    changed = asyncio.Event()

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == "climate.home_sauna":
            changed.set()

    unsub = hass.bus.async_listen("state_changed", _changed)
    polls = coordinator.polls
    reads = sum(cloud.request_counts[r] for r in READS)
    samples: list[float] = []
    for i in range(40):
        changed.clear()
        start = time.perf_counter()
        devices["fenix"].panel.power(i % 2 == 0)
        await asyncio.wait_for(changed.wait(), 5)
        samples.append((time.perf_counter() - start) * 1000)
        await async_settle_push(hass, init_integration)
    unsub()
    samples.sort()
    print(
        f"\npanel -> entity by push, {len(samples)} changes: "
        f"median {statistics.median(samples):.1f} ms, "
        f"p95 {samples[int(len(samples) * 0.95) - 1]:.1f} ms, "
        f"max {samples[-1]:.1f} ms; polls during it: {coordinator.polls - polls}, "
        f"state/telemetry reads: {sum(cloud.request_counts[r] for r in READS) - reads}"
    )
    assert coordinator.polls == polls


async def test_simulated_day_request_counts(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A day with push healthy (and an evening sauna): what the cloud sees."""
    before = Counter(cloud.request_counts)
    started = time.process_time()
    for hour in range(24):
        if hour == 19:
            devices["fenix"].panel.power(True)
        if hour == 21:
            devices["fenix"].panel.power(False)
        await async_pass_time(
            hass, freezer, cloud, init_integration, timedelta(hours=1)
        )
    elapsed = time.process_time() - started
    delta = Counter(cloud.request_counts)
    delta.subtract(before)
    cabins = sum(len(device.cabins) for device in devices.values())
    reads = sum(delta[r] for r in READS)
    realtime = init_integration.runtime_data.coordinator.realtime
    assert realtime is not None
    print(f"\nsimulated day ({elapsed:.1f} s of CPU time), {len(devices)} devices:")
    for route, count in sorted(delta.items()):
        if count:
            print(f"  {route:45} {count:6}")
    print(
        f"  state + telemetry reads per cabin and 30 minutes: {reads / cabins / 48:.2f}"
        f" ({cabins} cabins on {len(devices)} devices); "
        f"push events {realtime.stats.events}, reconnects {realtime.stats.reconnects}"
    )
    # One shadow read per cabin and 30 minutes; telemetry comes by push alone.
    assert reads <= cabins * 48
