"""Coordinator edges: malformed payloads, stray pushes, commands' failures."""

from __future__ import annotations

import asyncio
from dataclasses import replace
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.components.climate import DOMAIN as CLIMATE_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia import async_remove_config_entry_device
from custom_components.harvia.api import Telemetry
from custom_components.harvia.api.realtime import (
    HarviaRealtime,
    StateEvent,
    TelemetryEvent,
)
from custom_components.harvia.compat import async_get_device
from custom_components.harvia.const import DOMAIN, SCAN_INTERVAL
from harvia_simulator import HarviaCloud, SimDevice

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
    assert init_integration.runtime_data.coordinator.last_update_success


async def test_stray_pushes_ignored(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Pushes for devices or cabins we do not know change nothing."""
    coordinator = init_integration.runtime_data.coordinator
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
    """Home Assistant shows the native_* values (2026.2 through the classic names)."""
    entity = _entity(hass, FENIX)
    state = hass.states.get(FENIX)
    assert state is not None
    assert entity.native_temperature_unit == "°C"
    assert entity.native_current_temperature is not None
    assert entity.native_target_temperature is not None
    assert state.attributes["current_temperature"] == entity.native_current_temperature
    assert state.attributes["temperature"] == entity.native_target_temperature
    # 2026.11 also states the unit (the snapshots leave it out: 2026.2 does not).
    assert state.attributes.get("temperature_unit", "°C") == "°C"


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
            "switch", "turn_off", {"entity_id": "switch.spa_steamer"}, blocking=True
        )
    assert err.value.translation_key == "unexpected_error"
    assert hass.states.get(FENIX).state != STATE_UNAVAILABLE  # type: ignore[union-attr]


async def test_reauth_started_by_rejected_command(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """A command that meets rejected credentials asks the user to sign in again."""
    cloud.account(EMAIL).password = "changed-elsewhere"
    cloud.faults.revoke_tokens()
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            CLIMATE_DOMAIN, "turn_off", {"entity_id": FENIX}, blocking=True
        )
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_cabin_leaving_the_data_does_not_crash(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A cabin gone from the data: its entities are unavailable, nothing raises."""
    coordinator = init_integration.runtime_data.coordinator
    device = coordinator.data["generic-0003"]
    coordinator.async_set_updated_data(
        {
            **coordinator.data,
            "generic-0003": replace(device, cabins={"C1": device.cabins["C1"]}),
        }
    )
    await hass.async_block_till_done()
    assert hass.states.get("climate.spa_2").state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert hass.states.get("climate.spa").state != STATE_UNAVAILABLE  # type: ignore[union-attr]


async def test_failed_profile_write_is_not_left_pending(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """A profile write the cloud refuses: an error, and nothing shown as pending."""
    presets = hass.states.get(FENIX).attributes["preset_modes"]  # type: ignore[union-attr]
    cloud.faults.set_route("PATCH /devices/profile", status=503)
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            CLIMATE_DOMAIN,
            "set_preset_mode",
            {"entity_id": FENIX, "preset_mode": presets[2]},
            blocking=True,
        )
    assert not init_integration.runtime_data.coordinator.state.pending_profiles
    assert hass.states.get(FENIX).attributes["preset_mode"] == presets[0]  # type: ignore[union-attr]


async def test_dead_push_listener_hands_over_to_polling(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever ends the push listener, polling takes over at its normal pace."""

    async def broken_run(self: HarviaRealtime, device_ids: Any) -> None:
        self._on_status(True)
        raise RuntimeError("a bug")

    with patch.object(HarviaRealtime, "run", broken_run):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    coordinator = config_entry.runtime_data.coordinator
    assert not coordinator.push_connected
    assert coordinator.update_interval == SCAN_INTERVAL
    assert "Harvia push updates stopped unexpectedly" in caplog.text


async def test_stale_devices_removed_at_start(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, Any],
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device that left the account while Home Assistant was stopped is removed."""
    gone = device_registry.async_get_or_create(
        config_entry_id=config_entry.entry_id, identifiers={(DOMAIN, "sold-sauna")}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert device_registry.async_get(gone.id) is None


async def test_user_may_remove_only_gone_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Devices still on the account cannot be removed by hand; others can."""
    fenix = async_get_device(
        device_registry, init_integration.entry_id, (DOMAIN, "fenix-dry-0001")
    )
    assert fenix is not None
    assert not await async_remove_config_entry_device(hass, init_integration, fenix)
    other = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "elsewhere")}
    )
    assert await async_remove_config_entry_device(hass, init_integration, other)


def _online_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "custom_components.harvia"
        and (
            "is offline" in record.getMessage() or "back online" in record.getMessage()
        )
    ]


async def test_device_offline_and_back_logged_once(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One INFO line when a device goes offline, one when it is back; polls
    and further pushes repeat nothing."""
    caplog.set_level(logging.INFO, logger="custom_components.harvia")
    devices["fenix"].set_connected(False)
    await async_full_refresh(hass, init_integration)
    await async_full_refresh(hass, init_integration)
    assert _online_lines(caplog) == [
        (logging.INFO, "Home Sauna is offline: the Harvia cloud cannot reach it")
    ]
    devices["fenix"].set_connected(True)
    await async_full_refresh(hass, init_integration)
    assert _online_lines(caplog)[1:] == [(logging.INFO, "Home Sauna is back online")]

    # A device the cloud cannot read counts as offline too.
    caplog.clear()
    # Refused in a query with other cabins, it is read alone (and refused).
    cloud.faults.set_route("GET /devices/state", status=404)
    cloud.faults.set_route("graphql:device:devicesStatesGet", status=404)
    await async_full_refresh(hass, init_integration)
    cloud.faults.clear_route("GET /devices/state")
    cloud.faults.clear_route("graphql:device:devicesStatesGet")
    await async_full_refresh(hass, init_integration)
    lines = _online_lines(caplog)
    assert (
        logging.INFO,
        "Home Sauna is offline: the Harvia cloud cannot reach it",
    ) in lines
    assert lines[-1][0] == logging.INFO
    assert sum("back online" in line for _, line in lines) == sum(
        "is offline" in line for _, line in lines
    )


async def test_change_queued_behind_a_failed_profile_write_goes_next(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """A profile write fails while another change waits behind it: that one is
    sent at once (not lost, not waiting for a landing that never comes)."""
    route = "PATCH /devices/profile"
    presets = hass.states.get(FENIX).attributes["preset_modes"]  # type: ignore[union-attr]
    sent = cloud.request_counts[route]
    # The cloud hangs on the first write until the second change was asked for.
    cloud.faults.hold_route(route, status=503)
    first = hass.async_create_task(
        hass.services.async_call(
            CLIMATE_DOMAIN,
            "set_preset_mode",
            {"entity_id": FENIX, "preset_mode": presets[1]},
            blocking=True,
        )
    )
    while cloud.request_counts[route] == sent:  # noqa: ASYNC110
        await asyncio.sleep(0)
    # The first write is under way: a change asked for now waits behind it.
    # (Through the commands object: Home Assistant 2026.11 serializes service
    # calls to one entity, so a second call would wait for the first's end.)
    commands = init_integration.runtime_data.coordinator.commands
    assert commands.async_queue_profile("fenix-dry-0001", "C1", 2)
    assert cloud.request_counts[route] == sent + 1
    cloud.faults.release_routes()
    with pytest.raises(HomeAssistantError):
        await first
    for task in list(init_integration._background_tasks):
        if task.get_name().endswith("queued profile change"):
            await task
    assert cloud.request_counts[route] == sent + 2
    pending = init_integration.runtime_data.coordinator.state.pending_profiles
    assert [p.profile for p in pending.values()] == [2]
