"""What the simulated cloud publishes, as plain dataclasses.

`HarviaCloud.subscribe` delivers the public three (state, telemetry, OTA). The
control events steer the realtime layer (keep-alives, fault injection) and go
only to subscribers that ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class StatePush:
    """A (partial) shadow update: only the keys that changed, as real devices send."""

    device_id: str
    shadow_name: str
    reported: dict[str, Any]
    desired: dict[str, Any] | None
    timestamp: int  # epoch ms
    version: int
    connected: bool
    connection_updated: int  # epoch ms of the last connect/disconnect


@dataclass(frozen=True, slots=True)
class TelemetryPush:
    """One telemetry sample of one cabin (Data service)."""

    device_id: str
    sub_id: str
    timestamp: int  # epoch ms
    session_id: str | None
    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OtaPush:
    """Firmware update progress of one device."""

    device_id: str
    ota_id: str
    firmware_version: str
    update_state: str  # IDLE | IN_PROGRESS | DONE | CANCELLED
    progress_percent: int
    timestamp: str  # ISO-8601
    result_code: int | None = None


Event = StatePush | TelemetryPush | OtaPush


@dataclass(frozen=True, slots=True)
class KeepAliveTick:
    """A keep-alive interval of virtual time has passed."""

    at: float


@dataclass(frozen=True, slots=True)
class DropSockets:
    """Fault: close every realtime socket (optionally of one API, and only
    those holding a subscription for one receiver)."""

    api: str | None = None
    receiver: str | None = None


@dataclass(frozen=True, slots=True)
class MalformedPush:
    """Fault: send a broken message to the subscribers of one device."""

    device_id: str
    api: str  # "device" | "data"
    kind: str


@dataclass(frozen=True, slots=True)
class ReleaseStartAcks:
    """Fault ended: send the `start_ack`s held back so far."""


ControlEvent = KeepAliveTick | DropSockets | MalformedPush | ReleaseStartAcks
