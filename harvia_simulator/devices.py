"""Simulated devices: panel state, cabin physics, shadows and telemetry.

A device holds what the panel knows (`Cabin`) and, separately, what the cloud
last heard from it (`Shadow`, latest telemetry). They differ while the device
is offline, as in reality. Every change is published as a *partial* push of the
keys that changed, the way real panels report.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
import math
import random
from typing import TYPE_CHECKING, Any, Protocol
import uuid

from .clock import epoch_ms, iso
from .errors import SimError, bad_request
from .events import Event, OtaPush, StatePush, TelemetryPush
from .firmware import OTA_DURATION, OTA_STEP, OtaProgress, OtaUpdate

if TYPE_CHECKING:
    from .accounts import Account

AMBIENT_TEMP = 21.0
AMBIENT_HUM = 45.0
HEAT_RATE = 1.5 / 60.0  # °C/s: the element's ramp (about 1.5 °C a minute)
NEAR_TAU = 200.0  # s: first-order approach over the last few degrees
COOL_TAU = 45 * 60.0  # s: an insulated cabin cooling toward ambient
STEAM_RATE = 2.0 / 60.0  # %RH/s from the steamer
HUM_TAU = 600.0  # s: humidity settling toward its dry equilibrium
SENSOR_MIN_TEMP = 40.0  # the SaunaSensor reports only above this (notes §3)
IDLE_TELEMETRY = 900.0  # idle devices report about every 15 minutes
RESTART_DURATION = 20.0  # s offline after a RESTART command (a reboot)
SENSOR_TELEMETRY = 60.0
EPSILON = 1e-6

ALL_COMMANDS = frozenset(
    {
        "ADJUST_DURATION", "REMAINING_TIME", "AFTER_HEATER", "EXT_SWITCH", "FAN",
        "HEATER", "IR_HEATER", "LIGHTS", "RESTART", "SAUNA", "STEAMER",
        "TRACE_LOG", "UPDATE", "VAPORIZER",
    }
)  # fmt: skip
TOGGLES = frozenset(
    {"SAUNA", "HEATER", "LIGHTS", "FAN", "STEAMER", "VAPORIZER", "IR_HEATER",
     "AFTER_HEATER", "EXT_SWITCH"}
)  # fmt: skip
# Outputs only the spec-generic controller has: command -> reported key.
EXTRA_OUTPUTS = {
    "VAPORIZER": "vaporizer",
    "IR_HEATER": "irHeater",
    "AFTER_HEATER": "afterHeater",
    "EXT_SWITCH": "extSwitch",
}
# Top-level targetTemp/targetHum are stale on real panels (notes §4): set long
# ago and never updated. They match no preset, so a client that reads them
# instead of the active profile / telemetry shows a visibly wrong target.
STALE_TARGET_TEMP = 65
STALE_TARGET_HUM = 30
INFO_KEYS = ("deviceFwVersion", "wifissid", "espChip", "mac")
CLASSIC = "classic"


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What distinguishes the simulated device kinds."""

    kind: str
    device_type: str
    id_prefix: str
    cabins: tuple[str, ...]
    commands: frozenset[str]
    steam: bool
    sensor_only: bool
    numeric_state_ok: bool
    temp_key: str
    hum_key: str
    panel_type: str
    variant: str
    hw_version: str
    firmware: str
    extra_outputs: bool = False  # vaporizer, IR heater, after-heater, ext. switch
    # The steamer runs only with the heater: STEAMER on is refused (400) while
    # no session runs, instead of being stored and showing no steam.
    steam_needs_session: bool = False


# fenix / fenix_combi: the commands seen to work on real Fenix panels (others
# 400 "not supported"). generic: the spec's whole Command enum on two cabins,
# with the outputs only it has; its steamer runs only with the heater (STEAMER
# on is refused while no session runs: a Fenix refuses STEAMER altogether, so
# no real panel is known to accept it then), and RESTART reboots it (offline
# for RESTART_DURATION, then a full report).
KINDS: dict[str, KindSpec] = {
    "fenix": KindSpec(
        "fenix", "Fenix", "FENIX", ("C1",),
        frozenset({"SAUNA", "LIGHTS", "FAN", "HEATER"}),
        steam=False, sensor_only=False, numeric_state_ok=False,
        temp_key="temp", hum_key="hum", panel_type="Fenix", variant="dry",
        hw_version="2.0", firmware="1.12.0",
    ),
    "fenix_combi": KindSpec(
        "fenix_combi", "Fenix", "FENIX", ("C1",),
        frozenset({"SAUNA", "LIGHTS", "FAN", "HEATER"}),
        steam=True, sensor_only=False, numeric_state_ok=False,
        temp_key="temp", hum_key="hum", panel_type="Fenix Combi", variant="combi",
        hw_version="2.0", firmware="1.12.0",
    ),
    "generic": KindSpec(
        "generic", "sauna", "SAUNA", ("C1", "C2"), ALL_COMMANDS,
        steam=True, sensor_only=False, numeric_state_ok=True,
        temp_key="temperature", hum_key="humidity", panel_type="Generic",
        variant="generic", hw_version="1.0", firmware="3.0.0", extra_outputs=True,
        steam_needs_session=True,
    ),
    "sauna_sensor": KindSpec(
        "sauna_sensor", "SaunaSensor", "SAM001W", ("C1",), frozenset(),
        steam=False, sensor_only=True, numeric_state_ok=False,
        temp_key="temp", hum_key="hum", panel_type="SAM001W", variant="sensor",
        hw_version="1.0", firmware="2.3.0",
    ),
}  # fmt: skip


