"""Binary sensors: heating, steam, remote start and the cloud connection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import CabinStatus, CommandType
from .data import HarviaConfigEntry
from .entity import (
    HarviaEntity,
    HarviaEntityDescription,
    any_cabin,
    async_add_cabin_entities,
    is_heater_cabin,
)
from .state import CabinData, DeviceData

# Read-only: the coordinator does all the fetching.
PARALLEL_UPDATES = 0


def _has_read_only_steamer(data: DeviceData, cabin: CabinData) -> bool:
    """A steamer the cloud cannot switch (a Fenix combi): show its state here.

    Where the device type accepts the STEAMER command, the steamer switch
    shows the same state.
    """
    return (
        is_heater_cabin(data, cabin)
        and cabin.status.has_steamer
        and not data.device.capabilities.supports(CommandType.STEAMER)
    )


@dataclass(frozen=True, kw_only=True)
class HarviaBinarySensorEntityDescription(
    HarviaEntityDescription, BinarySensorEntityDescription
):
    """Describes a Harvia binary sensor."""

    is_on_fn: Callable[[CabinStatus], bool | None]
    # Shows its state while the device is offline (instead of unavailable).
    available_offline: bool = False


BINARY_SENSORS: tuple[HarviaBinarySensorEntityDescription, ...] = (
    HarviaBinarySensorEntityDescription(
        key="remote_start_allowed",
        translation_key="remote_start_allowed",
        is_on_fn=lambda status: status.remote_allowed,
    ),
    HarviaBinarySensorEntityDescription(
        key="cloud_connection",
        translation_key="cloud_connection",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        available_offline=True,
        exists_fn=any_cabin,
        is_on_fn=lambda status: status.connected,
    ),
    HarviaBinarySensorEntityDescription(
        key="heating",
        translation_key="heating",
        # No device class: "heat" would show the session as "Hot"/"Normal".
        # A session running; waiting for a scheduled start is not heating.
        is_on_fn=lambda status: status.is_heating,
    ),
    HarviaBinarySensorEntityDescription(
        key="steam",
        translation_key="steam",
        device_class=BinarySensorDeviceClass.RUNNING,
        exists_fn=_has_read_only_steamer,
        is_on_fn=lambda status: status.steamer_on,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up binary sensors for every cabin, and for cabins that appear later."""
    async_add_cabin_entities(
        entry, async_add_entities, BINARY_SENSORS, HarviaBinarySensor
    )


class HarviaBinarySensor(HarviaEntity, BinarySensorEntity):
    """An on/off state of one cabin."""

    entity_description: HarviaBinarySensorEntityDescription

    @property
    def available(self) -> bool:
        """The connection sensor stays available (off) while the device is offline."""
        if self.entity_description.available_offline:
            return self.coordinator.data_fresh and self.cabin is not None
        return super().available

    @property
    def is_on(self) -> bool | None:
        """The state, None (unknown) when the cabin does not report it."""
        return self.entity_description.is_on_fn(self.status)
