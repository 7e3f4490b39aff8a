"""Options flow: rated powers per controller, against the simulator."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.const import DOMAIN
from custom_components.harvia.energy import (
    CONF_HEATER_POWER,
    CONF_RATINGS,
    CONF_STEAMER_POWER,
)
from custom_components.harvia.options_flow import CONF_CONTROLLER
from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import async_refresh

HEATER_ENERGY = "sensor.home_sauna_estimated_heater_energy"
COMBI_STEAM_POWER = "sensor.steam_room_estimated_steam_generator_power"
LAST_SESSION_ENERGY = "sensor.home_sauna_last_session_estimated_energy"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the sensor platform alone."""
    return [Platform.SENSOR]


def _schema_keys(result: dict[str, object]) -> list[str]:
    schema = result["data_schema"]
    return [str(key) for key in schema.schema]  # type: ignore[attr-defined]


async def _choose(
    hass: HomeAssistant, entry: MockConfigEntry, device_id: str
) -> dict[str, object]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM, result
    assert result["step_id"] == "init"
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CONTROLLER: device_id}
    )


async def test_controller_choice_lists_heaters(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Every controller with a heater, by its name; never the SaunaSensor."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    selector = result["data_schema"].schema[CONF_CONTROLLER]
    options = selector.config["options"]
    assert [(o["value"], o["label"]) for o in options] == [
        ("fenix-dry-0001", "Home Sauna"),
        ("fenix-combi-0002", "Steam Room"),
        ("generic-0003", "Spa controller"),
    ]


async def test_set_ratings_adds_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A dry heater gets only a heater field; saving reloads with its sensors."""
    assert hass.states.get(HEATER_ENERGY) is None
    result = await _choose(hass, init_integration, "fenix-dry-0001")
    assert result["step_id"] == "ratings"
    assert result["description_placeholders"] == {"controller": "Home Sauna"}
    assert _schema_keys(result) == [CONF_HEATER_POWER]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEATER_POWER: "10.5"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options == {
        CONF_RATINGS: {"fenix-dry-0001": {CONF_HEATER_POWER: 10.5}}
    }
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(HEATER_ENERGY) is not None
    assert hass.states.get(LAST_SESSION_ENERGY) is not None


async def test_combi_takes_a_typed_steam_rating(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A combi also gets the steam generator; a typed value with a comma counts."""
    result = await _choose(hass, init_integration, "fenix-combi-0002")
    assert _schema_keys(result) == [CONF_HEATER_POWER, CONF_STEAMER_POWER]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEATER_POWER: "9", CONF_STEAMER_POWER: "2,4 kW"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options[CONF_RATINGS] == {
        "fenix-combi-0002": {CONF_HEATER_POWER: 9.0, CONF_STEAMER_POWER: 2.4}
    }
    assert hass.states.get(COMBI_STEAM_POWER) is not None


@pytest.mark.parametrize("value", ["0.4", "50.1", "a lot"])
async def test_invalid_rating(
    hass: HomeAssistant, init_integration: MockConfigEntry, value: str
) -> None:
    """Out of range or not a number: the form says so and keeps the entry."""
    result = await _choose(hass, init_integration, "fenix-combi-0002")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEATER_POWER: "9", CONF_STEAMER_POWER: value}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_STEAMER_POWER: "invalid_rating"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEATER_POWER: "9", CONF_STEAMER_POWER: "2"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_bounds_accepted(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """0.5 and 50 kW are the edges of what is taken."""
    result = await _choose(hass, init_integration, "fenix-combi-0002")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEATER_POWER: "50", CONF_STEAMER_POWER: "0.5"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_RATINGS]["fenix-combi-0002"] == {
        CONF_HEATER_POWER: 50.0,
        CONF_STEAMER_POWER: 0.5,
    }


async def test_clearing_removes_entities(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
    entity_registry: er.EntityRegistry,
) -> None:
    """Unset ratings: the form suggests the current ones; clearing drops the sensors."""
    hass.config_entries.async_update_entry(
        config_entry,
        options={
            CONF_RATINGS: {
                "fenix-dry-0001": {CONF_HEATER_POWER: 8.0},
                "generic-0003": {CONF_HEATER_POWER: 6.8, CONF_STEAMER_POWER: 3.0},
            }
        },
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get(HEATER_ENERGY) is not None

    result = await _choose(hass, config_entry, "generic-0003")
    schema = result["data_schema"].schema
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema
        if key.description
    }
    assert suggested == {CONF_HEATER_POWER: "6.8", CONF_STEAMER_POWER: "3"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEATER_POWER: "6.8"}
    )
    await hass.async_block_till_done()
    assert config_entry.options[CONF_RATINGS]["generic-0003"] == {
        CONF_HEATER_POWER: 6.8
    }

    result = await _choose(hass, config_entry, "fenix-dry-0001")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert "fenix-dry-0001" not in config_entry.options[CONF_RATINGS]
    assert entity_registry.async_get(HEATER_ENERGY) is None
    assert entity_registry.async_get(LAST_SESSION_ENERGY) is None
    assert hass.states.get(HEATER_ENERGY) is None
    assert entity_registry.async_get("sensor.spa_estimated_heater_energy") is not None
    assert (
        entity_registry.async_get("sensor.spa_estimated_steam_generator_energy") is None
    )


@pytest.fixture
def one_controller(cloud: HarviaCloud, account: Account) -> dict[str, SimDevice]:
    """A dry heater and a SaunaSensor."""
    return {
        "fenix": cloud.add_device(
            account, "fenix", name="Home Sauna", device_id="fenix-dry-0001"
        ),
        "sensor": cloud.add_device(
            account, "sauna_sensor", name="Sensor", device_id="sensor-0004"
        ),
    }


async def test_one_controller_skips_the_choice(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    one_controller: dict[str, SimDevice],
    device_registry: dr.DeviceRegistry,
) -> None:
    """With one heater the flow opens on its ratings, by the name the owner gave."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    device = next(
        device
        for device in dr.async_entries_for_config_entry(
            device_registry, config_entry.entry_id
        )
        if (DOMAIN, "fenix-dry-0001") in device.identifiers
    )
    device_registry.async_update_device(device.id, name_by_user="Lakeside sauna")
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["step_id"] == "ratings"
    assert result["description_placeholders"] == {"controller": "Lakeside sauna"}


async def test_only_a_sensor(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    account: Account,
    config_entry: MockConfigEntry,
) -> None:
    """An account with only a SaunaSensor has nothing to rate."""
    cloud.add_device(account, "sauna_sensor", name="Sensor", device_id="sensor-0004")
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_heaters"


async def test_not_loaded(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    """The devices are only known while the entry runs."""
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_controller_gone_meanwhile(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """A controller removed from the account while the form is open."""
    result = await _choose(hass, init_integration, "generic-0003")
    cloud.remove_device("generic-0003")
    await async_refresh(hass, init_integration)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_HEATER_POWER: "9"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "controller_gone"
    assert init_integration.options == {}
