"""Climate: the sauna heater, against the simulator."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.climate import (
    ATTR_HUMIDITY,
    ATTR_HVAC_ACTION,
    ATTR_HVAC_MODE,
    ATTR_PRESET_MODE,
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_HUMIDITY,
    SERVICE_SET_HVAC_MODE,
    SERVICE_SET_PRESET_MODE,
    SERVICE_SET_TEMPERATURE,
    HVACAction,
    HVACMode,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_TEMPERATURE,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.harvia.const import DOMAIN
from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_refresh

FENIX = "climate.home_sauna"
COMBI = "climate.steam_room"
COMMAND_ROUTE = "POST /devices/command"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the climate platform alone."""
    return [Platform.CLIMATE]


async def _call(hass: HomeAssistant, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(
        CLIMATE_DOMAIN,
        service,
        {ATTR_ENTITY_ID: entity_id, **data},
        blocking=True,
    )


def _state(hass: HomeAssistant, entity_id: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """All climate entities and their registry entries."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_start_and_stop_session(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Turning on starts a session on the sauna; turning off ends it."""
    assert _state(hass, FENIX).state == HVACMode.OFF
    await _call(hass, SERVICE_TURN_ON, FENIX)
    state = _state(hass, FENIX)
    assert state.state == HVACMode.HEAT
    assert state.attributes[ATTR_HVAC_ACTION] == HVACAction.HEATING

    cloud.advance(600)
    await async_refresh(hass, init_integration)
    state = _state(hass, FENIX)
    assert state.state == HVACMode.HEAT
    assert state.attributes["current_temperature"] > 30

    await _call(hass, SERVICE_SET_HVAC_MODE, FENIX, **{ATTR_HVAC_MODE: HVACMode.OFF})
    assert _state(hass, FENIX).state == HVACMode.OFF
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX).state == HVACMode.OFF
    await _call(hass, SERVICE_SET_HVAC_MODE, FENIX, **{ATTR_HVAC_MODE: HVACMode.HEAT})
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX).state == HVACMode.HEAT
    await _call(hass, SERVICE_TURN_OFF, FENIX)
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX).attributes[ATTR_HVAC_ACTION] == HVACAction.OFF


async def test_remote_start_refused_before_sending(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """With the door open nothing is sent and the user is told what to do."""
    devices["fenix"].panel.open_door()
    await async_refresh(hass, init_integration)
    sent = cloud.request_counts[COMMAND_ROUTE]
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, SERVICE_TURN_ON, FENIX)
    assert err.value.translation_key == "remote_start_not_allowed"
    assert cloud.request_counts[COMMAND_ROUTE] == sent
    assert _state(hass, FENIX).state == HVACMode.OFF

    # Stopping is always allowed.
    await _call(hass, SERVICE_TURN_OFF, FENIX)


async def test_remote_start_refused_by_cloud(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The door opened after our last read: the cloud's refusal is explained."""
    devices["fenix"].panel.open_door()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, SERVICE_TURN_ON, FENIX)
    assert err.value.translation_key == "remote_start_not_allowed"


async def test_heater_on_not_retried_when_sauna_silent(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """504: 'the sauna did not respond', sent exactly once, state unchanged."""
    cloud.faults.no_ack("fenix-dry-0001")
    sent = cloud.request_counts[COMMAND_ROUTE]
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_TURN_ON, FENIX)
    assert err.value.translation_key == "device_unavailable"
    assert cloud.request_counts[COMMAND_ROUTE] == sent + 1
    assert _state(hass, FENIX).state == HVACMode.OFF


async def test_licence_required_raises_repair_issue(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """402 on a write: an error and a repair issue about the Control licence."""
    cloud.account("owner@example.com").licensed = False
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_TURN_ON, FENIX)
    assert err.value.translation_key == "license_required"
    assert issue_registry.async_get_issue(DOMAIN, "control_license_required")

    cloud.account("owner@example.com").licensed = True
    await _call(hass, SERVICE_TURN_ON, FENIX)
    assert not issue_registry.async_get_issue(DOMAIN, "control_license_required")


async def test_cloud_errors_on_commands(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """Cloud failures on a write are translated, never raw."""
    cloud.faults.set_route(COMMAND_ROUTE, status=503)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_TURN_OFF, FENIX)
    assert err.value.translation_key == "cannot_connect"
    cloud.faults.clear()
    cloud.faults.set_route(COMMAND_ROUTE, status=400)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_TURN_OFF, FENIX)
    assert err.value.translation_key == "bad_request"


