"""Typed models built from Harvia cloud payloads.

Every quirk of the payloads is handled in this module and only here: devices
whose id sits in ``name``, ``temp``/``temperature`` aliases, AWSJSON strings,
the stale top-level ``targetTemp``, ``activeProfile`` as a string, and the
scheduled wait that reports ``heater.on`` = 1.

Models never leak ``KeyError``/``TypeError``/``ValueError``/``OverflowError``/
``RecursionError``: a payload that is unusable as a whole (or nested deeper
than :data:`MAX_DEPTH`) raises :class:`HarviaParseError`; a missing,
wrong-typed or out-of-range field (NaN, infinity, an integer too large for a
float) becomes ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
import json
import math
from typing import Any, Final, Self

from .exceptions import HarviaParseError

MIN_TEMPERATURE: Final = 40
DEFAULT_MAX_TEMPERATURE: Final = 110
MIN_HUMIDITY: Final = 0
MAX_HUMIDITY: Final = 100
# The MyHarvia app's rule for combi heaters (the cloud does not enforce it):
# target temperature + target humidity must not exceed this.
STEAM_LIMIT: Final = 140
# Session length cap (minutes) when the panel does not report settings.maxOnTime.
DEFAULT_MAX_ON_TIME: Final = 360

#: Deepest nesting of objects and lists accepted in a payload (real ones
#: nest four levels at most).
MAX_DEPTH: Final = 32
# Largest magnitude of a number field: beyond it a value is nonsense (and
# its digits would not fit a state). Epoch milliseconds stay well below.
_MAX_NUMBER: Final = 1e15
_MAX_INT: Final = 2**53

# Envelope keys of a telemetry record; everything else is measurement data
# when a record arrives without a ``data`` object.
_TELEMETRY_ENVELOPE: Final = frozenset(
    {"deviceId", "subId", "cabinId", "timestamp", "sessionId", "type", "receiver"}
)

_TRUE_STRINGS: Final = frozenset({"1", "true", "on", "yes"})
_FALSE_STRINGS: Final = frozenset({"0", "false", "off", "no"})


# --------------------------------------------------------------------------
# Tolerant coercion helpers
# --------------------------------------------------------------------------


def _mapping(value: Any) -> Mapping[str, Any]:
    """Return ``value`` when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    """Return a non-empty string (numbers are stringified), else ``None``."""
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if abs(value) <= _MAX_INT else None
    if isinstance(value, float):
        return str(value) if math.isfinite(value) else None
    return None


def parse_float(value: Any) -> float | None:
    """Return a finite float from a number or numeric string, else ``None``."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            result = float(value)
        elif isinstance(value, str):
            result = float(value.strip())
        else:
            return None
    except (ValueError, OverflowError):
        # An integer too large for a float, or text that is not a number.
        return None
    return result if math.isfinite(result) and abs(result) <= _MAX_NUMBER else None


def _int(value: Any, *, strict: bool = False) -> int | None:
    """Return an int; ``strict`` refuses non-integral numbers instead of rounding."""
    number = parse_float(value)
    if number is None or abs(number) > _MAX_INT:
        return None
    if strict and not number.is_integer():
        return None
    return round(number)


def _bool(value: Any) -> bool | None:
    """Return a bool from a bool, 0/1 number or on/off-like string."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, float):
        return value != 0 if math.isfinite(value) else None
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE_STRINGS:
            return True
        if lowered in _FALSE_STRINGS:
            return False
    return None


def _datetime(value: Any) -> datetime | None:
    """Return an aware datetime from ISO-8601 or epoch seconds/milliseconds."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            number = parse_float(text)
            return None if number is None else _from_epoch(number)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    number = parse_float(value)
    return None if number is None else _from_epoch(number)


def _from_epoch(number: float) -> datetime | None:
    """Epoch seconds, or milliseconds when the number is too large for seconds."""
    if number > 1e11:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    """Return the value of the first key present with a non-``None`` value."""
    for key in keys:
        value = mapping.get(key)
        if value is not None:
            return value
    return None


def _nested(mapping: Any, *path: str) -> Any:
    """Walk nested mappings; ``None`` when any step is missing or not a mapping."""
    current: Any = mapping
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _require_mapping(payload: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise HarviaParseError(f"{what}: expected a JSON object")
    _check_depth(payload, what)
    return payload


def _check_depth(value: Any, what: str) -> None:
    """Raise :class:`HarviaParseError` when ``value`` nests deeper than MAX_DEPTH.

    Iterative, so that a hostile payload cannot exhaust the stack here.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth >= MAX_DEPTH:
            raise HarviaParseError(f"{what}: nested too deeply")
        stack.extend((child, depth + 1) for child in children)


