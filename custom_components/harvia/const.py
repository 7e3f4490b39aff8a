"""Constants for the Harvia Sauna integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "harvia"
LOGGER = logging.getLogger(__package__)

CONF_ENDPOINTS_URL: Final = "endpoints_url"

# The slow poll; push (AppSync subscriptions) relieves it.
SCAN_INTERVAL: Final = timedelta(minutes=2)

MANUFACTURER: Final = "Harvia"
