"""Diagnostics: everything useful, nothing private."""

from __future__ import annotations

import json

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.harvia.diagnostics import _Redactor, is_private_key
from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import EMAIL, PASSWORD

GPS = ("60.1699", "24.9384")


@pytest.fixture
def cloud() -> HarviaCloud:
    """A simulated cloud on a fixed clock: the payloads' timestamps repeat."""
    return HarviaCloud(ack_timeout=0, start_time=1_790_000_000.0)


def _secrets(
    entry: MockConfigEntry, account: Account, devices: dict[str, SimDevice]
) -> set[str]:
    """Every private value the diagnostics could leak."""
    auth = entry.runtime_data.coordinator.client._auth
    assert auth is not None
    secrets = {EMAIL, PASSWORD, account.username, account.organization_id, *GPS}
    secrets |= {auth.id_token or "", auth._refresh_token or ""}
    for device in devices.values():
        secrets |= {device.serial_number, device.mac, device.bt_mac, device.wifi_ssid}
    assert all(secrets), secrets
    return secrets


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    account: Account,
    devices: dict[str, SimDevice],
    snapshot: SnapshotAssertion,
) -> None:
    """The account, devices and raw payloads, with private data redacted."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    # The simulator's port and the sockets' ages change run to run.
    assert result == snapshot(
        exclude=props("endpoints_url", "last_message_age", "connected_for")
    )

    text = json.dumps(result)
    for secret in _secrets(init_integration, account, devices):
        assert secret not in text, secret

    # What support needs is still there.
    assert result["connection"]["last_update_success"] is True
    assert result["connection"]["push"]["connected"] is True
    fenix = next(d for d in result["devices"] if d["device_id"] == "fenix-dry-0001")
    assert fenix["type"] == "Fenix"
    assert fenix["attributes"]["powerUnitFwVersion"] == "1.12.0"
    assert fenix["attributes"]["serialNumber"] == REDACTED
    assert fenix["attributes"]["gpsLat"] == REDACTED
    assert fenix["attributes"]["organization"] == REDACTED
    reported = fenix["cabins"]["C1"]["reported"]
    assert reported["deviceFwVersion"] == "1.12.0"
    assert reported["wifissid"] == REDACTED
    assert reported["mac"] == REDACTED
    assert fenix["cabins"]["C1"]["telemetry"]
    assert result["entry"]["title"] == REDACTED
    assert result["entry"]["unique_id"] == REDACTED
    assert result["entry"]["data"]["username"] == REDACTED
    assert result["entry"]["data"]["password"] == REDACTED


async def test_diagnostics_after_failure(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """The last failure of the poll is part of the connection facts."""
    cloud.faults.set_route("GET /devices", status=503)
    await init_integration.runtime_data.coordinator.async_refresh()
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert result["connection"]["last_update_success"] is False
    assert "UpdateFailed" in result["connection"]["last_exception"]
    # The last known devices are still shown.
    assert len(result["devices"]) == 4


@pytest.mark.usefixtures("devices")
async def test_diagnostics_firmware_refused(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    cloud: HarviaCloud,
) -> None:
    """A catalogue the cloud refuses shows as refused, with nothing offered."""
    cloud.faults.refuse_ota(EMAIL)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    result = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    catalogues = result["firmware"]["catalogues"]
    assert catalogues
    assert all(c["refused"] and c["latest_version"] is None for c in catalogues)


async def test_redacts_inside_json_strings() -> None:
    """AWSJSON values (push items), attribute pairs and known values are redacted."""
    account_id = "2d5b2281-ffdc-5559-94cb-3520187b967a"
    redact = _Redactor([EMAIL, account_id, "ab", None])
    item = {
        "receiver": account_id,
        "item": {
            "deviceId": "fenix-dry-0001",
            "reported": json.dumps(
                {
                    "deviceFwVersion": "1.14.2",
                    "wifissid": "HomeWiFi",
                    "nested": json.dumps({"BT_MAC": "24:0A:C4:00:11:22"}),
                }
            ),
        },
        "attr": [
            {"key": "serialNumber", "value": "FENIX00001234"},
            {"key": "gpsAccuracy", "value": "5"},
            {"key": "brand", "value": "Harvia"},
        ],
        "note": f"signed in as {EMAIL}",
        "Wifi_SSID": "HomeWiFi",
        "tokens": {"idToken": "eyJ.secret", "nextToken": None, "empty": ""},
        "counts": [1, 2.5, True],
        "broken": "{not json",
        "almost": "{not: json}",
    }
    result = redact(item)
    text = json.dumps(result)
    for secret in (account_id, EMAIL, "HomeWiFi", "24:0A:C4:00:11:22", "FENIX00001234"):
        assert secret not in text
    reported = json.loads(result["item"]["reported"])
    assert reported["deviceFwVersion"] == "1.14.2"
    assert reported["wifissid"] == REDACTED
    assert json.loads(reported["nested"])["BT_MAC"] == REDACTED
    assert result["attr"][0]["value"] == REDACTED
    assert result["attr"][1]["value"] == REDACTED
    assert result["attr"][2]["value"] == "Harvia"
    assert result["note"] == f"signed in as {REDACTED}"
    assert result["tokens"] == {"idToken": REDACTED, "nextToken": None, "empty": ""}
    assert result["counts"] == [1, 2.5, True]
    assert result["broken"] == "{not json"
    assert result["almost"] == "{not: json}"


@pytest.mark.parametrize(
    ("key", "private"),
    [
        ("password", True),
        ("refreshToken", True),
        ("cognito:username", True),
        ("wifissid", True),
        ("BT_MAC", True),
        ("macAddress", True),
        ("serial_number", True),
        ("gpsLon", True),
        ("location", True),
        ("title", True),
        ("organization", True),
        ("deviceFwVersion", False),
        ("displayName", False),
        ("maxTemp", False),
        (3, False),
    ],
)
def test_private_keys(key: object, private: bool) -> None:
    """One list of private keys, matched regardless of spelling."""
    assert is_private_key(key) is private
