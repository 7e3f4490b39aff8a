"""Home Assistant loads every translation and names the entities with it."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.const import DOMAIN
from custom_components.harvia.energy import (
    CONF_HEATER_POWER,
    CONF_RATINGS,
    CONF_STEAMER_POWER,
)
from harvia_simulator import SimDevice
from tests.test_translations import LANGUAGE_FILES, flatten, load

from .conftest import async_settle_push

CATEGORIES = ("config", "options", "entity", "exceptions", "issues", "services")
# Rated heaters (and the combi's steam generator) add the estimated power and
# energy sensors, so every entity name in the files has an entity to name.
RATINGS = {
    CONF_RATINGS: {
        "fenix-dry-0001": {CONF_HEATER_POWER: 10.5},
        "fenix-combi-0002": {CONF_HEATER_POWER: 9.0, CONF_STEAMER_POWER: 2.2},
    }
}


@pytest.mark.usefixtures("init_integration")
async def test_every_language_loads(hass: HomeAssistant) -> None:
    """Home Assistant's translation loader returns each file's strings as written."""
    for language in LANGUAGE_FILES:
        strings = flatten(load(language))
        for category in CATEGORIES:
            loaded = await async_get_translations(hass, language, category, {DOMAIN})
            expected = {
                f"component.{DOMAIN}.{key}": text
                for key, text in strings.items()
                if key.startswith(f"{category}.")
            }
            assert expected, (language, category)
            assert loaded == expected, (language, category)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("language", ["de", "zh-Hans"])
async def test_entities_named_in_the_configured_language(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
    language: str,
) -> None:
    """With Home Assistant set to a language, every named entity uses its file."""
    hass.config.language = language
    hass.config_entries.async_update_entry(config_entry, options=RATINGS)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_settle_push(hass, config_entry)

    names = load(language)["entity"]
    checked = set()
    for entry in er.async_entries_for_config_entry(
        entity_registry, config_entry.entry_id
    ):
        if entry.translation_key is None:
            continue  # named by its device class
        name = names[entry.domain][entry.translation_key]["name"]
        state = hass.states.get(entry.entity_id)
        assert state is not None, entry.entity_id
        assert state.attributes["friendly_name"].endswith(f" {name}"), (
            entry.entity_id,
            state.attributes["friendly_name"],
        )
        checked.add(f"{entry.domain}.{entry.translation_key}")
    # Every entity name in the file belongs to an entity the simulator's devices have.
    assert checked == {
        f"{domain}.{key}" for domain, entities in names.items() for key in entities
    }
