"""Coordinator: one per Harvia account, holding every device and cabin."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypedDict

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    CabinStatus,
    Device,
    HarviaAuthenticationError,
    HarviaClient,
    HarviaError,
    HarviaParseError,
    merge_payload,
)
from .api.realtime import (
    HarviaRealtime,
    OtaEvent,
    RealtimeEvent,
    StateEvent,
    TelemetryEvent,
)
from .const import DOMAIN, LOGGER, PUSH_SAFETY_INTERVAL, SCAN_INTERVAL, SIGNAL_OTA_STATE

type HarviaConfigEntry = ConfigEntry[HarviaCoordinator]

# The classic shadow (SaunaSensor) has no cabin id.
CLASSIC = "classic"
# A panel applies a profile change 10-15 s after the write; give up waiting after this.
PROFILE_APPLY_TIMEOUT = timedelta(seconds=60)


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
        return None if self.cabin_id == CLASSIC else self.cabin_id


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
        self.realtime: HarviaRealtime | None = None
        self._merged_during_poll: list[tuple[str, str, _Partial]] | None = None
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
        self._merged_during_poll = []
        try:
            devices = await self.client.get_devices()
            result: dict[str, DeviceData] = {}
            for device in devices:
                result[device.device_id] = await self._async_fetch_device(device)
        except HarviaAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except HarviaError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        finally:
            merged_during_poll, self._merged_during_poll = (
                self._merged_during_poll,
                None,
            )
        # What was pushed (or commanded) while the poll ran is newer than its reads.
        for device_id, cabin_id, partial in merged_during_poll or ():
            if (device_data := result.get(device_id)) and (
                cabin := device_data.cabins.get(cabin_id)
            ):
                device_data.cabins[cabin_id] = cabin.merged(**partial)
        self._async_check_pending_profiles(result)
        self._catch_up = False
        if self.data:
            self._async_remove_stale_devices(set(self.data) - set(result))
        return result

    async def _async_fetch_device(self, device: Device) -> DeviceData:
        """Read state (and, without push, telemetry) of every cabin of one device."""
        sensor = device.capabilities.telemetry_only
        known = self.data.get(device.device_id) if self.data else None
        telemetry: dict[str, dict[str, Any]] = {}
        if self.push_connected and not self._catch_up and known is not None:
            # Telemetry arrives by push (every 15 min even when idle): only the
            # shadow is read, as a safety net.
            telemetry = {k: cabin.telemetry for k, cabin in known.cabins.items()}
        else:
            for item in await self.client.get_latest_measurements(device.device_id):
                telemetry[self._cabin_of(device, item.sub_id)] = dict(item.raw)
        if sensor:
            cabin_ids = [CLASSIC]
        else:
            cabin_ids = sorted({"C1"} | {c for c in telemetry if c != CLASSIC})
        cabins: dict[str, CabinData] = {}
        for cabin_id in cabin_ids:
            shadow_id = None if cabin_id == CLASSIC else cabin_id
            try:
                state = await self.client.get_cabin_state(device.device_id, shadow_id)
            except HarviaParseError:
                # A malformed shadow: keep what we had; its entities show unknown.
                LOGGER.debug("Ignoring a malformed state of a %s cabin", device.type)
                previous = self._previous_cabin(device.device_id, cabin_id)
                reported, connected = (
                    (previous.reported, previous.connected) if previous else ({}, None)
                )
            else:
                reported, connected = dict(state.reported), state.connected
            cabins[cabin_id] = CabinData.build(
                device.device_id,
                cabin_id,
                reported,
                telemetry.get(cabin_id, {}),
                connected,
                device.has_steamer,
            )
        return DeviceData(device=device, cabins=cabins)

    @staticmethod
    def _cabin_of(device: Device, sub_id: str | None) -> str:
        """The cabin a payload belongs to."""
        # A sensor has one (classic) shadow, whatever subId its telemetry names.
        if device.capabilities.telemetry_only or not sub_id:
            return CLASSIC if device.capabilities.telemetry_only else "C1"
        return sub_id

    def _async_remove_stale_devices(self, removed: set[str]) -> None:
        """Devices gone from the account leave the device registry."""
        if not removed:
            return
        registry = dr.async_get(self.hass)
        for entry in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            if any(
                domain == DOMAIN
                and (identifier in removed or identifier.rsplit("_", 1)[0] in removed)
                for domain, identifier in entry.identifiers
            ):
                registry.async_update_device(
                    entry.id, remove_config_entry_id=self.config_entry.entry_id
                )

    @callback
    def async_handle_push(self, event: RealtimeEvent) -> None:
        """Merge a realtime push into the data and tell the entities at once."""
        if not self.data or (device := self.data.get(event.device_id)) is None:
            return
        if isinstance(event, StateEvent):
            cabin_id = (
                CLASSIC
                if device.device.capabilities.telemetry_only
                else event.shadow_name or "C1"
            )
            self.async_merge_cabin(
                event.device_id,
                cabin_id,
                reported=event.reported,
                connected=event.connected,
            )
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

    def _previous_cabin(self, device_id: str, cabin_id: str) -> CabinData | None:
        if self.data and (device := self.data.get(device_id)):
            return device.cabins.get(cabin_id)
        return None

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
        if self._merged_during_poll is not None:
            self._merged_during_poll.append((device_id, cabin_id, partial))
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
            await self.async_set_profile(key[0], key[1], profile)
        except HarviaError as err:
            # Nobody waits for this call any more: say it in the log.
            LOGGER.warning("Could not change the sauna's profile: %s", err)
            self.async_update_listeners()

    async def async_set_profile(
        self, device_id: str, cabin_id: str, profile: int
    ) -> None:
        """Change the active profile, one write at a time.

        A panel drops a profile change that arrives while the previous one is still
        being applied, so a second request waits for the first to land.
        """
        key = (device_id, cabin_id)
        if (pending := self.pending_profiles.get(key)) is not None:
            pending.queued = profile
            self.async_update_listeners()
            return
        shadow_id = None if cabin_id == CLASSIC else cabin_id
        await self.client.set_profile(device_id, shadow_id, profile)
        self.pending_profiles[key] = PendingProfile(
            profile=profile, sent_at=dt_util.utcnow()
        )
        self.async_update_listeners()
