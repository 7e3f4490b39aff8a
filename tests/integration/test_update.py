"""Firmware update entities against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.update import (
    ATTR_INSTALLED_VERSION,
    ATTR_LATEST_VERSION,
    DATA_COMPONENT,
    DOMAIN as UPDATE_DOMAIN,
    SERVICE_INSTALL,
    UpdateEntityFeature,
)
from homeassistant.components.update.const import (
    ATTR_IN_PROGRESS,
    ATTR_UPDATE_PERCENTAGE,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_SUPPORTED_FEATURES,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.harvia.api import Device, OtaState, OtaStatus, OtaUpdate
from custom_components.harvia.compat import async_get_device
from custom_components.harvia.const import DOMAIN
from custom_components.harvia.firmware import (
    CATALOGUE_INTERVAL,
    CATALOGUE_RETRY_INTERVAL,
    INSTALL_TIMEOUT,
    is_newer,
    newest_update,
    parse_version,
)
from custom_components.harvia.update import PROGRESS_INTERVAL, HarviaUpdateEntity
from harvia_simulator import Account, HarviaCloud, SimDevice
from harvia_simulator.firmware import OTA_DURATION, find_update

from .conftest import EMAIL, async_poll, async_settle_push, async_wait_refresh

FENIX = "update.home_sauna_firmware"
COMBI = "update.steam_room_firmware"
SENSOR = "update.sensor_firmware"
OTA_LIST = "graphql:device:otaUpdatesList"
OTA_STATES = "graphql:device:otaUpdatesStatesList"
OTA_START = "graphql:device:devicesOtaUpdatesStart"
FENIX_ID = "fenix-dry-0001"
FENIX_UPDATE = "ota-fenix-2.0-1.14.2"
INSTALL_FEATURES = UpdateEntityFeature.INSTALL | UpdateEntityFeature.PROGRESS


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the update platform alone."""
    return [Platform.UPDATE]


@pytest.fixture(autouse=True)
def no_ids_in_logs(
    caplog: pytest.LogCaptureFixture, cloud: HarviaCloud
) -> Generator[None]:
    """The firmware entity's (and catalogue's) log lines never name a device id or serial."""
    caplog.set_level(logging.DEBUG, logger="custom_components.harvia")
    yield
    lines = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.pathname.endswith(("harvia/update.py", "harvia/firmware.py"))
    ]
    for device in cloud.devices.values():
        for line in lines:
            assert device.device_id not in line
            assert device.serial_number not in line


def _state(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def _entity(hass: HomeAssistant, entity_id: str) -> HarviaUpdateEntity:
    entity = hass.data[DATA_COMPONENT].get_entity(entity_id)
    assert isinstance(entity, HarviaUpdateEntity)
    return entity


async def _wait_firmware(hass: HomeAssistant) -> None:
    """Wait for the firmware entities' reads (background tasks)."""
    while reads := [
        task
        for task in hass._background_tasks
        if task.get_name().startswith(f"{DOMAIN} firmware") and not task.done()
    ]:
        await asyncio.gather(*reads, return_exceptions=True)
        await async_wait_refresh(hass)


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await async_settle_push(hass, entry)
    # The look for an install already running, at setup.
    await _wait_firmware(hass)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
) -> MockConfigEntry:
    """Set up the integration against the simulator, setup reads finished."""
    await _setup(hass, config_entry)
    return config_entry


