"""Coordinator edges: malformed payloads, stray pushes, commands' failures."""

from __future__ import annotations

from typing import Any

from homeassistant.components.climate import DOMAIN as CLIMATE_DOMAIN
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.api import Telemetry
from custom_components.harvia.api.realtime import StateEvent, TelemetryEvent
from harvia_simulator import HarviaCloud

from .conftest import EMAIL, async_full_refresh

FENIX = "climate.home_sauna"


def _entity(hass: HomeAssistant, entity_id: str) -> Any:
    return hass.data[CLIMATE_DOMAIN].get_entity(entity_id)


async def test_malformed_shadow_keeps_last_state(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """A shadow that cannot be parsed never crashes the poll."""
    before = hass.states.get(FENIX)
    assert before is not None
    cloud.faults.set_route(
        "GET /devices/state", status=200, body={"deviceId": "x", "state": "{oops"}
    )
    await async_full_refresh(hass, init_integration)
    after = hass.states.get(FENIX)
    assert after is not None
    assert after.state == before.state
    assert init_integration.runtime_data.last_update_success


async def test_stray_pushes_ignored(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Pushes for devices or cabins we do not know change nothing."""
    coordinator = init_integration.runtime_data
    data = coordinator.data
    coordinator.async_handle_push(
        StateEvent(device_id="unknown", shadow_name="C1", reported={}, connected=True)
    )
    coordinator.async_handle_push(
        StateEvent(
            device_id="fenix-dry-0001", shadow_name="C9", reported={}, connected=True
        )
    )
    coordinator.async_handle_push(
        TelemetryEvent(Telemetry.from_dict({"deviceId": "unknown", "data": {}}))
    )
    assert coordinator.data is data


async def test_native_temperature_properties(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """2026.11 reads the native_* names; they match the classic ones."""
    entity = _entity(hass, FENIX)
    assert entity.native_temperature_unit == entity.temperature_unit
    assert entity.native_current_temperature == entity.current_temperature
    assert entity.native_target_temperature == entity.target_temperature


async def test_limits_checked_by_the_entity_too(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Out-of-range targets are refused before anything is sent."""
    entity = _entity(hass, "climate.steam_room")
    with pytest.raises(ServiceValidationError) as err:
        await entity.async_set_temperature(temperature=130)
    assert err.value.translation_key == "temperature_out_of_range"
    with pytest.raises(ServiceValidationError) as err:
        await entity.async_set_humidity(120)
    assert err.value.translation_key == "humidity_out_of_range"


async def test_rejected_credentials_on_a_command(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """Credentials rejected mid-way: a clear error, not a traceback."""
    cloud.account(EMAIL).password = "changed-elsewhere"
    cloud.faults.revoke_tokens()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            CLIMATE_DOMAIN, "turn_off", {"entity_id": FENIX}, blocking=True
        )
    assert err.value.translation_key == "auth_failed"


async def test_unexpected_cloud_answer_on_a_command(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """An answer the client cannot place: still a translated error."""
    cloud.faults.set_route("POST /graphql/device", status=409)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": "switch.spa_steamer"}, blocking=True
        )
    assert err.value.translation_key == "unexpected_error"
    assert hass.states.get(FENIX).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
