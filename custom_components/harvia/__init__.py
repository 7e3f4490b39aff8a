"""The Harvia Sauna integration."""

from __future__ import annotations

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    DEFAULT_ENDPOINTS_URL,
    HarviaAuthenticationError,
    HarviaClient,
    HarviaError,
)
from .const import CONF_ENDPOINTS_URL, DOMAIN
from .coordinator import HarviaConfigEntry, HarviaCoordinator
from .entity import controller_device_info

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CLIMATE,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]


async def async_setup_entry(hass: HomeAssistant, entry: HarviaConfigEntry) -> bool:
    """Log in to the Harvia cloud and set up the account's devices."""
    client = HarviaClient(
        async_get_clientsession(hass),
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
        endpoints_url=entry.data.get(CONF_ENDPOINTS_URL, DEFAULT_ENDPOINTS_URL),
    )
    try:
        await client.login()
    except HarviaAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except HarviaError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err

    coordinator = HarviaCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator

    # Controllers first: cabins of a multi-cabin controller link to them.
    device_registry = dr.async_get(hass)
    for data in coordinator.data.values():
        device_registry.async_get_or_create(
            config_entry_id=entry.entry_id, **controller_device_info(data)
        )

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HarviaConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
