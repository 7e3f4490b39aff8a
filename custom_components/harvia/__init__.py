"""The Harvia Sauna integration."""

from __future__ import annotations

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import (
    DEFAULT_ENDPOINTS_URL,
    HarviaAuthenticationError,
    HarviaClient,
    HarviaError,
)
from .api.realtime import HarviaRealtime
from .const import CONF_ENDPOINTS_URL, DOMAIN, LOGGER
from .coordinator import HarviaCoordinator, wall_clock
from .data import HarviaConfigEntry, HarviaData
from .device_info import registry_identifiers
from .firmware import HarviaOtaCoordinator
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CLIMATE,
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

    coordinator = HarviaCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    # Never raises: a catalogue the cloud refuses or cannot send now only
    # leaves the firmware entities without an offer.
    firmware = HarviaOtaCoordinator(hass, entry, coordinator)
    await firmware.async_refresh()
    realtime = coordinator.realtime
    entry.runtime_data = HarviaData(
        client=client, coordinator=coordinator, firmware=firmware, realtime=realtime
    )

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    # Follow devices added to or removed from the account.
    entry.async_on_unload(
        coordinator.async_add_listener(lambda: realtime.set_devices(coordinator.data))
    )
    entry.async_create_background_task(
        hass, _async_listen(entry, realtime), f"{DOMAIN} realtime push"
    )
    return True


async def _async_listen(entry: HarviaConfigEntry, realtime: HarviaRealtime) -> None:
    """Receive pushes until the entry unloads (which cancels this task)."""
    coordinator = entry.runtime_data.coordinator
    try:
        await realtime.run(coordinator.data)
    except HarviaAuthenticationError:
        LOGGER.warning("The Harvia cloud rejected the credentials for push updates")
        coordinator.async_set_push_status(False)
        entry.async_start_reauth(coordinator.hass)
    except Exception:  # noqa: BLE001 - whatever ended it, polling must take over
        # Never leave push marked healthy behind a dead listener.
        LOGGER.exception("Harvia push updates stopped unexpectedly")
        coordinator.async_set_push_status(False)


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
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
