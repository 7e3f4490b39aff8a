"""What differs between the Home Assistant releases this integration runs on.

Tested on 2026.2 (Python 3.13) and 2026.11 (Python 3.14). Each helper uses the
newest API where the running Home Assistant has it (checked by feature, not by
version number, so the releases in between work too) and the older one
elsewhere; nothing here warns on 2026.11.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import is_dataclass, replace
import sys
from typing import TYPE_CHECKING, Any, Protocol, cast

from homeassistant.components.climate import ClimateEntity
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

# 2026.11 reads climate temperatures from the native_* names only.
NATIVE_CLIMATE_TEMPERATURES = hasattr(ClimateEntity, "native_temperature_unit")
# 2026.11's DeviceInfo is a dataclass (a TypedDict before).
DEVICE_INFO_DATACLASS = is_dataclass(DeviceInfo)


def async_get_device(
    registry: dr.DeviceRegistry, entry_id: str, identifier: tuple[str, str]
) -> dr.DeviceEntry | None:
    """The config entry's device with this identifier."""
    if hasattr(registry, "async_get_device_by_identifier"):
        # 2026.11: identifiers are unique per config entry, not globally.
        found: dr.DeviceEntry | None = registry.async_get_device_by_identifier(
            identifier, entry_id
        )
        return found
    device = registry.async_get_device(identifiers={identifier})
    if device is None or entry_id not in device.config_entries:
        return None
    return device


def async_remove_entry_device(
    registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str
) -> None:
    """Take the config entry's device out of the registry."""
    if hasattr(device, "config_entry_id"):
        # 2026.11: a device belongs to one config entry; removing it is explicit.
        registry.async_remove_device(device.id)
    else:
        # Before: the device may be shared; it goes when its last entry leaves.
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)


def linked_device_info(
    hass: HomeAssistant, entry_id: str, info: DeviceInfo, via: tuple[str, str]
) -> DeviceInfo:
    """`info` of a device reached through the registered device `via`."""
    if DEVICE_INFO_DATACLASS:
        # 2026.11: DeviceInfo is a dataclass and links by the registry id.
        parent = async_get_device(dr.async_get(hass), entry_id, via)
        linked: Any = replace(
            cast("Any", info), via_device_id=parent.id if parent else None
        )
        return cast("DeviceInfo", linked)
    return cast("DeviceInfo", {**cast("Mapping[str, Any]", info), "via_device": via})


class _NativeTemperatures(Protocol):
    @property
    def native_temperature_unit(self) -> str: ...
    @property
    def native_current_temperature(self) -> float | None: ...
    @property
    def native_target_temperature(self) -> float | None: ...


# Type checkers see the version of Home Assistant the Python version runs:
# 2026.11 (3.14) marks the classic names final, 2026.2 (3.13) reads only them.
if sys.version_info >= (3, 14) and (TYPE_CHECKING or NATIVE_CLIMATE_TEMPERATURES):

    class ClimateTemperatures:
        """Home Assistant reads the entity's native_* temperatures itself."""

else:

    class ClimateTemperatures:
        """The classic temperature names, read from the entity's native_* ones.

        Before 2026.11 Home Assistant knows only the classic names; 2026.11
        warns about an entity that provides them (and marks them final).
        """

        @property
        def temperature_unit(self: _NativeTemperatures) -> str:
            """The unit of the native temperatures."""
            return self.native_temperature_unit

        @property
        def current_temperature(self: _NativeTemperatures) -> float | None:
            """The native current temperature."""
            return self.native_current_temperature

        @property
        def target_temperature(self: _NativeTemperatures) -> float | None:
            """The native target temperature."""
            return self.native_target_temperature
