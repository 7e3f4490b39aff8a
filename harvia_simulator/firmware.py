"""The OTA catalogue: firmware images per device type and hardware version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Virtual seconds an update takes from 0 to 100 %.
OTA_DURATION = 120.0
# Progress is pushed at every step of this many percent.
OTA_STEP = 10


@dataclass(frozen=True, slots=True)
class OtaUpdate:
    """One firmware image (GraphQL type `OtaUpdate`)."""

    ota_id: str
    firmware_version: str
    device_type: str
    hw_version: str
    size: int
    description: str
    enabled: bool = True
    beta_testing: bool = False

    @property
    def filename(self) -> str:
        """Image file name as the catalogue lists it."""
        return (
            f"{self.device_type.lower()}-{self.hw_version}-{self.firmware_version}.bin"
        )

    def as_graphql(self) -> dict[str, Any]:
        """Field values for the GraphQL type."""
        return {
            "otaId": self.ota_id,
            "firmwareVersion": self.firmware_version,
            "size": self.size,
            "description": self.description,
            "filename": self.filename,
            "enabled": self.enabled,
            "urlExpirationSeconds": 3600,
            "deviceType": self.device_type,
            "hwVersion": self.hw_version,
            "betaTesting": self.beta_testing,
        }


def _entry(
    device_type: str, hw: str, version: str, size: int, text: str, **flags: bool
) -> OtaUpdate:
    ota_id = f"ota-{device_type.lower()}-{hw}-{version}"
    return OtaUpdate(ota_id, version, device_type, hw, size, text, **flags)


# Installed version first, newest stable next, then a beta that is not enabled.
CATALOGUE: tuple[OtaUpdate, ...] = (
    _entry("Fenix", "2.0", "1.12.0", 1_482_112, "Fenix panel firmware 1.12.0"),
    _entry(
        "Fenix", "2.0", "1.14.2", 1_502_336, "Stability fixes; faster Wi-Fi reconnect"
    ),
    _entry(
        "Fenix",
        "2.0",
        "1.15.0-beta.1",
        1_511_808,
        "Beta: new scheduler",
        enabled=False,
        beta_testing=True,
    ),
    _entry("Fenix", "1.0", "1.9.4", 1_310_720, "Legacy hardware, final release"),
    _entry("sauna", "1.0", "3.0.0", 2_097_152, "Generic controller 3.0.0"),
    _entry("sauna", "1.0", "3.1.0", 2_113_536, "Adds ADJUST_DURATION"),
    _entry("SaunaSensor", "1.0", "2.3.0", 786_432, "SAM001W 2.3.0"),
    _entry("SaunaSensor", "1.0", "2.4.1", 790_528, "SAM001W: lower idle power"),
)


def find_update(ota_id: str) -> OtaUpdate | None:
    """The catalogue entry with this id, if any."""
    return next((item for item in CATALOGUE if item.ota_id == ota_id), None)


def list_updates(device_type: str | None, hw_version: str | None) -> list[OtaUpdate]:
    """Catalogue entries matching the optional filters, in catalogue order."""
    return [
        item
        for item in CATALOGUE
        if (device_type is None or item.device_type == device_type)
        and (hw_version is None or item.hw_version == hw_version)
    ]


@dataclass(slots=True)
class OtaProgress:
    """The update state of one device (GraphQL `OtaUpdateState`)."""

    ota_id: str
    firmware_version: str
    state: str
    progress: int
    started_at: float
    updated_at: float
    result_code: int | None = None
