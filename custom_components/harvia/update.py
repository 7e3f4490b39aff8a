"""Firmware update entity: one per controller.

The firmware catalogue is read by a coordinator of the entry's own
(``firmware.py``), shared by the account's controllers. An install is started
with ``devicesOtaUpdatesStart``; while it runs the entity polls
``otaUpdatesStatesList`` for its progress (and takes the realtime OTA feed's
records too) until the controller reports the new firmware version, or gives up
after a while. An install already running when the entity is set up (Home
Assistant restarted, or it was started from the MyHarvia app), or one the
realtime feed reports, is followed the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityFeature,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import HarviaError, OtaState, OtaStatus, OtaUpdate
from .const import DOMAIN, LOGGER, SIGNAL_OTA_STATE
from .coordinator import HarviaCoordinator
from .data import HarviaConfigEntry
from .entity import HarviaControllerEntity
from .errors import cloud_action
from .firmware import (
    INSTALL_TIMEOUT,
    HarviaOtaCoordinator,
    Install,
    OtaCatalogue,
    catalogue_key,
    is_newer,
    newest_update,
)

# One firmware install at a time per account.
PARALLEL_UPDATES = 1

# How often a running install's progress is read.
PROGRESS_INTERVAL: Final = timedelta(seconds=15)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a firmware update entity per controller."""
    coordinator = entry.runtime_data.coordinator
    catalogue = entry.runtime_data.firmware
    known: set[str] = set()

    @callback
    def _add_new() -> None:
        # A controller that left the account left the registry too (with its
        # entity); should it come back, it gets a new entity.
        known.intersection_update(coordinator.data)
        new: list[HarviaUpdateEntity] = []
        for device_id in coordinator.data:
            if device_id not in known:
                known.add(device_id)
                new.append(HarviaUpdateEntity(coordinator, catalogue, device_id))
        if not new:
            return
        async_add_entities(new)
        if not catalogue.wanted_keys() <= catalogue.attempted:
            # A device of a type not seen before: read its catalogue now.
            entry.async_create_task(
                hass, catalogue.async_refresh(), f"{DOMAIN} firmware catalogue"
            )

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class HarviaUpdateEntity(HarviaControllerEntity, UpdateEntity):
    """The firmware of one controller."""

    _attr_translation_key = "firmware"
    _attr_device_class = UpdateDeviceClass.FIRMWARE
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(
        self,
        coordinator: HarviaCoordinator,
        catalogue: HarviaOtaCoordinator,
        device_id: str,
    ) -> None:
        """Initialize the firmware entity of one controller."""
        super().__init__(coordinator, device_id)
        self.catalogue = catalogue
        self._attr_unique_id = f"{device_id}_firmware"
        self._install: Install | None = None
        # The version of an install given up on (its repair issue is up).
        self._timed_out: str | None = None
        self._unsub_progress: Callable[[], None] | None = None
        self._poll_task: asyncio.Task[None] | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the catalogue and OTA feed; look for an install already running."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.catalogue.async_add_listener(self._handle_coordinator_update)
        )
        self.async_on_remove(self._async_cancel_polling)
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_OTA_STATE.format(self.coordinator.config_entry.entry_id),
                self.async_handle_ota_state,
            )
        )
        if (catalogue := self._ota_catalogue) is not None and not catalogue.refused:
            self._poll_task = (
                self.coordinator.config_entry.async_create_background_task(
                    self.hass,
                    self._async_find_running_install(),
                    f"{DOMAIN} firmware running install",
                )
            )

    async def async_removed_from_registry(self) -> None:
        """The controller left the account (or the entity was deleted)."""
        self._async_delete_timeout_issue()

    # -- data --------------------------------------------------------------------

    @property
    def _ota_catalogue(self) -> OtaCatalogue | None:
        """This controller's catalogue: None until it has been read once."""
        if (data := self.device_data) is None:
            return None
        if (key := catalogue_key(data.device)) is None:
            return OtaCatalogue(refused=True)
        return (self.catalogue.data or {}).get(key)

    @property
    def _offered(self) -> OtaUpdate | None:
        """The update to offer: the newest one, when it is newer than the installed."""
        if (data := self.device_data) is None or (
            catalogue := self._ota_catalogue
        ) is None:
            return None
        update = newest_update(catalogue.updates, data.device)
        if update is None or not is_newer(
            update.firmware_version, self.installed_version
        ):
            return None
        return update

    # -- entity state ------------------------------------------------------------

    @property
    def installed_version(self) -> str | None:
        """The version the controller reports, else its device attributes'."""
        if (data := self.device_data) is None:
            return None
        return data.firmware_version

    @property
    def latest_version(self) -> str | None:
        """The newest enabled release; the installed one when nothing is newer.

        Unknown until the catalogue has been read once.
        """
        if self._install is not None:
            return self._install.version
        if (catalogue := self._ota_catalogue) is None:
            return None
        if not catalogue.refused and (offered := self._offered) is not None:
            return offered.firmware_version
        return self.installed_version

    @property
    def supported_features(self) -> UpdateEntityFeature:
        """Install only when the cloud lists updates for this account."""
        if self._install is not None:
            return UpdateEntityFeature.INSTALL | UpdateEntityFeature.PROGRESS
        catalogue = self._ota_catalogue
        if catalogue is None or catalogue.refused:
            return UpdateEntityFeature(0)
        features = UpdateEntityFeature.INSTALL | UpdateEntityFeature.PROGRESS
        if (offered := self._offered) is not None and offered.description:
            features |= UpdateEntityFeature.RELEASE_NOTES
        return features

    @property
    def in_progress(self) -> bool:
        """Whether an install is running."""
        return self._install is not None

    @property
    def update_percentage(self) -> int | None:
        """The progress the cloud reports for the running install."""
        return self._install.progress if self._install is not None else None

    async def async_release_notes(self) -> str | None:
        """The release's description from the catalogue."""
        offered = self._offered
        return offered.description if offered is not None else None

    @callback
    def _handle_coordinator_update(self) -> None:
        """New device data or catalogue: an install ends when the new version shows."""
        if (install := self._install) is not None and self._reached(install.version):
            LOGGER.info(
                "Firmware of %s updated to %s",
                self._device_name,
                self.installed_version,
            )
            self._async_finish_install()
            self._async_delete_timeout_issue()
        elif self._timed_out is not None and self._reached(self._timed_out):
            # Given up on, but it did finish after all.
            self._async_delete_timeout_issue()
        super()._handle_coordinator_update()

    # -- install -----------------------------------------------------------------

    async def async_install(
        self, version: str | None, backup: bool, **kwargs: Any
    ) -> None:
        """Start the firmware update; progress follows by polling."""
        offered = self._offered
        if offered is None or offered.firmware_version is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="no_update_available"
            )
        if version is not None and version != offered.firmware_version:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="version_not_offered",
                translation_placeholders={
                    "version": version,
                    "latest": offered.firmware_version,
                },
            )
        async with cloud_action(self.coordinator.config_entry):
            started = await self.coordinator.client.start_ota(
                self.device_id, offered.ota_id
            )
        if not started:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="update_not_started"
            )
        self._async_delete_timeout_issue()
        LOGGER.info(
            "Firmware update of %s to %s started",
            self._device_name,
            offered.firmware_version,
        )
        self._async_follow_install(
            Install(version=offered.firmware_version, started=dt_util.utcnow())
        )

    async def _async_find_running_install(self) -> None:
        """Once at setup: follow an install that is already running."""
        try:
            states = await self.catalogue.async_running_installs()
        except HarviaError as err:
            LOGGER.debug(
                "Could not look for a running firmware update of %s: %s",
                self._device_name,
                err,
            )
            return
        for state in states:
            if state.device_id == self.device_id:
                self._async_adopt(state)

    @callback
    def _async_adopt(self, state: OtaState) -> None:
        """Follow a running install this entity did not start."""
        if self._install is not None or state.update_state != OtaStatus.IN_PROGRESS:
            return
        version = state.update_firmware_version
        if version is None and (offered := self._offered) is not None:
            version = offered.firmware_version  # presumably the newest
        if version is None or self._reached(version):
            return
        LOGGER.info(
            "Firmware update of %s to %s is running", self._device_name, version
        )
        install = Install(version=version, started=dt_util.utcnow(), seen_running=True)
        self._async_follow_install(install)
        self.async_handle_ota_state(state)

    @callback
    def _async_follow_install(self, install: Install) -> None:
        """Show the install and poll its progress until it ends or times out."""
        self._install = install
        self.catalogue.async_set_installing(self.device_id, True)
        self._stop_progress_poll()
        self._unsub_progress = async_track_time_interval(
            self.hass,
            self._async_progress_tick,
            PROGRESS_INTERVAL,
            name=f"{DOMAIN} firmware progress",
            cancel_on_shutdown=True,
        )

    @callback
    def _async_progress_tick(self, _now: datetime) -> None:
        """Read the progress, unless the previous read still waits for the cloud."""
        if self._poll_task is not None and not self._poll_task.done():
            return
        self._poll_task = self.coordinator.config_entry.async_create_background_task(
            self.hass, self._async_poll_progress(), f"{DOMAIN} firmware progress"
        )

    async def _async_poll_progress(self) -> None:
        """Read the running install's progress from the cloud."""
        if (install := self._install) is None:
            return
        if install.timed_out(dt_util.utcnow()):
            LOGGER.warning(
                "The firmware update of %s to %s did not finish within %s; "
                "check the sauna's control panel",
                self._device_name,
                install.version,
                INSTALL_TIMEOUT,
            )
            self._timed_out = install.version
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._timeout_issue_id,
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="update_timeout",
                translation_placeholders={
                    "device": self._device_name,
                    "version": install.version,
                },
            )
            self._async_finish_install()
            self.async_write_ha_state()
            return
        try:
            states = await self.coordinator.client.get_ota_states()
        except HarviaError as err:
            LOGGER.debug(
                "Could not read the firmware update progress of %s: %s",
                self._device_name,
                err,
            )
            return
        if self._install is not install:
            return  # finished (or removed) while the cloud answered
        for state in states:
            self.async_handle_ota_state(state)

    @callback
    def async_handle_ota_state(self, state: OtaState) -> None:
        """Apply a progress record (polled, or pushed through SIGNAL_OTA_STATE)."""
        if state.device_id != self.device_id:
            return
        if (install := self._install) is None:
            # Started elsewhere (the MyHarvia app) while Home Assistant runs.
            self._async_adopt(state)
            return
        if not install.is_current(state):
            return
        install.record(state)
        if state.update_state == OtaStatus.DONE:
            # The controller reports its new version once it has restarted; the
            # install ends when it does (see _handle_coordinator_update). Ask
            # for it now and then, not on every progress record.
            if install.wants_refresh(dt_util.utcnow()):
                self.coordinator.config_entry.async_create_task(
                    self.hass,
                    self.coordinator.async_request_refresh(),
                    f"{DOMAIN} firmware installed",
                )
        elif state.update_state == OtaStatus.CANCELLED:
            LOGGER.warning(
                "The firmware update of %s to %s was cancelled",
                self._device_name,
                install.version,
            )
            self._async_finish_install()
        self.async_write_ha_state()

    @property
    def _device_name(self) -> str:
        """The controller's name for messages (never its id or serial)."""
        data = self.device_data
        return data.name if data is not None else "the sauna"

    @property
    def _timeout_issue_id(self) -> str:
        return f"update_timeout_{self.device_id}"

    def _reached(self, version: str) -> bool:
        """Whether the controller reports this version (or a later one)."""
        installed = self.installed_version
        return installed == version or is_newer(installed, version)

    @callback
    def _async_delete_timeout_issue(self) -> None:
        self._timed_out = None
        ir.async_delete_issue(self.hass, DOMAIN, self._timeout_issue_id)

    @callback
    def _async_finish_install(self) -> None:
        self._install = None
        self.catalogue.async_set_installing(self.device_id, False)
        self._stop_progress_poll()

    @callback
    def _async_cancel_polling(self) -> None:
        """On removal: no more timer, and no read left running."""
        self.catalogue.async_set_installing(self.device_id, False)
        self._stop_progress_poll()
        if self._poll_task is not None:
            self._poll_task.cancel()
            self._poll_task = None

    @callback
    def _stop_progress_poll(self) -> None:
        if self._unsub_progress is not None:
            self._unsub_progress()
            self._unsub_progress = None