async def _stop_push(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Stop the realtime push: progress then comes from the poll alone."""
    realtime = entry.runtime_data.coordinator.realtime
    assert realtime is not None
    await realtime.close()
    await hass.async_block_till_done()


@pytest.fixture
async def polled(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """The integration set up, with its realtime push stopped."""
    await _stop_push(hass, init_integration)
    return init_integration


async def _install(hass: HomeAssistant, entity_id: str = FENIX) -> None:
    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def _tick(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    delta: timedelta = PROGRESS_INTERVAL,
) -> None:
    """Let Home Assistant's time pass and wait for the polls it causes."""
    await async_poll(hass, freezer, delta)
    # The progress poll runs as a background task, like the coordinators'.
    await _wait_firmware(hass)


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One firmware entity per controller, offering the newest stable release."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_versions(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Installed from the device, latest the newest enabled non-beta release."""
    fenix = _state(hass, FENIX)
    assert fenix.state == STATE_ON
    assert fenix.attributes[ATTR_INSTALLED_VERSION] == "1.12.0"
    # 1.15.0-beta.1 is newer but a disabled beta: not offered.
    assert fenix.attributes[ATTR_LATEST_VERSION] == "1.14.2"
    assert fenix.attributes[ATTR_SUPPORTED_FEATURES] == (
        INSTALL_FEATURES | UpdateEntityFeature.RELEASE_NOTES
    )
    sensor = _state(hass, SENSOR)
    assert sensor.attributes[ATTR_INSTALLED_VERSION] == "2.3.0"
    assert sensor.attributes[ATTR_LATEST_VERSION] == "2.4.1"


async def test_release_notes(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The catalogue's description is the release notes."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "update/release_notes", "entity_id": FENIX})
    result = await client.receive_json()
    assert result["success"]
    assert result["result"] == "Stability fixes; faster Wi-Fi reconnect"


async def test_install(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
) -> None:
    """An install runs 0 -> 100 % and ends when the panel reports the new version."""
    await _install(hass)
    assert cloud.request_counts[OTA_START] == 1
    assert devices["fenix"].ota is not None
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] is None
    assert state.attributes[ATTR_LATEST_VERSION] == "1.14.2"

    seen: list[int] = []
    for _ in range(5):
        cloud.advance(OTA_DURATION / 5)
        await _tick(hass, freezer)
        state = _state(hass, FENIX)
        if not state.attributes[ATTR_IN_PROGRESS]:
            break
        seen.append(state.attributes[ATTR_UPDATE_PERCENTAGE])
    assert seen == [20, 40, 60, 80]

    state = _state(hass, FENIX)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] is None
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.14.2"
    assert state.attributes[ATTR_LATEST_VERSION] == "1.14.2"
    # The other panel was not touched.
    assert _state(hass, COMBI).attributes[ATTR_INSTALLED_VERSION] == "1.12.0"

    # The progress poll stopped with the install.
    reads = cloud.request_counts[OTA_STATES]
    await _tick(hass, freezer)
    assert cloud.request_counts[OTA_STATES] == reads


async def test_install_progress_read_fails(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """A failed progress read keeps the install going."""
    await _install(hass)
    cloud.advance(OTA_DURATION / 2)
    cloud.faults.set_route(OTA_STATES, status=500)
    await _tick(hass, freezer)
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] is None

    cloud.faults.clear_route(OTA_STATES)
    await _tick(hass, freezer)
    assert _state(hass, FENIX).attributes[ATTR_UPDATE_PERCENTAGE] == 50


async def test_install_cancelled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An update cancelled at the cloud ends the install."""
    await _install(hass)
    cloud.advance(OTA_DURATION / 4)
    await _tick(hass, freezer)
    assert _state(hass, FENIX).attributes[ATTR_IN_PROGRESS] is True

    assert devices["fenix"].cancel_ota()
    with caplog.at_level(logging.WARNING):
        await _tick(hass, freezer)
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.12.0"
    assert state.state == STATE_ON  # still offered: the user may try again
    assert "was cancelled" in caplog.text


async def test_install_timeout(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An update that never finishes is given up on, with a warning."""
    await _install(hass)
    # The cloud's clock stands still: the update stays at 0 %.
    await _tick(hass, freezer)
    assert _state(hass, FENIX).attributes[ATTR_UPDATE_PERCENTAGE] == 0

    with caplog.at_level(logging.WARNING):
        await _tick(hass, freezer, INSTALL_TIMEOUT)
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.12.0"
    assert state.state == STATE_ON
    assert "did not finish within" in caplog.text
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "update_timeout_fenix-dry-0001")
    assert issue is not None
    assert issue.translation_placeholders == {
        "device": "Home Sauna",
        "version": "1.14.2",
    }

    reads = cloud.request_counts[OTA_STATES]
    await _tick(hass, freezer)
    assert cloud.request_counts[OTA_STATES] == reads

    # Trying again (the stuck update cancelled at the panel) clears the notice.
    await polled.runtime_data.coordinator.client.cancel_ota("fenix-dry-0001")
    await _install(hass)
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, "update_timeout_fenix-dry-0001"
    )


