"""Partial payloads a device reports once it applied a write.

After a successful command the caller merges one of these patches into its
raw cabin payloads (with :func:`merge_payload`) so the new state shows at
once; the next push or poll replaces it with what the device reports. Each
patch uses exactly the keys :class:`CabinStatus` reads.
"""

from __future__ import annotations

from typing import Any, TypedDict

from .models import CabinStatus, CommandType


class Patch(TypedDict, total=False):
    """Partial ``reported`` shadow and/or telemetry ``data`` to merge.

    ``applied_within``: seconds after which the device has reported the write,
    where that is longer than a push's usual few seconds.
    """

    reported: dict[str, Any]
    telemetry: dict[str, Any]
    applied_within: float


# A panel shows a new target (or duration) in its reports up to ~35 s after the
# write; a read before then still holds the old value.
TARGET_APPLIED_WITHIN = 45.0


# Output commands and the reported object / telemetry key they switch.
_OUTPUTS: dict[CommandType, tuple[str, str]] = {
    CommandType.LIGHTS: ("light", "lightOn"),
    CommandType.FAN: ("fan", "fanOn"),
    CommandType.STEAMER: ("steamer", "steamOn"),
    CommandType.VAPORIZER: ("vaporizer", "vaporizerOn"),
    CommandType.IR_HEATER: ("irHeater", "irHeaterOn"),
    CommandType.AFTER_HEATER: ("afterHeater", "afterHeaterOn"),
    CommandType.EXT_SWITCH: ("extSwitch", "extSwitchOn"),
}


def power(on: bool) -> Patch:
    """A session started (``SAUNA`` on) or stopped (``SAUNA`` off)."""
    flag = 1 if on else 0
    return {
        "reported": {"saunaStatus": flag, "heater": {"on": flag}},
        "telemetry": {"heatOn": flag},
    }


def output(command: CommandType | str, on: bool) -> Patch:
    """An output switched on/off (``LIGHTS``, ``FAN``, ``STEAMER``, ...).

    ``SAUNA``/``HEATER`` give :func:`power`; a command that switches nothing
    gives an empty patch.
    """
    try:
        command = CommandType(command)
    except ValueError:
        return {}
    if command in (CommandType.SAUNA, CommandType.HEATER):
        return power(on)
    keys = _OUTPUTS.get(command)
    if keys is None:
        return {}
    flag = 1 if on else 0
    return {"reported": {keys[0]: {"on": flag}}, "telemetry": {keys[1]: flag}}


def _profile_patch(status: CabinStatus, values: dict[str, Any]) -> dict[str, Any]:
    """Values written into the active profile (top level when it is unknown)."""
    if status.active_profile is None:
        return dict(values)
    return {"profiles": {str(status.active_profile): dict(values)}}


def target(
    status: CabinStatus,
    *,
    temperature: float | None = None,
    humidity: float | None = None,
) -> Patch:
    """A new target (``PATCH /devices/target`` writes into the active profile).

    While a session runs the live target (telemetry) follows as well.
    """
    profile_values: dict[str, Any] = {}
    live: dict[str, Any] = {}
    if temperature is not None:
        profile_values["targetTemp"] = temperature
        live["targetTemp"] = temperature
    if humidity is not None:
        profile_values["targetHum"] = humidity
        live["targetHum"] = humidity
    if not profile_values:
        return {}
    patch: Patch = {
        "reported": _profile_patch(status, profile_values),
        "applied_within": TARGET_APPLIED_WITHIN,
    }
    if status.is_heating:
        patch["telemetry"] = live
    return patch


def duration(status: CabinStatus, minutes: int) -> Patch:
    """A session duration set (ADJUST_DURATION).

    A running session takes it (what is left of it follows); otherwise it
    lands in the active profile.
    """
    if status.is_heating:
        if status.on_time is None:
            return {}
        return {"telemetry": {"remainingTime": max(0, minutes - status.on_time)}}
    if status.active_profile is None:
        return {}
    return {
        "reported": {"profiles": {str(status.active_profile): {"duration": minutes}}},
        "applied_within": TARGET_APPLIED_WITHIN,
    }
