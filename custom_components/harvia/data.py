"""What a config entry holds while it is loaded."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .api import HarviaClient
from .api.realtime import HarviaRealtime
from .coordinator import HarviaCoordinator
from .firmware import HarviaOtaCoordinator
from .history import HarviaHistory

type HarviaConfigEntry = ConfigEntry[HarviaData]


@dataclass(frozen=True, slots=True)
class HarviaData:
    """The entry's runtime data: the cloud client and what reads from it."""

    client: HarviaClient
    # Device state and telemetry, polled and pushed.
    coordinator: HarviaCoordinator
    # The firmware catalogue, read rarely.
    firmware: HarviaOtaCoordinator
    # The push listener feeding ``coordinator``.
    realtime: HarviaRealtime
    # Session history of the heater cabins, fed by ``coordinator``.
    history: HarviaHistory