class DeviceHost(Protocol):
    """What a device needs from the cloud that holds it."""

    rng: random.Random

    def profile_lag(self) -> float:
        """Virtual seconds before a remote profile change reaches the panel."""
        ...

    def target_lag(self) -> float:
        """Virtual seconds before a remote target write reaches the panel."""
        ...

    def now(self) -> float:
        """Virtual epoch seconds."""
        ...

    def publish(self, event: Event) -> None:
        """Hand an event to the cloud's subscribers."""
        ...


@dataclass(slots=True)
class Profile:
    """A panel preset (`profiles."0".."3"`); `duration` in minutes."""

    name: str
    target_temp: int
    target_hum: int
    duration: int
    steamer_on: bool = False
    light_on: bool = True

    def reported(self) -> dict[str, Any]:
        """The shadow form of the preset."""
        return {
            "name": self.name,
            "targetTemp": self.target_temp,
            "targetHum": self.target_hum,
            "duration": self.duration,
            "heater": {"on": 1},
            "steamer": {"on": int(self.steamer_on)},
            "light": {"on": int(self.light_on)},
        }


def default_profiles(steam: bool) -> list[Profile]:
    """Four presets; slot 3 is the free/custom one."""
    if steam:
        return [
            Profile("Finnish", 80, 10, 180),
            Profile("Relax", 55, 45, 120, steamer_on=True),
            Profile("Hot", 90, 10, 60),
            Profile("Custom", 60, 40, 90, steamer_on=True),
        ]
    return [
        Profile("Finnish", 80, 10, 180),
        Profile("Relax", 70, 15, 120),
        Profile("Hot", 90, 8, 60),
        Profile("Custom", 75, 12, 90),
    ]


@dataclass(slots=True)
class Session:
    """A running session; targets are live (telemetry `targetTemp`)."""

    session_id: str
    started_at: float
    target_temp: float
    target_hum: float
    duration_min: float

    @property
    def ends_at(self) -> float:
        """When the panel switches off by itself."""
        return self.started_at + self.duration_min * 60.0


@dataclass(slots=True)
class Schedule:
    """A scheduled start (saunaStatus 5 until `start_at`)."""

    start_at: float
    ready_at: float


@dataclass(slots=True)
class Settings:
    """`settings` in the shadow."""

    max_temp: int = 110
    max_on_time: int = 360  # minutes
    temp_calibration: float = 0.0
    remote_control: int = 1

    def reported(self) -> dict[str, Any]:
        """The shadow form."""
        return {
            "maxTemp": self.max_temp,
            "maxOnTime": self.max_on_time,
            "tempCalibration": self.temp_calibration,
            "remoteControl": self.remote_control,
        }


@dataclass(eq=False)
class Cabin:
    """What the panel knows about one cabin, plus its physics."""

    cabin_id: str
    display_name: str
    profiles: list[Profile]
    active_profile: int = 0
    settings: Settings = field(default_factory=Settings)
    status: int = 0  # saunaStatus: 0 off, 1 heating, 5 waiting for schedule
    element_on: bool = True  # HEATER drives only the element
    light: bool = False
    fan: bool = False
    steamer: bool = False
    extras: dict[str, bool] = field(default_factory=dict)
    session: Session | None = None
    last_session_id: str | None = None
    schedule: Schedule | None = None
    pending_profile: tuple[int, float] | None = None
    # Remote target writes on their way to the panel: (due, temp, hum).
    pending_targets: list[tuple[float, float | None, float | None]] = field(
        default_factory=list
    )
    temp: float = AMBIENT_TEMP
    hum: float = AMBIENT_HUM
    total_sessions: int = 0
    total_hours: float = 0.0
    total_bathing_hours: float = 0.0
    next_telemetry_at: float = 0.0
    telemetry_flags: tuple[Any, ...] = ()
    stale_target_temp: int = STALE_TARGET_TEMP
    stale_target_hum: int = STALE_TARGET_HUM

    @property
    def profile(self) -> Profile:
        """The active preset."""
        return self.profiles[self.active_profile]

    @property
    def heating(self) -> bool:
        """Is the element actually powered?"""
        return self.session is not None and self.element_on

    @property
    def steaming(self) -> bool:
        """Is the steamer actually producing steam?"""
        return self.session is not None and self.steamer

    @property
    def live_target(self) -> tuple[float, float]:
        """(temp, hum) the panel regulates to: session's, else the profile's."""
        if self.session is not None:
            return self.session.target_temp, self.session.target_hum
        return float(self.profile.target_temp), float(self.profile.target_hum)

    def step(self, dt: float) -> None:
        """Advance the cabin's temperature/humidity and counters by `dt` s."""
        target_temp, target_hum = self.live_target
        if self.heating and self.temp < target_temp:
            gap = target_temp - self.temp
            self.temp += min(HEAT_RATE * dt, gap * -math.expm1(-dt / NEAR_TAU))
        else:
            # Off, or above target: cool toward ambient (never below target
            # while a session holds it).
            floor = target_temp if self.heating else AMBIENT_TEMP
            self.temp = floor + (self.temp - floor) * math.exp(-dt / COOL_TAU)
        if self.steaming and self.hum < target_hum:
            gap = target_hum - self.hum
            self.hum += min(STEAM_RATE * dt, gap * -math.expm1(-dt / NEAR_TAU))
        else:
            # Relative humidity of dry heat falls as the air warms.
            equilibrium = min(
                AMBIENT_HUM, max(5.0, AMBIENT_HUM - 0.6 * (self.temp - AMBIENT_TEMP))
            )
            if self.steaming:
                equilibrium = max(equilibrium, target_hum)
            self.hum = equilibrium + (self.hum - equilibrium) * math.exp(-dt / HUM_TAU)
        if self.heating:
            self.total_hours += dt / 3600.0
        if self.session is not None and self.temp >= target_temp - 2.0:
            self.total_bathing_hours += dt / 3600.0

    def time_to_target(self) -> int:
        """Minutes until the target is reached at the ramp rate (0 when there)."""
        target_temp, _ = self.live_target
        if self.session is None or self.temp >= target_temp - 0.5:
            return 0
        return math.ceil((target_temp - self.temp) / (HEAT_RATE * 60.0))


