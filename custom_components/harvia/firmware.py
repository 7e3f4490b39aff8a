"""Firmware: what updates the cloud offers, and an install being followed.

The cloud's firmware catalogue (``otaUpdatesList``) changes rarely, so it is read
at setup and then once a day by a small coordinator of its own, shared by
the account's controllers (see the update platform). An install's progress
records (``otaUpdatesStatesList`` and the realtime OTA feed) are tracked here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from awesomeversion import AwesomeVersion, AwesomeVersionException
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .api import (
    Device,
    HarviaAuthenticationError,
    HarviaConnectionError,
    HarviaError,
    OtaState,
    OtaStatus,
    OtaUpdate,
)
from .const import DOMAIN, LOGGER, SIGNAL_INSTALLING

if TYPE_CHECKING:
    from .coordinator import HarviaCoordinator
    from .data import HarviaConfigEntry

# How often the firmware catalogue is read, and how soon again after it could not be.
CATALOGUE_INTERVAL: Final = timedelta(hours=24)
CATALOGUE_RETRY_INTERVAL: Final = timedelta(minutes=30)

# An install that has not finished after this is given up on.
INSTALL_TIMEOUT: Final = timedelta(minutes=30)
# After the cloud reports an install done, how often the device state is read
# until it shows the new version.
DONE_REFRESH: Final = timedelta(minutes=1)

type CatalogueKey = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class OtaCatalogue:
    """What the cloud offers one device type and hardware version."""

    updates: tuple[OtaUpdate, ...] = ()
    # The cloud refused to list updates for this account (not a network failure).
    refused: bool = False


def catalogue_key(device: Device) -> CatalogueKey | None:
    """The catalogue a device's updates are listed in (None: unknown type)."""
    if not device.type:
        return None
    return (device.type, device.hw_version)


# Every update entity compares the same few versions on each state write.
@lru_cache(maxsize=128)
def parse_version(value: str | None) -> AwesomeVersion | None:
    """A comparable version, None when the text is not a version."""
    if not value:
        return None
    version = AwesomeVersion(value)
    return version if version.valid else None


def is_newer(candidate: str | None, installed: str | None) -> bool:
    """Whether ``candidate`` is a newer version than ``installed``.

    An unknown installed version makes any known candidate newer; versions that
    cannot be compared never are.
    """
    if (new := parse_version(candidate)) is None:
        return False
    if installed is None:
        return True
    if (old := parse_version(installed)) is None:
        return False
    try:
        return bool(new > old)
    except AwesomeVersionException:
        return False


def newest_update(updates: Iterable[OtaUpdate], device: Device) -> OtaUpdate | None:
    """The newest enabled, non-beta update for this device's type and hardware."""
    return _newest(updates, device.type, device.hw_version)


def newest_in_catalogue(
    updates: Iterable[OtaUpdate], key: CatalogueKey
) -> OtaUpdate | None:
    """The newest enabled, non-beta update a catalogue offers its devices."""
    return _newest(updates, *key)


def _newest(
    updates: Iterable[OtaUpdate], device_type: str | None, hw_version: str | None
) -> OtaUpdate | None:
    """The newest enabled, non-beta update for a device type and hardware."""
    best: OtaUpdate | None = None
    for update in updates:
        if update.enabled is not True or update.beta_testing is True:
            continue
        if (
            update.device_type
            and device_type
            and update.device_type.casefold() != device_type.casefold()
        ):
            continue
        if update.hw_version and hw_version and update.hw_version != hw_version:
            continue
        if parse_version(update.firmware_version) is None:
            continue
        if best is None or is_newer(update.firmware_version, best.firmware_version):
            best = update
    return best


@dataclass(kw_only=True, slots=True)
class Install:
    """A firmware install being followed (started here, or found running)."""

    version: str
    started: datetime
    progress: int | None = None
    # The cloud reported it running: a later DONE/CANCELLED without a version is ours.
    seen_running: bool = False
    # When the device state was last read for the new version, after DONE.
    refreshed: datetime | None = None

    def is_current(self, state: OtaState) -> bool:
        """Whether a progress record is about this install, not an earlier one."""
        if state.update_firmware_version is not None:
            return state.update_firmware_version == self.version
        return state.update_state == OtaStatus.IN_PROGRESS or self.seen_running

    def record(self, state: OtaState) -> None:
        """Take the progress of a record about this install."""
        if state.update_state == OtaStatus.IN_PROGRESS:
            self.seen_running = True
            if state.progress_percent is not None:
                self.progress = max(0, min(100, state.progress_percent))
        elif state.update_state == OtaStatus.DONE:
            self.progress = 100

    def timed_out(self, now: datetime) -> bool:
        """Whether the install ran longer than any install should."""
        return now - self.started > INSTALL_TIMEOUT

    def wants_refresh(self, now: datetime) -> bool:
        """After DONE: whether to read the device state for the new version now."""
        if self.refreshed is not None and now - self.refreshed < DONE_REFRESH:
            return False
        self.refreshed = now
        return True