def decode_awsjson(value: Any, what: str = "AWSJSON value") -> dict[str, Any]:
    """Decode an AppSync ``AWSJSON`` value into a dict.

    Accepts an already decoded object, a JSON string of an object, or
    ``None``/``""``/``"null"`` (an empty dict). Anything else, or an object
    nested deeper than :data:`MAX_DEPTH`, raises :class:`HarviaParseError`.
    """
    if value is None:
        return {}
    if isinstance(value, Mapping):
        _check_depth(value, what)
        return dict(value)
    if isinstance(value, str | bytes):
        if not value.strip():
            return {}
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError) as err:
            # RecursionError: nested deeper than the decoder's stack allows.
            raise HarviaParseError(f"{what}: not valid JSON") from err
        if decoded is None:
            return {}
        if isinstance(decoded, dict):
            _check_depth(decoded, what)
            return decoded
    raise HarviaParseError(f"{what}: expected a JSON object")


def merge_payload(old: Mapping[str, Any], partial: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge a partial push into a previous payload.

    Nested objects are merged key by key; scalars and lists in ``partial``
    replace the old values. Neither argument is modified. Either nested
    deeper than :data:`MAX_DEPTH` raises :class:`HarviaParseError`.
    """
    _check_depth(old, "merged payload")
    _check_depth(partial, "partial payload")
    return _merge(old, partial)


def _merge(old: Mapping[str, Any], partial: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {key: _copy_nested(value) for key, value in old.items()}
    for key, value in partial.items():
        previous = result.get(key)
        if isinstance(value, Mapping) and isinstance(previous, Mapping):
            result[key] = _merge(previous, value)
        else:
            result[key] = _copy_nested(value)
    return result


def _copy_nested(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy_nested(item) for key, item in value.items()}
    return value


# --------------------------------------------------------------------------
# Enums and capabilities
# --------------------------------------------------------------------------


class CommandType(StrEnum):
    """The device service's ``Command`` enum."""

    ADJUST_DURATION = "ADJUST_DURATION"
    REMAINING_TIME = "REMAINING_TIME"
    AFTER_HEATER = "AFTER_HEATER"
    EXT_SWITCH = "EXT_SWITCH"
    FAN = "FAN"
    HEATER = "HEATER"
    IR_HEATER = "IR_HEATER"
    LIGHTS = "LIGHTS"
    RESTART = "RESTART"
    SAUNA = "SAUNA"
    STEAMER = "STEAMER"
    TRACE_LOG = "TRACE_LOG"
    UPDATE = "UPDATE"
    VAPORIZER = "VAPORIZER"


# Commands the REST ``/devices/command`` endpoint takes with ``state`` on/off
# (the spec lists these three; every other type goes over GraphQL).
REST_COMMANDS: Final = frozenset(
    {CommandType.SAUNA, CommandType.LIGHTS, CommandType.FAN}
)


class OtaStatus(StrEnum):
    """Values of ``OtaUpdateState.updateState``."""

    IDLE = "IDLE"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a device type can do.

    ``commands`` lists every command the type accepts. ``default_cabin`` is
    the shadow to read when none is named (``None``: the classic shadow).
    """

    commands: frozenset[CommandType]
    telemetry_only: bool
    default_cabin: str | None

    def supports(self, command: CommandType | str) -> bool:
        """Return whether the type accepts ``command``."""
        return command in self.commands


_ALL_COMMANDS: Final = frozenset(CommandType)

_FENIX_CAPABILITIES: Final = Capabilities(
    # What Fenix panels are seen to take (HEATER goes over GraphQL); they
    # reject STEAMER and ADJUST_DURATION, and nothing else is known to work.
    commands=REST_COMMANDS | {CommandType.HEATER},
    telemetry_only=False,
    default_cabin="C1",
)
_SENSOR_CAPABILITIES: Final = Capabilities(
    commands=frozenset(),
    telemetry_only=True,
    default_cabin=None,
)
_GENERIC_CAPABILITIES: Final = Capabilities(
    commands=_ALL_COMMANDS,
    telemetry_only=False,
    default_cabin="C1",
)


_MODEL_NAMES: Final = {"fenix": "Fenix", "saunasensor": "SaunaSensor"}


def _normalise_type(device_type: str | None) -> str:
    return "".join(ch for ch in (device_type or "").lower() if ch.isalnum())


# Asked for by every entity of every device, often: a handful of types.
@lru_cache(maxsize=32)
def device_capabilities(device_type: str | None) -> Capabilities:
    """Return the capabilities of a device type (case-insensitive).

    Fenix panels take ``SAUNA``/``LIGHTS``/``FAN``/``HEATER`` (they reject
    ``STEAMER`` and ``ADJUST_DURATION``; other types are untested on them); the
    sauna sensor only reports telemetry; other heater types accept the whole
    command enum.
    """
    normalised = _normalise_type(device_type)
    if normalised.startswith("fenix"):
        return _FENIX_CAPABILITIES
    if normalised in {"saunasensor", "sam001w", "sensor"}:
        return _SENSOR_CAPABILITIES
    return _GENERIC_CAPABILITIES


# --------------------------------------------------------------------------
# Devices
# --------------------------------------------------------------------------


def _attributes(payload: Mapping[str, Any]) -> dict[str, str]:
    """Collect ``attr``/``attributes`` (list of key/value pairs or an object)."""
    raw = _first(payload, "attr", "attributes")
    result: dict[str, str] = {}
    if isinstance(raw, Mapping):
        pairs: list[tuple[Any, Any]] = list(raw.items())
    elif isinstance(raw, list):
        pairs = [
            (item.get("key"), item.get("value"))
            for item in raw
            if isinstance(item, Mapping)
        ]
    else:
        pairs = []
    for key, value in pairs:
        text = value if isinstance(value, str) else _str(value)
        if isinstance(value, bool):
            text = "true" if value else "false"
        if isinstance(key, str) and key and text is not None:
            result[key] = text
    return result


@dataclass(frozen=True, slots=True)
class Device:
    """A device from ``GET /devices`` or GraphQL ``devicesGet``.

    Attributes may hold private data (GPS): never log or expose them wholesale.
    """

    device_id: str
    type: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    via: str | None = None

    @classmethod
    def from_dict(cls, payload: Any) -> Self:
        """Build from a device row; the id comes from deviceId, id, then name."""
        data = _require_mapping(payload, "device")
        device_id = next(
            (
                value
                for value in (_str(data.get(key)) for key in ("deviceId", "id", "name"))
                if value is not None
            ),
            None,
        )
        if device_id is None:
            raise HarviaParseError("device: no deviceId, id or name")
        roles_raw = data.get("roles")
        roles = (
            tuple(role for role in roles_raw if isinstance(role, str))
            if isinstance(roles_raw, list)
            else ()
        )
        return cls(
            device_id=device_id,
            type=_str(data.get("type")),
            attributes=_attributes(data),
            roles=roles,
            via=_str(data.get("via")),
        )

    @property
    def capabilities(self) -> Capabilities:
        """Capabilities of this device's type."""
        return device_capabilities(self.type)

    @property
    def serial_number(self) -> str | None:
        """Serial number (attribute ``serialNumber``)."""
        return self.attributes.get("serialNumber") or None

    @property
    def connected(self) -> bool | None:
        """Connection flag from the ``connected`` attribute."""
        return _bool(self.attributes.get("connected"))

    @property
    def hw_version(self) -> str | None:
        """Hardware id (``HWID``, else ``powerUnitHWID``)."""
        return (
            self.attributes.get("HWID") or self.attributes.get("powerUnitHWID") or None
        )

    @property
    def firmware_version(self) -> str | None:
        """Firmware version (``powerUnitFwVersion``, else ``initialFirmware``)."""
        return (
            self.attributes.get("powerUnitFwVersion")
            or self.attributes.get("initialFirmware")
            or None
        )

    @property
    def panel_type(self) -> str | None:
        """Control panel type (attribute ``panelType``)."""
        return self.attributes.get("panelType") or None

    @property
    def model(self) -> str:
        """A model name for display, from the device type."""
        normalised = _normalise_type(self.type)
        if normalised in _MODEL_NAMES:
            return _MODEL_NAMES[normalised]
        return self.type or "Sauna controller"

    @property
    def has_steamer(self) -> bool | None:
        """Whether the heater has a steamer (combi), from its attributes.

        ``None`` when the attributes do not tell.
        """
        variant = (self.attributes.get("powerUnitVariant") or "").lower()
        panel = (self.attributes.get("panelType") or "").lower()
        if "combi" in variant or "combi" in panel:
            return True
        if variant in {"dry", "sensor"} or self.capabilities.telemetry_only:
            return False
        return None

    @property
    def mac(self) -> str | None:
        """Bluetooth MAC address (attribute ``BT_MAC``)."""
        return self.attributes.get("BT_MAC") or None


# --------------------------------------------------------------------------
# Shadow state and telemetry
# --------------------------------------------------------------------------


def _unwrap_item(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Unwrap a subscription notice ``{receiver, item: {...}}``."""
    item = data.get("item")
    if isinstance(item, Mapping) and "deviceId" not in data:
        return item
    return data


def _connected(data: Mapping[str, Any]) -> bool | None:
    connection = data.get("connectionState")
    if isinstance(connection, str):
        try:
            connection = decode_awsjson(connection, "connectionState")
        except HarviaParseError:
            connection = None
    value = _nested(connection, "connected") if connection is not None else None
    if value is None:
        value = data.get("connected")
    return _bool(value)


@dataclass(frozen=True, slots=True)
class ShadowState:
    """A cabin shadow: REST ``/devices/state``, GraphQL ``devicesStatesGet`` or a feed item.

    ``reported`` may be partial when built from a realtime push: merge it into
    the previous one with :func:`merge_payload`.
    """

    device_id: str | None
    shadow_name: str | None
    reported: dict[str, Any]
    connected: bool | None
    version: int | None
    timestamp: datetime | None

    @classmethod
    def from_dict(cls, payload: Any) -> Self:
        """Build from any of the shadow payload forms (AWSJSON decoded here)."""
        data = _unwrap_item(_require_mapping(payload, "shadow state"))
        if "reported" in data:
            reported = decode_awsjson(data.get("reported"), "shadow reported")
        else:
            state = decode_awsjson(data.get("state"), "shadow state")
            nested = state.get("reported")
            # AWS-style {"state": {"reported": {...}}} or the REST form where
            # ``state`` holds the reported document itself.
            reported = dict(nested) if isinstance(nested, Mapping) else state
        return cls(
            device_id=_str(data.get("deviceId")),
            shadow_name=_str(_first(data, "shadowName", "subId")),
            reported=reported,
            connected=_connected(data),
            version=_int(data.get("version"), strict=True),
            timestamp=_datetime(data.get("timestamp")),
        )


@dataclass(frozen=True, slots=True)
class Telemetry:
    """A telemetry record (Data service): latest data or a measurements push.

    ``raw`` is the decoded ``data`` object, to merge partial pushes or to build
    a :class:`CabinStatus`.
    """

    device_id: str | None
    sub_id: str | None
    timestamp: datetime | None
    session_id: str | None
    type: str | None
    raw: dict[str, Any]
    temperature: float | None
    humidity: float | None
    target_temperature: float | None
    target_humidity: float | None
    heat_on: bool | None
    steam_on: bool | None
    light_on: bool | None
    fan_on: bool | None
    panel_temperature: float | None
    time_to_target: int | None
    remaining_time: int | None
    on_time: int | None
    total_sessions: int | None
    total_bathing_hours: float | None
    total_hours: float | None

    @classmethod
    def from_dict(cls, payload: Any) -> Self:
        """Build from a telemetry record; ``data`` may be an AWSJSON string."""
        record = _unwrap_item(_require_mapping(payload, "telemetry"))
        if "data" in record:
            data = decode_awsjson(record.get("data"), "telemetry data")
        else:
            data = {
                key: value
                for key, value in record.items()
                if key not in _TELEMETRY_ENVELOPE
            }
        return cls.from_data(
            data,
            device_id=_str(record.get("deviceId")),
            sub_id=_str(_first(record, "subId", "cabinId")),
            timestamp=_datetime(record.get("timestamp")),
            session_id=_str(record.get("sessionId")),
            type=_str(record.get("type")),
        )

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        *,
        device_id: str | None = None,
        sub_id: str | None = None,
        timestamp: datetime | None = None,
        session_id: str | None = None,
        type: str | None = None,  # noqa: A002
    ) -> Self:
        """Build from a bare measurements object (e.g. merged pushes)."""
        data = _require_mapping(data, "telemetry data")
        return cls(
            device_id=device_id,
            sub_id=sub_id,
            timestamp=timestamp,
            session_id=session_id,
            type=type,
            raw=dict(data),
            temperature=parse_float(_first(data, "temp", "temperature")),
            humidity=parse_float(_first(data, "hum", "humidity")),
            target_temperature=parse_float(data.get("targetTemp")),
            target_humidity=parse_float(data.get("targetHum")),
            heat_on=_bool(data.get("heatOn")),
            steam_on=_bool(data.get("steamOn")),
            light_on=_bool(data.get("lightOn")),
            fan_on=_bool(data.get("fanOn")),
            panel_temperature=parse_float(data.get("panelTemp")),
            time_to_target=_int(data.get("timeToTarget")),
            remaining_time=_int(data.get("remainingTime")),
            on_time=_int(data.get("onTime")),
            total_sessions=_int(data.get("totalSessions")),
            total_bathing_hours=parse_float(data.get("totalBathingHours")),
            total_hours=parse_float(data.get("totalHours")),
        )


# --------------------------------------------------------------------------
# Cabin view
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Profile:
    """A panel preset from ``reported.profiles``."""

    index: int
    name: str | None
    target_temperature: float | None
    target_humidity: float | None
    duration: int | None
    label: str = ""
    steamer_on: bool | None = None

    @classmethod
    def from_dict(cls, index: int, payload: Any) -> Self:
        """Build a profile; a non-object payload gives an empty profile.

        ``label`` is the name shown to users: the profile's name, else
        "Profile <index + 1>" (made unique among a cabin's profiles).
        """
        data = _mapping(payload)
        name = _str(data.get("name"))
        name = name.strip() if name else None
        return cls(
            index=index,
            name=name or None,
            target_temperature=parse_float(data.get("targetTemp")),
            target_humidity=parse_float(data.get("targetHum")),
            duration=_int(data.get("duration")),
            label=name or f"Profile {index + 1}",
            steamer_on=_bool(_nested(data, "steamer", "on")),
        )


def _profiles(raw: Any) -> dict[int, Profile]:
    """Profiles keyed by index from an object ``{"0": {...}}`` or a list."""
    if isinstance(raw, Mapping):
        items: list[tuple[Any, Any]] = list(raw.items())
    elif isinstance(raw, list):
        items = list(enumerate(raw))
    else:
        return {}
    profiles: dict[int, Profile] = {}
    for key, value in items:
        index = _int(key, strict=True)
        if index is None or index < 0 or not isinstance(value, Mapping):
            continue
        profiles[index] = Profile.from_dict(index, value)
    result: dict[int, Profile] = {}
    used: set[str] = set()
    for index, item in sorted(profiles.items()):
        label = item.label
        if label in used:
            label = f"{label} ({index + 1})"
        used.add(label)
        result[index] = item if label == item.label else replace(item, label=label)
    return result


def _output_on(
    reported: Mapping[str, Any], telemetry: Mapping[str, Any], key: str, tkey: str
) -> bool | None:
    """An output's state: reported ``<key>.on``, else telemetry ``<tkey>``."""
    value = _bool(_nested(reported, key, "on"))
    if value is None:
        value = _bool(telemetry.get(tkey))
    return value


def _output_on_telemetry_first(
    reported: Mapping[str, Any], telemetry: Mapping[str, Any], key: str, tkey: str
) -> bool | None:
    """An output's state: telemetry ``<tkey>``, else reported ``<key>.on``."""
    value = _bool(telemetry.get(tkey))
    if value is None:
        value = _bool(_nested(reported, key, "on"))
    return value


@dataclass(frozen=True, slots=True)
class CabinStatus:
    """The one merged view of a cabin, from the reported shadow and telemetry.

    Build with :meth:`from_payloads`. Every field is ``None`` when unknown.
    """

    display_name: str | None
    sauna_status: int | None
    is_heating: bool | None
    is_waiting: bool | None
    is_on: bool | None
    active_profile: int | None
    profiles: dict[int, Profile]
    target_temperature: float | None
    target_humidity: float | None
    current_temperature: float | None
    current_humidity: float | None
    light_on: bool | None
    fan_on: bool | None
    steamer_on: bool | None
    max_temperature: float
    min_temperature: float
    max_on_time: int | None
    remote_allowed: bool | None
    timer_start: datetime | None
    timer_ready: datetime | None
    signal_strength: int | None
    firmware_version: str | None
    panel_temperature: float | None
    time_to_target: int | None
    remaining_time: int | None
    on_time: int | None
    total_sessions: int | None
    total_bathing_hours: float | None
    total_hours: float | None
    connected: bool | None
    has_steamer: bool = False
    mac: str | None = None
    # The element's relay: telemetry heatOn, else reported heater.on (which is
    # also 1 while a scheduled start waits; pair it with is_heating).
    heat_on: bool | None = None
    # Outputs and readings only some controllers report (None: not reported).
    vaporizer_on: bool | None = None
    ir_heater_on: bool | None = None
    after_heater_on: bool | None = None
    ext_switch_on: bool | None = None
    ext_sensor_temperature: float | None = None

    @property
    def active_profile_data(self) -> Profile | None:
        """The active profile, when known."""
        if self.active_profile is None:
            return None
        return self.profiles.get(self.active_profile)

    @classmethod
    def from_payloads(
        cls,
        reported: Mapping[str, Any] | None,
        telemetry: Mapping[str, Any] | None,
        connected: bool | None,
        *,
        has_steamer: bool | None = None,
    ) -> Self:
        """Merge a reported shadow document and a telemetry ``data`` object.

        Both are the raw dicts (``ShadowState.reported``, ``Telemetry.raw``),
        possibly accumulated with :func:`merge_payload`. ``has_steamer``
        overrides the guess from the payloads (e.g. with
        :attr:`Device.has_steamer`).
        """
        rep = _mapping(reported)
        tel = _mapping(telemetry)

        sauna_status = _int(rep.get("saunaStatus"), strict=True)
        if sauna_status is not None:
            # saunaStatus is authoritative: 1 runs a session, 5 waits for a
            # scheduled start (heater.on is 1 then too, but nothing heats).
            is_heating: bool | None = sauna_status == 1
            is_waiting: bool | None = sauna_status == 5
        else:
            is_heating = _bool(_nested(rep, "heater", "on"))
            if is_heating is None:
                is_heating = _bool(tel.get("heatOn"))
            is_waiting = None if is_heating is None else False
        if is_heating or is_waiting:
            is_on: bool | None = True
        elif is_heating is None:
            is_on = None
        else:
            is_on = False

        active_profile = _int(rep.get("activeProfile"), strict=True)
        profiles = _profiles(rep.get("profiles"))
        active = profiles.get(active_profile) if active_profile is not None else None

        target_temperature = _target(
            is_heating,
            parse_float(tel.get("targetTemp")),
            active.target_temperature if active else None,
            parse_float(rep.get("targetTemp")),
        )
        target_humidity = _target(
            is_heating,
            parse_float(tel.get("targetHum")),
            active.target_humidity if active else None,
            parse_float(rep.get("targetHum")),
        )

        settings = _mapping(rep.get("settings"))
        max_temperature = parse_float(settings.get("maxTemp"))
        if max_temperature is None or max_temperature <= MIN_TEMPERATURE:
            max_temperature = float(DEFAULT_MAX_TEMPERATURE)

        current_temperature = parse_float(_first(tel, "temp", "temperature"))
        if current_temperature is None:
            current_temperature = parse_float(_first(rep, "temp", "temperature"))
        current_humidity = parse_float(_first(tel, "hum", "humidity"))
        if current_humidity is None:
            current_humidity = parse_float(_first(rep, "hum", "humidity"))

        return cls(
            display_name=_str(rep.get("displayName")),
            sauna_status=sauna_status,
            is_heating=is_heating,
            is_waiting=is_waiting,
            is_on=is_on,
            active_profile=active_profile,
            profiles=profiles,
            target_temperature=target_temperature,
            target_humidity=target_humidity,
            current_temperature=current_temperature,
            current_humidity=current_humidity,
            light_on=_output_on(rep, tel, "light", "lightOn"),
            fan_on=_output_on(rep, tel, "fan", "fanOn"),
            steamer_on=_output_on(rep, tel, "steamer", "steamOn"),
            max_temperature=max_temperature,
            min_temperature=float(MIN_TEMPERATURE),
            max_on_time=_int(settings.get("maxOnTime")),
            remote_allowed=_bool(rep.get("remoteAllowed")),
            timer_start=_datetime(_nested(rep, "timer", "startTime")),
            timer_ready=_datetime(_nested(rep, "timer", "readyTime")),
            signal_strength=_int(rep.get("signalStrength")),
            firmware_version=_str(rep.get("deviceFwVersion")),
            panel_temperature=parse_float(tel.get("panelTemp")),
            time_to_target=_int(tel.get("timeToTarget")),
            remaining_time=_int(tel.get("remainingTime")),
            on_time=_int(tel.get("onTime")),
            total_sessions=_int(tel.get("totalSessions")),
            total_bathing_hours=parse_float(tel.get("totalBathingHours")),
            total_hours=parse_float(tel.get("totalHours")),
            connected=connected,
            has_steamer=(
                has_steamer
                if has_steamer is not None
                else _guess_steamer(rep, tel, profiles)
            ),
            mac=_str(_first(rep, "mac", "MAC", "wifiMac")),
            heat_on=_output_on_telemetry_first(rep, tel, "heater", "heatOn"),
            vaporizer_on=_output_on(rep, tel, "vaporizer", "vaporizerOn"),
            ir_heater_on=_output_on(rep, tel, "irHeater", "irHeaterOn"),
            after_heater_on=_output_on(rep, tel, "afterHeater", "afterHeaterOn"),
            ext_switch_on=_output_on(rep, tel, "extSwitch", "extSwitchOn"),
            ext_sensor_temperature=parse_float(tel.get("extSensorTemp")),
        )


def _guess_steamer(
    reported: Mapping[str, Any],
    telemetry: Mapping[str, Any],
    profiles: dict[int, Profile],
) -> bool:
    """Whether the cabin has a steamer (combi heater), from what it reports.

    Every Fenix reports a ``steamer`` object, so its presence proves nothing;
    a steamer that is (or was set to be) on does: the output, the telemetry
    flag, or a profile that runs it.
    """
    if _bool(_nested(reported, "steamer", "on")) or _bool(telemetry.get("steamOn")):
        return True
    return any(profile.steamer_on for profile in profiles.values())


def _target(
    is_heating: bool | None,
    live: float | None,
    profile: float | None,
    stale: float | None,
) -> float | None:
    """The real target: the live session's while heating, else the profile's.

    The top-level reported value is stale and only the last fallback.
    """
    order = (live, profile) if is_heating else (profile, live)
    for value in (*order, stale):
        if value is not None:
            return value
    return None


# --------------------------------------------------------------------------
# Firmware updates
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OtaUpdate:
    """An available firmware update (``otaUpdatesList``)."""

    ota_id: str
    firmware_version: str | None
    description: str | None
    enabled: bool | None
    beta_testing: bool | None
    device_type: str | None
    hw_version: str | None
    size: int | None
    filename: str | None

    @classmethod
    def from_dict(cls, payload: Any) -> Self:
        """Build from an ``OtaUpdate`` object; ``otaId`` is required."""
        data = _require_mapping(payload, "OTA update")
        ota_id = _str(data.get("otaId"))
        if ota_id is None:
            raise HarviaParseError("OTA update: no otaId")
        return cls(
            ota_id=ota_id,
            firmware_version=_str(data.get("firmwareVersion")),
            description=_str(data.get("description")),
            enabled=_bool(data.get("enabled")),
            beta_testing=_bool(data.get("betaTesting")),
            device_type=_str(data.get("deviceType")),
            hw_version=_str(data.get("hwVersion")),
            size=_int(data.get("size")),
            filename=_str(data.get("filename")),
        )


@dataclass(frozen=True, slots=True)
class OtaState:
    """A device's firmware update progress (``otaUpdatesStatesList`` or feed).

    ``update_state`` is kept as sent; compare with :class:`OtaStatus`.
    """

    device_id: str
    update_state: str | None
    progress_percent: int | None
    update_firmware_version: str | None
    result_code: int | None
    timestamp: datetime | None

    @classmethod
    def from_dict(cls, payload: Any) -> Self:
        """Build from an ``OtaUpdateState`` object or a feed notice."""
        data = _unwrap_item(_require_mapping(payload, "OTA state"))
        device_id = _str(data.get("deviceId"))
        if device_id is None:
            raise HarviaParseError("OTA state: no deviceId")
        return cls(
            device_id=device_id,
            update_state=_str(data.get("updateState")),
            progress_percent=_int(data.get("progressPercent")),
            update_firmware_version=_str(data.get("updateFirmwareVersion")),
            result_code=_int(data.get("resultCode")),
            timestamp=_datetime(data.get("timestamp")),
        )
