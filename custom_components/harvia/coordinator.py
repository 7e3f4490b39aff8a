"""Coordinator: one per Harvia account; schedules reads and tells the entities.

What a poll reads is in ``poll.py``; what the data becomes (merges, reads
racing pushes, profile changes in flight) in ``state.py``; what follows a
command in ``commands.py``. This module decides when to poll, listens for
pushes, and keeps the device registry current.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import Device, HarviaAuthenticationError, HarviaClient, HarviaError
from .api.realtime import (
    TELEMETRY_FEED,
    HarviaRealtime,
    OtaEvent,
    RealtimeEvent,
    StateEvent,
    TelemetryEvent,
)
from .commands import HarviaCommands
from .compat import async_remove_entry_device
from .const import DOMAIN, LOGGER, PUSH_SAFETY_INTERVAL, SCAN_INTERVAL, SIGNAL_OTA_STATE
from .device_info import controller_device_info, registry_identifiers
from .poll import Poll, async_read_telemetry
from .state import AccountData, CabinKey, StateStore, cabin_of, shadow_of
from .watchdog import SILENCE_LIMIT, Findings, Watchdog, expects_telemetry

if TYPE_CHECKING:
    from .data import HarviaConfigEntry

# Push that stays away this long is worth a warning (a short drop is not).
PUSH_LOSS_WARNING: Final = timedelta(minutes=10)
# While push is healthy, how often the watchdog looks for silent feeds.
WATCH_INTERVAL: Final = timedelta(minutes=1)


def wall_clock() -> float:
    """Home Assistant's clock, for token expiry."""
    return dt_util.utcnow().timestamp()


