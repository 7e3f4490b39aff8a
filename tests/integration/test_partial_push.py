"""A nested partial push changes one profile value and nothing else."""

from __future__ import annotations

from homeassistant.components.climate import (
    ATTR_PRESET_MODE,
    ATTR_PRESET_MODES,
    ATTR_TEMPERATURE,
)
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import HarviaCloud, SimDevice
from harvia_simulator.clock import epoch_ms
from harvia_simulator.events import StatePush

from .conftest import async_settle_push

FENIX = "climate.home_sauna"


async def test_nested_partial_push_keeps_other_profiles(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """`{"profiles": {"2": {"targetTemp": 70}}}` keeps every name and value."""
    fenix = devices["fenix"]
    fenix.panel.select_profile(2)
    await async_settle_push(hass, init_integration)
    state = hass.states.get(FENIX)
    assert state is not None
    presets = state.attributes[ATTR_PRESET_MODES]
    assert presets == ["Finnish", "Relax", "Hot", "Custom"]
    assert state.attributes[ATTR_TEMPERATURE] == 90

    shadow = fenix.shadows["C1"]
    cloud.publish(
        StatePush(
            device_id=fenix.device_id,
            shadow_name="C1",
            reported={"profiles": {"2": {"targetTemp": 70}}},
            desired=None,
            timestamp=epoch_ms(cloud.now()),
            version=shadow.version + 1,
            connected=True,
            connection_updated=fenix.connection_updated,
        )
    )
    await async_settle_push(hass, init_integration)
    state = hass.states.get(FENIX)
    assert state is not None
    assert state.attributes[ATTR_PRESET_MODES] == presets
    assert state.attributes[ATTR_PRESET_MODE] == "Hot"
    assert state.attributes[ATTR_TEMPERATURE] == 70
