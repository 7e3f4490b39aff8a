"""What a config entry holds while it is loaded."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .coordinator import HarviaCoordinator
from .firmware import HarviaOtaCoordinator
from .history import HarviaHistory

type HarviaConfigEntry = ConfigEntry[HarviaData]


@dataclass(frozen=True, slots=True)
class HarviaData:
    """What the entities read: device data and the firmware catalogue.

    The coordinator holds the cloud client and the push listener.
    """

    # Device state and telemetry, polled and pushed; commands go through it.
    coordinator: HarviaCoordinator
    # The firmware catalogue, read rarely.
    firmware: HarviaOtaCoordinator
    # Session history of the heater cabins, fed by ``coordinator``.
    history: HarviaHistory
