"""Event entity per heater cabin: a session started, reached its target, ended, was refused."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import HarviaConfigEntry
from .entity import HarviaEntity, HarviaEntityDescription, async_add_cabin_entities
from .history import SIGNAL_SESSION_EVENT
from .sessions import SessionEvent, SessionEventType

# Events come from Home Assistant's own bookkeeping, never from a poll.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HarviaEventEntityDescription(HarviaEntityDescription, EventEntityDescription):
    """Describes a Harvia event entity (one per heater cabin)."""


SESSION = HarviaEventEntityDescription(
    key="session",
    translation_key="session",
    event_types=[event_type.value for event_type in SessionEventType],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a session event entity per heater cabin."""
    async_add_cabin_entities(entry, async_add_entities, [SESSION], HarviaSessionEvent)


class HarviaSessionEvent(HarviaEntity, EventEntity):
    """What happens to the cabin's sessions, for automations to trigger on."""

    entity_description: HarviaEventEntityDescription

    async def async_added_to_hass(self) -> None:
        """Listen for the cabin's session events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_SESSION_EVENT.format(
                    self.coordinator.config_entry.entry_id,
                    self.device_id,
                    self.cabin_id,
                ),
                self._async_handle_event,
            )
        )

    @property
    def available(self) -> bool:
        """Events are told while the cabin is on the account, also when it is offline.

        A start refused because the sauna did not respond is an event too.
        """
        return self.cabin is not None

    @callback
    def _async_handle_event(self, event: SessionEvent) -> None:
        self._trigger_event(event.type.value, event.attributes)
        self.async_write_ha_state()
