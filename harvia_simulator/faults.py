"""Fault controls: make the simulated cloud misbehave on purpose.

Everything here is reversible with `clear()`, except the two token events
(`expire_tokens`, `revoke_tokens`), which act once on the tokens issued so far.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .events import DropSockets, MalformedPush, ReleaseStartAcks

if TYPE_CHECKING:
    from .cloud import HarviaCloud

MALFORMED_KINDS = (
    "not_json",  # the whole websocket message is not JSON
    "field_not_json",  # AWSJSON field (`reported` / `data`) that is not JSON
    "wrong_types",  # JSON with the wrong types (strings for numbers, ...)
    "missing_item",  # a notice whose `item` is null
    "no_payload",  # a `data` message without payload
    "unknown_type",  # a message type the protocol does not have
    "deep_nesting",  # a frame nested 100,000 deep
    "huge_integer",  # a frame holding an integer of 5,000 digits
)


@dataclass(slots=True)
class RouteFault:
    """A fault on one route name: an HTTP status and/or latency."""

    status: int | None = None
    latency: float = 0.0  # real seconds
    remaining: int | None = None  # requests left; None = until cleared
    body: dict[str, Any] | None = None
    # Set: requests wait until it is (`Faults.release_routes`), as a cloud
    # that hangs for as long as the test wants.
    gate: asyncio.Event | None = None
    # With a gate: the request is answered first and the answer held (it
    # carries what the cloud held on arrival, as one slow on the way back).
    late: bool = False
    # Told each time a request starts waiting at the gate.
    on_hold: Callable[[], None] | None = None

    async def wait(self) -> None:
        """Wait at the gate (if any), counted as held."""
        if self.gate is None:
            return
        if self.on_hold is not None:
            self.on_hold()
        await self.gate.wait()


class Faults:
    """Fault switches of one `HarviaCloud` (`cloud.faults`)."""

    def __init__(self, cloud: HarviaCloud) -> None:
        self._cloud = cloud
        self._reject_all_logins = False
        self._rejected_logins: set[str] = set()
        self._routes: dict[str, RouteFault] = {}
        self._gates: list[asyncio.Event] = []
        # Requests that waited at a route's gate so far, per route name.
        self._held_requests: Counter[str] = Counter()
        self._held_changed = asyncio.Event()
        self._payment: set[str] = set()
        self._ota_refused: set[str] = set()
        self._no_ack: set[str] = set()
        self._offline: set[str] = set()
        self._not_handled: dict[str, str] = {}
        self._undefined: set[tuple[str, str]] = set()
        # (device id, API) whose subscriptions receive nothing.
        self._silenced: set[tuple[str, str]] = set()
        self.keepalives_stopped = False
        # Network latency (real seconds) of every HTTP request and realtime ack.
        self.latency = 0.0
        # `start_ack`s to hold back per realtime API (None: every one).
        self._held_acks: dict[str, int | None] = {}

    # -- logins and tokens -------------------------------------------------

    def reject_logins(self, email: str | None = None) -> None:
        """Refuse password logins of one account (or all, with `None`) as bad
        credentials. Refresh tokens keep working: combine with `revoke_tokens`."""
        if email is None:
            self._reject_all_logins = True
        else:
            self._rejected_logins.add(email.lower())

    def accept_logins(self, email: str | None = None) -> None:
        """Undo `reject_logins` (for one account, or entirely with `None`)."""
        if email is None:
            self._reject_all_logins = False
            self._rejected_logins.clear()
        else:
            self._rejected_logins.discard(email.lower())

    def login_rejected(self, email: str) -> bool:
        """Is a login of this account to be refused?"""
        return self._reject_all_logins or email.lower() in self._rejected_logins

    def expire_tokens(self) -> None:
        """Every id token issued so far counts as expired (refresh still works)."""
        self._cloud.tokens.expire_all()

    def revoke_tokens(self) -> None:
        """Revoke every refresh token and the tokens issued from it."""
        self._cloud.tokens.revoke_all()

    # -- routes --------------------------------------------------------------

    def set_route(
        self,
        route: str,
        *,
        status: int | None = None,
        latency: float = 0.0,
        count: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Fail and/or delay requests of a route name (see `request_counts`
        keys; `"*"` matches every route) for `count` requests or until cleared."""
        if status is None and latency <= 0:
            raise ValueError("give a status and/or a latency")
        self._routes[route] = RouteFault(status, latency, count, body)

    def hold_route(
        self,
        route: str,
        *,
        count: int | None = 1,
        status: int | None = None,
        late: bool = False,
    ) -> None:
        """Hold requests of a route name (for `count` requests or until
        cleared) until `release_routes`: the cloud hangs, in no real time.
        With `status`, a held request then fails with it. With `late`, it is
        answered at once and the answer held (what it read is then old)."""
        if late and status is not None:
            raise ValueError("a late hold holds an answer: give no status")

        def held() -> None:
            self._held_requests[route] += 1
            self._held_changed.set()

        self._held_requests.pop(route, None)
        self._routes[route] = RouteFault(
            remaining=count,
            gate=asyncio.Event(),
            status=status,
            late=late,
            on_hold=held,
        )

    async def until_held(self, route: str, count: int = 1) -> None:
        """Wait until `count` requests of a held route name wait at its gate
        (counted since the route was last held or cleared)."""
        while self._held_requests[route] < count:
            self._held_changed.clear()
            await self._held_changed.wait()

    def release_routes(self) -> None:
        """Let every held request go on (held routes stay held for new ones)."""
        for fault in self._gates:
            fault.set()
        self._gates.clear()

    def clear_route(self, route: str) -> None:
        """Remove the fault of one route name."""
        self._routes.pop(route, None)
        self._held_requests.pop(route, None)

    def take_route(self, route: str) -> RouteFault | None:
        """The fault that applies to this request (consuming one use)."""
        name = route if route in self._routes else "*" if "*" in self._routes else None
        if name is None:
            return None
        fault = self._routes[name]
        if fault.gate is not None:
            self._gates.append(fault.gate)
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self._routes[name]
        return fault

    def set_latency(self, seconds: float) -> None:
        """Delay every HTTP request (admin API aside) and every realtime
        `connection_ack` / `start_ack` by `seconds` (0: none). Requests are
        delayed concurrently, as on a slow network."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self.latency = seconds

    # -- accounts ------------------------------------------------------------

    def payment_required(self, email: str, enabled: bool = True) -> None:
        """402 on every write of this account (as if unlicensed)."""
        if enabled:
            self._payment.add(email.lower())
        else:
            self._payment.discard(email.lower())

    def payment_required_for(self, email: str) -> bool:
        """Is the 402 fault on for this account?"""
        return email.lower() in self._payment

    def refuse_ota(self, email: str, enabled: bool = True) -> None:
        """GraphQL `Unauthorized` for this account's OTA queries and mutations."""
        if enabled:
            self._ota_refused.add(email.lower())
        else:
            self._ota_refused.discard(email.lower())

    def ota_refused_for(self, email: str) -> bool:
        """Is the OTA refusal on for this account?"""
        return email.lower() in self._ota_refused

    # -- devices -------------------------------------------------------------

    def no_ack(self, device_id: str, enabled: bool = True) -> None:
        """The device stops acknowledging commands: they end in 504."""
        self._cloud.device(device_id).no_ack = enabled
        if enabled:
            self._no_ack.add(device_id)
        else:
            self._no_ack.discard(device_id)

    def offline(self, device_id: str, offline: bool = True) -> None:
        """Take a device offline (or back online); pushes the connection state."""
        self._cloud.device(device_id).set_connected(not offline)
        if offline:
            self._offline.add(device_id)
        else:
            self._offline.discard(device_id)

    def not_handled(
        self, device_id: str, reason: str | None = "Device unavailable"
    ) -> None:
        """GraphQL commands to the device answer `response: false` with
        `failureReason` (`None` turns it off)."""
        if reason is None:
            self._not_handled.pop(device_id, None)
        else:
            self._not_handled[device_id] = reason

    def not_handled_reason(self, device_id: Any) -> str | None:
        """The `failureReason` a GraphQL command to the device answers with."""
        return self._not_handled.get(device_id) if isinstance(device_id, str) else None

    # -- schema ----------------------------------------------------------------

    def undefine_field(self, api: str, field: str, undefined: bool = True) -> None:
        """Refuse an operation as if the AppSync schema had no such field
        (`ValidationError` / `FieldUndefined`), e.g. the undocumented
        `devicesMeasurementsLatest` on the "data" API."""
        if undefined:
            self._undefined.add((api, field))
        else:
            self._undefined.discard((api, field))

    def undefined_fields(self, api: str) -> frozenset[str]:
        """The fields of one API refused as undefined."""
        return frozenset(field for name, field in self._undefined if name == api)

    # -- realtime ------------------------------------------------------------

    def drop_sockets(
        self, api: str | None = None, *, receiver: str | None = None
    ) -> None:
        """Close every realtime socket (of one API: "device" or "data"; with
        `receiver`, only those subscribed to it, e.g. one device's socket)."""
        self._cloud.publish_control(DropSockets(api, receiver))

    def hold_start_acks(self, api: str, count: int | None = None) -> None:
        """Hold back the `start_ack` of the next `count` subscriptions started
        on an API ("device" or "data"; `None`: all) until
        `release_start_acks`; the subscriptions themselves stand."""
        if api not in ("device", "data"):
            raise ValueError("api must be 'device' or 'data'")
        self._held_acks[api] = count

    def take_held_ack(self, api: str) -> bool:
        """Is this `start_ack` to be held back (consuming one use)?"""
        if api not in self._held_acks:
            return False
        left = self._held_acks[api]
        if left is not None:
            if left <= 1:
                del self._held_acks[api]
            else:
                self._held_acks[api] = left - 1
        return True

    def release_start_acks(self) -> None:
        """Stop holding `start_ack`s and send those held so far."""
        self._held_acks.clear()
        self._cloud.publish_control(ReleaseStartAcks())

    def stop_keepalives(self) -> None:
        """Stop sending `ka` messages (sockets look dead to clients)."""
        self.keepalives_stopped = True

    def resume_keepalives(self) -> None:
        """Send `ka` messages again."""
        self.keepalives_stopped = False

    def malformed(
        self, device_id: str, kind: str = "field_not_json", api: str = "device"
    ) -> None:
        """Send a broken message to the realtime subscribers of a device's feed.

        `kind` is one of MALFORMED_KINDS; `api` "device" (state feed) or
        "data" (telemetry feed).
        """
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"kind must be one of {MALFORMED_KINDS}")
        if api not in ("device", "data"):
            raise ValueError("api must be 'device' or 'data'")
        self._cloud.publish_control(MalformedPush(device_id, api, kind))

    def silence_feed(
        self, device_id: str, api: str = "data", enabled: bool = True
    ) -> None:
        """Acknowledge a device's subscriptions on one API ("data": telemetry;
        "device": state and OTA) and deliver nothing to them, as with a wrong
        receiver, until cleared (new subscriptions too)."""
        if api not in ("device", "data"):
            raise ValueError("api must be 'device' or 'data'")
        if enabled:
            self._silenced.add((device_id, api))
        else:
            self._silenced.discard((device_id, api))

    def feed_silenced(self, device_id: str, api: str) -> bool:
        """Is this device's feed on this API silenced?"""
        return (device_id, api) in self._silenced

    # -- all -----------------------------------------------------------------

    def clear(self) -> None:
        """Reset every fault (devices taken offline here come back online)."""
        self._reject_all_logins = False
        self._rejected_logins.clear()
        self._routes.clear()
        self.release_routes()
        self._held_requests.clear()
        self.release_start_acks()
        self._payment.clear()
        self._ota_refused.clear()
        self.keepalives_stopped = False
        self.latency = 0.0
        self._silenced.clear()
        for device_id in self._no_ack:
            if device_id in self._cloud.devices:
                self._cloud.devices[device_id].no_ack = False
        self._no_ack.clear()
        for device_id in self._offline:
            if device_id in self._cloud.devices:
                self._cloud.devices[device_id].set_connected(True)
        self._offline.clear()
        self._not_handled.clear()
        self._undefined.clear()

    def describe(self) -> dict[str, Any]:
        """The active faults, for the admin API."""
        return {
            "rejectAllLogins": self._reject_all_logins,
            "rejectedLogins": sorted(self._rejected_logins),
            "routes": {
                name: {
                    "status": f.status,
                    "latency": f.latency,
                    "remaining": f.remaining,
                    "held": f.gate is not None,
                    "late": f.late,
                }
                for name, f in sorted(self._routes.items())
            },
            "paymentRequired": sorted(self._payment),
            "otaRefused": sorted(self._ota_refused),
            "noAck": sorted(self._no_ack),
            "offline": sorted(self._offline),
            "keepalivesStopped": self.keepalives_stopped,
            "latency": self.latency,
            "silencedFeeds": [
                {"deviceId": device_id, "api": api}
                for device_id, api in sorted(self._silenced)
            ],
            "heldStartAcks": {
                api: "all" if count is None else count
                for api, count in sorted(self._held_acks.items())
            },
            "notHandled": dict(sorted(self._not_handled.items())),
            "undefinedFields": sorted(
                f"{api}:{field}" for api, field in self._undefined
            ),
        }