async def test_nothing_newer(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
    account: Account,
) -> None:
    """Up to date: latest = installed, and an install is refused."""
    cloud.add_device(
        account, "fenix", name="Home Sauna", device_id="fenix-1", firmware="1.14.2"
    )
    # Older hardware whose catalogue only has an older release than installed.
    cloud.add_device(
        account, "fenix", name="Old Sauna", device_id="fenix-2", hw_version="1.0"
    )
    await _setup(hass, config_entry)

    state = _state(hass, FENIX)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_LATEST_VERSION] == "1.14.2"
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == INSTALL_FEATURES
    old = _state(hass, "update.old_sauna_firmware")
    assert old.state == STATE_OFF
    assert old.attributes[ATTR_INSTALLED_VERSION] == "1.12.0"
    assert old.attributes[ATTR_LATEST_VERSION] == "1.12.0"

    with pytest.raises(HomeAssistantError):
        await _install(hass)
    # The entity's own check (Home Assistant's service check comes first).
    with pytest.raises(HomeAssistantError) as err:
        await _entity(hass, "update.old_sauna_firmware").async_install(None, False)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "no_update_available"
    assert cloud.request_counts[OTA_START] == 0


async def test_older_hardware_update(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
    account: Account,
) -> None:
    """The catalogue of the device's own hardware version is used."""
    cloud.add_device(
        account,
        "fenix",
        name="Old Sauna",
        device_id="fenix-2",
        hw_version="1.0",
        firmware="1.9.0",
    )
    await _setup(hass, config_entry)
    state = _state(hass, "update.old_sauna_firmware")
    assert state.state == STATE_ON
    assert state.attributes[ATTR_LATEST_VERSION] == "1.9.4"


async def test_ota_refused(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
) -> None:
    """An account the cloud lists no updates for: installed version, no install."""
    cloud.faults.refuse_ota(EMAIL)
    await _setup(hass, config_entry)

    state = _state(hass, FENIX)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.12.0"
    assert state.attributes[ATTR_LATEST_VERSION] == "1.12.0"
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == 0
    assert _state(hass, SENSOR).attributes[ATTR_LATEST_VERSION] == "2.3.0"
    # No look for a running install either.
    assert cloud.request_counts[OTA_STATES] == 0

    with pytest.raises(HomeAssistantError):
        await _install(hass)
    assert cloud.request_counts[OTA_START] == 0


async def test_refused_later(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """The catalogue is read again rarely; a refusal then removes the install."""
    reads = cloud.request_counts[OTA_LIST]
    await _tick(hass, freezer, timedelta(hours=1))
    assert cloud.request_counts[OTA_LIST] == reads  # not on every poll

    cloud.faults.refuse_ota(EMAIL)
    await _tick(hass, freezer, CATALOGUE_INTERVAL)
    assert cloud.request_counts[OTA_LIST] > reads
    state = _state(hass, FENIX)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_LATEST_VERSION] == "1.12.0"
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == 0

    cloud.faults.refuse_ota(EMAIL, enabled=False)
    await _tick(hass, freezer, CATALOGUE_INTERVAL)
    state = _state(hass, FENIX)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_LATEST_VERSION] == "1.14.2"


async def test_catalogue_connection_error(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """A network failure keeps the last catalogue and retries sooner."""
    cloud.faults.set_route(OTA_LIST, status=503)
    reads = cloud.request_counts[OTA_LIST]
    await _tick(hass, freezer, CATALOGUE_INTERVAL)
    assert cloud.request_counts[OTA_LIST] > reads
    state = _state(hass, FENIX)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_LATEST_VERSION] == "1.14.2"
    assert state.attributes[ATTR_SUPPORTED_FEATURES] & UpdateEntityFeature.INSTALL

    cloud.faults.clear_route(OTA_LIST)
    reads = cloud.request_counts[OTA_LIST]
    await _tick(hass, freezer, CATALOGUE_RETRY_INTERVAL)
    assert cloud.request_counts[OTA_LIST] > reads
    assert _state(hass, FENIX).attributes[ATTR_LATEST_VERSION] == "1.14.2"


async def test_catalogue_unreachable_at_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
) -> None:
    """No catalogue yet: latest unknown, no install; read again soon."""
    cloud.faults.set_route(OTA_LIST, status=503)
    await _setup(hass, config_entry)
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.12.0"
    assert state.attributes[ATTR_LATEST_VERSION] is None
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == 0

    cloud.faults.clear_route(OTA_LIST)
    await _tick(hass, freezer, CATALOGUE_RETRY_INTERVAL)
    state = _state(hass, FENIX)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_LATEST_VERSION] == "1.14.2"


