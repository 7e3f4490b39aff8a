"""Push benchmarks: latency of a panel change, the cloud's load over a day, a
silenced feed, and setup with many saunas.

Run with `scripts/benchmark`; they print their measurements and assert the
budgets of issue 7. They are not part of `scripts/test`: timings belong in
benchmarks, not in tests.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Generator
from datetime import timedelta
import gc
import logging
import statistics
import time
import tracemalloc

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.watchdog import SILENCE_LIMIT
from harvia_simulator import Account, HarviaCloud, SimDevice
from tests.integration.conftest import (
    FEEDS_PER_DEVICE,
    async_pass_time,
    async_settle_push,
)

STATE_READS = ("GET /devices/state", "graphql:device:devicesStatesGet")
TELEMETRY_READS = ("GET /data/latest-data", "graphql:data:devicesMeasurementsLatest")
READS = STATE_READS + TELEMETRY_READS

# Issue 7 §4: cloud HTTP requests per device-hour with push healthy.
REQUEST_BUDGET = 0.5
# Issue 7 §4: a silenced telemetry feed is detected and read within this.
DETECTION_BUDGET = timedelta(minutes=30)
# Issue 7 §5: setup of 100 devices, loaded and subscribed, and the memory kept.
SETUP_BUDGET = 2.0  # seconds
MEMORY_BUDGET = 10 * 1024 * 1024  # bytes
LATENCY = 0.05  # seconds on every HTTP request and realtime ack
SIZES = (1, 10, 100)
_SCALE: dict[tuple[int, str], float] = {}


def http_requests(counts: Counter[str]) -> int:
    """Every HTTP request the cloud saw (GraphQL fields and sockets aside)."""
    return sum(
        count
        for route, count in counts.items()
        if not route.startswith(("graphql:", "realtime:"))
    )


def socket_connects(counts: Counter[str]) -> int:
    """Websocket connections opened."""
    return sum(c for route, c in counts.items() if route.endswith(":connect"))


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
    realtime = init_integration.runtime_data.coordinator.realtime
    print(f"\nsimulated day ({elapsed:.1f} s of CPU time), {len(devices)} devices:")
    for route, count in sorted(delta.items()):
        if count:
            print(f"  {route:45} {count:6}")
    requests = http_requests(delta)
    per_device_hour = requests / (len(devices) * 24)
    print(
        f"  cloud HTTP requests: {requests} = {per_device_hour:.2f} per device-hour "
        f"(budget {REQUEST_BUDGET}); websocket connects: {socket_connects(delta)}; "
        f"push events {realtime.stats.events}, reconnects {realtime.stats.reconnects}"
    )
    assert realtime.connected
    assert per_device_hour <= REQUEST_BUDGET


async def test_silenced_feed_detected(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A telemetry feed the cloud stops delivering: minutes until it is read."""
    fenix = devices["fenix"].device_id
    # Silenced right after a telemetry push: the longest wait there can be.
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=20))
    realtime = init_integration.runtime_data.coordinator.realtime
    feed = "devicesMeasurementsUpdateFeed"
    while (realtime.silent_for(fenix, feed) or 0) >= 60:
        await async_pass_time(
            hass, freezer, cloud, init_integration, timedelta(minutes=1)
        )
    cloud.faults.silence_feed(fenix, "data")
    reads = sum(cloud.request_counts[r] for r in TELEMETRY_READS)
    minutes = 0
    while sum(cloud.request_counts[r] for r in TELEMETRY_READS) == reads:
        assert minutes <= 120, "the silent feed was never read"
        await async_pass_time(
            hass, freezer, cloud, init_integration, timedelta(minutes=1)
        )
        minutes += 1
    # The cloud delivers again: the feed speaks within one idle interval.
    detected = realtime.time()
    cloud.faults.silence_feed(fenix, "data", enabled=False)
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=16))
    print(
        f"\nsilenced telemetry feed detected and read after {minutes} min "
        f"(silence limit {SILENCE_LIMIT / 60:.0f} min, budget "
        f"{DETECTION_BUDGET.total_seconds() / 60:.0f} min)"
    )
    assert timedelta(minutes=minutes) <= DETECTION_BUDGET
    assert (realtime.last_message_at(fenix, feed) or 0) > detected


@pytest.fixture
def scale_devices(
    request: pytest.FixtureRequest, cloud: HarviaCloud, account: Account
) -> dict[str, SimDevice]:
    """The number of Fenix saunas the test asks for."""
    count: int = request.param
    return {
        f"sauna{i}": cloud.add_device(
            account, "fenix", name=f"Sauna {i}", device_id=f"fenix-{i:04d}"
        )
        for i in range(count)
    }


