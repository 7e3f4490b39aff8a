"""Shadows the client's defaults do not cover: no remoteAllowed, nothing at all."""

from __future__ import annotations

from homeassistant.components.climate import DOMAIN as CLIMATE_DOMAIN, HVACMode
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import Account, HarviaCloud, SimDevice

FENIX = "climate.home_sauna"
COMMAND_ROUTE = "POST /devices/command"


@pytest.fixture
def devices(cloud: HarviaCloud, account: Account) -> dict[str, SimDevice]:
    """A panel that never reports remoteAllowed, and one the cloud knows
    nothing of yet (empty shadow, no telemetry)."""
    old = cloud.add_device(
        account,
        "fenix",
        name="Home Sauna",
        device_id="fenix-dry-0001",
        reports_remote_allowed=False,
    )
    silent = cloud.add_device(
        account, "fenix_combi", name="Steam Room", device_id="fenix-combi-0002"
    )
    silent.forget_reports()
    return {"fenix": old, "silent": silent}


async def test_start_sent_without_remote_allowed(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Unknown is not forbidden: the start is sent and runs."""
    binary = hass.states.get("binary_sensor.home_sauna_remote_start_allowed")
    assert binary is None or binary.state == STATE_UNKNOWN
    sent = cloud.request_counts[COMMAND_ROUTE]
    await hass.services.async_call(
        CLIMATE_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: FENIX}, blocking=True
    )
    assert cloud.request_counts[COMMAND_ROUTE] == sent + 1
    assert devices["fenix"].cabins["C1"].status == 1
    state = hass.states.get(FENIX)
    assert state is not None
    assert state.state == HVACMode.HEAT


async def test_empty_shadow_shows_unknown(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Setup loads; the silent device's entities show unknown, none crash."""
    entries = [
        entry
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if "fenix-combi-0002" in entry.unique_id and entry.disabled_by is None
    ]
    assert entries
    for entry in entries:
        state = hass.states.get(entry.entity_id)
        assert state is not None, entry.entity_id
        # Session history is Home Assistant's own count, not the cloud's.
        if entry.domain in ("sensor", "switch", "climate") and not any(
            key in entry.unique_id for key in ("session", "sessions_today")
        ):
            assert state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE), (
                entry.entity_id,
                state.state,
            )
    climate = next(e for e in entries if e.domain == "climate")
    state = hass.states.get(climate.entity_id)
    assert state is not None
    assert state.attributes.get("current_temperature") is None