@pytest.mark.parametrize(
    ("fault", "translation_key"),
    [
        ({"status": 402}, "license_required"),
        ({"status": 504}, "device_unavailable"),
        ({"status": 503}, "cannot_connect"),
    ],
)
async def test_install_route_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
    fault: dict[str, Any],
    translation_key: str,
) -> None:
    """A refused start is a translated error and no install runs."""
    cloud.faults.set_route(OTA_START, **fault)
    with pytest.raises(HomeAssistantError) as err:
        await _install(hass)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == translation_key
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.state == STATE_ON


async def test_install_unlicensed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
) -> None:
    """An account without the Control licence gets the licence error."""
    cloud.faults.payment_required(EMAIL)
    with pytest.raises(HomeAssistantError) as err:
        await _install(hass)
    assert err.value.translation_key == "license_required"
    assert devices["fenix"].ota is None


async def test_install_device_offline(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
) -> None:
    """A panel that is offline cannot take the update."""
    cloud.faults.offline(devices["fenix"].device_id)
    with pytest.raises(HomeAssistantError) as err:
        await _install(hass)
    assert err.value.translation_key == "device_unavailable"
    assert _state(hass, FENIX).attributes[ATTR_IN_PROGRESS] is False


async def test_new_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
    account: Account,
) -> None:
    """A controller added later gets its entity and its catalogue."""
    cloud.add_device(
        account,
        "fenix",
        name="Cottage Sauna",
        device_id="fenix-9",
        hw_version="1.0",
        firmware="1.9.0",
    )
    await init_integration.runtime_data.coordinator.async_refresh()
    await async_wait_refresh(hass)
    state = _state(hass, "update.cottage_sauna_firmware")
    assert state.state == STATE_ON
    assert state.attributes[ATTR_LATEST_VERSION] == "1.9.4"


