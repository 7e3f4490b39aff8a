"""After a command: its outcome shown at once and confirmed; profile changes in turn.

The entities send commands through the client (``errors.cloud_action`` maps the
failures); what follows a command that went through is here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .api import HarviaError
from .const import DOMAIN, LOGGER
from .errors import cloud_action
from .state import CabinKey, shadow_of

if TYPE_CHECKING:
    from .coordinator import HarviaCoordinator

# A device pushes what a command changed within seconds; past this, read it.
CONFIRM_WITHIN: Final = timedelta(seconds=30)


class HarviaCommands:
    """Follows up the commands the entities of one account send."""

    def __init__(self, coordinator: HarviaCoordinator) -> None:
        """Follow up commands into the coordinator's data."""
        self.coordinator = coordinator
        # Confirmation checks waiting, per cabin.
        self._confirmations: dict[CabinKey, CALLBACK_TYPE] = {}

    @callback
    def async_commanded(
        self,
        device_id: str,
        cabin_id: str,
        *,
        reported: dict[str, Any] | None = None,
        telemetry: dict[str, Any] | None = None,
        applied_within: float | None = None,
    ) -> int:
        """Show a command's outcome now; check with the cloud if nobody confirms.

        Returns the command's mark (see ``StateStore.applied``).

        The device pushes what a command changed. A write the panel reports
        late (``applied_within`` seconds) is held over reports until they show
        it or that time has passed. When nothing confirms it by then (the
        command changed nothing, or the push was lost), the cabin's state is
        read once, so the commanded state does not stay on screen unconfirmed.
        """
        coordinator = self.coordinator
        key = (device_id, cabin_id)
        coordinator.async_merge_cabin(
            key, reported=reported, telemetry=telemetry, command=True
        )
        commanded_at = coordinator.state.mark
        within = CONFIRM_WITHIN
        if applied_within is not None:
            # A write the panel reports late: reads and pushes meanwhile still
            # carry the old value, which must not replace the commanded one.
            within = max(within, timedelta(seconds=applied_within))
            coordinator.state.hold(
                key, {"reported": reported, "telemetry": telemetry}, within
            )
        if (cancel := self._confirmations.pop(key, None)) is not None:
            cancel()

        @callback
        def _verify(_now: datetime) -> None:
            self._confirmations.pop(key, None)
            if not coordinator.state.state_pushed_after(key, commanded_at):
                coordinator.config_entry.async_create_task(
                    coordinator.hass,
                    coordinator.async_read_shadow(key),
                    f"{DOMAIN} confirm",
                )

        self._confirmations[key] = async_call_later(coordinator.hass, within, _verify)
        return commanded_at

    @callback
    def async_cancel(self) -> None:
        """Cancel the confirmation checks (the entry unloads)."""
        for cancel in self._confirmations.values():
            cancel()
        self._confirmations.clear()

    @callback
    def async_queue_profile(self, device_id: str, cabin_id: str, profile: int) -> bool:
        """Hold a profile change back while the panel applies the previous one.

        A panel drops a profile change that arrives while the previous one is
        still being applied. Returns whether the change was queued (it is sent
        once the previous one landed).
        """
        if not self.coordinator.state.queue_profile((device_id, cabin_id), profile):
            return False
        self.coordinator.async_update_listeners()
        return True

    async def async_set_profile(
        self, device_id: str, cabin_id: str, profile: int
    ) -> None:
        """Send a profile change now (see async_queue_profile)."""
        coordinator = self.coordinator
        key = (device_id, cabin_id)
        # Pending before the write, so a request meanwhile queues behind it.
        coordinator.state.profile_sent(key, profile, dt_util.utcnow())
        try:
            await coordinator.client.set_profile(
                device_id, shadow_of(cabin_id), profile
            )
        except HarviaError:
            if (queued := coordinator.state.profile_failed(key)) is not None:
                # Whatever waited behind the failed write goes next.
                self.async_send_queued_profiles([(key, queued)])
            raise
        finally:
            coordinator.async_update_listeners()

    @callback
    def async_send_queued_profiles(self, queued: list[tuple[CabinKey, int]]) -> None:
        """Send the profile changes whose turn has come."""
        coordinator = self.coordinator
        for key, profile in queued:
            coordinator.config_entry.async_create_background_task(
                coordinator.hass,
                self._async_send_queued_profile(key, profile),
                f"{DOMAIN} queued profile change",
            )

    async def _async_send_queued_profile(self, key: CabinKey, profile: int) -> None:
        """Send the profile change that waited for the previous one to land."""
        try:
            # The same errors, licence repair issue included, as a user's action.
            async with cloud_action(self.coordinator.config_entry):
                await self.async_set_profile(key[0], key[1], profile)
        except HomeAssistantError as err:
            # Nobody waits for this call any more: say it in the log.
            LOGGER.warning("Could not change the sauna's profile: %s", err)
