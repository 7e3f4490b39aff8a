"""Admin HTTP API (JSON, no auth, not counted in `request_counts`).

Routes (all under `/_admin`; bodies are JSON objects):

    GET    /_admin                        this list
    GET    /_admin/state                  virtual time, accounts, devices, active faults
    GET    /_admin/counts                 request counts per route name
    POST   /_admin/counts/reset           zero the counts
    POST   /_admin/advance                {seconds} -> {now}: move the virtual clock
    POST   /_admin/accounts               {email, password?, licensed?} -> {email, username}
    POST   /_admin/devices                {email, kind, name?, deviceId?} -> {deviceId}
    DELETE /_admin/devices/{id}           remove a device
    POST   /_admin/devices/{id}/panel     {action, ...}: a person at the panel; actions:
        open_door, close_door, arm_remote_start {armed}, power {on, cabin?},
        select_profile {index, cabin?}, set_light {on, cabin?}, set_fan {on, cabin?},
        set_target {temperature?, humidity?, cabin?}, schedule {start_in_minutes, cabin?},
        cancel_schedule {cabin?}, set_settings {max_temp?, max_on_time?,
        temp_calibration?, remote_control?, cabin?}, set_connected {connected}
    GET    /_admin/faults                 active faults
    POST   /_admin/faults/clear           reset every fault
    POST   /_admin/faults/logins          {reject: bool, email?}: refuse password logins
    POST   /_admin/faults/tokens/expire   every issued id token expires now
    POST   /_admin/faults/tokens/revoke   every refresh token (and its id tokens) revoked
    POST   /_admin/faults/routes          {route, status?, latency?, count?, body?}
    POST   /_admin/faults/routes/clear    {route}
    POST   /_admin/faults/payment         {email, enabled?}: 402 on that account's writes
    POST   /_admin/faults/no-ack          {deviceId, enabled?}: commands end in 504
    POST   /_admin/faults/offline         {deviceId, offline?}
    POST   /_admin/faults/drop-sockets    {api?}: close realtime sockets
    POST   /_admin/faults/keepalives      {enabled}: stop/resume `ka` messages
    POST   /_admin/faults/malformed       {deviceId, kind?, api?}: broken realtime message
    POST   /_admin/faults/ota             {email, enabled?}: refuse OTA operations
    POST   /_admin/faults/latency         {seconds}: delay every request and realtime ack
    POST   /_admin/faults/silence-feed    {deviceId, api?, enabled?}: feed acknowledged, silent
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .cloud import HarviaCloud
from .devices import SimDevice
from .errors import SimError, bad_request, not_found
from .httputil import Handler, json_response, read_json

PANEL_ACTIONS = frozenset(
    {
        "open_door", "close_door", "arm_remote_start", "power", "select_profile",
        "set_light", "set_fan", "set_target", "schedule", "cancel_schedule",
        "set_settings",
    }
)  # fmt: skip

JsonHandler = Callable[[web.Request, dict[str, Any]], Awaitable[Any]]


class AdminApi:
    """Handlers of the admin API."""

    def __init__(self, cloud: HarviaCloud) -> None:
        self.cloud = cloud

    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, path, handler) of every admin route."""
        faults = self.cloud.faults
        post = self._post
        return [
            ("GET", "/_admin", self.index),
            ("GET", "/_admin/state", self.state),
            ("GET", "/_admin/counts", self.counts),
            ("POST", "/_admin/counts/reset", post(self.reset_counts)),
            ("POST", "/_admin/advance", post(self.advance)),
            ("POST", "/_admin/accounts", post(self.add_account)),
            ("POST", "/_admin/devices", post(self.add_device)),
            ("DELETE", "/_admin/devices/{device_id}", post(self.remove_device)),
            ("POST", "/_admin/devices/{device_id}/panel", post(self.panel)),
            ("GET", "/_admin/faults", self.faults),
            (
                "POST",
                "/_admin/faults/clear",
                post(lambda _r, _b: self._done(faults.clear)),
            ),
            ("POST", "/_admin/faults/logins", post(self.logins)),
            (
                "POST",
                "/_admin/faults/tokens/expire",
                post(lambda _r, _b: self._done(faults.expire_tokens)),
            ),
            (
                "POST",
                "/_admin/faults/tokens/revoke",
                post(lambda _r, _b: self._done(faults.revoke_tokens)),
            ),
            ("POST", "/_admin/faults/routes", post(self.route_fault)),
            ("POST", "/_admin/faults/routes/clear", post(self.clear_route)),
            ("POST", "/_admin/faults/payment", post(self.payment)),
            ("POST", "/_admin/faults/no-ack", post(self.no_ack)),
            ("POST", "/_admin/faults/offline", post(self.offline)),
            ("POST", "/_admin/faults/drop-sockets", post(self.drop_sockets)),
            ("POST", "/_admin/faults/keepalives", post(self.keepalives)),
            ("POST", "/_admin/faults/malformed", post(self.malformed)),
            ("POST", "/_admin/faults/ota", post(self.refuse_ota)),
            ("POST", "/_admin/faults/not-handled", post(self.not_handled)),
            ("POST", "/_admin/faults/undefined-field", post(self.undefined_field)),
            ("POST", "/_admin/faults/latency", post(self.latency)),
            ("POST", "/_admin/faults/silence-feed", post(self.silence_feed)),
        ]

    @staticmethod
    def _post(handler: JsonHandler) -> Handler:
        """Parse an optional JSON body; map errors to 400/404."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                body = await read_json(request) if request.can_read_body else {}
                result = await handler(request, body)
            except SimError as err:
                return json_response(err.body(), status=err.status)
            except (ValueError, TypeError, KeyError) as err:
                return json_response(
                    {"error": "BadRequest", "message": str(err)}, status=400
                )
            return json_response({"ok": True} if result is None else result)

        return wrapped

    @staticmethod
    async def _done(action: Callable[[], None]) -> None:
        action()

    def _device(self, request: web.Request) -> SimDevice:
        device_id = request.match_info["device_id"]
        device = self.cloud.devices.get(device_id)
        if device is None:
            raise not_found(f"Device '{device_id}' not found")
        return device

    @staticmethod
    def _str(body: dict[str, Any], key: str) -> str:
        value = body.get(key)
        if not isinstance(value, str) or not value:
            raise bad_request(f"{key} is required")
        return value

    # -- reads -------------------------------------------------------------------

    async def index(self, _request: web.Request) -> web.Response:
        """The route list (this module's docstring)."""
        return web.Response(text=__doc__ or "", content_type="text/plain")

    async def state(self, _request: web.Request) -> web.Response:
        """A summary of the simulated world."""
        cloud = self.cloud
        return json_response(
            {
                "now": cloud.now(),
                "accounts": [
                    {
                        "email": a.email,
                        "username": a.username,
                        "licensed": a.licensed,
                        "passwordSet": a.password is not None,
                        "devices": list(a.device_ids),
                    }
                    for a in cloud.accounts.values()
                ],
                "devices": [
                    {
                        "deviceId": d.device_id,
                        "kind": d.kind,
                        "type": d.device_type,
                        "name": d.name,
                        "owner": d.owner.email,
                        "connected": d.connected,
                        "firmware": d.firmware,
                        "cabins": {
                            c.cabin_id: {
                                "saunaStatus": c.status,
                                "temp": round(c.temp, 2),
                                "hum": round(c.hum, 2),
                                "activeProfile": c.active_profile,
                            }
                            for c in d.cabins.values()
                        },
                    }
                    for d in cloud.devices.values()
                ],
                "faults": cloud.faults.describe(),
            }
        )

    async def counts(self, _request: web.Request) -> web.Response:
        """Request counts per route name."""
        return json_response(dict(sorted(self.cloud.request_counts.items())))

    async def faults(self, _request: web.Request) -> web.Response:
        """Active faults."""
        return json_response(self.cloud.faults.describe())

    # -- world -------------------------------------------------------------------

    async def reset_counts(self, _request: web.Request, _body: dict[str, Any]) -> None:
        """Zero the request counts."""
        self.cloud.request_counts.clear()

    async def advance(
        self, _request: web.Request, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Move the virtual clock."""
        seconds = body.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or seconds < 0
        ):
            raise bad_request("seconds must be a number >= 0")
        self.cloud.advance(float(seconds))
        return {"now": self.cloud.now()}

    async def add_account(
        self, _request: web.Request, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Create an account."""
        password = body.get("password")
        account = self.cloud.add_account(
            self._str(body, "email"),
            password if isinstance(password, str) else None,
            licensed=bool(body.get("licensed", True)),
        )
        return {"email": account.email, "username": account.username}

    async def add_device(
        self, _request: web.Request, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Give an account a device."""
        account = self.cloud.accounts.get(self._str(body, "email").lower())
        if account is None:
            raise not_found("Account not found")
        device = self.cloud.add_device(
            account,
            self._str(body, "kind"),
            name=str(body.get("name") or "Sauna"),
            device_id=body.get("deviceId") or None,
        )
        return {"deviceId": device.device_id}

    async def remove_device(self, request: web.Request, _body: dict[str, Any]) -> None:
        """Remove a device."""
        self.cloud.remove_device(self._device(request).device_id)

    async def panel(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """Act at a device's panel."""
        device = self._device(request)
        args = dict(body)
        action = args.pop("action", None)
        if action == "set_connected":
            device.set_connected(bool(args.get("connected", True)))
        elif action in PANEL_ACTIONS:
            getattr(device.panel, action)(**args)
        else:
            raise bad_request(f"Unknown panel action {action!r}")
        return {"ok": True, "deviceId": device.device_id}

    # -- faults ------------------------------------------------------------------

    async def logins(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Refuse (or accept again) password logins."""
        email = body.get("email") if isinstance(body.get("email"), str) else None
        if body.get("reject", True):
            self.cloud.faults.reject_logins(email)
        else:
            self.cloud.faults.accept_logins(email)

    async def route_fault(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Status and/or latency on a route name."""
        count = body.get("count")
        fault_body = body.get("body")
        self.cloud.faults.set_route(
            self._str(body, "route"),
            status=int(body["status"]) if body.get("status") is not None else None,
            latency=float(body.get("latency") or 0.0),
            count=int(count) if count is not None else None,
            body=fault_body if isinstance(fault_body, dict) else None,
        )

    async def clear_route(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Remove a route fault."""
        self.cloud.faults.clear_route(self._str(body, "route"))

    async def payment(self, _request: web.Request, body: dict[str, Any]) -> None:
        """402 on one account's writes."""
        self.cloud.faults.payment_required(
            self._str(body, "email"), bool(body.get("enabled", True))
        )

    async def no_ack(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Commands to a device are never acknowledged."""
        self.cloud.faults.no_ack(
            self._str(body, "deviceId"), bool(body.get("enabled", True))
        )

    async def offline(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Take a device offline (or back)."""
        self.cloud.faults.offline(
            self._str(body, "deviceId"), bool(body.get("offline", True))
        )

    async def drop_sockets(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Close realtime sockets."""
        api = body.get("api")
        self.cloud.faults.drop_sockets(api if isinstance(api, str) else None)

    async def keepalives(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Stop or resume keep-alives."""
        if body.get("enabled", True):
            self.cloud.faults.resume_keepalives()
        else:
            self.cloud.faults.stop_keepalives()

    async def malformed(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Send a broken realtime message."""
        self.cloud.faults.malformed(
            self._str(body, "deviceId"),
            str(body.get("kind") or "field_not_json"),
            str(body.get("api") or "device"),
        )

    async def not_handled(self, _request: web.Request, body: dict[str, Any]) -> None:
        """GraphQL commands to a device answer `response: false` (reason `None`: off)."""
        reason = body.get("reason", "Device unavailable")
        self.cloud.faults.not_handled(
            self._str(body, "deviceId"), reason if isinstance(reason, str) else None
        )

    async def undefined_field(
        self, _request: web.Request, body: dict[str, Any]
    ) -> None:
        """Refuse a GraphQL field as undefined in the API's schema (or stop)."""
        self.cloud.faults.undefine_field(
            self._str(body, "api"),
            self._str(body, "field"),
            bool(body.get("undefined", True)),
        )

    async def refuse_ota(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Refuse OTA operations for an account."""
        self.cloud.faults.refuse_ota(
            self._str(body, "email"), bool(body.get("enabled", True))
        )

    async def latency(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Delay every request and realtime acknowledgement."""
        self.cloud.faults.set_latency(float(body["seconds"]))

    async def silence_feed(self, _request: web.Request, body: dict[str, Any]) -> None:
        """Acknowledge a device's subscriptions of one API, deliver nothing."""
        self.cloud.faults.silence_feed(
            self._str(body, "deviceId"),
            str(body.get("api") or "data"),
            bool(body.get("enabled", True)),
        )
