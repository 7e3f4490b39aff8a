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
    from .state import CabinData, DeviceData

# The device type of a generic (not Fenix) sauna controller.
GENERIC_TYPE = "sauna"


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


def controller_model(device: Device) -> tuple[str, str | None]:
    """The model and model id a person recognises: "Fenix combi", not "Fenix (Fenix)".

    The panel type is the model id only where it says more than the model
    (a sensor's SAM001W); the generic controller's "Generic" says nothing.
    """
    model = device.model
    if model.casefold() == GENERIC_TYPE:
        model = "Sauna controller"
    if device.has_steamer and "combi" not in model.casefold():
        model = f"{model} combi"
    panel = device.panel_type
    if panel is None or _plain(panel) in _plain(model) or _plain(panel) == "generic":
        return model, None
    return model, panel


def _plain(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def controller_device_info(data: DeviceData) -> DeviceInfo:
    """Describe a controller (control panel or sensor) for the device registry."""
    device = data.device
    first = next(iter(data.cabins.values()), None)
    connections: set[tuple[str, str]] = set()
    if device.mac:
        connections.add((CONNECTION_BLUETOOTH, device.mac))
    if first and first.status.mac:
        connections.add((CONNECTION_NETWORK_MAC, first.status.mac))
    model, model_id = controller_model(device)
    return DeviceInfo(
        identifiers={(DOMAIN, controller_identifier(device.device_id))},
        manufacturer=MANUFACTURER,
        model=model,
        model_id=model_id,
        name=data.name,
        serial_number=device.serial_number,
        sw_version=data.firmware_version,
        hw_version=device.hw_version,
        connections=connections,
    )


def cabin_model(device: Device, cabin_id: str) -> str:
    """A cabin's model: "Cabin 2 of Sauna controller"."""
    number = (
        cabin_id[1:] if cabin_id[:1] == "C" and cabin_id[1:].isdigit() else cabin_id
    )
    return f"Cabin {number} of {controller_model(device)[0]}"


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
            model=cabin_model(device, cabin.cabin_id),
            name=cabin.status.display_name or f"{MANUFACTURER} {cabin.cabin_id}",
        ),
        (DOMAIN, controller_identifier(device.device_id)),
    )
