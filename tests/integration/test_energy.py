"""Estimated power and energy of rated heaters, against the simulator."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.harvia.energy import (
    CONF_HEATER_POWER,
    CONF_RATINGS,
    CONF_STEAMER_POWER,
)
from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_pass_time, async_refresh

HEATER_POWER = "sensor.home_sauna_estimated_heater_power"
HEATER_ENERGY = "sensor.home_sauna_estimated_heater_energy"
COMBI_HEATER_POWER = "sensor.steam_room_estimated_heater_power"
COMBI_HEATER_ENERGY = "sensor.steam_room_estimated_heater_energy"
STEAM_POWER = "sensor.steam_room_estimated_steam_generator_power"
STEAM_ENERGY = "sensor.steam_room_estimated_steam_generator_energy"
ENERGY_KEYS = (
    "heater_power",
    "heater_energy",
    "steamer_power",
    "steamer_energy",
    "last_session_energy",
)
RATINGS = {
    CONF_RATINGS: {
        "fenix-dry-0001": {CONF_HEATER_POWER: 10.5},
        "fenix-combi-0002": {CONF_HEATER_POWER: 9.0, CONF_STEAMER_POWER: 2.2},
        "generic-0003": {CONF_HEATER_POWER: 6.8},
    }
}


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the sensor platform alone."""
    return [Platform.SENSOR]


@pytest.fixture
def config_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The entry with rated heaters (and the combi's steam generator)."""
    hass.config_entries.async_update_entry(config_entry, options=RATINGS)
    return config_entry


def _energy_entries(
    entity_registry: er.EntityRegistry, entry_id: str
) -> list[er.RegistryEntry]:
    return sorted(
        (
            entry
            for entry in er.async_entries_for_config_entry(entity_registry, entry_id)
            if entry.unique_id.endswith(ENERGY_KEYS)
        ),
        key=lambda entry: entry.entity_id,
    )


def _value(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The estimate's sensors of every rated output, and no others."""
    entries = _energy_entries(entity_registry, init_integration.entry_id)
    assert entries
    for entry in entries:
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        assert hass.states.get(entry.entity_id) == snapshot(
            name=f"{entry.entity_id}-state"
        )


@pytest.mark.parametrize(
    ("entity_id", "device_class", "unit", "state_class"),
    [
        (HEATER_POWER, SensorDeviceClass.POWER, UnitOfPower.WATT, "measurement"),
        (
            HEATER_ENERGY,
            SensorDeviceClass.ENERGY,
            UnitOfEnergy.KILO_WATT_HOUR,
            "total_increasing",
        ),
    ],
)
async def test_energy_dashboard_requirements(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_id: str,
    device_class: SensorDeviceClass,
    unit: str,
    state_class: str,
) -> None:
    """What the Energy dashboard checks: device class, unit and state class."""
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes[ATTR_DEVICE_CLASS] == device_class
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == unit
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass(state_class)


async def test_unrated_controller_has_no_estimate(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
    entity_registry: er.EntityRegistry,
) -> None:
    """Without a rating (the default) there are no power or energy sensors."""
    hass.config_entries.async_update_entry(config_entry, options={})
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _energy_entries(entity_registry, config_entry.entry_id) == []
    assert hass.states.get(HEATER_POWER) is None


async def test_steam_only_where_rated(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The dry heater and the unrated steamer of the generic controller get none."""
    ids = {
        entry.entity_id
        for entry in _energy_entries(entity_registry, init_integration.entry_id)
    }
    assert STEAM_POWER in ids
    assert "sensor.home_sauna_estimated_steam_generator_power" not in ids
    assert not any(
        "spa" in entity_id and "steam_generator" in entity_id for entity_id in ids
    )
    # Both cabins of the multi-cabin controller have the controller's rating.
    assert "sensor.spa_estimated_heater_energy" in ids
    assert "sensor.spa_2_estimated_heater_energy" in ids


async def test_session_power_and_energy(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Rated power while the heater is on; its energy grows minute by minute."""
    assert _value(hass, HEATER_POWER) == 0
    assert _value(hass, HEATER_ENERGY) == 0

    devices["fenix"].panel.power(True)
    await async_refresh(hass, init_integration)
    assert _value(hass, HEATER_POWER) == 10_500
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=20))
    # 10.5 kW for a third of an hour.
    assert _value(hass, HEATER_ENERGY) == pytest.approx(3.5)
    # The other heaters stayed off.
    assert _value(hass, COMBI_HEATER_ENERGY) == 0

    devices["fenix"].panel.power(False)
    await async_refresh(hass, init_integration)
    assert _value(hass, HEATER_POWER) == 0
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=5))
    assert _value(hass, HEATER_ENERGY) == pytest.approx(3.5)


