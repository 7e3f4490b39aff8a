"""Base entity for Harvia cabins and controllers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import CabinStatus, CommandType
from .const import DOMAIN
from .coordinator import HarviaCoordinator
from .data import HarviaConfigEntry
from .device_info import cabin_device_info, controller_identifier
from .state import CabinData, DeviceData


def is_heater_cabin(data: DeviceData, _: CabinData) -> bool:
    """A cabin with a heater (not a telemetry-only sensor)."""
    return not data.device.capabilities.telemetry_only


def any_cabin(_data: DeviceData, _cabin: CabinData) -> bool:
    """Every cabin, the sensor's included."""
    return True


# What a cabin that left the data reports: nothing.
UNKNOWN_STATUS = CabinStatus.from_payloads({}, {}, None)


@dataclass(frozen=True, kw_only=True)
class HarviaEntityDescription(EntityDescription):
    """Describes an entity of a cabin.

    It exists where ``exists_fn`` holds and, for one that sends ``command``,
    where the device type accepts that command.
    """

    exists_fn: Callable[[DeviceData, CabinData], bool] = is_heater_cabin
    command: CommandType | None = None

    def exists(self, data: DeviceData, cabin: CabinData) -> bool:
        """Whether the entity applies to this cabin."""
        return self.exists_fn(data, cabin) and (
            self.command is None or data.device.capabilities.supports(self.command)
        )


def _has_cabin(coordinator: HarviaCoordinator, device_id: str, cabin_id: str) -> bool:
    data = coordinator.data.get(device_id)
    return data is not None and cabin_id in data.cabins


def async_add_cabin_entities[D: HarviaEntityDescription](
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Iterable[D],
    entity_class: Callable[[HarviaCoordinator, CabinData, D], HarviaEntity],
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
                    if key in known or not description.exists(data, cabin):
                        continue
                    known.add(key)
                    new.append(entity_class(coordinator, cabin, description))
        if new:
            async_add_entities(new)

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class HarviaControllerEntity(CoordinatorEntity[HarviaCoordinator]):
    """An entity of a whole controller (its firmware, say)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: HarviaCoordinator, device_id: str) -> None:
        """Initialize the entity for one controller."""
        super().__init__(coordinator)
        self.device_id = device_id

    @property
    def device_info(self) -> DeviceInfo:
        """A link to the controller, which the coordinator registers in full.

        Built when asked (once, as the entity is added): with many saunas a
        copy kept per entity would add up.
        """
        return DeviceInfo(identifiers={(DOMAIN, controller_identifier(self.device_id))})

    @property
    def device_data(self) -> DeviceData | None:
        """The controller's data, None once it left the account."""
        return self.coordinator.data.get(self.device_id)

    @property
    def available(self) -> bool:
        """Available while poll or push delivers and the controller is in the account."""
        return self.coordinator.data_fresh and self.device_data is not None


class HarviaEntity(HarviaControllerEntity):
    """An entity of one cabin (a single-cabin controller is its cabin)."""

    def __init__(
        self,
        coordinator: HarviaCoordinator,
        cabin: CabinData,
        description: HarviaEntityDescription,
    ) -> None:
        """Initialize the entity for one cabin."""
        super().__init__(coordinator, cabin.device_id)
        self.entity_description = description
        self.cabin_id = cabin.cabin_id
        self.shadow_id = cabin.shadow_id
        self._attr_unique_id = f"{cabin.device_id}_{cabin.cabin_id}_{description.key}"
        self._own_device = len(coordinator.data[cabin.device_id].cabins) > 1

    @property
    def device_info(self) -> DeviceInfo:
        """The controller, or this cabin's own device on a multi-cabin controller."""
        if not self._own_device or (data := self.device_data) is None:
            return super().device_info
        cabin = data.cabins.get(self.cabin_id)
        if cabin is None:
            return super().device_info
        return cabin_device_info(
            self.coordinator.hass,
            self.coordinator.config_entry.entry_id,
            data.device,
            cabin,
        )

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
