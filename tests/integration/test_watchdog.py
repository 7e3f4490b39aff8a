"""The watchdog inside Home Assistant: silent feeds noticed, the cloud read
only when needed (issue 7 §4), on virtual time against the simulator."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.const import PUSH_SAFETY_INTERVAL, SCAN_INTERVAL
from custom_components.harvia.coordinator import WATCH_INTERVAL
from custom_components.harvia.watchdog import SILENCE_LIMIT, STATE_PUSH_GRACE
from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import async_pass_time

TELEMETRY_READS = ("GET /data/latest-data", "graphql:data:devicesMeasurementsLatest")
TELEMETRY_FEED = "devicesMeasurementsUpdateFeed"
SILENT = "No telemetry from Home Sauna"
AGAIN = "Telemetry of Home Sauna arrives by push again"


def _telemetry_reads(cloud: HarviaCloud) -> int:
    return sum(cloud.request_counts[route] for route in TELEMETRY_READS)


def _lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The integration's INFO lines that contain ``text``."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.INFO
        and record.name.startswith("custom_components.harvia")
        and text in record.getMessage()
    ]


@pytest.fixture
def devices(cloud: HarviaCloud, account: Account) -> dict[str, SimDevice]:
    """One Fenix and one spec-generic controller."""
    return {
        "fenix": cloud.add_device(
            account, "fenix", name="Home Sauna", device_id="fenix-dry-0001"
        ),
        "generic": cloud.add_device(
            account, "generic", name="Spa", device_id="generic-0003"
        ),
    }


async def _async_to_next_telemetry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cloud: HarviaCloud,
    entry: MockConfigEntry,
    device_id: str,
) -> None:
    """Pass time until the device's telemetry was just pushed."""
    realtime = entry.runtime_data.coordinator.realtime
    for _ in range(20):
        last = realtime.last_message_at(device_id, TELEMETRY_FEED)
        if last is not None and realtime.time() - last <= 60:
            return
        await async_pass_time(hass, freezer, cloud, entry, timedelta(minutes=1))
    pytest.fail("no telemetry push in 20 minutes")


async def test_silent_telemetry_feed_read_and_resubscribed(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """25 min without telemetry: one read, one resubscribe, one log line (none
    at 24 min); when it speaks again, one more line."""
    fenix = devices["fenix"].device_id
    await _async_to_next_telemetry(hass, freezer, cloud, init_integration, fenix)
    cloud.faults.silence_feed(fenix, "data")
    reads = _telemetry_reads(cloud)
    starts = cloud.request_counts["realtime:data:start"]
    stops = cloud.request_counts["realtime:data:stop"]
    minute = timedelta(minutes=1)
    limit = timedelta(seconds=SILENCE_LIMIT)

    # 24 min after the last push: nothing yet.
    realtime = init_integration.runtime_data.coordinator.realtime
    last = realtime.last_message_at(fenix, TELEMETRY_FEED)
    assert last is not None
    since_last = timedelta(seconds=realtime.time() - last)
    await async_pass_time(
        hass, freezer, cloud, init_integration, limit - minute - since_last
    )
    assert _telemetry_reads(cloud) == reads
    assert cloud.request_counts["realtime:data:stop"] == stops
    assert not _lines(caplog, SILENT)

    # At 25 min, by the next check (every WATCH_INTERVAL): one read.
    await async_pass_time(
        hass, freezer, cloud, init_integration, minute + WATCH_INTERVAL
    )
    assert _telemetry_reads(cloud) == reads + 1
    # The resubscribe: one stop and one start of that feed alone (planned
    # socket renewals start every feed, without a stop).
    assert cloud.request_counts["realtime:data:stop"] == stops + 1
    assert cloud.request_counts["realtime:data:start"] > starts
    assert len(_lines(caplog, SILENT)) == 1

    # Still silent: no read and no resubscribe in a loop, no more lines; the
    # next attempt 25 min after the resubscribe (done within the last 2 min).
    await async_pass_time(
        hass, freezer, cloud, init_integration, limit - 2 * minute - WATCH_INTERVAL
    )
    assert _telemetry_reads(cloud) == reads + 1
    assert cloud.request_counts["realtime:data:stop"] == stops + 1
    await async_pass_time(
        hass, freezer, cloud, init_integration, 2 * minute + WATCH_INTERVAL
    )
    assert _telemetry_reads(cloud) == reads + 2
    assert cloud.request_counts["realtime:data:stop"] == stops + 2
    assert len(_lines(caplog, SILENT)) == 1

    cloud.faults.silence_feed(fenix, "data", enabled=False)
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=16))
    assert len(_lines(caplog, AGAIN)) == 1
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=16))
    assert len(_lines(caplog, AGAIN)) == 1
    assert len(_lines(caplog, SILENT)) == 1


async def test_output_change_without_state_push_reads_the_shadow(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Telemetry says the light went on, no state push came: the cabin's
    shadow is read once, and the light shows on."""
    fenix = devices["fenix"]
    cloud.faults.silence_feed(fenix.device_id, "device")
    reads = cloud.request_counts["GET /devices/state"]
    fenix.panel.set_light(True)
    await async_pass_time(
        hass,
        freezer,
        cloud,
        init_integration,
        timedelta(seconds=STATE_PUSH_GRACE) + timedelta(minutes=1),
    )
    assert cloud.request_counts["GET /devices/state"] == reads + 1
    state = hass.states.get("switch.home_sauna_light")
    assert state is not None
    assert state.state == STATE_ON
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=10))
    assert cloud.request_counts["GET /devices/state"] == reads + 1


async def test_full_read_every_six_hours_with_push_healthy(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Push healthy for 5 h 59 min: no full read; at 6 h one."""
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.update_interval == PUSH_SAFETY_INTERVAL == timedelta(hours=6)
    lists = cloud.request_counts["GET /devices"]
    await async_pass_time(
        hass,
        freezer,
        cloud,
        init_integration,
        PUSH_SAFETY_INTERVAL - timedelta(minutes=1),
    )
    assert cloud.request_counts["GET /devices"] == lists
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=1))
    assert cloud.request_counts["GET /devices"] == lists + 1
    assert coordinator.realtime.connected


async def test_push_down_poll_pace_unchanged(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """With push down the account is read every 2 minutes; the watchdog
    stays quiet (the polls read telemetry)."""
    coordinator = init_integration.runtime_data.coordinator
    coordinator.async_set_push_status(False)
    assert coordinator.update_interval == SCAN_INTERVAL == timedelta(minutes=2)
    await hass.async_block_till_done()
    polls = coordinator.polls
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=30))
    assert coordinator.polls - polls == 15
