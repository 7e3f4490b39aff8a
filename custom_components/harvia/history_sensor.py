"""Session history sensors: the last session's figures and the day's sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfTemperature, UnitOfTime
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .data import HarviaConfigEntry
from .energy import Ratings
from .energy_sensor import async_remove_unrated, where_rated
from .entity import HarviaEntity, HarviaEntityDescription, async_add_cabin_entities
from .history import SIGNAL_HISTORY_UPDATED
from .sessions import SessionTracker

type HistoryValue = float | int | datetime | None


@dataclass(frozen=True, kw_only=True)
class HarviaHistorySensorEntityDescription(
    HarviaEntityDescription, SensorEntityDescription
):
    """Describes a figure of a cabin's session history."""

    value_fn: Callable[[SessionTracker, date], HistoryValue]
    # Only where the heater is rated: the figure is an estimate from it.
    needs_rating: bool = False


def _duration(tracker: SessionTracker, _today: date) -> HistoryValue:
    last = tracker.last
    return round(last.duration.total_seconds() / 60) if last else None


HISTORY_SENSORS: Final = (
    HarviaHistorySensorEntityDescription(
        key="last_session_start",
        translation_key="last_session_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda tracker, _today: tracker.last_start,
    ),
    HarviaHistorySensorEntityDescription(
        key="last_session_duration",
        translation_key="last_session_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        value_fn=_duration,
    ),
    HarviaHistorySensorEntityDescription(
        key="last_session_highest_temperature",
        translation_key="last_session_highest_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        value_fn=lambda tracker, _today: (
            tracker.last.highest_temperature if tracker.last else None
        ),
    ),
    HarviaHistorySensorEntityDescription(
        key="last_session_energy",
        translation_key="last_session_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        needs_rating=True,
        value_fn=lambda tracker, _today: (
            round(tracker.last.energy, 3)
            if tracker.last and tracker.last.energy is not None
            else None
        ),
    ),
    HarviaHistorySensorEntityDescription(
        key="sessions_today",
        translation_key="sessions_today",
        # A daily count: its drop at midnight is a reset.
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda tracker, today: tracker.sessions_on(today),
    ),
)


def _heater(ratings: Ratings) -> float | None:
    return ratings.heater


@callback
def async_setup_history_sensors(
    entry: HarviaConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the history sensors of every heater cabin."""
    descriptions = [
        where_rated(entry, d, _heater) if d.needs_rating else d for d in HISTORY_SENSORS
    ]
    async_remove_unrated(entry, [d for d in descriptions if d.needs_rating])
    async_add_cabin_entities(
        entry, async_add_entities, descriptions, HarviaHistorySensor
    )


class HarviaHistorySensor(HarviaEntity, SensorEntity):
    """A figure of the cabin's session history (kept by Home Assistant)."""

    entity_description: HarviaHistorySensorEntityDescription

    async def async_added_to_hass(self) -> None:
        """Follow the cabin's history."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_HISTORY_UPDATED.format(
                    self.coordinator.config_entry.entry_id,
                    self.device_id,
                    self.cabin_id,
                ),
                self.async_write_ha_state,
            )
        )

    @property
    def available(self) -> bool:
        """The history is Home Assistant's own: known while the cabin is."""
        return self.cabin is not None

    @property
    def native_value(self) -> HistoryValue:
        """The figure, None (unknown) before the first session."""
        tracker = self.coordinator.config_entry.runtime_data.history.tracker(
            self.device_id, self.cabin_id
        )
        return self.entity_description.value_fn(tracker, dt_util.now().date())
