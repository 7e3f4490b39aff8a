"""Sensors: cabin climate, session timing, schedule and the heater's counters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import CabinStatus
from .data import HarviaConfigEntry
from .energy_sensor import async_setup_energy_sensors
from .entity import (
    HarviaEntity,
    HarviaEntityDescription,
    any_cabin,
    async_add_cabin_entities,
    is_heater_cabin,
)
from .history_sensor import async_setup_history_sensors

# Read-only: the coordinator does all the fetching.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HarviaSensorEntityDescription(HarviaEntityDescription, SensorEntityDescription):
    """Describes a Harvia sensor."""

    value_fn: Callable[[CabinStatus], StateType | datetime]


SENSORS: tuple[HarviaSensorEntityDescription, ...] = (
    HarviaSensorEntityDescription(
        key="temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        exists_fn=any_cabin,
        value_fn=lambda status: status.current_temperature,
    ),
    HarviaSensorEntityDescription(
        key="humidity",
        device_class=SensorDeviceClass.HUMIDITY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        exists_fn=any_cabin,
        value_fn=lambda status: status.current_humidity,
    ),
    HarviaSensorEntityDescription(
        key="time_to_target",
        translation_key="time_to_target",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        value_fn=lambda status: status.time_to_target,
    ),
    HarviaSensorEntityDescription(
        key="remaining_time",
        translation_key="remaining_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        value_fn=lambda status: status.remaining_time,
    ),
    HarviaSensorEntityDescription(
        key="panel_temperature",
        translation_key="panel_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda status: status.panel_temperature,
    ),
    HarviaSensorEntityDescription(
        key="signal_strength",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda status: status.signal_strength,
    ),
    HarviaSensorEntityDescription(
        key="total_sessions",
        translation_key="total_sessions",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda status: status.total_sessions,
    ),
    HarviaSensorEntityDescription(
        key="total_bathing_hours",
        translation_key="total_bathing_hours",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda status: status.total_bathing_hours,
    ),
    HarviaSensorEntityDescription(
        key="total_hours",
        translation_key="total_hours",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda status: status.total_hours,
    ),
    # The panel's timer: unknown while no start is scheduled (cleared at ignition).
    HarviaSensorEntityDescription(
        key="scheduled_start",
        translation_key="scheduled_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda status: status.timer_start,
    ),
    HarviaSensorEntityDescription(
        key="ready_at",
        translation_key="ready_at",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda status: status.timer_ready,
    ),
    HarviaSensorEntityDescription(
        key="external_temperature",
        translation_key="external_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        # Only controllers with an external sensor input report it.
        exists_fn=lambda data, cabin: (
            is_heater_cabin(data, cabin)
            and cabin.status.ext_sensor_temperature is not None
        ),
        value_fn=lambda status: status.ext_sensor_temperature,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up sensors for every cabin, and for cabins that appear later."""
    async_add_cabin_entities(entry, async_add_entities, SENSORS, HarviaSensor)
    async_setup_history_sensors(entry, async_add_entities)
    async_setup_energy_sensors(entry, async_add_entities)


class HarviaSensor(HarviaEntity, SensorEntity):
    """A measurement or counter of one cabin."""

    entity_description: HarviaSensorEntityDescription

    @property
    def native_value(self) -> StateType | datetime:
        """The value, None (unknown) when the cabin does not report it."""
        return self.entity_description.value_fn(self.status)
