"""The Harvia Sauna integration."""

from __future__ import annotations

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.hass_dict import HassKey

from .api import (
    DEFAULT_ENDPOINTS_URL,
    HarviaAuthenticationError,
    HarviaClient,
    HarviaError,
)
from .const import CONF_ENDPOINTS_URL, DOMAIN, LOGGER
from .coordinator import HarviaCoordinator, wall_clock
from .data import HarviaConfigEntry, HarviaData
from .device_info import registry_identifiers
from .firmware import HarviaOtaCoordinator
from .history import HarviaHistory, async_remove_history
from .services import async_setup_services

# The clients of unloaded entries, for async_remove_entry to revoke their session.
UNLOADED_CLIENTS: HassKey[dict[str, HarviaClient]] = HassKey(f"{DOMAIN}_unloaded")

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CLIMATE,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, whatever entries exist)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HarviaConfigEntry) -> bool:
    """Log in to the Harvia cloud and set up the account's devices."""
    client = HarviaClient(
        async_get_clientsession(hass),
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
        endpoints_url=entry.data.get(CONF_ENDPOINTS_URL, DEFAULT_ENDPOINTS_URL),
        time_func=wall_clock,
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

    # The first refresh also starts the push listener, as soon as it knows
    # the devices (see HarviaCoordinator.async_devices_listed).
    coordinator = HarviaCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    # Never raises: a catalogue the cloud refuses or cannot send now only
    # leaves the firmware entities without an offer.
    firmware = HarviaOtaCoordinator(hass, entry, coordinator)
    await firmware.async_refresh()
    history = HarviaHistory(hass, entry, coordinator)
    entry.runtime_data = HarviaData(
        coordinator=coordinator, firmware=firmware, history=history
    )
    await history.async_load()
    # A client kept from an earlier unload (see async_unload_entry) is done with.
    hass.data.get(UNLOADED_CLIENTS, {}).pop(entry.entry_id, None)

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    # Follow devices added to or removed from the account.
    realtime = coordinator.realtime
    entry.async_on_unload(
        coordinator.async_add_listener(lambda: realtime.set_devices(coordinator.data))
    )
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HarviaConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Let the user remove a device that is no longer on the account."""
    current = set().union(
        *(
            registry_identifiers(data)
            for data in entry.runtime_data.coordinator.data.values()
        )
    )
    return not any(
        domain == DOMAIN and identifier in current
        for domain, identifier in device_entry.identifiers
    )


async def async_unload_entry(hass: HomeAssistant, entry: HarviaConfigEntry) -> bool:
    """Unload a config entry."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    # Home Assistant drops the runtime data now; should the entry be removed
    # next, its session is revoked with this client's refresh token.
    hass.data.setdefault(UNLOADED_CLIENTS, {})[entry.entry_id] = (
        entry.runtime_data.coordinator.client
    )
    return True


async def async_remove_entry(hass: HomeAssistant, entry: HarviaConfigEntry) -> None:
    """Forget its session history; revoke its session (best effort, never blocks)."""
    await async_remove_history(hass, entry.entry_id)
    if (
        client := hass.data.get(UNLOADED_CLIENTS, {}).pop(entry.entry_id, None)
    ) is None:
        return
    # The client's request timeout bounds the wait; a failure is only logged.
    if not await client.revoke():
        LOGGER.debug("The Harvia cloud did not confirm the session's revocation")
