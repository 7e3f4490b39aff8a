"""Realtime push inside Home Assistant, against the simulator's AppSync sockets."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.climate import HVACMode
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.compat import async_get_device
from custom_components.harvia.const import DOMAIN, PUSH_SAFETY_INTERVAL, SCAN_INTERVAL
from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import async_pass_time, async_settle_push

FENIX = "climate.home_sauna"
STATE_READS = ("GET /devices/state", "graphql:device:devicesStatesGet")
TELEMETRY_READS = ("GET /data/latest-data", "graphql:data:devicesMeasurementsLatest")


def _reads(cloud: HarviaCloud) -> int:
    return sum(cloud.request_counts[route] for route in STATE_READS + TELEMETRY_READS)


def _messages(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    """The integration's log lines of exactly this level that contain ``text``."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == level
        and record.name.startswith("custom_components.harvia")
        and text in record.getMessage()
    ]


def _state(hass: HomeAssistant, entity_id: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None
    return state


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


async def test_panel_change_reaches_entity_by_push_alone(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    config_entry: MockConfigEntry,
) -> None:
    """Polling off: a change at the panel still reaches the entity."""
    hass.config_entries.async_update_entry(config_entry, pref_disable_polling=True)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_settle_push(hass, config_entry)
    coordinator = config_entry.runtime_data.coordinator
    polls = coordinator.polls
    reads = _reads(cloud)

    devices["fenix"].panel.power(True)
    await async_settle_push(hass, config_entry)
    assert _state(hass, FENIX).state == HVACMode.HEAT

    # Telemetry follows by push too, partial pushes merged into what is known.
    cloud.advance(600)
    await async_settle_push(hass, config_entry)
    state = _state(hass, FENIX)
    assert state.attributes["current_temperature"] > 30
    assert state.attributes["preset_modes"]  # profiles survived partial pushes
    assert coordinator.polls == polls
    assert _reads(cloud) == reads


async def test_command_confirmed_by_push_without_poll(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """After a command the pushed state confirms it; no extra poll is made."""
    coordinator = init_integration.runtime_data.coordinator
    polls, reads = coordinator.polls, _reads(cloud)
    events = coordinator.realtime.stats.events
    await hass.services.async_call(
        "climate", "turn_on", {"entity_id": FENIX}, blocking=True
    )
    await async_settle_push(hass, init_integration)
    assert coordinator.realtime.stats.events > events
    assert _state(hass, FENIX).state == HVACMode.HEAT
    assert coordinator.polls == polls
    assert _reads(cloud) == reads


async def test_socket_dropped_reconnects_and_resubscribes(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Dropped sockets come back with every subscription; pushes flow again."""
    starts = cloud.request_counts["realtime:device:start"]
    cloud.faults.drop_sockets()
    await async_pass_time(
        hass,
        freezer,
        cloud,
        init_integration,
        timedelta(seconds=30),
        timedelta(seconds=5),
    )
    realtime = init_integration.runtime_data.coordinator.realtime
    assert realtime is not None
    assert realtime.connected
    assert realtime.stats.reconnects >= 1
    # Two feeds (state, OTA) per device on the device socket, again.
    assert cloud.request_counts["realtime:device:start"] == starts + 2 * len(devices)
    devices["fenix"].panel.power(True)
    await async_settle_push(hass, init_integration)
    assert _state(hass, FENIX).state == HVACMode.HEAT


async def test_silent_socket_detected_and_replaced(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """No keep-alives for connectionTimeoutMs: the socket is dead, replaced."""
    realtime = init_integration.runtime_data.coordinator.realtime
    assert realtime is not None
    connects = cloud.request_counts["realtime:device:connect"]
    cloud.faults.stop_keepalives()
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=6))
    cloud.faults.resume_keepalives()
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=2))
    assert cloud.request_counts["realtime:device:connect"] > connects
    assert realtime.connected
    devices["fenix"].panel.power(True)
    await async_settle_push(hass, init_integration)
    assert _state(hass, FENIX).state == HVACMode.HEAT


async def test_token_expiry_across_long_connection(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Hours of push: sockets renew ahead of token expiry, nothing is lost."""
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(hours=3))
    realtime = init_integration.runtime_data.coordinator.realtime
    assert realtime is not None
    assert realtime.connected
    assert cloud.request_counts["POST /auth/refresh"] >= 2
    devices["fenix"].panel.power(True)
    await async_settle_push(hass, init_integration)
    assert _state(hass, FENIX).state == HVACMode.HEAT


async def test_subscriptions_use_device_ids(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    account: Account,
) -> None:
    """Every feed is subscribed with receiver = device id, not the user id."""
    realtime = init_integration.runtime_data.coordinator.realtime
    assert realtime is not None
    assert realtime.device_ids == set(
        devices_ids := {d.device_id for d in devices.values()}
    )
    assert account.username not in devices_ids


async def test_push_down_poll_takes_over_then_relaxes(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Push lost: poll at the normal pace (logged once, at INFO; a WARNING only
    once it stays away for 10 minutes); back: poll relaxes."""
    caplog.set_level(logging.INFO, logger="custom_components.harvia")
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.update_interval == PUSH_SAFETY_INTERVAL

    for api in ("device", "data"):
        cloud.faults.set_route(f"realtime:{api}:connect", status=503)
    cloud.faults.drop_sockets()
    await async_settle_push(hass, init_integration)
    assert not coordinator.push_connected
    assert coordinator.update_interval == SCAN_INTERVAL
    assert _messages(caplog, logging.INFO, "push updates were lost") == [
        "Harvia push updates were lost; polling every 2 minutes until they are back"
    ]
    polls = coordinator.polls
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=9))
    assert not _messages(caplog, logging.WARNING, "push updates")
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=1))
    assert coordinator.polls - polls >= 4
    assert caplog.text.count("push updates were lost") == 1
    assert _messages(caplog, logging.WARNING, "push updates") == [
        "Harvia push updates have been down for 10 minutes; polling every "
        "2 minutes until they are back"
    ]

    for api in ("device", "data"):
        cloud.faults.clear_route(f"realtime:{api}:connect")
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=3))
    assert coordinator.push_connected
    assert coordinator.update_interval == PUSH_SAFETY_INTERVAL
    assert caplog.text.count("push updates are back") == 1
    polls = coordinator.polls
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=20))
    assert coordinator.polls == polls


async def test_safety_poll_budget(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Push healthy for two hours: at most one state read per cabin per 30 min
    and no telemetry read at all."""
    reads = {
        route: cloud.request_counts[route] for route in STATE_READS + TELEMETRY_READS
    }
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(hours=2))
    cabins = sum(len(d.cabins) for d in devices.values())
    state_reads = sum(cloud.request_counts[r] - reads[r] for r in STATE_READS)
    telemetry_reads = sum(cloud.request_counts[r] - reads[r] for r in TELEMETRY_READS)
    assert state_reads <= cabins * 4
    assert telemetry_reads == 0


async def test_devices_added_and_removed(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    account: Account,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A new device appears without a reload; a removed one leaves the registry."""
    sensor = cloud.add_device(account, "fenix", name="Cottage", device_id="cottage-9")
    await async_pass_time(hass, freezer, cloud, init_integration, PUSH_SAFETY_INTERVAL)
    assert hass.states.get("climate.cottage") is not None
    assert async_get_device(
        device_registry, init_integration.entry_id, (DOMAIN, "cottage-9")
    )
    realtime = init_integration.runtime_data.coordinator.realtime
    assert realtime is not None
    assert "cottage-9" in realtime.device_ids

    # Pushes reach the new device's entities once it is subscribed.
    await async_settle_push(hass, init_integration)
    sensor.panel.power(True)
    await async_settle_push(hass, init_integration)
    assert _state(hass, "climate.cottage").state == HVACMode.HEAT

    cloud.remove_device("generic-0003")
    await async_pass_time(hass, freezer, cloud, init_integration, PUSH_SAFETY_INTERVAL)
    assert not async_get_device(
        device_registry, init_integration.entry_id, (DOMAIN, "generic-0003")
    )
    assert not async_get_device(
        device_registry, init_integration.entry_id, (DOMAIN, "generic-0003_C1")
    )
    assert hass.states.get("climate.spa") is None
    assert "generic-0003" not in realtime.device_ids

    # Back on the account: its entities come back too.
    cloud.add_device(account, "generic", name="Spa", device_id="generic-0003")
    await async_pass_time(hass, freezer, cloud, init_integration, PUSH_SAFETY_INTERVAL)
    assert hass.states.get("climate.spa") is not None


async def test_push_auth_rejection_starts_reauth(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """Credentials rejected on a push reconnect: re-authentication, not a loop."""
    cloud.account("owner@example.com").password = "changed-elsewhere"
    cloud.faults.revoke_tokens()
    cloud.faults.drop_sockets()
    await async_pass_time(
        hass,
        freezer,
        cloud,
        init_integration,
        timedelta(seconds=30),
        timedelta(seconds=5),
    )
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_unload_with_open_sockets(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """Unloading closes the sockets and leaves no task behind."""
    realtime = init_integration.runtime_data.coordinator.realtime
    assert realtime is not None
    assert realtime.running
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert not realtime.running


@pytest.mark.parametrize(
    "route",
    ["graphql:device:devicesStatesGet", "graphql:data:devicesMeasurementsLatest"],
)
async def test_push_during_poll_not_overwritten(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    route: str,
) -> None:
    """A push that overtakes a poll's answer wins over what the poll read.

    The cloud answers the poll's read (state, or telemetry) with what it held
    then, and the answer is held on its way back while the sauna is switched on
    at the panel and heats: the pushes arrive first.
    """
    coordinator = init_integration.runtime_data.coordinator
    before = _state(hass, FENIX).attributes["current_temperature"]
    cloud.faults.hold_route(route, late=True)
    poll = hass.async_create_task(coordinator.async_catch_up())
    await cloud.faults.until_held(route)
    devices["fenix"].panel.power(True)
    cloud.advance(600)
    await async_settle_push(hass, init_integration, block=False)
    pushed = _state(hass, FENIX)
    assert pushed.state == HVACMode.HEAT
    assert pushed.attributes["current_temperature"] > before
    cloud.faults.release_routes()
    await poll
    await hass.async_block_till_done()
    polled = _state(hass, FENIX)
    assert polled.state == HVACMode.HEAT
    assert (
        polled.attributes["current_temperature"]
        == (pushed.attributes["current_temperature"])
    )


async def test_short_push_drop_logged_at_info(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A dropped socket that reconnects at once is news, not a warning."""
    caplog.set_level(logging.INFO, logger="custom_components.harvia")
    coordinator = init_integration.runtime_data.coordinator
    cloud.faults.drop_sockets()
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=30))
    assert coordinator.push_connected
    assert _messages(caplog, logging.INFO, "push updates") == [
        "Harvia push updates were lost; polling every 2 minutes until they are back",
        "Harvia push updates are back; polling relaxes",
    ]
    assert not _messages(caplog, logging.WARNING, "push updates")
