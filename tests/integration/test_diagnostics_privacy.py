"""Diagnostics against the full list of private keys, at any depth."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.harvia.diagnostics import is_private_key
from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_full_refresh

# Each private key with a value found nowhere else.
PRIVATE: dict[str, object] = {
    "email": "first.owner@example.net",
    "owner": "owner-7f3a9c1e",
    "userId": "user-1b2c3d4e",
    "ip": "192.0.2.44",
    "ipAddress": "198.51.100.77",
    "address": "Saunatie 5, Tampere",
    "lat": 61.49911,
    "lon": 23.78712,
    "lng": 23.78713,
    "serialNumber": "FX00998877",
    "serial_number": "FX00998866",
    "mac": "24:6F:28:AA:BB:CC",
    "BT_MAC": "24:6F:28:AA:BB:CE",
    "wifissid": "Cottage-5G",
    "ssid": "Cottage-Guest",
    "idToken": "id-token-abcdef",
    "accessToken": "access-token-abcdef",
    "refreshToken": "refresh-token-abcdef",
    "token": "plain-token-abcdef",
    "phoneNumber": "+358401234567",
    "contactName": "Maija Meikäläinen",
}
# Another person's e-mail inside an AWSJSON string under a harmless key.
OTHER_EMAIL = "somebody.else@example.org"
OTHER_MAC = "A4:CF:12:34:56:78"
AWSJSON_NOTE = json.dumps(
    {"sharedWith": [{"invitee": OTHER_EMAIL}], "note": f"ask {OTHER_EMAIL}"}
)


def _values() -> list[str]:
    return [str(value) for value in PRIVATE.values()] + [OTHER_EMAIL, OTHER_MAC]


@pytest.mark.parametrize("key", [*PRIVATE, "gpsLat", "deviceMac", "emailAddress"])
def test_every_listed_key_is_private(key: str) -> None:
    """The redactor knows every key on the list."""
    assert is_private_key(key)


@pytest.mark.parametrize("key", ["deviceId", "displayName", "temp", "deviceFwVersion"])
def test_useful_keys_stay(key: str) -> None:
    """What support needs is not redacted."""
    assert not is_private_key(key)


async def test_private_values_never_leave(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Top level, nested, in attribute pairs and inside AWSJSON strings."""
    fenix = devices["fenix"]
    fenix.shadows["C1"].merge_reported(
        {
            **PRIVATE,
            "network": {**PRIVATE},
            "sharing": AWSJSON_NOTE,
            "diagnosticText": f"peer {OTHER_MAC} joined",
            "pairs": [{"key": key, "value": value} for key, value in PRIVATE.items()],
        },
        cloud.now(),
    )
    await async_full_refresh(hass, init_integration)
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    text = json.dumps(result, ensure_ascii=False)
    for value in _values():
        assert value not in text, value
    reported = next(
        device for device in result["devices"] if device["device_id"] == fenix.device_id
    )["cabins"]["C1"]["reported"]
    # Still a JSON string, still readable apart from the e-mail.
    sharing = json.loads(reported["sharing"])
    assert sharing["sharedWith"][0]["invitee"] == "**REDACTED**"
    assert sharing["note"].startswith("ask ")
    assert reported["displayName"] == "Home Sauna"
