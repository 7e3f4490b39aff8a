"""Diagnostics: the account's devices and their raw payloads, private data removed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import json
from typing import Any, Final

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .api import redact_addresses
from .coordinator import HarviaCoordinator
from .data import HarviaConfigEntry
from .firmware import HarviaOtaCoordinator, newest_in_catalogue
from .state import DeviceData

# Every key whose value is private, wherever it appears: entry data, device
# attributes (also as [{key, value}] pairs), shadow documents, telemetry and
# JSON strings inside them. Matched exactly by async_redact_data and, ignoring
# case and punctuation, by the deep redactor below.
TO_REDACT: Final = frozenset(
    {
        # Credentials and tokens
        CONF_PASSWORD,
        "idToken",
        "accessToken",
        "refreshToken",
        "token",
        "id_token",
        "access_token",
        "refresh_token",
        # The account: e-mail, user name, Cognito id, the entry's title
        CONF_USERNAME,
        "email",
        "cognito:username",
        "user_id",
        "userId",
        "owner",
        "organization",
        "organizationId",
        "custom:organizationId",
        "unique_id",
        "title",
        # Wi-Fi network
        "wifissid",
        "ssid",
        # Hardware addresses and serial numbers
        "mac",
        "BT_MAC",
        "macAddress",
        "serialNumber",
        "serial_number",
        # Location
        "gpsLat",
        "gpsLon",
        "latitude",
        "longitude",
        "lat",
        "lon",
        "lng",
        "location",
        "address",
        "coordinates",
        # Network addresses from the device-info push
        "ip",
        "ipAddress",
        # Contact data (devicesMetadataGet)
        "contactName",
        "phoneNumber",
    }
)

# Keys containing one of these (ignoring case and punctuation) are private too.
_PRIVATE_FRAGMENTS: Final = (
    "gps",
    "geo",
    "coord",
    "latitude",
    "longitude",
    "ssid",
    "macaddress",
    "serialnumber",
    "password",
    "email",
    "phone",
)
# Identifiers shorter than this are not searched for inside other strings.
_MIN_SECRET_LENGTH: Final = 6


def _normalise(key: str) -> str:
    return "".join(ch for ch in key.casefold() if ch.isalnum())


_NORMALISED_KEYS: Final = frozenset(_normalise(key) for key in TO_REDACT)


def is_private_key(key: Any) -> bool:
    """Whether the value under ``key`` must not leave Home Assistant."""
    if not isinstance(key, str):
        return False
    normalised = _normalise(key)
    return (
        normalised in _NORMALISED_KEYS
        or normalised.endswith(("mac", "token"))
        or any(fragment in normalised for fragment in _PRIVATE_FRAGMENTS)
    )


class _Redactor:
    """Redacts private keys at any depth and inside JSON strings.

    Known account identifiers (e-mail, user id) are also cut out of any string
    they appear in, e.g. a GraphQL ``receiver`` or an error message.
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        # Longest first, so a value containing a shorter secret is fully covered.
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH},
            key=len,
            reverse=True,
        )

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return self._mapping(value)
        if isinstance(value, list | tuple | set | frozenset):
            return [self(item) for item in value]
        if isinstance(value, str):
            return self._string(value)
        return value

    def _mapping(self, value: Mapping[Any, Any]) -> dict[Any, Any]:
        # A [{key, value}] attribute pair: redact by the pair's key.
        pair_private = "value" in value and is_private_key(value.get("key"))
        result: dict[Any, Any] = {}
        for key, item in value.items():
            name = self._string(key) if isinstance(key, str) else key
            private = is_private_key(key) or (pair_private and key == "value")
            if private and item is not None and item != "":
                result[name] = REDACTED
            else:
                result[name] = self(item)
        return result

    def _string(self, value: str) -> str:
        text = value.strip()
        if text[:1] in ("{", "[") and text[-1:] in ("}", "]"):
            # An AWSJSON value: redact inside it and keep it a JSON string.
            try:
                parsed = json.loads(text)
            except ValueError:
                pass
            else:
                if isinstance(parsed, dict | list):
                    return json.dumps(self(parsed))
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        # Anyone's e-mail, a token or a MAC under a key that is not private.
        return redact_addresses(value, REDACTED)


def _device(data: DeviceData) -> dict[str, Any]:
    device = data.device
    return {
        "device_id": device.device_id,
        "type": device.type,
        "roles": list(device.roles),
        "via": device.via,
        "attributes": dict(device.attributes),
        "cabins": {
            cabin_id: {
                "connected": cabin.connected,
                "reported": cabin.reported,
                "telemetry": cabin.telemetry,
            }
            for cabin_id, cabin in data.cabins.items()
        },
    }


def _connection(coordinator: HarviaCoordinator) -> dict[str, Any]:
    error = coordinator.last_exception
    return {
        "last_update_success": coordinator.last_update_success,
        "last_exception": f"{type(error).__name__}: {error}" if error else None,
        "update_interval": (
            coordinator.update_interval.total_seconds()
            if coordinator.update_interval
            else None
        ),
        "pending_profiles": [
            {
                "device_id": device_id,
                "cabin_id": cabin_id,
                "profile": pending.profile,
                "queued": pending.queued,
                "sent_at": pending.sent_at.isoformat(),
            }
            for (
                device_id,
                cabin_id,
            ), pending in coordinator.state.pending_profiles.items()
        ],
        "push": {
            "connected": coordinator.push_connected,
            "realtime": coordinator.realtime.diagnostics(),
        },
    }


def _firmware(firmware: HarviaOtaCoordinator) -> dict[str, Any]:
    """Per catalogue: whether the cloud refused it, and the newest release in it."""
    catalogues: list[dict[str, Any]] = []
    for key, catalogue in sorted(
        (firmware.data or {}).items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        newest = newest_in_catalogue(catalogue.updates, key)
        catalogues.append(
            {
                "device_type": key[0],
                "hw_version": key[1],
                "refused": catalogue.refused,
                "latest_version": newest.firmware_version if newest else None,
            }
        )
    return {
        "last_update_success": firmware.last_update_success,
        "catalogues": catalogues,
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HarviaConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data.coordinator
    data = {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "data": dict(entry.data),
            "options": dict(entry.options),
        },
        "connection": _connection(coordinator),
        "firmware": _firmware(entry.runtime_data.firmware),
        "devices": [_device(device) for device in (coordinator.data or {}).values()],
    }
    # Account identifiers are also searched for inside other strings. Never the
    # password: where it was cut out of a value would tell what it is.
    redact = _Redactor(
        (
            entry.title,
            entry.unique_id,
            entry.data.get(CONF_USERNAME),
            coordinator.client.user_id,
        )
    )
    result: dict[str, Any] = redact(async_redact_data(data, TO_REDACT))
    return result