@pytest.fixture
def report_scale() -> Generator[None]:
    """Print the table once every size was measured."""
    yield
    if len(_SCALE) < 4 * len(SIZES):
        return
    mb = 1024 * 1024
    print(
        f"\nsetup with {LATENCY * 1000:.0f} ms latency on every HTTP request and "
        "realtime ack (loaded and every feed subscribed); memory in MB:"
    )
    print(
        f"  {'devices':>7} {'entities':>8} {'setup s':>8} {'retained':>9} "
        f"{'HA records':>11} {'integration':>12}"
    )
    for size in SIZES:
        memory, records = _SCALE[size, "memory"], _SCALE[size, "records"]
        print(
            f"  {size:7} {_SCALE[size, 'entities']:8.0f} {_SCALE[size, 'time']:8.2f} "
            f"{memory / mb:9.2f} {records / mb:11.2f} {(memory - records) / mb:12.2f}"
        )
    most = max(SIZES)
    own = _SCALE[most, "memory"] - _SCALE[most, "records"]
    per_entity = _SCALE[most, "records"] / _SCALE[most, "entities"] / 1024
    time_ok = _SCALE[most, "time"] < SETUP_BUDGET
    memory_ok = own < MEMORY_BUDGET
    print(
        f"  goal for {most} devices (< {SETUP_BUDGET:.0f} s, integration "
        f"< {MEMORY_BUDGET // mb} MB): time {'met' if time_ok else 'MISSED'}, "
        f"memory {'met' if memory_ok else 'MISSED'}"
    )
    print(
        "  retained: every allocation still alive after setup with the "
        "integration's code anywhere in its stack, logging at Home Assistant's "
        "default level. HA records: of those, allocated by Home Assistant's own "
        f"code: its states, registry entries and listeners of the entities "
        f"({per_entity:.1f} kB per entity), which any integration's entities "
        "cost. integration: the rest, what the integration and the libraries "
        "it calls keep (entities, the cloud's data, documents, sockets)."
    )


async def _async_setup_subscribed(
    hass: HomeAssistant, entry: MockConfigEntry, count: int
) -> None:
    """Set up and wait (real time) until every feed is acknowledged."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    realtime = entry.runtime_data.coordinator.realtime
    # The client's counters fire no event: look at them often.
    while not (  # noqa: ASYNC110
        realtime.connected
        and realtime.stats.active_subscriptions == FEEDS_PER_DEVICE * count
    ):
        await asyncio.sleep(0.005)


@pytest.mark.parametrize("scale_devices", SIZES, indirect=True)
@pytest.mark.parametrize("measure", ["time", "memory"])
async def test_setup_many_saunas(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    scale_devices: dict[str, SimDevice],
    config_entry: MockConfigEntry,
    measure: str,
    report_scale: None,
) -> None:
    """Setup time and retained memory with 50 ms latency (separate runs: the
    memory tracer slows everything down).

    Logging is at Home Assistant's default level (WARNING): pytest's capture
    would otherwise format, and keep, an INFO record of every entity registered.
    """
    count = len(scale_devices)
    cloud.faults.set_latency(LATENCY)
    if measure == "time":
        logging.disable(logging.INFO)
        started = time.perf_counter()
        try:
            await _async_setup_subscribed(hass, config_entry, count)
        finally:
            logging.disable(logging.NOTSET)
        # Reported against the goal, not asserted: it depends on the machine.
        _SCALE[count, "time"] = time.perf_counter() - started
        _SCALE[count, "entities"] = len(hass.states.async_all())
        return
    gc.collect()
    logging.disable(logging.INFO)
    tracemalloc.start(25)
    try:
        await _async_setup_subscribed(hass, config_entry, count)
        await hass.async_block_till_done()
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
        logging.disable(logging.NOTSET)
    retained = snapshot.filter_traces(
        [tracemalloc.Filter(True, "*custom_components/harvia/*", all_frames=True)]
    ).traces
    _SCALE[count, "memory"] = sum(trace.size for trace in retained)
    _SCALE[count, "records"] = sum(
        trace.size for trace in retained if _home_assistant_record(trace)
    )


# Where Home Assistant allocates its records of entities and devices: states,
# registries, listeners (the test plugin's stand-ins for them included).
_HOME_ASSISTANT_CODE = (
    "/homeassistant/",
    "/pytest_homeassistant_custom_component/",
    "/attr/",
    "<attrs generated methods homeassistant.",
)


def _home_assistant_record(trace: tracemalloc.Trace) -> bool:
    """Allocated by Home Assistant's code (the innermost frame is its)."""
    filename = trace.traceback[-1].filename
    return any(part in filename for part in _HOME_ASSISTANT_CODE)