@dataclass(slots=True)
class Shadow:
    """The cloud's copy of one (named or classic) shadow."""

    name: str
    reported: dict[str, Any] = field(default_factory=dict)
    desired: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    timestamp: int = 0  # epoch ms of the last update
    key_timestamps: dict[str, int] = field(default_factory=dict)  # epoch s

    def merge_reported(self, part: dict[str, Any], now: float) -> None:
        """Merge a partial report, bumping version and per-key metadata."""
        self.reported.update(copy.deepcopy(part))
        self.version += 1
        self.timestamp = epoch_ms(now)
        for key in part:
            self.key_timestamps[key] = int(now)

    def metadata(self) -> dict[str, Any]:
        """AWS-style metadata: a timestamp per reported key."""
        return {
            "reported": {
                key: {"timestamp": stamp}
                for key, stamp in sorted(self.key_timestamps.items())
            }
        }


def _bool_word(value: str) -> bool | None:
    return {
        "on": True,
        "off": False,
        "true": True,
        "false": False,
        "1": True,
        "0": False,
    }.get(value.strip().lower())


def parse_toggle(value: Any, *, numbers_ok: bool, device_type: str, what: str) -> bool:
    """A toggle as the spec accepts it: on/off, true/false, 1/0.

    Fenix refuses a bare number as `command.state` (notes §5): the message
    points at `command.params`, as the real API's does.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not numbers_ok:
            raise bad_request(
                f"Invalid {what} value {value!r} for device type '{device_type}': "
                'send command.params (e.g. {"on": 1}) instead'
            )
        if value in (0, 1):
            return bool(value)
    elif isinstance(value, str):
        word = _bool_word(value)
        if word is not None:
            return word
    raise bad_request(f"Invalid {what} value {value!r}: use on/off, true/false or 1/0")


def _new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class SimDevice:
    """One simulated device of one kind; see `HarviaCloud.add_device`."""

    def __init__(
        self,
        host: DeviceHost,
        owner: Account,
        kind: str,
        *,
        name: str,
        device_id: str,
        firmware: str | None = None,
        hw_version: str | None = None,
        active_profile_as_string: bool = False,
        reports_remote_allowed: bool = True,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown device kind {kind!r}; one of {sorted(KINDS)}")
        self._host = host
        self.spec = KINDS[kind]
        self.kind = kind
        self.owner = owner
        self.device_id = device_id
        self.name = name
        self.firmware = firmware or self.spec.firmware
        self.initial_firmware = self.firmware
        self.hw_version = hw_version or self.spec.hw_version
        self.active_profile_as_string = active_profile_as_string
        # Panels whose firmware does not report `remoteAllowed` at all.
        self.reports_remote_allowed = reports_remote_allowed
        # When the last remote command reached the cloud (burst rule).
        self.last_command_at: float | None = None
        rng = host.rng
        now = host.now()
        self.created_at = now
        self.serial_number = f"{self.spec.id_prefix}{rng.randrange(10**8):08d}"
        octets = [rng.randrange(256) for _ in range(5)]
        self.mac = ":".join(f"{b:02X}" for b in [0x24, *octets])
        self.bt_mac = ":".join(
            f"{b:02X}" for b in [0x24, *octets[:-1], (octets[-1] + 2) % 256]
        )
        self.signal_strength = -50 - rng.randrange(25)
        self.wifi_ssid = "HomeWiFi"
        self.door_open = False
        self.remote_armed = True
        self.connected = True
        self.connection_updated = epoch_ms(now)
        self.no_ack = False  # fault: commands time out (504)
        self.restart_until: float | None = None  # rebooting (offline) until then
        self.ota: OtaProgress | None = None
        self.panel = Panel(self)
        self.cabins: dict[str, Cabin] = {}
        for index, cabin_id in enumerate(self.spec.cabins):
            profiles = default_profiles(self.spec.steam)
            cabin = Cabin(
                cabin_id=cabin_id,
                display_name=name if index == 0 else f"{name} {index + 1}",
                profiles=profiles,
                stale_target_temp=STALE_TARGET_TEMP,
                stale_target_hum=STALE_TARGET_HUM,
                total_sessions=rng.randrange(20, 200),
            )
            cabin.total_hours = round(cabin.total_sessions * 1.2, 2)
            cabin.total_bathing_hours = round(cabin.total_sessions * 0.8, 2)
            if self.spec.extra_outputs:
                cabin.extras = dict.fromkeys(EXTRA_OUTPUTS.values(), False)
            # Stagger idle telemetry across devices, like real fleets.
            cabin.next_telemetry_at = now + rng.uniform(
                0.0, self._telemetry_interval(cabin)
            )
            self.cabins[cabin_id] = cabin
        self.shadows: dict[str, Shadow] = {}
        self.latest_telemetry: dict[str, TelemetryPush] = {}
        for cabin in self.cabins.values():
            shadow = Shadow(self.shadow_name(cabin))
            shadow.merge_reported(self._reported(cabin), now)
            self.shadows[shadow.name] = shadow
            if not self.spec.sensor_only:
                # The cloud has a sample from before the simulation started.
                self._push_telemetry(cabin, now, emit=False)

    # -- identity -----------------------------------------------------------

    @property
    def device_type(self) -> str:
        """The cloud's `type`: Fenix, sauna or SaunaSensor."""
        return self.spec.device_type

    def shadow_name(self, cabin: Cabin) -> str:
        """The sensor uses the classic shadow; panels a named one per cabin."""
        return CLASSIC if self.spec.sensor_only else cabin.cabin_id

    @property
    def default_shadow(self) -> str:
        """Shadow used when a request names none."""
        return next(iter(self.shadows))

    @property
    def remote_allowed(self) -> bool:
        """Remote start possible: door closed and armed at the panel."""
        return not self.door_open and self.remote_armed

    def attributes(self) -> list[dict[str, str]]:
        """`attr` rows as the device list returns them."""
        pairs = [
            ("serialNumber", self.serial_number),
            ("brand", "Harvia"),
            ("connected", "true" if self.connected else "false"),
            ("HWID", self.hw_version),
            ("powerUnitHWID", f"PU-{self.hw_version}"),
            ("powerUnitFwVersion", self.firmware),
            ("initialFirmware", self.initial_firmware),
            ("panelType", self.spec.panel_type),
            ("powerUnitVariant", self.spec.variant),
            ("BT_MAC", self.bt_mac),
            ("organization", self.owner.organization_id),
            ("createdAt", iso(self.created_at)),
            ("gpsLat", "60.1699"),
            ("gpsLon", "24.9384"),
        ]
        return [{"key": key, "value": value} for key, value in pairs]

    def cabin(self, cabin_id: str | None = None, name: str | None = None) -> Cabin:
        """Resolve a cabin by id or display name (mutually exclusive)."""
        if cabin_id is not None and name is not None:
            raise bad_request("cabin.id and cabin.name are mutually exclusive")
        if name is not None:
            for cabin in self.cabins.values():
                if cabin.display_name == name:
                    return cabin
            raise SimError(404, "NotFound", f"Cabin named '{name}' not found")
        wanted = cabin_id or self.spec.cabins[0]
        if self.spec.sensor_only and wanted == CLASSIC:
            wanted = self.spec.cabins[0]
        if wanted not in self.cabins:
            raise SimError(404, "NotFound", f"Cabin '{wanted}' not found")
        return self.cabins[wanted]

    def shadow(self, name: str | None) -> Shadow:
        """Resolve a shadow; the sensor's classic one answers to no name too."""
        if self.spec.sensor_only and name in (None, "", CLASSIC, "device"):
            return self.shadows[CLASSIC]
        wanted = name or self.default_shadow
        if wanted not in self.shadows:
            raise SimError(404, "NotFound", f"Shadow '{wanted}' not found")
        return self.shadows[wanted]

    # -- reported state ------------------------------------------------------

    def _device_info(self) -> dict[str, Any]:
        return {
            "deviceFwVersion": self.firmware,
            "wifissid": self.wifi_ssid,
            "espChip": "ESP32-S3",
            "mac": self.mac,
        }

    def _reported(self, cabin: Cabin) -> dict[str, Any]:
        """The full reported document of a cabin (what the panel would say)."""
        if self.spec.sensor_only:
            return {
                "displayName": cabin.display_name,
                "signalStrength": self.signal_strength,
                **self._device_info(),
            }
        running = cabin.status in (1, 5)
        schedule = cabin.schedule
        reported: dict[str, Any] = {
            "displayName": cabin.display_name,
            "saunaStatus": cabin.status,
            # `on` is 1 while running *and* while waiting; `state` is always 0.
            "heater": {"on": int(running and cabin.element_on), "state": 0},
            "activeProfile": (
                str(cabin.active_profile)
                if self.active_profile_as_string
                else cabin.active_profile
            ),
            "profiles": {str(i): p.reported() for i, p in enumerate(cabin.profiles)},
            # Stale: set at creation and never updated (notes §4).
            "targetTemp": cabin.stale_target_temp,
            "targetHum": cabin.stale_target_hum,
            "light": {"on": int(cabin.light)},
            "fan": {"on": int(cabin.fan)},
            "steamer": {"on": int(cabin.steaming), "state": 0},
            "settings": cabin.settings.reported(),
            "timer": {
                "startTime": iso(schedule.start_at) if schedule else None,
                "readyTime": iso(schedule.ready_at) if schedule else None,
            },
            "signalStrength": self.signal_strength,
        }
        if self.reports_remote_allowed:
            reported["remoteAllowed"] = int(self.remote_allowed)
        for key, on in cabin.extras.items():
            reported[key] = {"on": int(on)}
        reported.update(self._device_info())
        return reported

    def forget_reports(self) -> None:
        """The cloud holds nothing from this device yet: empty shadows, no
        telemetry (until the device next reports a change)."""
        for shadow in self.shadows.values():
            shadow.reported = {}
            shadow.key_timestamps.clear()
        self.latest_telemetry.clear()

    def _publish(self, *, force_info: bool = False) -> None:
        """Push what changed since the last report (nothing while offline)."""
        if not self.connected:
            return
        now = self._host.now()
        for cabin in self.cabins.values():
            shadow = self.shadows[self.shadow_name(cabin)]
            full = self._reported(cabin)
            diff = {
                key: value
                for key, value in full.items()
                if key not in shadow.reported or shadow.reported[key] != value
            }
            # The device-info report is a push of its own (notes §4).
            info = {key: full[key] for key in INFO_KEYS if key in diff or force_info}
            for key in info:
                diff.pop(key, None)
            for part in (info, diff):
                if part:
                    shadow.merge_reported(part, now)
                    self._host.publish(
                        StatePush(
                            device_id=self.device_id,
                            shadow_name=shadow.name,
                            reported=copy.deepcopy(part),
                            desired=None,
                            timestamp=shadow.timestamp,
                            version=shadow.version,
                            connected=True,
                            connection_updated=self.connection_updated,
                        )
                    )

    # -- telemetry -----------------------------------------------------------

    def _telemetry(self, cabin: Cabin) -> dict[str, Any]:
        spec = self.spec
        temp = cabin.temp + cabin.settings.temp_calibration
        if spec.sensor_only:
            return {spec.temp_key: round(temp, 1), spec.hum_key: round(cabin.hum, 1)}
        target_temp, target_hum = cabin.live_target
        session = cabin.session
        on_minutes = (
            int((self._host.now() - session.started_at) // 60) if session else 0
        )
        remaining = (
            max(0, math.ceil((session.ends_at - self._host.now()) / 60.0))
            if session
            else 0
        )
        data: dict[str, Any] = {
            spec.temp_key: round(temp, 1),
            spec.hum_key: round(cabin.hum, 1),
            "targetTemp": round(target_temp),
            "targetHum": round(target_hum),
            "heatOn": int(cabin.heating),
            "steamOn": int(cabin.steaming),
            "lightOn": int(cabin.light),
            "fanOn": int(cabin.fan),
            "panelTemp": round(
                AMBIENT_TEMP + 2.0 + (cabin.temp - AMBIENT_TEMP) * 0.08, 1
            ),
            "mainSensorTemp": round(cabin.temp, 1),
            "extSensorTemp": round(
                AMBIENT_TEMP + (cabin.temp - AMBIENT_TEMP) * 0.85, 1
            ),
            "timeToTarget": cabin.time_to_target(),
            "remainingTime": remaining,
            "onTime": on_minutes,
            "totalSessions": cabin.total_sessions,
            "totalBathingHours": round(cabin.total_bathing_hours, 2),
            "totalHours": round(cabin.total_hours, 2),
            # Seen as constant 0 on real units: not power, not a door sensor.
            "heaterPower": 0,
            "safetyRelay": 0,
            "doorSafetyState": 0,
        }
        for key, on in cabin.extras.items():
            data[f"{key}On"] = int(on)
        return data

    def _flags(self, cabin: Cabin) -> tuple[Any, ...]:
        """What makes a panel send telemetry right away when it changes."""
        return (
            cabin.status,
            cabin.heating,
            cabin.steaming,
            cabin.light,
            cabin.fan,
            cabin.live_target,
            tuple(sorted(cabin.extras.items())),
        )

    def _telemetry_interval(self, cabin: Cabin) -> float:
        if self.spec.sensor_only:
            return SENSOR_TELEMETRY
        if cabin.status in (1, 5):
            return self._host.rng.uniform(30.0, 60.0)
        return IDLE_TELEMETRY

    def _push_telemetry(self, cabin: Cabin, now: float, *, emit: bool = True) -> None:
        cabin.next_telemetry_at = now + self._telemetry_interval(cabin)
        cabin.telemetry_flags = self._flags(cabin)
        if not self.connected:
            return
        if self.spec.sensor_only and cabin.temp < SENSOR_MIN_TEMP:
            return  # the SaunaSensor is silent in a cold cabin
        session = cabin.session
        item = TelemetryPush(
            device_id=self.device_id,
            sub_id=cabin.cabin_id,
            timestamp=epoch_ms(now),
            session_id=session.session_id if session else cabin.last_session_id,
            type="measurement",
            data=self._telemetry(cabin),
        )
        self.latest_telemetry[cabin.cabin_id] = item
        if emit:
            self._host.publish(item)

    def _changed(self) -> None:
        """After any change: report state, and telemetry if outputs changed."""
        self._publish()
        now = self._host.now()
        for cabin in self.cabins.values():
            if self._flags(cabin) != cabin.telemetry_flags:
                self._push_telemetry(cabin, now)

    # -- sessions ------------------------------------------------------------

    def _start_session(self, cabin: Cabin) -> None:
        now = self._host.now()
        profile = cabin.profile
        max_on = cabin.settings.max_on_time
        duration = min(profile.duration, max_on) if profile.duration > 0 else max_on
        cabin.session = Session(
            _new_uuid(self._host.rng),
            now,
            float(profile.target_temp),
            float(profile.target_hum),
            float(duration),
        )
        cabin.last_session_id = cabin.session.session_id
        cabin.status = 1
        cabin.schedule = None  # timer cleared at ignition
        cabin.element_on = True
        cabin.steamer = self.spec.steam and profile.steamer_on
        if profile.light_on:
            cabin.light = True
        cabin.total_sessions += 1

    def _stop(self, cabin: Cabin) -> None:
        cabin.session = None
        cabin.schedule = None
        cabin.status = 0
        cabin.steamer = False

    def _apply_profile(self, cabin: Cabin, index: int) -> None:
        cabin.active_profile = index
        if cabin.session is not None:
            cabin.session.target_temp = float(cabin.profile.target_temp)
            cabin.session.target_hum = float(cabin.profile.target_hum)

    # -- cloud-side operations (remote) --------------------------------------

    def check_command(self, command: str) -> None:
        """400 unless this device type takes the command."""
        if command not in self.spec.commands:
            raise bad_request(
                f"Command '{command}' is not supported for device type '{self.device_type}'"
            )

    def apply_command(
        self, cabin: Cabin, command: str, on: bool | None, params: dict[str, Any]
    ) -> None:
        """Run an acknowledged remote command (`on` None toggles)."""
        if command in TOGGLES and on is None:
            on = not self._output(cabin, command)
        if command == "SAUNA":
            if on and cabin.status != 1:
                if not self.remote_allowed:
                    # Status unknown in reality (notes §5): 403 with a clear text.
                    raise SimError(403, "Forbidden", "Remote start not allowed")
                self._start_session(cabin)
            elif not on:
                self._stop(cabin)
        elif command == "HEATER":
            cabin.element_on = bool(on)
        elif command == "LIGHTS":
            cabin.light = bool(on)
        elif command == "FAN":
            cabin.fan = bool(on)
        elif command == "STEAMER":
            if on and cabin.session is None and self.spec.steam_needs_session:
                raise bad_request(
                    "STEAMER can only be switched on while the heater is on "
                    "(start a session first)"
                )
            cabin.steamer = bool(on)
        elif command in EXTRA_OUTPUTS:
            cabin.extras[EXTRA_OUTPUTS[command]] = bool(on)
        elif command == "ADJUST_DURATION":
            duration = params.get("duration")
            if (
                isinstance(duration, bool)
                or not isinstance(duration, int | float)
                or duration <= 0
            ):
                raise bad_request("ADJUST_DURATION needs params.duration (minutes > 0)")
            minutes = min(float(duration), float(cabin.settings.max_on_time))
            if cabin.session is not None:
                cabin.session.duration_min = minutes
            else:
                cabin.profile.duration = int(minutes)
        elif command == "REMAINING_TIME":
            self._push_telemetry(cabin, self._host.now())
        elif command == "RESTART":
            # Acknowledged, then the controller reboots: offline for a while,
            # then back with a full report (see set_connected).
            self.set_connected(False)
            self.restart_until = self._host.now() + RESTART_DURATION
        # TRACE_LOG and UPDATE are acknowledged and change nothing visible.
        self._changed()

    def _output(self, cabin: Cabin, command: str) -> bool:
        if command == "SAUNA":
            return cabin.status != 0
        if command == "HEATER":
            return cabin.element_on
        if command in EXTRA_OUTPUTS:
            return cabin.extras.get(EXTRA_OUTPUTS[command], False)
        return bool(
            {"LIGHTS": cabin.light, "FAN": cabin.fan, "STEAMER": cabin.steamer}[command]
        )

    def _check_target(
        self, cabin: Cabin, temperature: float | None, humidity: float | None
    ) -> dict[str, Any]:
        """400 unless the panel takes these targets; the rounded values."""
        if self.spec.sensor_only:
            raise bad_request(
                f"Targets are not supported for device type '{self.device_type}'"
            )
        updated: dict[str, Any] = {}
        if temperature is not None:
            if not 40 <= temperature <= cabin.settings.max_temp:
                raise bad_request(
                    f"temperature must be between 40 and {cabin.settings.max_temp}"
                )
            updated["temperature"] = round(temperature)
        if humidity is not None:
            if not 0 <= humidity <= 100:
                raise bad_request("humidity must be between 0 and 100")
            updated["humidity"] = round(humidity)
        return updated

    def set_target(
        self, cabin: Cabin, temperature: float | None, humidity: float | None
    ) -> dict[str, Any]:
        """Write targets into the active profile (and the live session) now."""
        updated = self._check_target(cabin, temperature, humidity)
        self._apply_target(cabin, updated.get("temperature"), updated.get("humidity"))
        return updated

    def request_target(
        self, cabin: Cabin, temperature: float | None, humidity: float | None
    ) -> dict[str, Any]:
        """A remote target write: accepted now, reported when the panel takes
        it (after `target_delay`, and never before a pending profile change)."""
        updated = self._check_target(cabin, temperature, humidity)
        now = self._host.now()
        due = now + self._host.target_lag()
        if due <= now and cabin.pending_profile is None and not cabin.pending_targets:
            # No lag configured and nothing ahead of it: the panel takes it now.
            self._apply_target(
                cabin, updated.get("temperature"), updated.get("humidity")
            )
            return updated
        if cabin.pending_profile is not None:
            due = max(due, cabin.pending_profile[1] + EPSILON)
        if cabin.pending_targets:
            due = max(due, cabin.pending_targets[-1][0])
        cabin.pending_targets.append(
            (due, updated.get("temperature"), updated.get("humidity"))
        )
        return updated

    def _apply_target(
        self, cabin: Cabin, temperature: float | None, humidity: float | None
    ) -> None:
        if temperature is not None:
            cabin.profile.target_temp = round(temperature)
            if cabin.session is not None:
                cabin.session.target_temp = float(round(temperature))
        if humidity is not None:
            cabin.profile.target_hum = round(humidity)
            if cabin.session is not None:
                cabin.session.target_hum = float(round(humidity))
        self._changed()

    def find_profile(self, cabin: Cabin, profile: str | int) -> int:
        """Profile index from an index ("2" or 2) or a preset name."""
        if isinstance(profile, int) and not isinstance(profile, bool):
            index = profile
        elif isinstance(profile, str) and profile.strip().isdigit():
            index = int(profile)
        elif isinstance(profile, str):
            # A name exactly as stored in the shadow.
            for index, preset in enumerate(cabin.profiles):
                if preset.name == profile:
                    return index
            raise bad_request(f"Unknown profile '{profile}'")
        else:
            raise bad_request("profile must be a profile index or name")
        if not 0 <= index < len(cabin.profiles):
            raise bad_request(f"Unknown profile '{profile}'")
        return index

    def request_profile(self, cabin: Cabin, index: int) -> None:
        """A remote profile change: applied after a delay; a second one sent
        while the first is pending is silently dropped, as real panels do."""
        if self.spec.sensor_only:
            raise bad_request(
                f"Profiles are not supported for device type '{self.device_type}'"
            )
        if cabin.pending_profile is None:
            cabin.pending_profile = (
                index,
                self._host.now() + self._host.profile_lag(),
            )

    def update_desired(self, shadow: Shadow, state: dict[str, Any]) -> None:
        """Desired-shadow write: stored, never applied by the panel (notes §5)."""
        shadow.desired.update(copy.deepcopy(state))
        shadow.version += 1
        shadow.timestamp = epoch_ms(self._host.now())

    # -- connection ----------------------------------------------------------

    def set_connected(self, connected: bool) -> None:
        """Take the device off-/online; pushes the connection state."""
        if connected == self.connected:
            return
        now = self._host.now()
        self.connected = connected
        self.connection_updated = epoch_ms(now)
        for shadow in self.shadows.values():
            self._host.publish(
                StatePush(
                    device_id=self.device_id,
                    shadow_name=shadow.name,
                    reported={},
                    desired=None,
                    timestamp=epoch_ms(now),
                    version=shadow.version,
                    connected=connected,
                    connection_updated=self.connection_updated,
                )
            )
        if connected:
            # Device info first, then whatever changed while offline.
            self._publish(force_info=True)
            for cabin in self.cabins.values():
                self._push_telemetry(cabin, now)

    # -- firmware ------------------------------------------------------------

    def start_ota(self, update: OtaUpdate) -> None:
        """Begin installing `update`; progress follows virtual time."""
        now = self._host.now()
        self.ota = OtaProgress(
            update.ota_id, update.firmware_version, "IN_PROGRESS", 0, now, now
        )
        self._push_ota()

    def cancel_ota(self) -> bool:
        """Cancel a running update; False when none runs."""
        if self.ota is None or self.ota.state != "IN_PROGRESS":
            return False
        self.ota.state = "CANCELLED"
        self.ota.updated_at = self._host.now()
        self._push_ota()
        return True

    def _push_ota(self) -> None:
        ota = self.ota
        if ota is None:  # pragma: no cover - callers check
            return
        self._host.publish(
            OtaPush(
                device_id=self.device_id,
                ota_id=ota.ota_id,
                firmware_version=ota.firmware_version,
                update_state=ota.state,
                progress_percent=ota.progress,
                timestamp=iso(ota.updated_at),
                result_code=ota.result_code,
            )
        )

    def _ota_next(self) -> float | None:
        ota = self.ota
        if ota is None or ota.state != "IN_PROGRESS":
            return None
        step = ota.progress + OTA_STEP
        return ota.started_at + OTA_DURATION * step / 100.0

    def _ota_tick(self, now: float) -> None:
        ota = self.ota
        deadline = self._ota_next()
        if ota is None or deadline is None or now < deadline - EPSILON:
            return
        elapsed = now - ota.started_at
        ota.progress = min(
            100, int(elapsed / OTA_DURATION * 100 + EPSILON) // OTA_STEP * OTA_STEP
        )
        ota.updated_at = now
        if ota.progress >= 100:
            ota.state = "DONE"
            ota.result_code = 0
            self._push_ota()
            self.firmware = ota.firmware_version
            self._publish()  # device-info push with the new deviceFwVersion
        else:
            self._push_ota()

    # -- time ----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Does anything here need fine-grained physics steps?"""
        return any(cabin.session is not None for cabin in self.cabins.values())

    def next_deadline(self) -> float | None:
        """The next moment something discrete happens on this device."""
        times: list[float] = []
        for cabin in self.cabins.values():
            times.append(cabin.next_telemetry_at)
            if cabin.pending_profile is not None:
                times.append(cabin.pending_profile[1])
            if cabin.pending_targets:
                times.append(cabin.pending_targets[0][0])
            if cabin.schedule is not None:
                times.append(cabin.schedule.start_at)
            if cabin.session is not None:
                times.append(cabin.session.ends_at)
        ota = self._ota_next()
        if ota is not None:
            times.append(ota)
        if self.restart_until is not None:
            times.append(self.restart_until)
        return min(times) if times else None

    def tick(self, now: float, dt: float) -> None:
        """Physics for `dt` seconds ending at `now`, then due events."""
        for cabin in self.cabins.values():
            cabin.step(dt)
        due = now + EPSILON
        for cabin in self.cabins.values():
            if cabin.pending_profile is not None and cabin.pending_profile[1] <= due:
                self._apply_profile(cabin, cabin.pending_profile[0])
                cabin.pending_profile = None
            while cabin.pending_targets and cabin.pending_targets[0][0] <= due:
                _due, temperature, humidity = cabin.pending_targets.pop(0)
                self._apply_target(cabin, temperature, humidity)
            if cabin.schedule is not None and cabin.schedule.start_at <= due:
                self._start_session(cabin)
            if cabin.session is not None and cabin.session.ends_at <= due:
                self._stop(cabin)
        if self.restart_until is not None and self.restart_until <= due:
            self.restart_until = None
            self.set_connected(True)
        self._changed()
        for cabin in self.cabins.values():
            if cabin.next_telemetry_at <= due:
                self._push_telemetry(cabin, now)
        self._ota_tick(now)


class Panel:
    """Actions of a person at the sauna; each pushes state like the real panel."""

    def __init__(self, device: SimDevice) -> None:
        self._device = device

    def _cabin(self, cabin: str) -> Cabin:
        return self._device.cabin(cabin)

    def _panel_only(self) -> None:
        if self._device.spec.sensor_only:
            raise ValueError("a sauna sensor has no control panel")

    def open_door(self) -> None:
        """Open the cabin door: remote start is no longer allowed."""
        self._panel_only()
        self._device.door_open = True
        self._device._changed()

    def close_door(self) -> None:
        """Close the cabin door."""
        self._panel_only()
        self._device.door_open = False
        self._device._changed()

    def arm_remote_start(self, armed: bool = True) -> None:
        """Arm (or disarm) remote start at the panel."""
        self._panel_only()
        self._device.remote_armed = armed
        self._device._changed()

    def power(self, on: bool, cabin: str = "C1") -> None:
        """Start or stop a session at the panel (no remote checks).

        On a SaunaSensor this lights or puts out the (unconnected) stove of
        the cabin it hangs in, so its readings rise and fall.
        """
        target = self._cabin(cabin)
        if on and target.status != 1:
            self._device._start_session(target)
        elif not on:
            self._device._stop(target)
        self._device._changed()

    def select_profile(self, index: int, cabin: str = "C1") -> None:
        """Pick a preset at the panel (applies at once)."""
        self._panel_only()
        target = self._cabin(cabin)
        self._device._apply_profile(target, self._device.find_profile(target, index))
        self._device._changed()

    def set_light(self, on: bool, cabin: str = "C1") -> None:
        """Switch the light."""
        self._panel_only()
        self._cabin(cabin).light = on
        self._device._changed()

    def set_fan(self, on: bool, cabin: str = "C1") -> None:
        """Switch the fan."""
        self._panel_only()
        self._cabin(cabin).fan = on
        self._device._changed()

    def set_target(
        self,
        temperature: float | None = None,
        humidity: float | None = None,
        cabin: str = "C1",
    ) -> None:
        """Edit the active preset's targets at the panel."""
        self._panel_only()
        self._device.set_target(self._cabin(cabin), temperature, humidity)

    def set_profile(
        self,
        index: int,
        *,
        name: str | None = None,
        temperature: int | None = None,
        humidity: int | None = None,
        duration: int | None = None,
        steamer: bool | None = None,
        cabin: str = "C1",
    ) -> None:
        """Edit a preset at the panel."""
        self._panel_only()
        preset = self._cabin(cabin).profiles[index]
        if name is not None:
            preset.name = name
        if temperature is not None:
            preset.target_temp = temperature
        if humidity is not None:
            preset.target_hum = humidity
        if duration is not None:
            preset.duration = duration
        if steamer is not None:
            preset.steamer_on = steamer
        self._device._changed()

    def set_settings(
        self,
        cabin: str = "C1",
        *,
        max_temp: int | None = None,
        max_on_time: int | None = None,
        temp_calibration: float | None = None,
        remote_control: int | None = None,
    ) -> None:
        """Change panel settings (`settings` in the shadow)."""
        self._panel_only()
        settings = self._cabin(cabin).settings
        if max_temp is not None:
            settings.max_temp = max_temp
        if max_on_time is not None:
            settings.max_on_time = max_on_time
        if temp_calibration is not None:
            settings.temp_calibration = temp_calibration
        if remote_control is not None:
            settings.remote_control = remote_control
        self._device._changed()

    def schedule(self, start_in_minutes: float, cabin: str = "C1") -> None:
        """Schedule a start: saunaStatus 5 and `timer` until ignition."""
        self._panel_only()
        target = self._cabin(cabin)
        if target.session is not None:
            raise ValueError("a session is already running")
        if start_in_minutes <= 0:
            raise ValueError("start_in_minutes must be positive")
        now = self._device._host.now()
        start = now + start_in_minutes * 60.0
        heat_up = max(0.0, target.profile.target_temp - target.temp) / HEAT_RATE
        target.schedule = Schedule(start, start + heat_up)
        target.status = 5
        self._device._changed()

    def cancel_schedule(self, cabin: str = "C1") -> None:
        """Cancel a scheduled start."""
        self._panel_only()
        target = self._cabin(cabin)
        if target.schedule is not None:
            self._device._stop(target)
        self._device._changed()
