"""REST APIs: auth wrapper (generics), device service and data service.

Paths are relative to the bases in the endpoints document:
`{generics}/auth/...`, `{device}/devices...`, `{data}/data/latest-data`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .accounts import Account
from .cloud import HarviaCloud
from .devices import ALL_COMMANDS
from .errors import bad_request
from .httputil import Handler, json_response, read_json
from .shapes import device_row, rest_measurement, rest_state


def _cabin_selector(body: dict[str, Any]) -> tuple[Any, Any]:
    cabin = body.get("cabin")
    if cabin is None:
        return None, None
    if not isinstance(cabin, dict):
        raise bad_request("cabin must be an object with id or name")
    return cabin.get("id"), cabin.get("name")


# The command types `POST /devices/command` documents; every other type of
# the Command enum is for GraphQL `devicesCommandsSend`.
REST_COMMANDS = frozenset({"SAUNA", "LIGHTS", "FAN"})
# `command.state` toggles as the spec lists them: on/off, true/false, 1/0.
_STATE_WORDS = frozenset({"on", "off", "true", "false", "1", "0"})
_COMMAND_KEYS = frozenset({"type", "state", "params"})


def _params_state(value: Any) -> Any:
    """`command.params` on REST: only the toggle `{"on": 0|1}` (an object or a
    JSON string of one), which the cloud's own error text points to (notes §5)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as err:
            raise bad_request("command.params must be JSON") from err
    if not isinstance(value, dict):
        raise bad_request("command.params must be an object")
    if (
        set(value) != {"on"}
        or value["on"] not in (0, 1)
        or isinstance(value["on"], bool)
    ):
        raise bad_request('Invalid command.params: only {"on": 0|1} is accepted here')
    return bool(value["on"])


def _rest_command(device: Any, command: Any) -> tuple[str, Any]:
    """(type, state) of a REST command as the spec allows it; 400 otherwise."""
    if not isinstance(command, dict):
        raise bad_request("command is required")
    if "type" not in command:
        raise bad_request("command.type is required")
    kind = command["type"]
    if not isinstance(kind, str) or kind not in ALL_COMMANDS:
        raise bad_request(f"Invalid command.type value {kind!r}")
    if kind not in REST_COMMANDS:
        raise bad_request(
            f"Command '{kind}' is not supported for device type '{device.device_type}'"
        )
    extra = sorted(set(command) - _COMMAND_KEYS)
    if extra:
        raise bad_request(f"Unknown command field(s): {', '.join(extra)}")
    if "params" in command:
        if "state" in command:
            raise bad_request("Send command.state or command.params, not both")
        return kind, _params_state(command["params"])
    if "state" not in command:
        raise bad_request("command.state is required")
    state = command["state"]
    if isinstance(state, str) and state not in _STATE_WORDS:
        raise bad_request(
            f"Invalid command.state value {state!r}: use on/off, true/false or 1/0"
        )
    if not isinstance(state, str | bool | int | float):
        raise bad_request("command.state must be a string, a boolean or a number")
    return kind, state