async def test_element_off_draws_nothing(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A session whose element is switched off (HEATER) uses no power."""
    device = devices["fenix"]
    device.panel.power(True)
    device.apply_command(device.cabin("C1"), "HEATER", False, {})
    await async_refresh(hass, init_integration)
    assert _value(hass, HEATER_POWER) == 0
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=5))
    assert _value(hass, HEATER_ENERGY) == 0


async def test_scheduled_start_draws_nothing(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Waiting for a scheduled start reports the heater on, but nothing heats."""
    devices["fenix"].panel.schedule(30)
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=10))
    assert _value(hass, HEATER_POWER) == 0
    assert _value(hass, HEATER_ENERGY) == 0


async def test_steam_generator(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A steam profile runs the steam generator beside the heater."""
    combi = devices["combi"]
    combi.panel.select_profile(1)  # "Relax": steamer on
    combi.panel.power(True)
    await async_refresh(hass, init_integration)
    assert _value(hass, COMBI_HEATER_POWER) == 9_000
    assert _value(hass, STEAM_POWER) == 2_200
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=30))
    assert _value(hass, COMBI_HEATER_ENERGY) == pytest.approx(4.5)
    assert _value(hass, STEAM_ENERGY) == pytest.approx(1.1)


async def test_unavailable_while_cloud_is_down(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """An offline sauna: no power is assumed and no energy counted meanwhile."""
    device = devices["fenix"]
    device.panel.power(True)
    await async_refresh(hass, init_integration)
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=6))
    assert _value(hass, HEATER_ENERGY) == pytest.approx(1.05)
    device.set_connected(False)
    await async_refresh(hass, init_integration)
    assert hass.states.get(HEATER_POWER).state == STATE_UNAVAILABLE
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=30))
    device.set_connected(True)
    await async_refresh(hass, init_integration)
    assert _value(hass, HEATER_ENERGY) == pytest.approx(1.05)
    assert _value(hass, HEATER_POWER) == 10_500


async def test_energy_restored_after_restart(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
) -> None:
    """The total continues from the value before the restart."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(HEATER_ENERGY, "123.456"),
                {"native_value": 123.456, "native_unit_of_measurement": "kWh"},
            ),
            (
                State(STEAM_ENERGY, "2.5"),
                {
                    "native_value": {
                        "__type": "<class 'decimal.Decimal'>",
                        "decimal_str": "2.5",
                    },
                    "native_unit_of_measurement": "kWh",
                },
            ),
            (
                State(COMBI_HEATER_ENERGY, STATE_UNKNOWN),
                {"native_value": None, "native_unit_of_measurement": "kWh"},
            ),
        ],
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, HEATER_ENERGY) == pytest.approx(123.456)
    assert _value(hass, COMBI_HEATER_ENERGY) == 0
    assert _value(hass, STEAM_ENERGY) == 2.5

    devices["fenix"].panel.power(True)
    await async_refresh(hass, config_entry)
    await async_pass_time(hass, freezer, cloud, config_entry, timedelta(minutes=4))
    assert _value(hass, HEATER_ENERGY) == pytest.approx(123.456 + 0.7)
