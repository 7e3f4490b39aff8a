"""Switches: the light, fan, steamer and other outputs of a cabin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import CabinStatus, CommandType, optimistic
from .data import HarviaConfigEntry
from .entity import (
    HarviaEntity,
    HarviaEntityDescription,
    async_add_cabin_entities,
    is_heater_cabin,
)
from .errors import cloud_action
from .state import CabinData, DeviceData
from .validation import check_session_running

# Commands are serialized by the cloud; never send two at once.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class HarviaSwitchEntityDescription(HarviaEntityDescription, SwitchEntityDescription):
    """Describes a Harvia output switch: ``command`` switches it."""

    command: CommandType
    is_on_fn: Callable[[CabinStatus], bool | None]
    # Where the controller refuses to switch it on while no session runs: the
    # translation key of the error that says so (nothing is sent then).
    needs_session_error: str | None = None


def _reported(
    is_on_fn: Callable[[CabinStatus], bool | None],
) -> Callable[[DeviceData, CabinData], bool]:
    """An output that exists where the cabin reports its state."""
    return lambda data, cabin: (
        is_heater_cabin(data, cabin) and is_on_fn(cabin.status) is not None
    )


SWITCHES: tuple[HarviaSwitchEntityDescription, ...] = (
    HarviaSwitchEntityDescription(
        key="light",
        translation_key="light",
        command=CommandType.LIGHTS,
        is_on_fn=lambda status: status.light_on,
    ),
    HarviaSwitchEntityDescription(
        key="fan",
        translation_key="fan",
        command=CommandType.FAN,
        is_on_fn=lambda status: status.fan_on,
    ),
    HarviaSwitchEntityDescription(
        key="steamer",
        translation_key="steamer",
        # Fenix panels reject STEAMER: a combi shows its steam binary sensor instead.
        command=CommandType.STEAMER,
        is_on_fn=lambda status: status.steamer_on,
        needs_session_error="steamer_needs_session",
    ),
    # Outputs of controllers with more relays; names as in the spec's Command
    # enum, state as reported `<output>.on` (telemetry `<output>On`).
    *(
        HarviaSwitchEntityDescription(
            key=key,
            translation_key=key,
            command=command,
            is_on_fn=is_on_fn,
            exists_fn=_reported(is_on_fn),
        )
        for key, command, is_on_fn in (
            ("vaporizer", CommandType.VAPORIZER, lambda s: s.vaporizer_on),
            ("ir_heater", CommandType.IR_HEATER, lambda s: s.ir_heater_on),
            ("after_heater", CommandType.AFTER_HEATER, lambda s: s.after_heater_on),
            ("ext_switch", CommandType.EXT_SWITCH, lambda s: s.ext_switch_on),
        )
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarviaConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up switches for every cabin, and for cabins that appear later."""
    async_add_cabin_entities(entry, async_add_entities, SWITCHES, HarviaSwitch)


class HarviaSwitch(HarviaEntity, SwitchEntity):
    """Switch one output of a cabin."""

    entity_description: HarviaSwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        """The output's state, None (unknown) when the cabin does not report it."""
        return self.entity_description.is_on_fn(self.status)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the output on."""
        await self._async_switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the output off."""
        await self._async_switch(False)

    async def _async_switch(self, on: bool) -> None:
        """Send the command once; show the commanded state until the cloud reports."""
        command = self.entity_description.command
        if on and (error := self.entity_description.needs_session_error):
            check_session_running(self.status, error)
        async with cloud_action(self.coordinator.config_entry):
            await self.coordinator.client.send_command(
                self.device_id,
                self.shadow_id,
                command,
                on,
            )
        self.coordinator.commands.async_commanded(
            self.device_id, self.cabin_id, **optimistic.output(command, on)
        )
