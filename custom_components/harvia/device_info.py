"""How controllers and cabins appear in the device registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import (
    CONNECTION_BLUETOOTH,
    CONNECTION_NETWORK_MAC,
    DeviceInfo,
)

from .compat import linked_device_info
from .const import DOMAIN, MANUFACTURER

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import Device
    from .coordinator import CabinData, DeviceData


def controller_identifier(device_id: str) -> str:
    """The registry identifier of a controller."""
    return device_id


def cabin_identifier(device_id: str, cabin_id: str) -> str:
    """The registry identifier of one cabin of a multi-cabin controller."""
    return f"{device_id}_{cabin_id}"


def registry_identifiers(data: DeviceData) -> set[str]:
    """Every registry identifier a controller and its cabins use."""
    identifiers = {controller_identifier(data.device.device_id)}
    if len(data.cabins) > 1:
        identifiers |= {
            cabin_identifier(data.device.device_id, cabin_id)
            for cabin_id in data.cabins
        }
    return identifiers


def controller_device_info(data: DeviceData) -> DeviceInfo:
    """Describe a controller (control panel or sensor) for the device registry."""
    device = data.device
    first = next(iter(data.cabins.values()), None)
    status = first.status if first else None
    connections: set[tuple[str, str]] = set()
    if device.mac:
        connections.add((CONNECTION_BLUETOOTH, device.mac))
    if status and status.mac:
        connections.add((CONNECTION_NETWORK_MAC, status.mac))
    if status and status.display_name:
        # One cabin: the controller is the sauna; several: it is their controller.
        name = (
            status.display_name
            if len(data.cabins) == 1
            else f"{status.display_name} controller"
        )
    else:
        name = None
    return DeviceInfo(
        identifiers={(DOMAIN, controller_identifier(device.device_id))},
        manufacturer=MANUFACTURER,
        model=device.model,
        model_id=device.panel_type,
        name=name or f"{MANUFACTURER} {device.model}",
        serial_number=device.serial_number,
        sw_version=(status.firmware_version if status else None)
        or device.firmware_version,
        hw_version=device.hw_version,
        connections=connections,
    )


def cabin_device_info(
    hass: HomeAssistant, entry_id: str, device: Device, cabin: CabinData
) -> DeviceInfo:
    """Describe one cabin of a multi-cabin controller, linked to the controller."""
    return linked_device_info(
        hass,
        entry_id,
        DeviceInfo(
            identifiers={(DOMAIN, cabin_identifier(device.device_id, cabin.cabin_id))},
            manufacturer=MANUFACTURER,
            model=f"{device.model} cabin",
            name=cabin.status.display_name or f"{MANUFACTURER} {cabin.cabin_id}",
        ),
        (DOMAIN, controller_identifier(device.device_id)),
    )