async def test_target_temperature(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The target lands in the active profile; out of range is refused."""
    await _call(hass, SERVICE_SET_TEMPERATURE, FENIX, **{ATTR_TEMPERATURE: 85})
    assert _state(hass, FENIX).attributes[ATTR_TEMPERATURE] == 85
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX).attributes[ATTR_TEMPERATURE] == 85

    for bad in (39, 111):
        with pytest.raises(ServiceValidationError):
            await _call(hass, SERVICE_SET_TEMPERATURE, FENIX, **{ATTR_TEMPERATURE: bad})

    # Temperature and mode together.
    await _call(
        hass,
        SERVICE_SET_TEMPERATURE,
        FENIX,
        **{ATTR_TEMPERATURE: 90, ATTR_HVAC_MODE: HVACMode.HEAT},
    )
    # The session starts on the old target; the panel reports the new one
    # up to ~35 s after the write.
    cloud.advance(40)
    await async_refresh(hass, init_integration)
    state = _state(hass, FENIX)
    assert state.state == HVACMode.HEAT
    assert state.attributes[ATTR_TEMPERATURE] == 90
    # While heating the live session target counts.
    await _call(hass, SERVICE_SET_TEMPERATURE, FENIX, **{ATTR_TEMPERATURE: 95})
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX).attributes[ATTR_TEMPERATURE] == 95


async def test_humidity_and_steam_limit(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """Combi heaters: target humidity, with temperature + humidity <= 140."""
    await _call(hass, SERVICE_SET_TEMPERATURE, COMBI, **{ATTR_TEMPERATURE: 70})
    await _call(hass, SERVICE_SET_HUMIDITY, COMBI, **{ATTR_HUMIDITY: 60})
    await async_refresh(hass, init_integration)
    assert _state(hass, COMBI).attributes[ATTR_HUMIDITY] == 60

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, SERVICE_SET_HUMIDITY, COMBI, **{ATTR_HUMIDITY: 75})
    assert err.value.translation_key == "steam_limit"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, SERVICE_SET_TEMPERATURE, COMBI, **{ATTR_TEMPERATURE: 90})
    assert err.value.translation_key == "steam_limit"
    # A dry heater has no humidity control.
    assert ATTR_HUMIDITY not in _state(hass, FENIX).attributes


async def test_presets_are_profiles_serialized(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Profiles by name; a second change waits until the first one applied."""
    state = _state(hass, FENIX)
    presets = state.attributes["preset_modes"]
    assert len(presets) == 4
    first, second = presets[1], presets[2]
    profile_route = "PATCH /devices/profile"
    sent = cloud.request_counts[profile_route]

    await _call(hass, SERVICE_SET_PRESET_MODE, FENIX, **{ATTR_PRESET_MODE: first})
    assert _state(hass, FENIX).attributes[ATTR_PRESET_MODE] == first
    await _call(hass, SERVICE_SET_PRESET_MODE, FENIX, **{ATTR_PRESET_MODE: second})
    # Shown at once, but not sent while the panel applies the first one.
    assert _state(hass, FENIX).attributes[ATTR_PRESET_MODE] == second
    assert cloud.request_counts[profile_route] == sent + 1

    cloud.advance(20)
    await async_refresh(hass, init_integration)
    await hass.async_block_till_done()
    assert cloud.request_counts[profile_route] == sent + 2
    cloud.advance(20)
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX).attributes[ATTR_PRESET_MODE] == second

    # Home Assistant checks the name against preset_modes; the entity checks again
    # (profiles can be renamed at the panel between the two).
    with pytest.raises(ServiceValidationError):
        await _call(hass, SERVICE_SET_PRESET_MODE, FENIX, **{ATTR_PRESET_MODE: "Nope"})
    entity = hass.data[CLIMATE_DOMAIN].get_entity(FENIX)
    with pytest.raises(ServiceValidationError) as err:
        await entity.async_set_preset_mode("Nope")
    assert err.value.translation_key == "unknown_preset"


