"""Estimated power and energy sensors of a rated heater and steam generator.

They exist for a controller once its owner set a rated power in the options;
energy integrates the estimated power over time and is restored after a
restart, so it feeds the Energy dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import CabinStatus
from .const import DOMAIN
from .coordinator import HarviaCoordinator
from .data import HarviaConfigEntry
from .energy import EnergyMeter, Ratings, estimated_power, heater_on, steamer_on
from .entity import (
    HarviaEntity,
    HarviaEntityDescription,
    async_add_cabin_entities,
    is_heater_cabin,
)
from .state import CabinData, DeviceData

# The energy grows this often while an output is on (and at every update).
METER_INTERVAL: Final = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class HarviaEnergySensorEntityDescription(
    HarviaEntityDescription, SensorEntityDescription
):
    """Describes the estimated power or energy of one rated output."""

    on_fn: Callable[[CabinStatus], bool | None]
    rating_fn: Callable[[Ratings], float | None]


def _power(
    key: str,
    on_fn: Callable[[CabinStatus], bool | None],
    rating_fn: Callable[[Ratings], float | None],
) -> HarviaEnergySensorEntityDescription:
    return HarviaEnergySensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        on_fn=on_fn,
        rating_fn=rating_fn,
    )


def _energy(
    key: str,
    on_fn: Callable[[CabinStatus], bool | None],
    rating_fn: Callable[[Ratings], float | None],
) -> HarviaEnergySensorEntityDescription:
    return HarviaEnergySensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        on_fn=on_fn,
        rating_fn=rating_fn,
    )


def _heater(ratings: Ratings) -> float | None:
    return ratings.heater


def _steamer(ratings: Ratings) -> float | None:
    return ratings.steamer


POWER_SENSORS: Final = (
    _power("heater_power", heater_on, _heater),
    _power("steamer_power", steamer_on, _steamer),
)
ENERGY_SENSORS: Final = (
    _energy("heater_energy", heater_on, _heater),
    _energy("steamer_energy", steamer_on, _steamer),
)


def where_rated[D: HarviaEntityDescription](
    entry: HarviaConfigEntry,
    description: D,
    rating_fn: Callable[[Ratings], float | None],
) -> D:
    """The description, existing for heater cabins whose output the owner rated."""

    def exists(data: DeviceData, cabin: CabinData) -> bool:
        ratings = Ratings.from_options(entry.options, data.device.device_id)
        return is_heater_cabin(data, cabin) and rating_fn(ratings) is not None

    return replace(description, exists_fn=exists)


@callback
def async_remove_unrated(
    entry: HarviaConfigEntry, descriptions: Iterable[HarviaEntityDescription]
) -> None:
    """Remove registry entries of sensors that no longer exist (rating unset)."""
    coordinator = entry.runtime_data.coordinator
    registry = er.async_get(coordinator.hass)
    for data in coordinator.data.values():
        for cabin in data.cabins.values():
            for description in descriptions:
                if description.exists(data, cabin):
                    continue
                unique_id = f"{cabin.device_id}_{cabin.cabin_id}_{description.key}"
                entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
                if entity_id is not None:
                    registry.async_remove(entity_id)


@callback
def async_setup_energy_sensors(
    entry: HarviaConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the sensors of rated outputs; drop those whose rating was unset."""
    power = [where_rated(entry, d, d.rating_fn) for d in POWER_SENSORS]
    energy = [where_rated(entry, d, d.rating_fn) for d in ENERGY_SENSORS]
    async_remove_unrated(entry, [*power, *energy])
    async_add_cabin_entities(entry, async_add_entities, power, HarviaPowerSensor)
    async_add_cabin_entities(entry, async_add_entities, energy, HarviaEnergySensor)


class _RatedSensor(HarviaEntity):
    """A sensor of one rated output of a cabin."""

    entity_description: HarviaEnergySensorEntityDescription

    @property
    def power(self) -> float | None:
        """The output's estimated power (W) now; None when unknown."""
        if not self.available:
            return None
        rating = self.entity_description.rating_fn(
            Ratings.from_options(self.coordinator.config_entry.options, self.device_id)
        )
        return estimated_power(self.entity_description.on_fn(self.status), rating)


class HarviaPowerSensor(_RatedSensor, SensorEntity):
    """The estimated power of a heater or steam generator."""

    entity_description: HarviaEnergySensorEntityDescription

    @property
    def native_value(self) -> float | None:
        """Rated power while the output is on, 0 while it is off."""
        return self.power


class HarviaEnergySensor(_RatedSensor, RestoreSensor):
    """The estimated energy a heater or steam generator used, restored on restart."""

    entity_description: HarviaEnergySensorEntityDescription

    def __init__(
        self,
        coordinator: HarviaCoordinator,
        cabin: CabinData,
        description: HarviaEnergySensorEntityDescription,
    ) -> None:
        """Initialize with an empty meter; the restored total comes when added."""
        super().__init__(coordinator, cabin, description)
        self._meter = EnergyMeter()

    async def async_added_to_hass(self) -> None:
        """Continue from the last total, and count while the output is on."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float | Decimal):
            self._meter = EnergyMeter(float(last.native_value))
        self._meter.update(dt_util.utcnow(), self.power)
        self.async_on_remove(
            async_track_time_interval(self.hass, self._async_tick, METER_INTERVAL)
        )

    @callback
    def _async_tick(self, _now: datetime | None = None) -> None:
        self._meter.update(dt_util.utcnow(), self.power)
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._async_tick()

    @property
    def native_value(self) -> float:
        """The estimated kWh so far (Wh resolution)."""
        return round(self._meter.kwh, 3)