class HarviaOtaCoordinator(DataUpdateCoordinator[dict[CatalogueKey, OtaCatalogue]]):
    """Reads the firmware catalogue for the account's device types, rarely."""

    config_entry: HarviaConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HarviaConfigEntry,
        coordinator: HarviaCoordinator,
    ) -> None:
        """Initialize the catalogue coordinator."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} firmware",
            update_interval=CATALOGUE_INTERVAL,
            always_update=False,
        )
        # The device coordinator: which devices there are, and the client.
        self.device_coordinator = coordinator
        # Catalogues asked for at least once (successfully or not).
        self.attempted: set[CatalogueKey] = set()
        # Controllers whose firmware install runs (as their update entity follows it).
        self.installing: set[str] = set()
        # The account's running installs, being read for whoever asks meanwhile.
        self._running_read: asyncio.Future[list[OtaState]] | None = None

    @callback
    def async_set_installing(self, device_id: str, running: bool) -> None:
        """Record that a controller's install started or ended, and say so."""
        if (device_id in self.installing) == running:
            return
        if running:
            self.installing.add(device_id)
        else:
            self.installing.discard(device_id)
        async_dispatcher_send(
            self.hass, SIGNAL_INSTALLING.format(self.config_entry.entry_id), device_id
        )

    async def async_running_installs(self) -> list[OtaState]:
        """The account's installs running now (raises what the cloud raised).

        The cloud lists every controller's in one answer: the update entities
        added together at setup share one read instead of one each.
        """
        if self._running_read is None:
            self._running_read = self.hass.async_create_task(
                self.device_coordinator.client.get_ota_states(only_active=True),
                f"{DOMAIN} running firmware installs",
            )
            self._running_read.add_done_callback(self._running_read_done)
        return await asyncio.shield(self._running_read)

    def _running_read_done(self, read: asyncio.Future[list[OtaState]]) -> None:
        # Whoever asks later reads afresh. A failure was raised to each asker.
        self._running_read = None
        if not read.cancelled():
            read.exception()

    def wanted_keys(self) -> set[CatalogueKey]:
        """The catalogues of the devices the account has now."""
        return {
            key
            for data in (self.device_coordinator.data or {}).values()
            if (key := catalogue_key(data.device)) is not None
        }

    async def _async_update_data(self) -> dict[CatalogueKey, OtaCatalogue]:
        """Read every catalogue; a failed read keeps the last one it had.

        Never raises: a refusal (the account may not list updates) is recorded per
        catalogue, a network failure shortens the wait until the next attempt.
        """
        previous = self.data or {}
        result: dict[CatalogueKey, OtaCatalogue] = {}
        failed = False
        for key in sorted(self.wanted_keys(), key=lambda k: (k[0], k[1] or "")):
            device_type, hw_version = key
            self.attempted.add(key)
            try:
                updates = await self.device_coordinator.client.get_ota_updates(
                    device_type, hw_version
                )
            except (HarviaConnectionError, HarviaAuthenticationError) as err:
                # Transient (or the credentials, which the device poll reports):
                # says nothing about whether this account may update firmware.
                LOGGER.debug(
                    "Could not read the firmware catalogue of %s: %s", device_type, err
                )
                failed = True
                if key in previous:
                    result[key] = previous[key]
            except HarviaError as err:
                LOGGER.debug(
                    "The Harvia cloud does not list firmware updates of %s for this "
                    "account: %s",
                    device_type,
                    err,
                )
                result[key] = OtaCatalogue(refused=True)
            else:
                result[key] = OtaCatalogue(updates=tuple(updates))
        self.update_interval = (
            CATALOGUE_RETRY_INTERVAL if failed else CATALOGUE_INTERVAL
        )
        return result
