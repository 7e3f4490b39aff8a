"""Buttons: restart a controller, cancel a running firmware install."""

from __future__ import annotations

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.update import DOMAIN as UPDATE_DOMAIN, SERVICE_INSTALL
from homeassistant.components.update.const import ATTR_IN_PROGRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from harvia_simulator import HarviaCloud, SimDevice
from harvia_simulator.devices import RESTART_DURATION
from harvia_simulator.firmware import OTA_DURATION

from .conftest import async_settle_push

RESTART = "button.spa_controller_restart"
CANCEL = "button.home_sauna_cancel_firmware_update"
FENIX_UPDATE = "update.home_sauna_firmware"
GRAPHQL_COMMAND = "graphql:device:devicesCommandsSend"
OTA_CANCEL = "graphql:device:devicesOtaUpdatesCancel"


@pytest.fixture
def platforms() -> list[Platform]:
    """Buttons, with the firmware entities that follow installs."""
    return [Platform.BUTTON, Platform.UPDATE]


def _state(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


async def _press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.parametrize("platforms", [[Platform.BUTTON]])
async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """All buttons and their registry entries."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_which_buttons_exist(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Restart where the device type takes RESTART (not on Fenix panels, whose
    cloud is only seen to take SAUNA/LIGHTS/FAN/HEATER); a cancel button beside
    every firmware entity. Both belong to the controller, not to a cabin."""
    buttons = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if entry.domain == BUTTON_DOMAIN
    }
    assert buttons == {
        "generic-0003_restart",
        *(
            f"{device}_cancel_update"
            for device in (
                "fenix-dry-0001",
                "fenix-combi-0002",
                "generic-0003",
                "sensor-0004",
            )
        ),
    }


async def test_restart(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """RESTART is sent once; the controller is offline until it is back."""
    generic = devices["generic"]
    sent = cloud.request_counts[GRAPHQL_COMMAND]
    await _press(hass, RESTART)
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1
    assert generic.connected is False
    await async_settle_push(hass, init_integration)
    assert _state(hass, RESTART).state == STATE_UNAVAILABLE

    cloud.advance(RESTART_DURATION - 1)
    await async_settle_push(hass, init_integration)
    assert _state(hass, RESTART).state == STATE_UNAVAILABLE
    cloud.advance(1)
    await async_settle_push(hass, init_integration)
    assert generic.connected is True
    assert _state(hass, RESTART).state != STATE_UNAVAILABLE


async def test_restart_not_acknowledged(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The controller does not answer: said so, not sent again."""
    cloud.faults.no_ack("generic-0003")
    sent = cloud.request_counts[GRAPHQL_COMMAND]
    with pytest.raises(HomeAssistantError) as err:
        await _press(hass, RESTART)
    assert err.value.translation_key == "device_unavailable"
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1
    assert devices["generic"].connected is True


async def test_cancel_running_install(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Available only while an install runs; cancelling it ends the install."""
    assert _state(hass, CANCEL).state == STATE_UNAVAILABLE
    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: FENIX_UPDATE}, blocking=True
    )
    assert _state(hass, CANCEL).state != STATE_UNAVAILABLE
    # Other controllers' cancel buttons stay unavailable.
    assert (
        _state(hass, "button.steam_room_cancel_firmware_update").state
        == STATE_UNAVAILABLE
    )
    cloud.advance(OTA_DURATION / 4)
    await async_settle_push(hass, init_integration)

    sent = cloud.request_counts[OTA_CANCEL]
    await _press(hass, CANCEL)
    assert cloud.request_counts[OTA_CANCEL] == sent + 1
    ota = devices["fenix"].ota
    assert ota is not None
    assert ota.state == "CANCELLED"
    # The cloud's CANCELLED record ends the install, and the button with it.
    await async_settle_push(hass, init_integration)
    assert _state(hass, FENIX_UPDATE).attributes[ATTR_IN_PROGRESS] is False
    assert _state(hass, CANCEL).state == STATE_UNAVAILABLE


async def test_cancel_when_install_already_ended(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The install ended before the press reached the cloud: a clear error."""
    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: FENIX_UPDATE}, blocking=True
    )
    # Cancelled at the panel; Home Assistant has not heard of it yet.
    assert devices["fenix"].cancel_ota()
    with pytest.raises(HomeAssistantError) as err:
        await _press(hass, CANCEL)
    assert err.value.translation_key == "update_not_cancelled"
    await async_settle_push(hass, init_integration)
    assert _state(hass, CANCEL).state == STATE_UNAVAILABLE


async def test_cancel_refused_by_cloud(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """A cloud failure on the cancel is translated, not raw."""
    await hass.services.async_call(
        UPDATE_DOMAIN, SERVICE_INSTALL, {ATTR_ENTITY_ID: FENIX_UPDATE}, blocking=True
    )
    cloud.faults.set_route(OTA_CANCEL, status=503)
    with pytest.raises(HomeAssistantError) as err:
        await _press(hass, CANCEL)
    assert err.value.translation_key == "cannot_connect"
    assert _state(hass, CANCEL).state != STATE_UNAVAILABLE
