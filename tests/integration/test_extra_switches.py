"""Outputs beyond light and fan, and the steamer's session rule, against the simulator."""

from __future__ import annotations

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_refresh, async_settle_push

GRAPHQL_COMMAND = "graphql:device:devicesCommandsSend"
SPA_STEAMER = "switch.spa_steamer"
# Output key -> (entity id in the first cabin, the simulator's reported key).
EXTRAS = {
    "vaporizer": ("switch.spa_vaporizer", "vaporizer"),
    "ir_heater": ("switch.spa_infrared_heater", "irHeater"),
    "after_heater": ("switch.spa_after_heater", "afterHeater"),
    "ext_switch": ("switch.spa_external_switch", "extSwitch"),
}


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the switch platform alone."""
    return [Platform.SWITCH]


async def _switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


@pytest.mark.parametrize("output", list(EXTRAS))
async def test_extra_output(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    output: str,
) -> None:
    """Each output's command (over GraphQL) reaches its cabin; the switch follows."""
    entity_id, reported = EXTRAS[output]
    generic = devices["generic"]
    assert _state(hass, entity_id) == STATE_OFF
    sent = cloud.request_counts[GRAPHQL_COMMAND]

    await _switch(hass, SERVICE_TURN_ON, entity_id)
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1
    assert generic.cabins["C1"].extras[reported] is True
    assert generic.cabins["C2"].extras[reported] is False
    assert _state(hass, entity_id) == STATE_ON
    await async_refresh(hass, init_integration)
    assert _state(hass, entity_id) == STATE_ON
    assert generic.shadows["C1"].reported[reported] == {"on": 1}

    await _switch(hass, SERVICE_TURN_OFF, entity_id)
    assert generic.cabins["C1"].extras[reported] is False
    await async_refresh(hass, init_integration)
    assert _state(hass, entity_id) == STATE_OFF


async def test_extra_outputs_only_where_reported(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Fenix panels report none of these outputs (nor take their commands)."""
    keys = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if entry.domain == SWITCH_DOMAIN
    }
    for device in ("fenix-dry-0001", "fenix-combi-0002", "sensor-0004"):
        assert not any(
            f"{device}_C1_{output}" in keys or f"{device}_classic_{output}" in keys
            for output in EXTRAS
        )
    assert {f"generic-0003_C2_{output}" for output in EXTRAS} <= keys


async def test_output_reported_later_appears(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
) -> None:
    """An output the controller starts reporting after setup gets its switch then."""
    generic = devices["generic"]
    del generic.cabins["C2"].extras["vaporizer"]
    del generic.shadows["C2"].reported["vaporizer"]
    del generic.latest_telemetry["C2"].data["vaporizerOn"]
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_settle_push(hass, config_entry)
    assert hass.states.get("switch.spa_2_vaporizer") is None
    assert _state(hass, "switch.spa_vaporizer") == STATE_OFF

    generic.cabins["C2"].extras["vaporizer"] = True
    generic.panel.set_light(True, cabin="C2")
    await async_settle_push(hass, config_entry)
    assert _state(hass, "switch.spa_2_vaporizer") == STATE_ON


async def test_steamer_refused_while_no_session(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The controller steams only during a session: said before anything is sent.

    Before, the switch showed "on" for 30 s and fell back without a word.
    """
    generic = devices["generic"]
    sent = cloud.request_counts[GRAPHQL_COMMAND]
    with pytest.raises(ServiceValidationError) as err:
        await _switch(hass, SERVICE_TURN_ON, SPA_STEAMER)
    assert err.value.translation_key == "steamer_needs_session"
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent
    assert _state(hass, SPA_STEAMER) == STATE_OFF

    # Waiting for a scheduled start is not a session either.
    generic.panel.schedule(start_in_minutes=30)
    await async_refresh(hass, init_integration)
    with pytest.raises(ServiceValidationError):
        await _switch(hass, SERVICE_TURN_ON, SPA_STEAMER)
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent
    # Switching it off is always allowed.
    await _switch(hass, SERVICE_TURN_OFF, SPA_STEAMER)
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1

    generic.panel.cancel_schedule()
    generic.panel.power(True)
    await async_refresh(hass, init_integration)
    await _switch(hass, SERVICE_TURN_ON, SPA_STEAMER)
    assert generic.cabins["C1"].steaming
    assert _state(hass, SPA_STEAMER) == STATE_ON


async def test_steamer_refused_by_controller(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The session ended after our last read: the controller's refusal is
    reported (translated), and the switch stays off."""
    generic = devices["generic"]
    generic.panel.power(True)
    await async_refresh(hass, init_integration)
    generic.panel.power(False)  # not yet seen by Home Assistant
    sent = cloud.request_counts[GRAPHQL_COMMAND]
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON, SPA_STEAMER)
    assert err.value.translation_key == "bad_request"
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1
    assert generic.cabins["C1"].steamer is False
    await async_refresh(hass, init_integration)
    assert _state(hass, SPA_STEAMER) == STATE_OFF
