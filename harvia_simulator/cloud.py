"""The simulated Harvia cloud: accounts, devices, operations, events, time.

Protocol modules (REST, GraphQL, realtime) parse requests and render answers;
everything they can do is a method here, raising `SimError` when refused.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import Counter
from collections.abc import Callable
import hmac
import json
import logging
import random
from typing import Any
import uuid

from .accounts import Account
from .clock import VirtualClock
from .devices import (
    ALL_COMMANDS,
    EPSILON,
    KINDS,
    TOGGLES,
    Cabin,
    Shadow,
    SimDevice,
    parse_toggle,
)
from .errors import SimError, bad_request, not_found
from .events import ControlEvent, Event, KeepAliveTick, TelemetryPush
from .faults import Faults
from .firmware import OtaProgress, OtaUpdate, find_update, list_updates
from .tokens import Principal, TokenAuthority, TokenError, TokenSet

_LOGGER = logging.getLogger(__name__)

# Virtual seconds per physics step while something heats (idle cooling is
# exact at any step, so idle stretches go faster); discrete events land exactly.
MAX_STEP = 5.0
IDLE_STEP = 60.0
# A panel applies a remote profile change 10-15 s after the write, and shows
# a new target seconds to ~35 s after it (notes §5), on the virtual clock.
PROFILE_LAG = (10.0, 15.0)
TARGET_LAG = (2.0, 35.0)
# The cloud refuses a command that follows the device's previous one within
# this many seconds with a 504 (notes §5: rapid bursts).
COMMAND_INTERVAL = 1.0
# AppSync's default quota of active subscriptions on one realtime connection;
# the next `start` is refused with MaxSubscriptionsReachedError.
MAX_SUBSCRIPTIONS_PER_CONNECTION = 100
_NAMESPACE = uuid.UUID("5b0e4c0a-6f43-4a52-9a57-1f2f4c0d8a11")
MISSING: Any = object()

Callback = Callable[[Any], None]


class HarviaCloud:
    """A whole Harvia cloud in memory, driven by a virtual clock."""

    def __init__(
        self,
        token_lifetime: float = 3600.0,
        start_time: float | None = None,
        *,
        seed: int = 0,
        ack_timeout: float = 0.2,
        profile_delay: float | None = None,
        target_delay: float | None = None,
        command_interval: float = COMMAND_INTERVAL,
        keepalive_interval: float = 60.0,
        connection_timeout_ms: int = 300_000,
        max_subscriptions_per_connection: int = MAX_SUBSCRIPTIONS_PER_CONNECTION,
    ) -> None:
        self.clock = VirtualClock(start_time)
        # Seeded: ids, serials and telemetry jitter repeat run to run.
        self.rng = random.Random(seed)  # noqa: S311 - simulation, not security
        self.tokens = TokenAuthority(self.now, token_lifetime)
        # Real seconds a command waits for an acknowledgement that never comes.
        self.ack_timeout = ack_timeout
        # Virtual seconds before a remote profile change / target reaches the
        # panel; None: drawn from PROFILE_LAG / TARGET_LAG for each write.
        self.profile_delay = profile_delay
        self.target_delay = target_delay
        # Burst rule (0 turns it off).
        self.command_interval = command_interval
        self.connection_timeout_ms = connection_timeout_ms
        # Active subscriptions one realtime socket may hold (settable in tests).
        self.max_subscriptions_per_connection = max_subscriptions_per_connection
        self.device_page_size = 20
        self.ota_page_size = 10
        self.accounts: dict[str, Account] = {}
        self.devices: dict[str, SimDevice] = {}
        self.request_counts: Counter[str] = Counter()
        self.faults = Faults(self)
        self._subscribers: list[tuple[Callback, bool]] = []
        self._keepalive_interval = keepalive_interval
        self._next_keepalive = self.now() + keepalive_interval

    # -- time ----------------------------------------------------------------

    def now(self) -> float:
        """Virtual epoch seconds."""
        return self.clock.now()

    def profile_lag(self) -> float:
        """Delay of the next remote profile change (virtual seconds)."""
        if self.profile_delay is not None:
            return self.profile_delay
        return self.rng.uniform(*PROFILE_LAG)

    def target_lag(self) -> float:
        """Delay of the next remote target write (virtual seconds)."""
        if self.target_delay is not None:
            return self.target_delay
        return self.rng.uniform(*TARGET_LAG)

    @property
    def token_lifetime(self) -> float:
        """Lifetime of new id/access tokens in (virtual) seconds."""
        return self.tokens.lifetime

    @token_lifetime.setter
    def token_lifetime(self, value: float) -> None:
        self.tokens.lifetime = value

    @property
    def keepalive_interval(self) -> float:
        """Virtual seconds between realtime keep-alives."""
        return self._keepalive_interval

    @keepalive_interval.setter
    def keepalive_interval(self, value: float) -> None:
        self._keepalive_interval = value
        self._next_keepalive = self.now() + value

    def advance(self, seconds: float) -> None:
        """Move virtual time forward, running everything that happens meanwhile."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        target = self.now() + seconds
        while self.now() < target:
            now = self.now()
            busy = any(device.busy for device in self.devices.values())
            step_end = min(target, now + (MAX_STEP if busy else IDLE_STEP))
            for deadline in self._deadlines():
                if now < deadline < step_end:
                    step_end = deadline
            self.clock.set(step_end)
            for device in list(self.devices.values()):
                device.tick(step_end, step_end - now)
            while self._next_keepalive <= step_end + EPSILON:
                self.publish_control(KeepAliveTick(self._next_keepalive))
                self._next_keepalive += self._keepalive_interval

    def _deadlines(self) -> list[float]:
        times = [self._next_keepalive]
        for device in self.devices.values():
            deadline = device.next_deadline()
            if deadline is not None:
                times.append(deadline)
        return times

    # -- events --------------------------------------------------------------

    def subscribe(
        self, callback: Callback, *, control: bool = False
    ) -> Callable[[], None]:
        """Call `callback(event)` for every StatePush/TelemetryPush/OtaPush.

        With `control=True` the callback also receives the control events
        (keep-alive ticks and fault injections) the realtime layer acts on.
        Returns a function that unsubscribes.
        """
        entry = (callback, control)
        self._subscribers.append(entry)

        def unsubscribe() -> None:
            if entry in self._subscribers:
                self._subscribers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Deliver a device event to every subscriber."""
        self._deliver(event, control=False)

    def publish_control(self, event: ControlEvent) -> None:
        """Deliver a control event to the subscribers that asked for them."""
        self._deliver(event, control=True)

    def _deliver(self, event: Any, *, control: bool) -> None:
        for callback, wants_control in list(self._subscribers):
            if control and not wants_control:
                continue
            try:
                callback(event)
            except Exception:
                _LOGGER.exception("Event subscriber failed on %r", event)

    # -- population ----------------------------------------------------------

    def add_account(
        self,
        email: str,
        password: str | None,
        licensed: bool = True,
        *,
        username: str | None = None,
        organization_id: str | None = None,
    ) -> Account:
        """Register a user; `password=None` makes an Apple/Google-only account."""
        key = email.lower()
        if key in self.accounts:
            raise ValueError(f"account {email!r} exists")
        account = Account(
            email=email,
            password=password,
            username=username or str(uuid.uuid5(_NAMESPACE, key)),
            organization_id=organization_id
            or f"org-{uuid.uuid5(_NAMESPACE, 'org:' + key).hex[:12]}",
            licensed=licensed,
        )
        self.accounts[key] = account
        return account

    def account(self, email: str) -> Account:
        """The account with this e-mail (case-insensitive); KeyError if none."""
        return self.accounts[email.lower()]

    def add_device(
        self,
        account: Account,
        kind: str,
        name: str = "Sauna",
        *,
        device_id: str | None = None,
        firmware: str | None = None,
        hw_version: str | None = None,
        active_profile_as_string: bool = False,
        reports_remote_allowed: bool = True,
    ) -> SimDevice:
        """Add a device of `kind` (fenix, fenix_combi, generic, sauna_sensor)."""
        if kind not in KINDS:
            raise ValueError(f"unknown device kind {kind!r}; one of {sorted(KINDS)}")
        if device_id is None:
            device_id = f"{KINDS[kind].id_prefix}-{self.rng.getrandbits(48):012X}"
        if device_id in self.devices:
            raise ValueError(f"device {device_id!r} exists")
        device = SimDevice(
            self,
            account,
            kind,
            name=name,
            device_id=device_id,
            firmware=firmware,
            hw_version=hw_version,
            active_profile_as_string=active_profile_as_string,
            reports_remote_allowed=reports_remote_allowed,
        )
        self.devices[device_id] = device
        account.device_ids.append(device_id)
        return device

    def remove_device(self, device_id: str) -> None:
        """Forget a device (it disappears from its owner's lists)."""
        device = self.devices.pop(device_id)
        if device_id in device.owner.device_ids:
            device.owner.device_ids.remove(device_id)

    def device(self, device_id: str) -> SimDevice:
        """The device with this id; KeyError if none."""
        return self.devices[device_id]

    # -- authentication ------------------------------------------------------

    def login(self, username: Any, password: Any) -> TokenSet:
        """`POST /auth/token`."""
        if not isinstance(username, str) or not username:
            raise SimError(
                400, "InvalidParameterException", "Missing required parameter USERNAME"
            )
        if not isinstance(password, str) or not password:
            raise SimError(
                400, "InvalidParameterException", "Missing required parameter PASSWORD"
            )
        account = self.accounts.get(username.lower())
        if account is not None and account.password is None:
            # Apple/Google-only accounts have no password (notes §2). The real
            # wrapper's answer is unknown; this one tells the user what to do.
            raise SimError(
                400,
                "PasswordNotSet",
                "This account has no password: set one in the MyHarvia app.",
            )
        if (
            account is None
            or account.password is None
            or self.faults.login_rejected(account.email)
            or not hmac.compare_digest(account.password.encode(), password.encode())
        ):
            raise SimError(
                401, "NotAuthorizedException", "Incorrect username or password."
            )
        return self.tokens.login(self._principal(account))

    def refresh(self, refresh_token: Any, email: Any) -> TokenSet:
        """`POST /auth/refresh`: new id/access tokens, same refresh token."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise SimError(
                400,
                "InvalidParameterException",
                "Missing required parameter refreshToken",
            )
        if not isinstance(email, str) or not email:
            raise SimError(
                400, "InvalidParameterException", "Missing required parameter email"
            )
        try:
            return self.tokens.refresh(refresh_token, email)
        except TokenError as err:
            raise SimError(401, "NotAuthorizedException", err.message) from err

    def revoke(self, refresh_token: Any, email: Any) -> None:
        """`POST /auth/revoke`."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise SimError(
                400,
                "InvalidParameterException",
                "Missing required parameter refreshToken",
            )
        if not isinstance(email, str) or not email:
            raise SimError(
                400, "InvalidParameterException", "Missing required parameter email"
            )
        try:
            self.tokens.revoke(refresh_token, email)
        except TokenError as err:
            raise SimError(401, "NotAuthorizedException", err.message) from err

    def authenticate(self, authorization: str | None) -> Account:
        """The account behind an `Authorization` value ("Bearer <idToken>")."""
        if not authorization:
            raise SimError(401, "Unauthorized", "Missing Authorization header")
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            claims = self.tokens.verify_id_token(token)
        except TokenError as err:
            raise SimError(401, "Unauthorized", err.message) from err
        for account in self.accounts.values():
            if account.username == claims.get("cognito:username"):
                return account
        raise SimError(401, "Unauthorized", "User does not exist")

    @staticmethod
    def _principal(account: Account) -> Principal:
        return Principal(account.username, account.email, account.organization_id)

    # -- devices -------------------------------------------------------------

    def owned_device(self, account: Account, device_id: Any) -> SimDevice:
        """404 unless the account owns the device."""
        if not isinstance(device_id, str) or not device_id:
            raise bad_request("deviceId is required")
        device = self.devices.get(device_id)
        if device is None or device.owner is not account:
            raise not_found(f"Device '{device_id}' not found", code="DEVICE_NOT_FOUND")
        return device

    def check_write(self, account: Account) -> None:
        """402 on writes for accounts without the Control licence."""
        if not account.licensed or self.faults.payment_required_for(account.email):
            raise SimError(
                402,
                "PaymentRequired",
                "This action needs the MyHarvia Control licence for this account.",
            )

    def list_devices(
        self, account: Account, max_results: int | None, next_token: str | None
    ) -> tuple[list[SimDevice], str | None]:
        """One page of the account's devices."""
        devices = [self.devices[i] for i in account.device_ids if i in self.devices]
        return self._page(
            devices,
            "devices",
            account,
            max_results or self.device_page_size,
            next_token,
        )

    def _page[T](
        self,
        items: list[T],
        kind: str,
        account: Account,
        size: int,
        next_token: str | None,
    ) -> tuple[list[T], str | None]:
        offset = 0
        if next_token:
            offset = self._decode_page_token(next_token, kind, account)
        size = max(1, min(size, 100))
        page = items[offset : offset + size]
        end = offset + size
        token = None
        if end < len(items):
            raw = json.dumps({"k": kind, "o": end, "u": account.username[:8]})
            token = base64.urlsafe_b64encode(raw.encode()).decode()
        return page, token

    @staticmethod
    def _decode_page_token(token: str, kind: str, account: Account) -> int:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset = raw["o"]
            valid = raw["k"] == kind and raw["u"] == account.username[:8]
        except (ValueError, KeyError, TypeError, binascii.Error) as err:
            raise bad_request("Invalid nextToken") from err
        if not valid or not isinstance(offset, int) or offset < 0:
            raise bad_request("Invalid nextToken")
        return offset

    def state(
        self, account: Account, device_id: Any, shadow_name: str | None = None
    ) -> tuple[SimDevice, Shadow]:
        """The cloud's copy of a shadow (what the device last reported)."""
        device = self.owned_device(account, device_id)
        return device, device.shadow(shadow_name)

    def resolve_cabin(
        self, device: SimDevice, cabin_id: Any = None, cabin_name: Any = None
    ) -> Cabin:
        """Cabin selector → cabin (defaults to the first)."""
        if cabin_id is not None and not isinstance(cabin_id, str):
            raise bad_request("cabin.id must be a string")
        if cabin_name is not None and not isinstance(cabin_name, str):
            raise bad_request("cabin.name must be a string")
        return device.cabin(cabin_id, cabin_name)

    async def send_command(
        self,
        account: Account,
        device_id: Any,
        command: Any,
        *,
        state: Any = MISSING,
        params: dict[str, Any] | None = None,
        cabin_id: Any = None,
        cabin_name: Any = None,
    ) -> None:
        """Publish a command and wait for the device's acknowledgement."""
        device = self.owned_device(account, device_id)
        self.check_write(account)
        if not isinstance(command, str) or command not in ALL_COMMANDS:
            raise bad_request(f"Invalid command.type value {command!r}")
        device.check_command(command)
        params = params or {}
        on: bool | None = None
        if state is not MISSING:
            on = parse_toggle(
                state,
                numbers_ok=device.spec.numeric_state_ok,
                device_type=device.device_type,
                what="command.state",
            )
        elif command in TOGGLES and ("on" in params or "state" in params):
            raw = params["on"] if "on" in params else params["state"]
            on = parse_toggle(
                raw, numbers_ok=True, device_type=device.device_type, what="params.on"
            )
        cabin = self.resolve_cabin(device, cabin_id, cabin_name)
        self._check_burst(device)
        if not device.connected or device.no_ack:
            await asyncio.sleep(self.ack_timeout)
            raise SimError(
                504,
                "GatewayTimeout",
                f"Device '{device.device_id}' did not acknowledge the command",
                handled=False,
                failureReason="Device unavailable",
            )
        device.apply_command(cabin, command, on, params)

    def _check_burst(self, device: SimDevice) -> None:
        """504 for a command within `command_interval` of the device's last."""
        now = self.now()
        previous, device.last_command_at = device.last_command_at, now
        if (
            self.command_interval > 0
            and previous is not None
            and now - previous < self.command_interval - EPSILON
        ):
            raise SimError(
                504,
                "GatewayTimeout",
                "Device unavailable",
                handled=False,
                failureReason="Device unavailable",
            )

    def set_target(
        self,
        account: Account,
        device_id: Any,
        *,
        temperature: Any = None,
        humidity: Any = None,
        cabin_id: Any = None,
        cabin_name: Any = None,
    ) -> tuple[SimDevice, Cabin, dict[str, Any]]:
        """`PATCH /devices/target`: into the active profile (and live session)."""
        device = self.owned_device(account, device_id)
        self.check_write(account)
        for label, value in (("temperature", temperature), ("humidity", humidity)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise bad_request(f"{label} must be a number")
        if temperature is None and humidity is None:
            raise bad_request("Supply temperature and/or humidity")
        cabin = self.resolve_cabin(device, cabin_id, cabin_name)
        return device, cabin, device.request_target(cabin, temperature, humidity)

    def set_profile(
        self,
        account: Account,
        device_id: Any,
        profile: Any,
        *,
        cabin_id: Any = None,
        cabin_name: Any = None,
    ) -> tuple[SimDevice, Cabin, int]:
        """`PATCH /devices/profile`: accepted now, applied after a delay."""
        device = self.owned_device(account, device_id)
        self.check_write(account)
        if profile is None:
            raise bad_request("profile is required")
        cabin = self.resolve_cabin(device, cabin_id, cabin_name)
        index = device.find_profile(cabin, profile)
        device.request_profile(cabin, index)
        return device, cabin, index

    def update_desired(
        self, account: Account, device_id: Any, state: Any, shadow_name: str | None
    ) -> tuple[SimDevice, Shadow]:
        """Desired-shadow write: stored, acknowledged, never applied."""
        device = self.owned_device(account, device_id)
        self.check_write(account)
        if not isinstance(state, dict):
            raise bad_request("state must be a JSON object")
        desired = state.get("desired", state)
        if not isinstance(desired, dict):
            raise bad_request("state.desired must be a JSON object")
        shadow = device.shadow(shadow_name)
        device.update_desired(shadow, desired)
        return device, shadow

    # -- telemetry -----------------------------------------------------------

    def latest_data(
        self, account: Account, device_id: Any, cabin_id: Any
    ) -> TelemetryPush:
        """`GET /data/latest-data`: the last sample the cloud received."""
        device = self.owned_device(account, device_id)
        cabin = self.resolve_cabin(device, cabin_id)
        item = device.latest_telemetry.get(cabin.cabin_id)
        if item is None:
            raise not_found(f"No measurements for device '{device.device_id}'")
        return item

    def measurements_latest(
        self, account: Account, device_id: Any
    ) -> list[TelemetryPush]:
        """Latest sample of every cabin that has one."""
        device = self.owned_device(account, device_id)
        return [
            device.latest_telemetry[c]
            for c in device.cabins
            if c in device.latest_telemetry
        ]

    # -- firmware ------------------------------------------------------------

    def _check_ota(self, account: Account, field: str, parent: str) -> None:
        if self.faults.ota_refused_for(account.email):
            # AppSync's field-level authorization error, as consumer accounts
            # may get it (notes §7).
            raise SimError(
                401,
                "Unauthorized",
                f"Not Authorized to access {field} on type {parent}",
                error_type="Unauthorized",
                code="UNAUTHORIZED",
            )

    def ota_updates(
        self,
        account: Account,
        device_type: str | None,
        hw_version: str | None,
        next_token: str | None,
    ) -> tuple[list[OtaUpdate], str | None]:
        """`otaUpdatesList`."""
        self._check_ota(account, "otaUpdatesList", "Query")
        items = list_updates(device_type, hw_version)
        return self._page(items, "ota", account, self.ota_page_size, next_token)

    def ota_states(
        self, account: Account, only_active: bool | None, next_token: str | None
    ) -> tuple[list[tuple[SimDevice, OtaProgress | None]], str | None]:
        """`otaUpdatesStatesList`: one row per device (IDLE when never updated)."""
        self._check_ota(account, "otaUpdatesStatesList", "Query")
        rows = [
            (device, device.ota)
            for device in (
                self.devices[i] for i in account.device_ids if i in self.devices
            )
            if not only_active
            or (device.ota is not None and device.ota.state == "IN_PROGRESS")
        ]
        return self._page(rows, "otastates", account, self.ota_page_size, next_token)

    def start_ota(self, account: Account, device_id: Any, ota_id: Any) -> bool:
        """`devicesOtaUpdatesStart`."""
        self._check_ota(account, "devicesOtaUpdatesStart", "Mutation")
        device = self.owned_device(account, device_id)
        self.check_write(account)
        update = find_update(ota_id) if isinstance(ota_id, str) else None
        if update is None:
            raise not_found(f"OTA update '{ota_id}' not found")
        if (
            update.device_type != device.device_type
            or update.hw_version != device.hw_version
        ):
            raise bad_request(
                f"OTA update '{ota_id}' is not for {device.device_type} hardware {device.hw_version}"
            )
        if device.ota is not None and device.ota.state == "IN_PROGRESS":
            raise SimError(409, "Conflict", "An update is already in progress")
        if not device.connected:
            raise SimError(
                504,
                "GatewayTimeout",
                "Device unavailable",
                failureReason="Device unavailable",
            )
        device.start_ota(update)
        return True

    def cancel_ota(self, account: Account, device_id: Any) -> bool:
        """`devicesOtaUpdatesCancel`."""
        self._check_ota(account, "devicesOtaUpdatesCancel", "Mutation")
        device = self.owned_device(account, device_id)
        self.check_write(account)
        return device.cancel_ota()
