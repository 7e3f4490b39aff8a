"""Session events: refused starts, and the entity itself, against the simulator."""

from __future__ import annotations

from homeassistant.components.climate import DOMAIN as CLIMATE_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_TEMPERATURE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from harvia_simulator import HarviaCloud, SimDevice

from .conftest import EMAIL, async_refresh

EVENT = "event.home_sauna_session"
CLIMATE = "climate.home_sauna"


@pytest.fixture
def platforms() -> list[Platform]:
    """Events, and the climate entity that starts sessions."""
    return [Platform.CLIMATE, Platform.EVENT]


@pytest.mark.parametrize("platforms", [[Platform.EVENT]])
async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One session event entity per heater cabin."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def _turn_on(hass: HomeAssistant, **data: object) -> None:
    service = "set_temperature" if data else SERVICE_TURN_ON
    await hass.services.async_call(
        CLIMATE_DOMAIN, service, {ATTR_ENTITY_ID: CLIMATE, **data}, blocking=True
    )


def _refusal(hass: HomeAssistant) -> str:
    state = hass.states.get(EVENT)
    assert state is not None
    assert state.attributes["event_type"] == "session_refused"
    reason: str = state.attributes["reason"]
    return reason


async def test_door_open(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Refused before anything is sent: remote start not allowed."""
    devices["fenix"].panel.open_door()
    await async_refresh(hass, init_integration)
    with pytest.raises(HomeAssistantError):
        await _turn_on(hass)
    assert _refusal(hass) == "remote_start_not_allowed"


async def test_door_open_with_a_target(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A start together with a new target is refused the same way."""
    devices["fenix"].panel.open_door()
    await async_refresh(hass, init_integration)
    with pytest.raises(HomeAssistantError):
        await _turn_on(hass, **{ATTR_TEMPERATURE: 85, "hvac_mode": "heat"})
    assert _refusal(hass) == "remote_start_not_allowed"


async def test_door_opened_after_the_last_read(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The cloud's own refusal is the same reason."""
    devices["fenix"].panel.open_door()
    with pytest.raises(HomeAssistantError):
        await _turn_on(hass)
    assert _refusal(hass) == "remote_start_not_allowed"


async def test_licence_missing(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """An account without the Control licence."""
    cloud.account(EMAIL).licensed = False
    with pytest.raises(HomeAssistantError):
        await _turn_on(hass)
    assert _refusal(hass) == "license_required"


async def test_sauna_did_not_respond(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """The sauna did not acknowledge the start (504)."""
    cloud.faults.no_ack("fenix-dry-0001")
    with pytest.raises(HomeAssistantError):
        await _turn_on(hass)
    assert _refusal(hass) == "device_unavailable"


async def test_other_failure(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """Any other failure of a start is told as failed."""
    cloud.faults.set_route("POST /devices/command", status=503)
    with pytest.raises(HomeAssistantError):
        await _turn_on(hass)
    assert _refusal(hass) == "failed"


async def test_failed_stop_is_no_refusal(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """Only starts are refused; a failed stop is just an error."""
    cloud.faults.set_route("POST /devices/command", status=503)
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            CLIMATE_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: CLIMATE}, blocking=True
        )
    assert hass.states.get(EVENT).state == STATE_UNKNOWN