async def test_unload_during_install(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """Unloading stops the progress poll (no timer is left behind)."""
    await _install(hass)
    assert await hass.config_entries.async_unload(polled.entry_id)
    await hass.async_block_till_done()
    reads = cloud.request_counts[OTA_STATES]
    await _tick(hass, freezer)
    assert cloud.request_counts[OTA_STATES] == reads


async def test_device_removed(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
    account: Account,
    devices: dict[str, SimDevice],
    entity_registry: er.EntityRegistry,
) -> None:
    """A controller that left the account loses its entity; back, it gets one."""
    cloud.remove_device(devices["fenix"].device_id)
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(FENIX) is None
    assert entity_registry.async_get(FENIX) is None
    assert _state(hass, COMBI).state == STATE_ON

    cloud.add_device(account, "fenix", name="Home Sauna", device_id="fenix-dry-0001")
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _state(hass, FENIX).state == STATE_ON


def _ota(version: str | None, **fields: Any) -> OtaUpdate:
    values: dict[str, Any] = {
        "ota_id": f"ota-{version}",
        "firmware_version": version,
        "description": None,
        "enabled": True,
        "beta_testing": False,
        "device_type": "Fenix",
        "hw_version": "2.0",
        "size": None,
        "filename": None,
    }
    return OtaUpdate(**(values | fields))


def test_version_helpers() -> None:
    """Versions compare as versions, never as text."""
    assert parse_version(None) is None
    assert parse_version("not a version") is None
    assert is_newer("1.10.0", "1.9.9")
    assert not is_newer("1.9.9", "1.10.0")
    assert not is_newer("1.12.0", "1.12.0")
    assert is_newer("1.12.0", None)  # installed unknown
    assert not is_newer(None, "1.0")
    assert not is_newer("1.12.0", "garbage")
    assert not is_newer("1.15.0-beta.1", "1.15.0")
    assert is_newer("1.15.0", "1.15.0-beta.1")

    device = Device(
        device_id="d", type="fenix", attributes={"HWID": "2.0", "initialFirmware": "1"}
    )
    candidates = [
        _ota("1.9.0"),
        _ota("1.20.0", enabled=False),
        _ota("1.21.0", enabled=None),
        _ota("1.22.0", beta_testing=True),
        _ota("1.23.0", device_type="sauna"),
        _ota("1.24.0", hw_version="1.0"),
        _ota("not a version"),
        _ota("1.10.0"),
        _ota("1.9.5"),
    ]
    best = newest_update(candidates, device)
    assert best is not None
    assert best.firmware_version == "1.10.0"
    assert newest_update([], device) is None


async def test_install_by_push(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """With push, progress and the new version arrive without any poll."""
    await _install(hass)
    reads = cloud.request_counts[OTA_STATES]
    cloud.advance(OTA_DURATION / 2)
    await async_settle_push(hass, init_integration)
    assert _state(hass, FENIX).attributes[ATTR_UPDATE_PERCENTAGE] == 50
    # Another controller's progress record changes nothing here.
    assert _state(hass, COMBI).attributes[ATTR_IN_PROGRESS] is False

    cloud.advance(OTA_DURATION / 2)
    await async_settle_push(hass, init_integration)
    await hass.async_block_till_done()
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.14.2"
    assert state.state == STATE_OFF
    assert cloud.request_counts[OTA_STATES] == reads


async def test_available_while_push_delivers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """Available while poll or push delivers, like the integration's other entities."""
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.push_connected
    cloud.faults.set_route("GET /devices", status=500)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert not coordinator.last_update_success
    assert _state(hass, FENIX).state == STATE_ON

    # Push lost too (and it cannot reconnect): unavailable.
    cloud.faults.clear_route("GET /devices")
    await coordinator.async_refresh()
    cloud.faults.set_route("realtime:device:connect", status=503)
    cloud.faults.set_route("realtime:data:connect", status=503)
    cloud.faults.drop_sockets()
    await async_settle_push(hass, init_integration)
    assert not coordinator.push_connected
    cloud.faults.set_route("GET /devices", status=500)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _state(hass, FENIX).state == STATE_UNAVAILABLE


async def _time_out(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Start an install the simulator does not run (its clock stands still)."""
    await _install(hass)
    await _tick(hass, freezer)
    await _tick(hass, freezer, INSTALL_TIMEOUT)
    assert _state(hass, FENIX).attributes[ATTR_IN_PROGRESS] is False
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"update_timeout_{FENIX_ID}")


async def test_timeout_issue_cleared_when_installed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """An install given up on that finishes after all clears its notice."""
    await _time_out(hass, freezer)
    # Other device data changes nothing.
    await polled.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"update_timeout_{FENIX_ID}")

    cloud.advance(OTA_DURATION)
    await polled.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _state(hass, FENIX).attributes[ATTR_INSTALLED_VERSION] == "1.14.2"
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"update_timeout_{FENIX_ID}")


async def test_timeout_issue_cleared_when_device_removed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    polled: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """A controller that left the account takes its notice along."""
    await _time_out(hass, freezer)
    cloud.remove_device(FENIX_ID)
    await polled.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(FENIX) is None
    assert not ir.async_get(hass).async_get_issue(DOMAIN, f"update_timeout_{FENIX_ID}")


async def test_install_other_version(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """Only the offered version can be installed."""
    entity = _entity(hass, FENIX)
    with pytest.raises(HomeAssistantError) as err:
        await entity.async_install("1.13.0", False)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "version_not_offered"
    assert err.value.translation_placeholders == {
        "version": "1.13.0",
        "latest": "1.14.2",
    }
    assert cloud.request_counts[OTA_START] == 0

    await entity.async_install("1.14.2", False)
    assert cloud.request_counts[OTA_START] == 1
    assert entity.in_progress


async def test_running_install_at_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    device_registry: dr.DeviceRegistry,
) -> None:
    """An install running at setup (a restart, or the app started it) is followed."""
    update = find_update(FENIX_UPDATE)
    assert update is not None
    devices["fenix"].start_ota(update)
    cloud.advance(OTA_DURATION * 0.3)
    await _setup(hass, config_entry)
    # One read for every controller.
    assert cloud.request_counts[OTA_STATES] == 1
    assert len(devices) > 1
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] == 30
    assert state.attributes[ATTR_LATEST_VERSION] == "1.14.2"
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == INSTALL_FEATURES
    assert _state(hass, COMBI).attributes[ATTR_IN_PROGRESS] is False

    # Followed like an install started here: progress by poll, done by version.
    await _stop_push(hass, config_entry)
    cloud.advance(OTA_DURATION * 0.2)
    await _tick(hass, freezer)
    assert _state(hass, FENIX).attributes[ATTR_UPDATE_PERCENTAGE] == 50
    cloud.advance(OTA_DURATION)
    await _tick(hass, freezer)
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.14.2"
    assert state.state == STATE_OFF
    device = async_get_device(
        device_registry, config_entry.entry_id, (DOMAIN, FENIX_ID)
    )
    assert device is not None
    assert device.sw_version == "1.14.2"


async def test_running_install_at_setup_times_out(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
) -> None:
    """A running install found at setup is given up on like one started here."""
    update = find_update(FENIX_UPDATE)
    assert update is not None
    devices["fenix"].start_ota(update)
    await _setup(hass, config_entry)
    await _stop_push(hass, config_entry)
    assert _state(hass, FENIX).attributes[ATTR_IN_PROGRESS] is True
    await _tick(hass, freezer)
    await _tick(hass, freezer, INSTALL_TIMEOUT)
    assert _state(hass, FENIX).attributes[ATTR_IN_PROGRESS] is False
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"update_timeout_{FENIX_ID}")


async def test_running_install_read_fails(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The look for a running install fails quietly."""
    update = find_update(FENIX_UPDATE)
    assert update is not None
    devices["fenix"].start_ota(update)
    cloud.faults.set_route(OTA_STATES, status=500)
    await _setup(hass, config_entry)
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.state == STATE_ON
    assert "Could not look for a running firmware update of Home Sauna" in (caplog.text)
    assert not [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.harvia")
        and record.levelno >= logging.WARNING
    ]


async def test_install_started_in_app(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
) -> None:
    """An install the realtime feed reports (started in the app) is followed."""
    update = find_update(FENIX_UPDATE)
    assert update is not None
    devices["fenix"].start_ota(update)
    await async_settle_push(hass, init_integration)
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] == 0

    cloud.advance(OTA_DURATION / 2)
    await async_settle_push(hass, init_integration)
    assert _state(hass, FENIX).attributes[ATTR_UPDATE_PERCENTAGE] == 50
    cloud.advance(OTA_DURATION / 2)
    await async_settle_push(hass, init_integration)
    await hass.async_block_till_done()
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.14.2"


def _record(state: str, version: str | None, progress: int = 10) -> OtaState:
    return OtaState(
        device_id=FENIX_ID,
        update_state=state,
        progress_percent=progress,
        update_firmware_version=version,
        result_code=None,
        timestamp=None,
    )


async def test_foreign_records(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Only a running install of a version not yet installed is followed."""
    entity = _entity(hass, FENIX)
    entity.async_handle_ota_state(_record(OtaStatus.DONE, "1.14.2", 100))
    entity.async_handle_ota_state(_record(OtaStatus.IN_PROGRESS, "1.12.0"))
    entity.async_handle_ota_state(_record(OtaStatus.IN_PROGRESS, "1.0.0"))
    assert not entity.in_progress

    # No version in the record: the offered one, presumably.
    entity.async_handle_ota_state(_record(OtaStatus.IN_PROGRESS, None, 40))
    state = _state(hass, FENIX)
    assert state.attributes[ATTR_IN_PROGRESS] is True
    assert state.attributes[ATTR_UPDATE_PERCENTAGE] == 40
    assert state.attributes[ATTR_LATEST_VERSION] == "1.14.2"

    # While following it, a record of another install changes nothing.
    entity.async_handle_ota_state(_record(OtaStatus.DONE, "1.13.0", 100))
    assert _state(hass, FENIX).attributes[ATTR_UPDATE_PERCENTAGE] == 40


async def test_foreign_record_without_version_nothing_offered(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
    account: Account,
) -> None:
    """A running install of an unknown version, nothing newer offered: ignored."""
    cloud.add_device(
        account, "fenix", name="Home Sauna", device_id=FENIX_ID, firmware="1.14.2"
    )
    await _setup(hass, config_entry)
    entity = _entity(hass, FENIX)
    entity.async_handle_ota_state(_record(OtaStatus.IN_PROGRESS, None))
    assert not entity.in_progress


async def test_device_registry_firmware(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The device page shows the firmware the controller reports."""
    device = async_get_device(
        device_registry, init_integration.entry_id, (DOMAIN, FENIX_ID)
    )
    assert device is not None
    assert device.sw_version == "1.12.0"
    device_registry.async_update_device(device.id, sw_version="1.0.0")
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    device = device_registry.async_get(device.id)
    assert device is not None
    assert device.sw_version == "1.12.0"
