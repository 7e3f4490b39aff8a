"""Constants for the Harvia Sauna integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "harvia"
LOGGER = logging.getLogger(__package__)

CONF_ENDPOINTS_URL: Final = "endpoints_url"

# The fast poll: before push stands and while it is down (then the only news).
SCAN_INTERVAL: Final = timedelta(minutes=2)
# While push is healthy a full read is only a safety net: the watchdog reads
# what a silent feed missed (watchdog.py).
PUSH_SAFETY_INTERVAL: Final = timedelta(hours=6)

# Dispatcher signal (per config entry) for firmware update progress pushes.
SIGNAL_OTA_STATE: Final = f"{DOMAIN}_ota_state_{{}}"
# Dispatcher signal (per config entry): a controller's firmware install started
# or ended (see HarviaOtaCoordinator.installing).
SIGNAL_INSTALLING: Final = f"{DOMAIN}_installing_{{}}"

MANUFACTURER: Final = "Harvia"