class HarviaCoordinator(DataUpdateCoordinator[AccountData]):
    """Polls the Harvia cloud; pushes and commands merge into the same data."""

    config_entry: HarviaConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: HarviaConfigEntry, client: HarviaClient
    ) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=SCAN_INTERVAL,
        )
        self.client = client
        self.state = StateStore(dt_util.utcnow)
        # True while the realtime sockets are connected and subscribed.
        self.push_connected = False
        # Pushes sent before the subscriptions stood are lost: read all once.
        self._catch_up = True
        self.realtime = HarviaRealtime(
            client,
            on_event=self.async_handle_push,
            on_status=self.async_set_push_status,
            time_func=hass.loop.time,
            wall_time_func=wall_clock,
        )
        # What follows the entities' commands.
        self.commands = HarviaCommands(self)
        self._push_was_lost = False
        self._push_warning: CALLBACK_TYPE | None = None
        # Notices silent feeds while push is healthy (see watchdog.py).
        self.watchdog = Watchdog(hass.loop.time)
        self._watch: CALLBACK_TYPE | None = None
        self._listening = False
        # Set when the first poll has read the account.
        self._first_read = asyncio.Event()
        self.polls = 0

    @property
    def data_fresh(self) -> bool:
        """Whether either path (poll or push) currently delivers."""
        return self.last_update_success or self.push_connected

    # -- polling -------------------------------------------------------------------

    async def async_catch_up(self) -> None:
        """Read every device's state and telemetry, whatever the push delivers."""
        self._catch_up = True
        await self.async_refresh()

    async def _async_catch_up_later(self) -> None:
        """Catch up once the first poll has its result (polls never overlap)."""
        await self._first_read.wait()
        await self.async_catch_up()

    async def _async_update_data(self) -> AccountData:
        self.polls += 1
        # Taken at the start: a catch-up asked for during this poll waits for the next.
        catch_up, self._catch_up = self._catch_up, False
        poll = Poll(
            client=self.client,
            store=self.state,
            known=self.data,
            telemetry_pushed=lambda device_id: (
                not catch_up and self._telemetry_pushed(device_id)
            ),
            devices_listed=self.async_devices_listed,
        )
        try:
            result = await poll.async_read()
        except HarviaAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except HarviaError as err:
            self._catch_up |= catch_up
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.commands.async_send_queued_profiles(
            self.state.settle_profiles(result, dt_util.utcnow())
        )
        self.state.note_online(result, poll.unreadable)
        self._first_read.set()
        self.watchdog.forget(result)
        self._async_sync_device_registry(result)
        return result

    def _telemetry_pushed(self, device_id: str) -> bool:
        """Whether this device's telemetry arrives by push right now."""
        return self.push_connected and self.realtime.is_subscribed(
            device_id, TELEMETRY_FEED.field
        )

    def _async_sync_device_registry(self, result: AccountData) -> None:
        """Controllers registered (and kept current); devices gone removed."""
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        # Controllers first: cabins of a multi-cabin controller link to them.
        for data in result.values():
            registry.async_get_or_create(
                config_entry_id=entry_id, **controller_device_info(data)
            )
        wanted = set().union(*(registry_identifiers(d) for d in result.values()))
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            ours = {i for domain, i in device.identifiers if domain == DOMAIN}
            if ours and not ours & wanted:
                async_remove_entry_device(registry, device, entry_id)

    # -- push ------------------------------------------------------------------------

    @callback
    def async_devices_listed(self, devices: list[Device]) -> None:
        """Start the push listener at the first device list.

        Its subscriptions come up while the first poll still reads: with many
        saunas both take about as long (issue 7 §5), and what is pushed
        meanwhile is re-applied to the poll's result.
        """
        if self._listening:
            return
        self._listening = True
        self.config_entry.async_create_background_task(
            self.hass,
            self.async_listen([device.device_id for device in devices]),
            f"{DOMAIN} realtime push",
        )

    async def async_listen(self, device_ids: list[str]) -> None:
        """Receive pushes until the entry unloads (which cancels this task)."""
        try:
            await self.realtime.run(device_ids)
        except HarviaAuthenticationError:
            LOGGER.warning("The Harvia cloud rejected the credentials for push updates")
            self.async_set_push_status(False)
            self.config_entry.async_start_reauth(self.hass)
        except Exception:  # noqa: BLE001 - whatever ended it, polling must take over
            # Never leave push marked healthy behind a dead listener.
            LOGGER.exception("Harvia push updates stopped unexpectedly")
            self.async_set_push_status(False)

    @callback
    def async_handle_push(self, event: RealtimeEvent) -> None:
        """Merge a realtime push into the data and tell the entities at once."""
        if not self.data or (device := self.data.get(event.device_id)) is None:
            return
        if isinstance(event, StateEvent):
            key = (event.device_id, cabin_of(device.device, event.shadow_name))
            self.watchdog.state_pushed(key)
            self.async_merge_cabin(
                key,
                reported=event.reported,
                connected=event.connected,
                state_push=True,
            )
        elif isinstance(event, TelemetryEvent):
            key = (event.device_id, cabin_of(device.device, event.telemetry.sub_id))
            cabin = device.cabins.get(key[1])
            known = cabin.telemetry if cabin is not None else {}
            if self.watchdog.telemetry(key, event.telemetry.raw, known):
                LOGGER.info("Telemetry of %s arrives by push again", device.name)
            self.async_merge_cabin(key, telemetry=dict(event.telemetry.raw))
        elif isinstance(event, OtaEvent):
            async_dispatcher_send(
                self.hass,
                SIGNAL_OTA_STATE.format(self.config_entry.entry_id),
                event.ota,
            )

    @callback
    def async_set_push_status(self, connected: bool) -> None:
        """Relax the poll while push is healthy; poll at pace while it is down."""
        if connected == self.push_connected:
            return
        self.push_connected = connected
        self._cancel_push_warning()
        self._cancel_watch()
        if connected:
            self.update_interval = PUSH_SAFETY_INTERVAL
            # The catch-up read below reads what the feeds did not deliver.
            self.watchdog.restart()
            self._watch = async_track_time_interval(
                self.hass, self._async_watch, WATCH_INTERVAL
            )
            self._catch_up = True
            if self._push_was_lost:
                LOGGER.info("Harvia push updates are back; polling relaxes")
            # What changed before the subscriptions stood was not pushed.
            if not self._first_read.is_set():
                # Subscribed during the first poll: catch up after it (and
                # never, should it fail and the setup with it).
                self.config_entry.async_create_background_task(
                    self.hass, self._async_catch_up_later(), f"{DOMAIN} catch-up"
                )
            else:
                self.config_entry.async_create_task(
                    self.hass, self.async_catch_up(), f"{DOMAIN} catch-up poll"
                )
        else:
            self.update_interval = SCAN_INTERVAL
            self._push_was_lost = True
            LOGGER.info(
                "Harvia push updates were lost; polling every %s until they are back",
                _in_words(SCAN_INTERVAL),
            )
            self._push_warning = async_call_later(
                self.hass, PUSH_LOSS_WARNING, self._async_warn_push_down
            )
            # Catch up on what the push would have said, on the normal pace.
            self.config_entry.async_create_task(
                self.hass, self.async_request_refresh(), f"{DOMAIN} poll"
            )
        self.async_update_listeners()

    # -- watchdog ----------------------------------------------------------------------

    @callback
    def _async_watch(self, _now: datetime) -> None:
        """Read what the watchdog finds the feeds did not deliver."""
        if not self.data:
            return
        expected = [d for d, data in self.data.items() if expects_telemetry(data)]
        findings = self.watchdog.check(expected, self.realtime)
        for device_id in findings.silenced:
            LOGGER.info(
                "No telemetry from %s by push for %s; reading it and subscribing again",
                self.data[device_id].name,
                _in_words(timedelta(seconds=SILENCE_LIMIT)),
            )
        if findings:
            self.config_entry.async_create_task(
                self.hass, self._async_read(findings), f"{DOMAIN} watchdog read"
            )

    async def _async_read(self, findings: Findings) -> None:
        """Read the telemetry and shadows a check asked for, and merge them."""
        for device_id in findings.telemetry:
            if (device := self.data.get(device_id)) is None:
                continue
            try:
                telemetry = await async_read_telemetry(self.client, device)
            except HarviaError as err:
                LOGGER.debug("Could not read the telemetry of %s: %s", device.name, err)
                continue
            for cabin_id, data in telemetry.items():
                self.async_merge_cabin((device_id, cabin_id), telemetry=data)
        for key in findings.shadows:
            await self.async_read_shadow(key)

    async def async_read_shadow(self, key: CabinKey) -> None:
        """Read one cabin's state (what its state feed may have missed)."""
        if not self.data or (device := self.data.get(key[0])) is None:
            return
        mark = self.state.mark
        self.watchdog.shadow_read(key)
        try:
            state = await self.client.get_cabin_state(key[0], shadow_of(key[1]))
        except HarviaError as err:
            LOGGER.debug("Could not read the state of %s: %s", device.name, err)
            return
        # A state pushed during the read is newer than what was read.
        if not self.state.state_pushed_after(key, mark):
            self.async_merge_cabin(
                key, reported=dict(state.reported), connected=state.connected
            )

    @callback
    def _cancel_watch(self) -> None:
        if self._watch is not None:
            self._watch()
            self._watch = None

    @callback
    def _async_warn_push_down(self, _now: datetime) -> None:
        self._push_warning = None
        LOGGER.warning(
            "Harvia push updates have been down for %s; polling every %s until "
            "they are back",
            _in_words(PUSH_LOSS_WARNING),
            _in_words(SCAN_INTERVAL),
        )

    @callback
    def _cancel_push_warning(self) -> None:
        if self._push_warning is not None:
            self._push_warning()
            self._push_warning = None

    # -- merges ------------------------------------------------------------------------

    @callback
    def async_merge_cabin(
        self,
        key: CabinKey,
        *,
        reported: dict[str, Any] | None = None,
        telemetry: dict[str, Any] | None = None,
        connected: bool | None = None,
        state_push: bool = False,
        command: bool = False,
    ) -> None:
        """Merge a partial payload into one cabin and tell the entities."""
        merged = self.state.merge(
            self.data,
            key,
            {"reported": reported, "telemetry": telemetry, "connected": connected},
            state_push=state_push,
            command=command,
        )
        if merged is None:
            return
        self.data = merged
        self.commands.async_send_queued_profiles(
            self.state.settle_profiles(merged, dt_util.utcnow())
        )
        if connected is not None:
            self.state.note_online(merged)
        # Not async_set_updated_data: that would push the next poll back, and a
        # safety-net poll must still happen while pushes keep arriving.
        self.async_update_listeners()

    async def async_shutdown(self) -> None:
        """Cancel pending confirmation checks and the push warning with the entry."""
        self.commands.async_cancel()
        self._cancel_push_warning()
        self._cancel_watch()
        await super().async_shutdown()


def _in_words(interval: timedelta) -> str:
    """An interval as a person says it: "2 minutes", not "0:02:00"."""
    minutes = round(interval.total_seconds() / 60)
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
