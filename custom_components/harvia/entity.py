"""Base entity for Harvia cabins and controllers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from homeassistant.core import callback
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import CabinStatus, CommandType
from .coordinator import CabinData, DeviceData, HarviaCoordinator
from .data import HarviaConfigEntry
from .device_info import cabin_device_info, controller_device_info


def is_heater_cabin(data: DeviceData, _: CabinData) -> bool:
    """A cabin with a heater (not a telemetry-only sensor)."""
    return not data.device.capabilities.telemetry_only


# What a cabin that left the data reports: nothing.
UNKNOWN_STATUS = CabinStatus.from_payloads({}, {}, None)


class CommandDescription(Protocol):
    """An entity description whose entity sends one command type."""

    @property
    def command(self) -> CommandType:
        """The command the entity sends."""

    @property
    def exists_fn(self) -> Callable[[DeviceData, CabinData], bool]:
        """Where the entity applies."""


def command_entity_exists(
    description: CommandDescription, data: DeviceData, cabin: CabinData
) -> bool:
    """Where the description applies and the device type accepts its command."""
    return description.exists_fn(data, cabin) and data.device.capabilities.supports(
        description.command
    )


def _has_cabin(coordinator: HarviaCoordinator, device_id: str, cabin_id: str) -> bool:
    data = coordinator.data.get(device_id)
    return data is not None and cabin_id in data.cabins


def async_add_cabin_entities[D: EntityDescription](
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Iterable[D],
    entity_class: Callable[[HarviaCoordinator, CabinData, D], HarviaEntity],
    exists: Callable[[D, DeviceData, CabinData], bool],
) -> None:
    """Add an entity per cabin and description now and whenever one appears."""
    coordinator = entry.runtime_data.coordinator
    descriptions = tuple(descriptions)
    known: set[tuple[str, str, str]] = set()

    @callback
    def _add_new() -> None:
        # Entities of a cabin that left went with its device; should it come
        # back, it gets new ones.
        known.intersection_update(
            key for key in known if _has_cabin(coordinator, key[0], key[1])
        )
        new: list[HarviaEntity] = []
        for data in coordinator.data.values():
            for cabin in data.cabins.values():
                for description in descriptions:
                    key = (cabin.device_id, cabin.cabin_id, description.key)
                    if key in known or not exists(description, data, cabin):
                        continue
                    known.add(key)
                    new.append(entity_class(coordinator, cabin, description))
        if new:
            async_add_entities(new)

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class HarviaEntity(CoordinatorEntity[HarviaCoordinator]):
    """An entity of one cabin (or of a single-cabin controller)."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: HarviaCoordinator,
        cabin: CabinData,
        description: EntityDescription,
    ) -> None:
        """Initialize the entity for one cabin."""
        super().__init__(coordinator)
        self.entity_description = description
        self.device_id = cabin.device_id
        self.cabin_id = cabin.cabin_id
        self.shadow_id = cabin.shadow_id
        self._attr_unique_id = f"{cabin.device_id}_{cabin.cabin_id}_{description.key}"
        data = coordinator.data[cabin.device_id]
        if len(data.cabins) > 1:
            self._attr_device_info = cabin_device_info(
                coordinator.hass, coordinator.config_entry.entry_id, data.device, cabin
            )
        else:
            self._attr_device_info = controller_device_info(data)

    @property
    def device_data(self) -> DeviceData | None:
        """The controller's data, None once it left the account."""
        return self.coordinator.data.get(self.device_id)

    @property
    def cabin(self) -> CabinData | None:
        """This cabin's data, None once it is gone."""
        if (data := self.device_data) is None:
            return None
        return data.cabins.get(self.cabin_id)

    @property
    def status(self) -> CabinStatus:
        """The cabin's merged status; an empty one (all unknown) once it is gone.

        Home Assistant reads capability attributes of unavailable entities too.
        """
        cabin = self.cabin
        return cabin.status if cabin is not None else UNKNOWN_STATUS

    @property
    def available(self) -> bool:
        """Available while poll or push delivers and the device is online."""
        cabin = self.cabin
        return (
            self.coordinator.data_fresh
            and cabin is not None
            and cabin.status.connected is not False
        )