class RestApi:
    """The REST handlers of one cloud."""

    def __init__(self, cloud: HarviaCloud) -> None:
        self.cloud = cloud

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """(method, path, route name, handler) for every REST route."""
        return [
            ("POST", "/rest/generics/auth/token", "POST /auth/token", self.token),
            ("POST", "/rest/generics/auth/refresh", "POST /auth/refresh", self.refresh),
            ("POST", "/rest/generics/auth/revoke", "POST /auth/revoke", self.revoke),
            ("GET", "/rest/device/devices", "GET /devices", self.devices),
            ("GET", "/rest/device/devices/state", "GET /devices/state", self.state),
            (
                "POST",
                "/rest/device/devices/command",
                "POST /devices/command",
                self.command,
            ),
            (
                "PATCH",
                "/rest/device/devices/target",
                "PATCH /devices/target",
                self.target,
            ),
            (
                "PATCH",
                "/rest/device/devices/profile",
                "PATCH /devices/profile",
                self.profile,
            ),
            (
                "GET",
                "/rest/data/data/latest-data",
                "GET /data/latest-data",
                self.latest_data,
            ),
        ]

    def _account(self, request: web.Request) -> Account:
        return self.cloud.authenticate(request.headers.get("Authorization"))

    # -- auth ------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        """Login with e-mail and password."""
        body = await read_json(request)
        tokens = self.cloud.login(body.get("username"), body.get("password"))
        return json_response(tokens.body())

    async def refresh(self, request: web.Request) -> web.Response:
        """New id/access tokens; no new refresh token."""
        body = await read_json(request)
        tokens = self.cloud.refresh(body.get("refreshToken"), body.get("email"))
        return json_response(tokens.body())

    async def revoke(self, request: web.Request) -> web.Response:
        """Revoke a refresh token (and its id tokens)."""
        body = await read_json(request)
        self.cloud.revoke(body.get("refreshToken"), body.get("email"))
        return json_response({"success": True})

    # -- device service ------------------------------------------------------

    async def devices(self, request: web.Request) -> web.Response:
        """Paginated device list."""
        account = self._account(request)
        raw_max = request.query.get("maxResults")
        max_results: int | None = None
        if raw_max is not None:
            if not raw_max.isdigit() or int(raw_max) < 1:
                raise bad_request("maxResults must be a positive integer")
            max_results = int(raw_max)
        devices, next_token = self.cloud.list_devices(
            account, max_results, request.query.get("nextToken") or None
        )
        body: dict[str, Any] = {"devices": [device_row(d) for d in devices]}
        if next_token:
            body["nextToken"] = next_token
        return json_response(body)

    async def state(self, request: web.Request) -> web.Response:
        """A cabin's shadow (C1 by default, classic for the sauna sensor)."""
        account = self._account(request)
        query = request.query
        sub_id, cabin_name = query.get("subId"), query.get("cabinName")
        if sub_id is not None and cabin_name is not None:
            raise bad_request("subId and cabinName are mutually exclusive")
        device = self.cloud.owned_device(account, query.get("deviceId"))
        if cabin_name is not None:
            sub_id = device.shadow_name(device.cabin(name=cabin_name))
        return json_response(rest_state(device, device.shadow(sub_id)))

    async def command(self, request: web.Request) -> web.Response:
        """Send a command and wait for the device to acknowledge it."""
        account = self._account(request)
        body = await read_json(request)
        device = self.cloud.owned_device(account, body.get("deviceId"))
        kind, state = _rest_command(device, body.get("command"))
        cabin_id, cabin_name = _cabin_selector(body)
        await self.cloud.send_command(
            account,
            device.device_id,
            kind,
            state=state,
            cabin_id=cabin_id,
            cabin_name=cabin_name,
        )
        return json_response({"handled": True})

    async def target(self, request: web.Request) -> web.Response:
        """Write target temperature/humidity into the active profile."""
        account = self._account(request)
        body = await read_json(request)
        cabin_id, cabin_name = _cabin_selector(body)
        device, cabin, updated = self.cloud.set_target(
            account,
            body.get("deviceId"),
            temperature=body.get("temperature"),
            humidity=body.get("humidity"),
            cabin_id=cabin_id,
            cabin_name=cabin_name,
        )
        return json_response(
            {
                "deviceId": device.device_id,
                "shadowName": device.shadow_name(cabin),
                "updated": updated,
            }
        )

    async def profile(self, request: web.Request) -> web.Response:
        """Select a profile; the panel applies it after a delay."""
        account = self._account(request)
        body = await read_json(request)
        cabin_id, cabin_name = _cabin_selector(body)
        if not isinstance(body.get("profile"), str):
            # The spec types it as a string: a name or an index as stored.
            raise bad_request("profile must be a string (a profile name or index)")
        device, cabin, index = self.cloud.set_profile(
            account,
            body.get("deviceId"),
            body.get("profile"),
            cabin_id=cabin_id,
            cabin_name=cabin_name,
        )
        return json_response(
            {
                "deviceId": device.device_id,
                "shadowName": device.shadow_name(cabin),
                "activeProfile": index,
                "profile": cabin.profiles[index].name,
            }
        )

    # -- data service ----------------------------------------------------------

    async def latest_data(self, request: web.Request) -> web.Response:
        """The latest telemetry sample of a cabin."""
        account = self._account(request)
        query = request.query
        cabin_id = query.get("cabinId") or query.get("subId")
        item = self.cloud.latest_data(account, query.get("deviceId"), cabin_id)
        return json_response(rest_measurement(item))
