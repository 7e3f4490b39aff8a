"""Coordinator: one per Harvia account, holding every device and cabin."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .actions import cloud_action
from .api import (
    CabinStatus,
    Device,
    HarviaAuthenticationError,
    HarviaClient,
    HarviaError,
    HarviaNotFoundError,
    HarviaParseError,
    merge_payload,
)
from .api.realtime import (
    TELEMETRY_FEED,
    HarviaRealtime,
    OtaEvent,
    RealtimeEvent,
    StateEvent,
    TelemetryEvent,
)
from .compat import async_remove_entry_device
from .const import DOMAIN, LOGGER, PUSH_SAFETY_INTERVAL, SCAN_INTERVAL, SIGNAL_OTA_STATE
from .device_info import controller_device_info, registry_identifiers

if TYPE_CHECKING:
    from .data import HarviaConfigEntry

# The classic shadow (SaunaSensor) has no cabin id.
CLASSIC = "classic"
# A panel applies a profile change 10-15 s after the write; give up waiting after this.
PROFILE_APPLY_TIMEOUT = timedelta(seconds=60)
# A device pushes what a command changed within seconds; past this, read it.
CONFIRM_WITHIN = timedelta(seconds=30)


def shadow_of(cabin_id: str) -> str | None:
    """The sub-shadow to address in API calls (None for the classic one)."""
    return None if cabin_id == CLASSIC else cabin_id


class _Partial(TypedDict):
    """A partial payload for CabinData.merged."""

    reported: dict[str, Any] | None
    telemetry: dict[str, Any] | None
    connected: bool | None


@dataclass(frozen=True, kw_only=True)
class CabinData:
    """Raw payloads of one cabin and the status derived from them."""

    device_id: str
    cabin_id: str
    reported: dict[str, Any]
    telemetry: dict[str, Any]
    connected: bool | None
    has_steamer: bool | None
    status: CabinStatus

    @classmethod
    def build(
        cls,
        device_id: str,
        cabin_id: str,
        reported: dict[str, Any],
        telemetry: dict[str, Any],
        connected: bool | None,
        has_steamer: bool | None = None,
    ) -> CabinData:
        """Derive the status once, where the raw payloads change."""
        return cls(
            device_id=device_id,
            cabin_id=cabin_id,
            reported=reported,
            telemetry=telemetry,
            connected=connected,
            has_steamer=has_steamer,
            status=CabinStatus.from_payloads(
                reported, telemetry, connected, has_steamer=has_steamer
            ),
        )

    def merged(
        self,
        *,
        reported: dict[str, Any] | None = None,
        telemetry: dict[str, Any] | None = None,
        connected: bool | None = None,
    ) -> CabinData:
        """Merge a partial payload (push or commanded state), never replacing."""
        return CabinData.build(
            self.device_id,
            self.cabin_id,
            merge_payload(self.reported, reported) if reported else self.reported,
            merge_payload(self.telemetry, telemetry) if telemetry else self.telemetry,
            self.connected if connected is None else connected,
            self.has_steamer,
        )

    @property
    def shadow_id(self) -> str | None:
        """The sub-shadow to address in API calls (None for the classic one)."""
        return shadow_of(self.cabin_id)


@dataclass(frozen=True, kw_only=True)
class DeviceData:
    """One controller (or sensor) of the account and its cabins."""

    device: Device
    cabins: dict[str, CabinData] = field(default_factory=dict)


@dataclass(kw_only=True)
class PendingProfile:
    """A profile change sent to the panel and not yet applied."""

    profile: int
    sent_at: datetime
    queued: int | None = None


def wall_clock() -> float:
    """Home Assistant's clock, for token expiry."""
    return dt_util.utcnow().timestamp()


