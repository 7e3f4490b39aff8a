"""A cloud that behaves like the real one: no undocumented operations, bursts refused."""

from __future__ import annotations

from homeassistant.components.climate import ATTR_CURRENT_TEMPERATURE
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_full_refresh

FENIX = "climate.home_sauna"
LATEST_GRAPHQL = "graphql:data:devicesMeasurementsLatest"
LATEST_REST = "GET /data/latest-data"


async def test_setup_without_measurements_latest(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
) -> None:
    """The cloud refuses devicesMeasurementsLatest: setup loads over REST."""
    cloud.faults.undefine_field("data", "devicesMeasurementsLatest")
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED

    state = hass.states.get(FENIX)
    assert state is not None
    cabin = devices["fenix"].cabins["C1"]
    assert state.attributes[ATTR_CURRENT_TEMPERATURE] == round(cabin.temp, 1)
    # Refused (once per read already in flight), then never asked again.
    refused = cloud.request_counts[LATEST_GRAPHQL]
    assert 1 <= refused <= len(devices)
    rest_reads = cloud.request_counts[LATEST_REST]
    assert rest_reads >= len(devices) - 1  # the cold sensor has no sample

    # The choice is remembered for this entry: later full reads use REST only.
    cloud.faults.clear()
    await async_full_refresh(hass, config_entry)
    assert cloud.request_counts[LATEST_GRAPHQL] == refused
    assert cloud.request_counts[LATEST_REST] > rest_reads
    assert hass.states.get(FENIX) is not None
