"""Buttons of a controller: restart it, cancel its running firmware install.

Home Assistant's update entity has no way to cancel an install, so the cloud's
``devicesOtaUpdatesCancel`` is a button of its own, available only while the
controller's update entity follows an install (it ends when the cloud reports
the install cancelled).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import CommandType
from .const import DOMAIN, SIGNAL_INSTALLING
from .coordinator import HarviaCoordinator
from .data import HarviaConfigEntry
from .entity import HarviaControllerEntity
from .errors import cloud_action
from .firmware import HarviaOtaCoordinator
from .state import DeviceData

# Commands are serialized by the cloud; never send two at once.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class HarviaButtonEntityDescription(ButtonEntityDescription):
    """Describes a button of a controller."""

    exists_fn: Callable[[DeviceData], bool]
    # Whether it can be pressed now, beyond the controller being reachable.
    usable_fn: Callable[[HarviaButton], bool] = lambda _: True
    press_fn: Callable[[HarviaButton], Awaitable[None]]


async def _restart(button: HarviaButton) -> None:
    """Restart the controller (it goes offline for a moment)."""
    async with cloud_action(button.coordinator.config_entry):
        await button.coordinator.client.send_command(
            button.device_id, None, CommandType.RESTART, True, params={}
        )


async def _cancel_install(button: HarviaButton) -> None:
    """Ask the cloud to cancel the running install; its progress feed ends it."""
    async with cloud_action(button.coordinator.config_entry):
        cancelled = await button.coordinator.client.cancel_ota(button.device_id)
    if not cancelled:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="update_not_cancelled"
        )


BUTTONS: tuple[HarviaButtonEntityDescription, ...] = (
    HarviaButtonEntityDescription(
        key="restart",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        exists_fn=lambda data: data.device.capabilities.supports(CommandType.RESTART),
        press_fn=_restart,
    ),
    HarviaButtonEntityDescription(
        key="cancel_update",
        translation_key="cancel_update",
        entity_category=EntityCategory.CONFIG,
        # Every controller has a firmware entity; the button comes with it.
        exists_fn=lambda _: True,
        usable_fn=lambda button: button.device_id in button.catalogue.installing,
        press_fn=_cancel_install,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up buttons per controller, now and for controllers added later."""
    coordinator = entry.runtime_data.coordinator
    catalogue = entry.runtime_data.firmware
    known: set[tuple[str, str]] = set()

    @callback
    def _add_new() -> None:
        # A controller that left the account took its entities along.
        known.intersection_update(k for k in known if k[0] in coordinator.data)
        new: list[HarviaButton] = []
        for device_id, data in coordinator.data.items():
            for description in BUTTONS:
                key = (device_id, description.key)
                if key in known or not description.exists_fn(data):
                    continue
                known.add(key)
                new.append(HarviaButton(coordinator, catalogue, device_id, description))
        if new:
            async_add_entities(new)

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class HarviaButton(HarviaControllerEntity, ButtonEntity):
    """A button of one controller."""

    entity_description: HarviaButtonEntityDescription
    catalogue: HarviaOtaCoordinator

    def __init__(
        self,
        coordinator: HarviaCoordinator,
        catalogue: HarviaOtaCoordinator,
        device_id: str,
        description: HarviaButtonEntityDescription,
    ) -> None:
        """Initialize the button of one controller."""
        super().__init__(coordinator, device_id)
        self.entity_description = description
        self.catalogue = catalogue
        self._attr_unique_id = f"{device_id}_{description.key}"

    async def async_added_to_hass(self) -> None:
        """Follow firmware installs starting and ending."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_INSTALLING.format(self.coordinator.config_entry.entry_id),
                self._async_installing_changed,
            )
        )

    @callback
    def _async_installing_changed(self, device_id: str) -> None:
        if device_id == self.device_id:
            self.async_write_ha_state()

    @property
    def available(self) -> bool:
        """Pressable while the controller is reachable (and the button applies)."""
        return (
            super().available
            and (data := self.device_data) is not None
            and data.online
            and self.entity_description.usable_fn(self)
        )

    async def async_press(self) -> None:
        """Send the button's command once."""
        await self.entity_description.press_fn(self)