class HarviaCoordinator(DataUpdateCoordinator[dict[str, DeviceData]]):
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
        self.pending_profiles: dict[tuple[str, str], PendingProfile] = {}
        # True while the realtime sockets are connected and subscribed.
        self.push_connected = False
        # Pushes sent before the subscriptions stood are lost: read all once.
        self._catch_up = True
        # The push listener; it runs from __init__.async_setup_entry.
        self.realtime = HarviaRealtime(
            client,
            on_event=self.async_handle_push,
            on_status=self.async_set_push_status,
            time_func=hass.loop.time,
            wall_time_func=wall_clock,
        )
        # Confirmation checks after commands, and the last state push per cabin.
        self._confirmations: dict[tuple[str, str], CALLBACK_TYPE] = {}
        self._state_pushed: dict[tuple[str, str], int] = {}
        # Every merge is numbered; a poll re-applies those after its reads.
        self._merge_mark = 0
        self._merged_during_poll: list[tuple[int, str, str, _Partial]] | None = None
        self._read_marks: dict[tuple[str, str], tuple[int, int]] = {}
        self._push_was_lost = False
        self.polls = 0

    async def async_refresh_all(self) -> None:
        """Read every device's state and telemetry, whatever the push delivers."""
        self._catch_up = True
        await self.async_refresh()

    @property
    def data_fresh(self) -> bool:
        """Whether either path (poll or push) currently delivers."""
        return self.last_update_success or self.push_connected

    async def _async_update_data(self) -> dict[str, DeviceData]:
        self.polls += 1
        # Taken at the start: a catch-up asked for during this poll waits for the next.
        catch_up, self._catch_up = self._catch_up, False
        self._merged_during_poll = []
        self._read_marks = {}
        try:
            result: dict[str, DeviceData] = {}
            for device in await self.client.get_devices():
                try:
                    result[device.device_id] = await self._async_fetch_device(
                        device, catch_up=catch_up
                    )
                except (HarviaNotFoundError, HarviaParseError) as err:
                    # One device the cloud cannot answer for: keep what we had.
                    LOGGER.debug("Keeping the last data of a %s (%s)", device.type, err)
                    if self.data and device.device_id in self.data:
                        result[device.device_id] = self.data[device.device_id]
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
        finally:
            merged, self._merged_during_poll = self._merged_during_poll, None
        self._reapply_newer(result, merged or [])
        self._async_check_pending_profiles(result)
        self._async_sync_device_registry(result)
        return result

    def _reapply_newer(
        self,
        result: dict[str, DeviceData],
        merged: list[tuple[int, str, str, _Partial]],
    ) -> None:
        """Re-apply what was pushed (or commanded) after a cabin's reads."""
        for mark, device_id, cabin_id, partial in merged:
            device_data = result.get(device_id)
            cabin = device_data.cabins.get(cabin_id) if device_data else None
            read = self._read_marks.get((device_id, cabin_id))
            if device_data is None or cabin is None or read is None:
                continue
            state_read, telemetry_read = read
            newer: _Partial = {
                "reported": partial["reported"] if mark > state_read else None,
                "connected": partial["connected"] if mark > state_read else None,
                "telemetry": partial["telemetry"] if mark > telemetry_read else None,
            }
            device_data.cabins[cabin_id] = cabin.merged(**newer)

    async def _async_fetch_device(
        self, device: Device, *, catch_up: bool
    ) -> DeviceData:
        """Read state (and, without push, telemetry) of every cabin of one device."""
        capabilities = device.capabilities
        known = self.data.get(device.device_id) if self.data else None
        telemetry: dict[str, dict[str, Any]] = {}
        if self._telemetry_pushed(device.device_id) and not catch_up and known:
            # Telemetry arrives by push (every 15 min even when idle): only the
            # shadow is read, as a safety net. Nothing was read: nothing is newer.
            telemetry = {k: cabin.telemetry for k, cabin in known.cabins.items()}
            telemetry_mark = -1
        else:
            for item in await self.client.get_latest_measurements(device.device_id):
                telemetry[self._cabin_of(device, item.sub_id)] = dict(item.raw)
            telemetry_mark = self._merge_mark
        if capabilities.telemetry_only:
            cabin_ids = [CLASSIC]
        else:
            default = capabilities.default_cabin or "C1"
            cabin_ids = sorted({default} | {c for c in telemetry if c != CLASSIC})
        cabins: dict[str, CabinData] = {}
        for cabin_id in cabin_ids:
            try:
                state = await self.client.get_cabin_state(
                    device.device_id, shadow_of(cabin_id)
                )
            except HarviaParseError:
                # A malformed shadow: keep what we had; its entities show unknown.
                LOGGER.debug("Ignoring a malformed state of a %s cabin", device.type)
                previous = known.cabins.get(cabin_id) if known else None
                reported, connected = (
                    (previous.reported, previous.connected) if previous else ({}, None)
                )
            else:
                reported, connected = dict(state.reported), state.connected
            self._read_marks[(device.device_id, cabin_id)] = (
                self._merge_mark,
                telemetry_mark,
            )
            cabins[cabin_id] = CabinData.build(
                device.device_id,
                cabin_id,
                reported,
                telemetry.get(cabin_id, {}),
                connected,
                device.has_steamer,
            )
        return DeviceData(device=device, cabins=cabins)

    def _telemetry_pushed(self, device_id: str) -> bool:
        """Whether this device's telemetry arrives by push right now."""
        return self.push_connected and self.realtime.is_subscribed(
            device_id, TELEMETRY_FEED.field
        )

    @staticmethod
    def _cabin_of(device: Device, sub_id: str | None) -> str:
        """The cabin a payload belongs to."""
        # A sensor has one (classic) shadow, whatever subId its telemetry names.
        if device.capabilities.telemetry_only:
            return CLASSIC
        return sub_id or device.capabilities.default_cabin or "C1"

    def _async_sync_device_registry(self, result: dict[str, DeviceData]) -> None:
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

    @callback
    def async_handle_push(self, event: RealtimeEvent) -> None:
        """Merge a realtime push into the data and tell the entities at once."""
        if not self.data or (device := self.data.get(event.device_id)) is None:
            return
        if isinstance(event, StateEvent):
            cabin_id = self._cabin_of(device.device, event.shadow_name)
            self.async_merge_cabin(
                event.device_id,
                cabin_id,
                reported=event.reported,
                connected=event.connected,
            )
            self._state_pushed[(event.device_id, cabin_id)] = self._merge_mark
        elif isinstance(event, TelemetryEvent):
            self.async_merge_cabin(
                event.device_id,
                self._cabin_of(device.device, event.telemetry.sub_id),
                telemetry=dict(event.telemetry.raw),
            )
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
        if connected:
            self.update_interval = PUSH_SAFETY_INTERVAL
            self._catch_up = True
            if self._push_was_lost:
                LOGGER.info("Harvia push updates are back; polling relaxes")
            # What changed before the subscriptions stood was not pushed.
            self.config_entry.async_create_task(
                self.hass, self.async_refresh_all(), f"{DOMAIN} catch-up poll"
            )
        else:
            self.update_interval = SCAN_INTERVAL
            self._push_was_lost = True
            LOGGER.warning(
                "Harvia push updates were lost; polling every %s until they are back",
                SCAN_INTERVAL,
            )
            # Catch up on what the push would have said, on the normal pace.
            self.config_entry.async_create_task(
                self.hass, self.async_request_refresh(), f"{DOMAIN} poll"
            )
        self.async_update_listeners()

    def async_merge_cabin(
        self,
        device_id: str,
        cabin_id: str,
        *,
        reported: dict[str, Any] | None = None,
        telemetry: dict[str, Any] | None = None,
        connected: bool | None = None,
    ) -> None:
        """Merge a partial payload into one cabin and tell the entities."""
        if not self.data or not (device := self.data.get(device_id)):
            return
        if (cabin := device.cabins.get(cabin_id)) is None:
            return
        partial: _Partial = {
            "reported": reported,
            "telemetry": telemetry,
            "connected": connected,
        }
        self._merge_mark += 1
        if self._merged_during_poll is not None:
            self._merged_during_poll.append(
                (self._merge_mark, device_id, cabin_id, partial)
            )
        cabins = {**device.cabins, cabin_id: cabin.merged(**partial)}
        self.data = {**self.data, device_id: replace(device, cabins=cabins)}
        self._async_check_pending_profiles(self.data)
        # Not async_set_updated_data: that would push the next poll back, and a
        # safety-net poll must still happen while pushes keep arriving.
        self.async_update_listeners()

    def _async_check_pending_profiles(self, data: dict[str, DeviceData]) -> None:
        """Drop pending profile changes the panel applied (or never will)."""
        now = dt_util.utcnow()
        for key, pending in list(self.pending_profiles.items()):
            device = data.get(key[0])
            cabin = device.cabins.get(key[1]) if device else None
            applied = (
                cabin is not None and cabin.status.active_profile == pending.profile
            )
            if applied or now - pending.sent_at > PROFILE_APPLY_TIMEOUT:
                del self.pending_profiles[key]
                if pending.queued is not None and pending.queued != pending.profile:
                    self.config_entry.async_create_background_task(
                        self.hass,
                        self._async_send_queued_profile(key, pending.queued),
                        f"{DOMAIN} queued profile change",
                    )

    async def _async_send_queued_profile(
        self, key: tuple[str, str], profile: int
    ) -> None:
        """Send the profile change that waited for the previous one to land."""
        try:
            # The same errors, licence repair issue included, as a user's action.
            async with cloud_action(self.config_entry):
                await self.async_set_profile(key[0], key[1], profile)
        except HomeAssistantError as err:
            # Nobody waits for this call any more: say it in the log.
            LOGGER.warning("Could not change the sauna's profile: %s", err)

    @callback
    def async_commanded(
        self,
        device_id: str,
        cabin_id: str,
        *,
        reported: dict[str, Any] | None = None,
        telemetry: dict[str, Any] | None = None,
    ) -> None:
        """Show a command's outcome now; check with the cloud if nobody confirms.

        The device pushes what a command changed. When it pushes nothing (the
        command changed nothing, or the push was lost), the cabin's state is
        read once, so the commanded state does not stay on screen unconfirmed.
        """
        self.async_merge_cabin(
            device_id, cabin_id, reported=reported, telemetry=telemetry
        )
        key = (device_id, cabin_id)
        commanded_at = self._merge_mark
        if (cancel := self._confirmations.pop(key, None)) is not None:
            cancel()

        @callback
        def _verify(_now: datetime) -> None:
            self._confirmations.pop(key, None)
            if self._state_pushed.get(key, -1) <= commanded_at:
                self.config_entry.async_create_task(
                    self.hass, self.async_request_refresh(), f"{DOMAIN} confirm"
                )

        self._confirmations[key] = async_call_later(self.hass, CONFIRM_WITHIN, _verify)

    async def async_shutdown(self) -> None:
        """Cancel pending confirmation checks with the entry."""
        for cancel in self._confirmations.values():
            cancel()
        self._confirmations.clear()
        await super().async_shutdown()

    @callback
    def async_queue_profile(self, device_id: str, cabin_id: str, profile: int) -> bool:
        """Hold a profile change back while the panel applies the previous one.

        A panel drops a profile change that arrives while the previous one is
        still being applied. Returns whether the change was queued (it is sent
        once the previous one landed).
        """
        if (pending := self.pending_profiles.get((device_id, cabin_id))) is None:
            return False
        pending.queued = profile
        self.async_update_listeners()
        return True

    async def async_set_profile(
        self, device_id: str, cabin_id: str, profile: int
    ) -> None:
        """Send a profile change now (see async_queue_profile)."""
        key = (device_id, cabin_id)
        # Pending before the write, so a request meanwhile queues behind it.
        self.pending_profiles[key] = PendingProfile(
            profile=profile, sent_at=dt_util.utcnow()
        )
        try:
            await self.client.set_profile(device_id, shadow_of(cabin_id), profile)
        except HarviaError:
            pending = self.pending_profiles.pop(key)
            if pending.queued is not None and pending.queued != profile:
                # Whatever waited behind the failed write goes next.
                self.config_entry.async_create_background_task(
                    self.hass,
                    self._async_send_queued_profile(key, pending.queued),
                    f"{DOMAIN} queued profile change",
                )
            raise
        finally:
            self.async_update_listeners()