async def test_scheduled_start_is_not_heating(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A session waiting for its scheduled start is on, but idle."""
    devices["fenix"].panel.schedule(start_in_minutes=60)
    await async_refresh(hass, init_integration)
    state = _state(hass, FENIX)
    assert state.state == HVACMode.HEAT
    assert state.attributes[ATTR_HVAC_ACTION] == HVACAction.IDLE


async def test_stale_top_level_target_ignored(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The reported top-level targetTemp is stale: the active profile's counts."""
    await _call(hass, SERVICE_SET_TEMPERATURE, FENIX, **{ATTR_TEMPERATURE: 75})
    await async_refresh(hass, init_integration)
    status = (
        init_integration.runtime_data.coordinator.data["fenix-dry-0001"]
        .cabins["C1"]
        .status
    )
    reported = (
        init_integration.runtime_data.coordinator.data["fenix-dry-0001"]
        .cabins["C1"]
        .reported
    )
    active = status.active_profile
    assert active is not None
    assert reported["targetTemp"] != status.profiles[active].target_temperature
    assert status.profiles[active].target_temperature == 75
    assert _state(hass, FENIX).attributes[ATTR_TEMPERATURE] == 75


async def test_device_offline_unavailable(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An offline sauna's climate entity is unavailable."""
    devices["fenix"].set_connected(False)
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX).state == "unavailable"
    devices["fenix"].set_connected(True)
    freezer.tick(1)
    async_fire_time_changed(hass)
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX).state == HVACMode.OFF


async def test_queued_preset_failure_is_logged(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The held-back profile change fails later: logged, the panel's profile shown."""
    presets = _state(hass, FENIX).attributes["preset_modes"]
    await _call(hass, SERVICE_SET_PRESET_MODE, FENIX, **{ATTR_PRESET_MODE: presets[1]})
    await _call(hass, SERVICE_SET_PRESET_MODE, FENIX, **{ATTR_PRESET_MODE: presets[2]})
    cloud.faults.set_route("PATCH /devices/profile", status=503)
    cloud.advance(20)
    await async_refresh(hass, init_integration)
    await hass.async_block_till_done(wait_background_tasks=False)
    for task in list(init_integration._background_tasks):
        if task.get_name().endswith("queued profile change"):
            await task
    assert "Could not change the sauna's profile" in caplog.text
    assert _state(hass, FENIX).attributes[ATTR_PRESET_MODE] == presets[1]


async def test_temperature_and_start_refused_together(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A start that will be refused leaves the target untouched too."""
    devices["fenix"].panel.open_door()
    await async_refresh(hass, init_integration)
    writes = cloud.request_counts["PATCH /devices/target"]
    before = _state(hass, FENIX).attributes[ATTR_TEMPERATURE]
    with pytest.raises(ServiceValidationError):
        await _call(
            hass,
            SERVICE_SET_TEMPERATURE,
            FENIX,
            **{ATTR_TEMPERATURE: 85, ATTR_HVAC_MODE: HVACMode.HEAT},
        )
    assert cloud.request_counts["PATCH /devices/target"] == writes
    assert _state(hass, FENIX).attributes[ATTR_TEMPERATURE] == before


async def test_queued_preset_keeps_licence_issue(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A held-back profile change neither clears nor hides the licence issue."""
    presets = _state(hass, FENIX).attributes["preset_modes"]
    await _call(hass, SERVICE_SET_PRESET_MODE, FENIX, **{ATTR_PRESET_MODE: presets[1]})
    cloud.account("owner@example.com").licensed = False
    with pytest.raises(HomeAssistantError):
        await _call(hass, SERVICE_TURN_ON, FENIX)
    assert issue_registry.async_get_issue(DOMAIN, "control_license_required")

    # Queued behind the first change: nothing sent, the issue stays.
    await _call(hass, SERVICE_SET_PRESET_MODE, FENIX, **{ATTR_PRESET_MODE: presets[2]})
    assert issue_registry.async_get_issue(DOMAIN, "control_license_required")

    # Sent once the first one landed: refused, and the issue is still there.
    cloud.advance(20)
    await async_refresh(hass, init_integration)
    for task in list(init_integration._background_tasks):
        if task.get_name().endswith("queued profile change"):
            await task
    assert issue_registry.async_get_issue(DOMAIN, "control_license_required")
    assert _state(hass, FENIX).attributes[ATTR_PRESET_MODE] == presets[1]
