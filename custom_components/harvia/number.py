"""Number: the session duration of a cabin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import DEFAULT_MAX_ON_TIME, CabinStatus, CommandType, optimistic
from .const import DOMAIN
from .data import HarviaConfigEntry
from .entity import HarviaEntity, HarviaEntityDescription, async_add_cabin_entities
from .errors import cloud_action
from .validation import max_session_minutes, session_minutes

# Commands are serialized by the cloud; never send two at once.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class HarviaNumberEntityDescription(HarviaEntityDescription, NumberEntityDescription):
    """Describes a Harvia number: ``command`` is sent with ``{param: value}``."""

    command: CommandType
    param: str
    value_fn: Callable[[CabinStatus], float | None]
    max_value_fn: Callable[[CabinStatus], float]
    # What the device reports once it applied the value.
    optimistic_fn: Callable[[CabinStatus, int], optimistic.Patch]


NUMBERS: tuple[HarviaNumberEntityDescription, ...] = (
    HarviaNumberEntityDescription(
        key="session_duration",
        translation_key="session_duration",
        device_class=NumberDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        native_min_value=1,
        native_max_value=DEFAULT_MAX_ON_TIME,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        # Fenix panels reject ADJUST_DURATION: no number there.
        command=CommandType.ADJUST_DURATION,
        param="duration",
        value_fn=session_minutes,
        max_value_fn=max_session_minutes,
        optimistic_fn=optimistic.duration,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up numbers for every cabin, and for cabins that appear later."""
    async_add_cabin_entities(entry, async_add_entities, NUMBERS, HarviaNumber)


class HarviaNumber(HarviaEntity, NumberEntity):
    """A setting of one cabin that the cloud changes by command."""

    entity_description: HarviaNumberEntityDescription

    @property
    def native_max_value(self) -> float:
        """The panel's upper bound (asked for even while unavailable)."""
        if (cabin := self.cabin) is None:
            return super().native_max_value
        return self.entity_description.max_value_fn(cabin.status)

    @property
    def native_value(self) -> float | None:
        """The value, None (unknown) when the cabin does not report it."""
        return self.entity_description.value_fn(self.status)

    async def async_set_native_value(self, value: float) -> None:
        """Send the new value once; show it until the cloud reports."""
        if not math.isfinite(value):
            # Home Assistant's range check lets NaN through.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_number",
                translation_placeholders={"value": str(value)},
            )
        number = round(value)
        status = self.status
        async with cloud_action(self.coordinator.config_entry):
            await self.coordinator.client.send_command(
                self.device_id,
                self.shadow_id,
                self.entity_description.command,
                True,
                params={self.entity_description.param: number},
            )
        self.coordinator.commands.async_commanded(
            self.device_id,
            self.cabin_id,
            **self.entity_description.optimistic_fn(status, number),
        )
