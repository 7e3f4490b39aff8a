"""Session history of every heater cabin of an entry, kept across restarts.

One :class:`~.sessions.SessionTracker` per cabin is fed from the coordinator;
what it notices goes to the cabin's event entity and history sensors through
the dispatcher. Refused starts (from the climate entity) go the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .energy import Ratings, cabin_power
from .sessions import Sample, SessionEvent, SessionEventType, SessionTracker

if TYPE_CHECKING:
    from .coordinator import HarviaCoordinator
    from .data import HarviaConfigEntry
    from .state import CabinData

STORAGE_VERSION: Final = 1
# Store writes are coalesced; a running session is saved this often at most.
SAVE_DELAY: Final = timedelta(seconds=30)

# Per cabin (entry id, device id, cabin id): a SessionEvent happened.
SIGNAL_SESSION_EVENT: Final = f"{DOMAIN}_session_event_{{}}_{{}}_{{}}"
# Per cabin: the history changed (sensors re-read it).
SIGNAL_HISTORY_UPDATED: Final = f"{DOMAIN}_history_updated_{{}}_{{}}_{{}}"

# Why a start was refused: the translation key of the error raised for it.
# These three are the ones an owner meets; any other failure is "failed".
REFUSAL_REASONS: Final = frozenset(
    {"remote_start_not_allowed", "license_required", "device_unavailable"}
)
REFUSAL_FAILED: Final = "failed"


def _store_key(entry_id: str) -> str:
    return f"{DOMAIN}.{entry_id}.sessions"


async def async_remove_history(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored history of a removed entry."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, _store_key(entry_id)
    ).async_remove()


class HarviaHistory:
    """Session trackers of an entry's heater cabins, stored per entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HarviaConfigEntry,
        coordinator: HarviaCoordinator,
    ) -> None:
        """Initialize; call :meth:`async_load` before use."""
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self._store = Store[dict[str, Any]](
            hass, STORAGE_VERSION, _store_key(entry.entry_id)
        )
        self._stored: dict[str, Any] = {}
        self._trackers: dict[tuple[str, str], SessionTracker] = {}

    async def async_load(self) -> None:
        """Read what was stored and start following the coordinator."""
        stored = await self._store.async_load()
        cabins = stored.get("cabins") if isinstance(stored, dict) else None
        self._stored = cabins if isinstance(cabins, dict) else {}
        entry = self.entry
        entry.async_on_unload(self.coordinator.async_add_listener(self._async_update))
        entry.async_on_unload(
            async_track_time_change(
                self.hass, self._async_new_day, hour=0, minute=0, second=0
            )
        )
        entry.async_on_unload(self._async_save_on_unload)
        self._async_update()

    def tracker(self, device_id: str, cabin_id: str) -> SessionTracker:
        """The cabin's tracker (restored on first use)."""
        key = (device_id, cabin_id)
        if (tracker := self._trackers.get(key)) is None:
            stored = self._stored.get(device_id, {})
            tracker = SessionTracker(
                stored.get(cabin_id) if isinstance(stored, dict) else None
            )
            self._trackers[key] = tracker
        return tracker

    def ratings(self, device_id: str) -> Ratings:
        """The rated powers the owner set for a controller."""
        return Ratings.from_options(self.entry.options, device_id)

    def sample(self, cabin: CabinData) -> Sample:
        """What the cabin's data says now; unknown while nothing delivers."""
        status = cabin.status
        if not self.coordinator.data_fresh or status.connected is False:
            return Sample(running=None)
        return Sample(
            running=status.is_heating,
            temperature=status.current_temperature,
            target_temperature=status.target_temperature,
            power=cabin_power(status, self.ratings(cabin.device_id)),
            on_time=status.on_time,
        )

    @callback
    def _async_update(self) -> None:
        now = dt_util.now()
        changed = False
        for data in (self.coordinator.data or {}).values():
            if data.device.capabilities.telemetry_only:
                continue
            for cabin in data.cabins.values():
                tracker = self.tracker(cabin.device_id, cabin.cabin_id)
                before = tracker.as_dict()
                for event in tracker.update(now, self.sample(cabin)):
                    self._async_send_event(cabin.device_id, cabin.cabin_id, event)
                if tracker.as_dict() != before:
                    changed = True
                    self._async_tell(cabin.device_id, cabin.cabin_id)
        if changed:
            self._store.async_delay_save(self._data_to_save, SAVE_DELAY.total_seconds())

    @callback
    def _async_new_day(self, _now: datetime) -> None:
        """Sessions today start again from 0."""
        for device_id, cabin_id in self._trackers:
            self._async_tell(device_id, cabin_id)

    @callback
    def _async_tell(self, device_id: str, cabin_id: str) -> None:
        async_dispatcher_send(
            self.hass,
            SIGNAL_HISTORY_UPDATED.format(self.entry.entry_id, device_id, cabin_id),
        )

    @callback
    def _async_send_event(
        self, device_id: str, cabin_id: str, event: SessionEvent
    ) -> None:
        async_dispatcher_send(
            self.hass,
            SIGNAL_SESSION_EVENT.format(self.entry.entry_id, device_id, cabin_id),
            event,
        )

    @callback
    def async_start_refused(
        self, device_id: str, cabin_id: str, error: HomeAssistantError
    ) -> None:
        """Tell the cabin's event entity that a start was refused, and why."""
        key = error.translation_key
        reason = key if key in REFUSAL_REASONS else REFUSAL_FAILED
        self._async_send_event(
            device_id,
            cabin_id,
            SessionEvent(SessionEventType.SESSION_REFUSED, {"reason": reason}),
        )

    def _data_to_save(self) -> dict[str, Any]:
        cabins: dict[str, dict[str, Any]] = {
            device_id: dict(cabins)
            for device_id, cabins in self._stored.items()
            if isinstance(cabins, dict)
        }
        for (device_id, cabin_id), tracker in self._trackers.items():
            cabins.setdefault(device_id, {})[cabin_id] = tracker.as_dict()
        return {"cabins": cabins}

    async def _async_save_on_unload(self) -> None:
        """Write now: a delayed write would outlive the entry."""
        await self._store.async_save(self._data_to_save())


@contextmanager
def start_refusals(
    entry: HarviaConfigEntry, device_id: str, cabin_id: str, start: bool = True
) -> Iterator[None]:
    """Announce a failed session start on the cabin's event entity, then raise.

    ``start`` False (a stop) announces nothing.
    """
    try:
        yield
    except HomeAssistantError as err:
        if start:
            entry.runtime_data.history.async_start_refused(device_id, cabin_id, err)
        raise
