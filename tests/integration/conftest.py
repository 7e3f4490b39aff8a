"""Fixtures: a real Home Assistant against a real harvia_simulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.harvia import PLATFORMS
from custom_components.harvia.api.pacing import DevicePacer
from custom_components.harvia.const import CONF_ENDPOINTS_URL, DOMAIN
from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

from .snapshot import HarviaSnapshotExtension

# The simulator behind each config entry, for tests that wait on its pushes.
_SIMULATORS: dict[str, SimulatorServer] = {}
_SIMULATORS_BY_URL: dict[str, SimulatorServer] = {}

# State and OTA feeds on the device socket, telemetry on the data socket.
FEEDS_PER_DEVICE = 3

EMAIL = "owner@example.com"
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/harvia."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots that hold on every Home Assistant release under test."""
    return snapshot.use_extension(HarviaSnapshotExtension)


@pytest.fixture
def platforms() -> list[Platform]:
    """The platforms to set up; a test module overrides this to test one alone."""
    return list(PLATFORMS)


@pytest.fixture(autouse=True)
def only_platforms(platforms: list[Platform]) -> Generator[None]:
    """Set up only the platforms under test."""
    with patch("custom_components.harvia.PLATFORMS", platforms):
        yield


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
def cloud() -> HarviaCloud:
    """A simulated Harvia cloud; unacknowledged commands fail fast.

    The panel takes a written target at once here (the real one takes up to
    ~35 s, which the simulator models by default): these tests read the
    cloud right after a write.
    """
    return HarviaCloud(ack_timeout=0)


@pytest.fixture(autouse=True)
def paced_on_simulator(cloud: HarviaCloud) -> Generator[None]:
    """Pace writes on the simulator's clock: the pacing wait moves that clock.

    The simulator refuses a command within a second of the previous one to
    the device (on its virtual clock); the client's one-second wait must be
    virtual time on the same clock, never a real sleep.
    """

    async def advance(seconds: float) -> None:
        cloud.advance(seconds)

    def pacer(*_args: Any, **_kwargs: Any) -> DevicePacer:
        return DevicePacer(cloud.now, advance)

    with patch("custom_components.harvia.api.client.DevicePacer", pacer):
        yield


@pytest.fixture
def account(cloud: HarviaCloud) -> Account:
    """The MyHarvia account Home Assistant signs in with."""
    return cloud.add_account(EMAIL, PASSWORD, licensed=True)


@pytest.fixture
def devices(cloud: HarviaCloud, account: Account) -> dict[str, SimDevice]:
    """One device of each kind (override in a test module to change the set)."""
    return {
        "fenix": cloud.add_device(
            account, "fenix", name="Home Sauna", device_id="fenix-dry-0001"
        ),
        "combi": cloud.add_device(
            account, "fenix_combi", name="Steam Room", device_id="fenix-combi-0002"
        ),
        "generic": cloud.add_device(
            account, "generic", name="Spa", device_id="generic-0003"
        ),
        "sensor": cloud.add_device(
            account, "sauna_sensor", name="Sensor", device_id="sensor-0004"
        ),
    }


@pytest.fixture
async def simulator(
    cloud: HarviaCloud, socket_enabled: None
) -> AsyncIterator[SimulatorServer]:
    """The simulator serving on 127.0.0.1 (the test plugin allows no other host)."""
    server = SimulatorServer(cloud, host="127.0.0.1", port=0)
    await server.start()
    _SIMULATORS_BY_URL[server.endpoints_url] = server
    yield server
    del _SIMULATORS_BY_URL[server.endpoints_url]
    await server.stop()


@pytest.fixture
def config_entry_data(simulator: SimulatorServer) -> dict[str, Any]:
    """What the config flow stores."""
    return {
        CONF_USERNAME: EMAIL,
        CONF_PASSWORD: PASSWORD,
        CONF_ENDPOINTS_URL: simulator.endpoints_url,
    }


@pytest.fixture
def config_entry(
    hass: HomeAssistant, account: Account, config_entry_data: dict[str, Any]
) -> MockConfigEntry:
    """A config entry for the simulated account."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=account.username,
        data=config_entry_data,
    )
    entry.add_to_hass(hass)
    if (
        server := _SIMULATORS_BY_URL.get(config_entry_data[CONF_ENDPOINTS_URL])
    ) is not None:
        _SIMULATORS[entry.entry_id] = server
    return entry


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
) -> MockConfigEntry:
    """Set up the integration against the simulator."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_settle_push(hass, config_entry)
    return config_entry


async def async_wait_refresh(hass: HomeAssistant) -> None:
    """Wait for coordinator refreshes running as background tasks.

    Not `async_block_till_done(wait_background_tasks=True)`: the push listener
    is a background task too, and it never ends while the entry is loaded.
    """
    await hass.async_block_till_done()
    while refreshes := [
        task
        for task in hass._background_tasks
        if task.get_name().endswith("refresh") and not task.done()
    ]:
        await asyncio.gather(*refreshes, return_exceptions=True)
        await hass.async_block_till_done()


async def async_poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Let `delta` of time pass in Home Assistant and wait for the poll it causes."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await async_wait_refresh(hass)


async def async_settle_push(
    hass: HomeAssistant, entry: MockConfigEntry, *, block: bool = True
) -> None:
    """Let the integration receive everything the simulator has pushed so far.

    `block=False` leaves out waiting for Home Assistant's tasks, for a test that
    has an action running meanwhile (it would wait for that action).
    """
    server = _SIMULATORS[entry.entry_id]
    realtime = entry.runtime_data.coordinator.realtime
    await server.flush()
    # The listener reads from loopback sockets: a few loop turns deliver all.
    seen, quiet = -1, 0
    for _ in range(2000):
        events = realtime.stats.events
        quiet = quiet + 1 if events == seen else 0
        subscribed = not realtime.running or (
            realtime.connected
            # Every feed of every device acknowledged: a time jump now
            # cannot outrun a pending start_ack.
            and realtime.stats.active_subscriptions
            == FEEDS_PER_DEVICE * len(realtime.device_ids)
        )
        if quiet >= 10 and subscribed:
            break
        seen = events
        await asyncio.sleep(0)
    if block:
        await hass.async_block_till_done()


async def async_refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Deliver the simulator's pushes, then poll once."""
    await async_settle_push(hass, entry)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def async_full_refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll state and telemetry (as after a push reconnect), e.g. after changing
    the simulator's stored payloads behind its back."""
    await async_settle_push(hass, entry)
    await entry.runtime_data.coordinator.async_catch_up()
    await hass.async_block_till_done()


async def async_pass_time(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cloud: HarviaCloud,
    entry: MockConfigEntry,
    delta: timedelta,
    step: timedelta = timedelta(minutes=1),
) -> None:
    """Move Home Assistant's and the simulator's clocks together, in steps.

    The simulator sends its keep-alives on its own clock, so a socket stays
    alive only if both clocks move in small steps.
    """
    remaining = delta
    while remaining > timedelta(0):
        tick = min(step, remaining)
        remaining -= tick
        cloud.advance(tick.total_seconds())
        await async_settle_push(hass, entry)
        await async_poll(hass, freezer, tick)
