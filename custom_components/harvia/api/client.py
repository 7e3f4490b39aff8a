"""Async client of the Harvia cloud (REST and GraphQL over HTTP).

The aiohttp session is injected and never closed here. Every call carries the
idToken; a 401/403 (or GraphQL ``Unauthorized``) renews the token and re-sends
the call once. Nothing else is retried: a command is sent once, and a command
that starts the sauna or the heater is never re-sent automatically at all.

Writes to one device (commands, targets, profiles) go one at a time, at
least a second apart (see :mod:`.pacing`); at most
:data:`~._http.MAX_IN_FLIGHT` requests of the account are in flight at once.

Commands block until the device acknowledges them (API Gateway gives up after
~29 s with a 504), so they have their own, longer timeout
(``command_timeout``); a command that runs into it raises
:class:`HarviaCommandTimeoutError`: its outcome is unknown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
import json
import logging
import time
from typing import Any, Final

import aiohttp
from graphql import DocumentNode

from . import documents
from ._http import (
    MAX_IN_FLIGHT,
    REMOTE_START_REFUSED,
    TokenRejectedError,
    map_failure,
    map_rest_error,
    send,
)
from .appsync import collect_pages, map_graphql_errors
from .auth import HarviaAuth
from .endpoints import DEFAULT_ENDPOINTS_URL, Endpoints, GraphQLEndpoint
from .exceptions import (
    HarviaBadRequestError,
    HarviaCommandNotSentError,
    HarviaCommandTimeoutError,
    HarviaConnectionError,
    HarviaError,
    HarviaForbiddenError,
    HarviaNotFoundError,
    HarviaParseError,
    HarviaRemoteStartNotAllowedError,
    HarviaTimeoutError,
)
from .models import (
    REST_COMMANDS,
    CommandType,
    Device,
    OtaState,
    OtaUpdate,
    ShadowState,
    Telemetry,
)
from .pacing import DevicePacer

_LOGGER = logging.getLogger(__name__)

#: Page size asked of ``GET /devices``.
DEVICES_PAGE_SIZE: Final = 50
#: Safety net against a cloud that keeps answering with a next page.
MAX_PAGES: Final = 100
#: Default timeout of a command (s): longer than API Gateway's ~29 s, so that
#: a slow acknowledgement arrives as the cloud's own 504 rather than a timeout.
DEFAULT_COMMAND_TIMEOUT: Final = 35.0

# Commands never re-sent automatically when switching on, even after a token
# refresh: the caller decides.
_NO_RESEND_ON: Final = frozenset({CommandType.SAUNA, CommandType.HEATER})


def _json_number(value: float) -> float | int:
    """Send whole numbers as integers (80, not 80.0)."""
    return int(value) if float(value).is_integer() else float(value)


def _measurements(items: Any) -> list[Telemetry]:
    """The records of one ``devicesMeasurementsLatest`` answer (one or a list)."""
    if items is None:
        return []
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list):
        raise HarviaParseError("devicesMeasurementsLatest: expected a list")
    return _telemetry_records(items)


def _telemetry_records(items: list[Any]) -> list[Telemetry]:
    """Parse telemetry items, skipping (and debug-logging) unreadable ones."""
    records: list[Telemetry] = []
    for item in items:
        if item is None:
            continue
        try:
            records.append(Telemetry.from_dict(item))
        except HarviaParseError as err:
            _LOGGER.debug("Skipping a telemetry item: %s", err)
    return records


class HarviaClient:
    """Client of one Harvia account.

    Call :meth:`login` first (other calls log in on demand).
    ``request_timeout`` bounds every call except commands, which wait for the
    device's acknowledgement for up to ``command_timeout`` seconds.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        username: str,
        password: str,
        *,
        endpoints_url: str = DEFAULT_ENDPOINTS_URL,
        request_timeout: float = 20.0,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        time_func: Callable[[], float] = time.time,
        sleep_func: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Store the account; nothing is sent before the first call.

        ``time_func`` and ``sleep_func`` are the clock of token expiry and of
        the pacing of writes; tests inject virtual ones.
        """
        self._session = session
        self._username = username
        self._password = password
        self._endpoints_url = endpoints_url
        self._request_timeout = request_timeout
        self._command_timeout = command_timeout
        self._time = time_func
        self._endpoints: Endpoints | None = None
        self._auth: HarviaAuth | None = None
        self._login_lock = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._pacer = DevicePacer(time_func, sleep_func)
        # Whether the data API's devicesMeasurementsLatest may be used: it is
        # undocumented, so the first refusal switches this client to REST.
        self._measurements_graphql = True

    def __repr__(self) -> str:
        """Never show the account or tokens."""
        return f"<HarviaClient logged_in={self.logged_in}>"

    # -- session ---------------------------------------------------------------

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session every call (and the realtime client) uses."""
        return self._session

    @property
    def logged_in(self) -> bool:
        """Whether a login has succeeded."""
        return self._auth is not None and self._auth.id_token is not None

    @property
    def endpoints(self) -> Endpoints:
        """The endpoints document (available after :meth:`login`)."""
        if self._endpoints is None:
            raise HarviaError("Not logged in: endpoints unknown")
        return self._endpoints

    @property
    def user_id(self) -> str | None:
        """The JWT's ``cognito:username`` (``None`` before :meth:`login`)."""
        return self._auth.user_id if self._auth is not None else None

    async def login(self) -> None:
        """Fetch the endpoints document and log in (a fresh login each time).

        Raises :class:`HarviaAuthenticationError` (or
        :class:`HarviaNoPasswordError`) on rejected credentials and
        :class:`HarviaConnectionError` on transient failures.
        """
        async with self._login_lock:
            await self._login_locked()

    async def _login_locked(self) -> None:
        endpoints = await self._fetch_endpoints()
        auth = HarviaAuth(
            self._session,
            endpoints.rest_generics,
            self._username,
            self._password,
            request_timeout=self._request_timeout,
            time_func=self._time,
            in_flight=self._in_flight,
        )
        await auth.login()
        self._endpoints, self._auth = endpoints, auth

    async def get_id_token(self) -> str:
        """A valid idToken (renewed ahead of expiry), for the realtime client."""
        return await (await self._ensure_auth()).get_id_token()

    async def renew_id_token(self, rejected_token: str | None = None) -> str:
        """Renew the idToken after ``rejected_token`` was refused elsewhere."""
        return await (await self._ensure_auth()).renew(rejected_token)

    async def revoke(self) -> bool:
        """Revoke the refresh token (best effort, for unload); ``True`` on success."""
        if self._auth is None:
            return False
        return await self._auth.revoke()

    async def _fetch_endpoints(self) -> Endpoints:
        response = await send(
            self._session,
            "GET",
            self._endpoints_url,
            request_timeout=self._request_timeout,
            in_flight=self._in_flight,
        )
        if not response.ok:
            # Whatever the status, the cloud cannot be used: cannot connect.
            raise HarviaConnectionError(
                f"Endpoints document: HTTP {response.status}", status=response.status
            )
        if not response.valid_json:
            raise HarviaConnectionError("Endpoints document is not JSON")
        return Endpoints.from_dict(response.body)

    async def _ensure_auth(self) -> HarviaAuth:
        if self._auth is None:
            async with self._login_lock:
                if self._auth is None:
                    await self._login_locked()
        assert self._auth is not None
        return self._auth

    # -- transport -------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        graphql: bool = False,
        command: bool = False,
        resend: bool = True,
        remote_start: bool = False,
    ) -> Any:
        """One authorised call; on a rejected token renew and re-send once.

        ``command``: the call waits for a device's acknowledgement (command
        timeout). ``resend=False``: never re-send, even after a token
        refresh. ``remote_start``: the call starts a sauna session, which the
        cloud may refuse with a 403 of its own (see below).
        """
        auth = await self._ensure_auth()
        token = await auth.get_id_token()
        try:
            return await self._call_once(
                method, url, token, params, json_body, graphql, command
            )
        except TokenRejectedError as err:
            _LOGGER.debug("Token rejected (%s); renewing", err)
            token = await auth.renew(token)
            if not resend:
                # The renewal worked, so the session is fine. A 403 whose body
                # does not speak of the token or of authorisation (API
                # Gateway's own refusals always do) on starting a sauna
                # session is most likely the device refusing a remote start
                # (door open, remote start not armed): its status code is not
                # known, and 403 is a candidate. Either way the command
                # is not re-sent.
                if remote_start and err.status == 403 and not err.token_problem:
                    raise HarviaRemoteStartNotAllowedError(
                        f"HTTP 403: {REMOTE_START_REFUSED}", status=403
                    ) from err
                raise HarviaCommandNotSentError(
                    "The command was rejected before reaching the device and was "
                    "not re-sent; the session was renewed, send it again",
                    status=err.status,
                ) from err
        try:
            return await self._call_once(
                method, url, token, params, json_body, graphql, command
            )
        except TokenRejectedError as err:
            raise HarviaForbiddenError(
                f"Refused with a freshly renewed token ({err})", status=err.status
            ) from err

    async def _call_once(
        self,
        method: str,
        url: str,
        token: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        graphql: bool,
        command: bool,
    ) -> Any:
        try:
            response = await send(
                self._session,
                method,
                url,
                request_timeout=(
                    self._command_timeout if command else self._request_timeout
                ),
                token=token,
                params=params,
                json_body=json_body,
                in_flight=self._in_flight,
            )
        except HarviaTimeoutError as err:
            if not command:
                raise
            # The command may have reached the device: never re-send it.
            raise HarviaCommandTimeoutError(
                "No answer to the command in time: its outcome is unknown"
            ) from err
        body = response.body
        if graphql and isinstance(body, Mapping) and body.get("errors"):
            data = body.get("data")
            if not isinstance(data, Mapping) or any(v is None for v in data.values()):
                if response.status >= 500 and response.status != 504:
                    raise map_rest_error(response.status, None)
                raise map_graphql_errors(body.get("errors"))
        if not response.ok:
            raise map_rest_error(response.status, body)
        if not response.valid_json:
            raise HarviaConnectionError("Answer from the Harvia cloud is not JSON")
        if graphql:
            data = body.get("data") if isinstance(body, Mapping) else None
            if not isinstance(data, Mapping):
                raise HarviaParseError("GraphQL answer without data")
            return data
        return body

    async def _graphql(
        self,
        api: GraphQLEndpoint,
        document: DocumentNode,
        variables: Mapping[str, Any],
        *,
        command: bool = False,
        resend: bool = True,
    ) -> Mapping[str, Any]:
        result: Mapping[str, Any] = await self._call(
            "POST",
            api.https,
            json_body={
                "query": documents.document_text(document),
                "variables": {k: v for k, v in variables.items() if v is not None},
            },
            graphql=True,
            command=command,
            resend=resend,
        )
        return result

    def _device_url(self, path: str) -> str:
        return f"{self.endpoints.rest_device}{path}"

    # -- devices -----------------------------------------------------------------

    async def get_devices(self) -> list[Device]:
        """All devices of the account (``GET /devices``, every page)."""
        await self._ensure_auth()
        devices: list[Device] = []
        seen_tokens: set[str] = set()
        next_token: str | None = None
        for _ in range(MAX_PAGES):
            params = {"maxResults": str(DEVICES_PAGE_SIZE)}
            if next_token:
                params["nextToken"] = next_token
            body = await self._call("GET", self._device_url("/devices"), params=params)
            if not isinstance(body, Mapping):
                raise HarviaParseError("Device list: expected a JSON object")
            rows = body.get("devices")
            if rows is None:
                rows = []
            if not isinstance(rows, list):
                raise HarviaParseError("Device list: devices is not a list")
            for row in rows:
                try:
                    devices.append(Device.from_dict(row))
                except HarviaParseError as err:
                    # One unreadable row must not hide the account's other
                    # devices. The error names no id.
                    _LOGGER.debug("Skipping a device row: %s", err)
            token = body.get("nextToken")
            if not isinstance(token, str) or not token or token in seen_tokens:
                break
            seen_tokens.add(token)
            next_token = token
        return devices

    async def _api(self) -> Endpoints:
        await self._ensure_auth()
        return self.endpoints

    # -- state and telemetry -----------------------------------------------------

    async def get_cabin_state(
        self, device_id: str, cabin_id: str | None
    ) -> ShadowState:
        """A cabin's shadow (``GET /devices/state``; ``None``: the type's default)."""
        await self._ensure_auth()
        params = {"deviceId": device_id}
        if cabin_id:
            params["subId"] = cabin_id
        body = await self._call(
            "GET", self._device_url("/devices/state"), params=params
        )
        return ShadowState.from_dict(body)

    async def get_cabin_states(
        self, cabins: Sequence[tuple[str, str | None]]
    ) -> list[ShadowState | HarviaParseError]:
        """Several shadows in one GraphQL query (``devicesStatesGet`` aliased).

        ``cabins`` holds (device id, shadow name) pairs; the answer is in
        their order, a shadow that cannot be parsed as its parse error. Raises
        as one read would when the cloud refuses any of them.
        """
        variables: dict[str, Any] = {}
        for i, (device_id, shadow) in enumerate(cabins):
            variables[f"d{i}"] = device_id
            variables[f"s{i}"] = shadow
        data = await self._graphql(
            (await self._api()).graphql_device,
            documents.devices_states_get_many(len(cabins)),
            variables,
        )
        states: list[ShadowState | HarviaParseError] = []
        for i in range(len(cabins)):
            item = data.get(f"c{i}")
            if item is None:
                raise HarviaNotFoundError("Device state not found")
            try:
                states.append(ShadowState.from_dict(item))
            except HarviaParseError as err:
                states.append(err)
        return states

    async def get_telemetry(self, device_id: str, cabin_id: str | None) -> Telemetry:
        """Latest telemetry of a cabin (``GET /data/latest-data``, documented)."""
        endpoints = await self._api()
        params = {"deviceId": device_id}
        if cabin_id:
            params["cabinId"] = cabin_id
        body = await self._call(
            "GET", f"{endpoints.rest_data}/data/latest-data", params=params
        )
        if body is None:
            return Telemetry.from_data({}, device_id=device_id, sub_id=cabin_id)
        if isinstance(body, list):
            for record in _telemetry_records(body):
                if cabin_id is None or record.sub_id in (None, cabin_id):
                    return record
            return Telemetry.from_data({}, device_id=device_id, sub_id=cabin_id)
        return Telemetry.from_dict(body)

    async def get_latest_measurements(
        self, device_id: str, cabin_ids: Iterable[str | None] = (None,)
    ) -> list[Telemetry]:
        """Latest measurements of every cabin of a device.

        Read with the data API's ``devicesMeasurementsLatest`` (one call for
        every cabin), which is undocumented: once the cloud refuses it (a
        validation error, an unknown field, not allowed), this client reads
        the documented ``GET /data/latest-data`` instead, from then on, once
        for each of ``cabin_ids`` (None: the device's default cabin), since
        that call knows no "every cabin".
        """
        if self._measurements_graphql:
            try:
                return await self._measurements_latest_graphql(device_id)
            except (HarviaBadRequestError, HarviaForbiddenError) as err:
                self._refuse_measurements_graphql(err)
        return await self._latest_data_rest(device_id, cabin_ids)

    async def get_latest_measurements_many(
        self, reads: Sequence[tuple[str, Sequence[str | None]]]
    ) -> list[list[Telemetry] | HarviaParseError]:
        """Latest measurements of several devices, in their order.

        ``reads`` holds (device id, cabin ids) pairs, as
        :meth:`get_latest_measurements` takes them. With the data API's query
        they share one request (``devicesMeasurementsLatest`` aliased); a
        device whose answer cannot be parsed gets its parse error. Raises as
        one read would when the cloud refuses any of them; over REST each is
        read as :meth:`get_latest_measurements` would.
        """
        if self._measurements_graphql:
            try:
                data = await self._graphql(
                    (await self._api()).graphql_data,
                    documents.devices_measurements_latest_many(len(reads)),
                    {f"d{i}": device_id for i, (device_id, _) in enumerate(reads)},
                )
            except (HarviaBadRequestError, HarviaForbiddenError) as err:
                self._refuse_measurements_graphql(err)
            else:
                results: list[list[Telemetry] | HarviaParseError] = []
                for i in range(len(reads)):
                    try:
                        results.append(_measurements(data.get(f"m{i}")))
                    except HarviaParseError as err:
                        results.append(err)
                return results
        return list(
            await asyncio.gather(
                *(
                    self._latest_data_rest(device_id, cabins)
                    for device_id, cabins in reads
                )
            )
        )

    def _refuse_measurements_graphql(self, err: HarviaError) -> None:
        _LOGGER.debug(
            "devicesMeasurementsLatest refused (%s); reading telemetry over REST "
            "from now on",
            err,
        )
        self._measurements_graphql = False

    async def _latest_data_rest(
        self, device_id: str, cabin_ids: Iterable[str | None]
    ) -> list[Telemetry]:
        records = await asyncio.gather(
            *(self._latest_data(device_id, cabin_id) for cabin_id in cabin_ids)
        )
        return [record for record in records if record is not None and record.raw]

    async def _latest_data(
        self, device_id: str, cabin_id: str | None
    ) -> Telemetry | None:
        try:
            return await self.get_telemetry(device_id, cabin_id)
        except HarviaNotFoundError:
            # The cloud has no sample of the cabin yet (a cold SaunaSensor).
            return None

    async def _measurements_latest_graphql(self, device_id: str) -> list[Telemetry]:
        data = await self._graphql(
            (await self._api()).graphql_data,
            documents.DEVICES_MEASUREMENTS_LATEST,
            {"deviceId": device_id},
        )
        return _measurements(data.get("devicesMeasurementsLatest"))

    # -- writes --------------------------------------------------------------------

    async def send_command(
        self,
        device_id: str,
        cabin_id: str | None,
        command: CommandType | str,
        on: bool,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Send a command once and wait for the device's acknowledgement.

        ``SAUNA``/``LIGHTS``/``FAN`` without ``params`` go over REST with state
        on/off (the types the REST spec lists). Others (or any with ``params``) go over GraphQL
        ``devicesCommandsSend`` with ``params`` as a JSON string (default
        ``{"on": 1|0}``), e.g. ``ADJUST_DURATION`` with ``{"duration": 60}``.

        A rejected token renews the session and re-sends once, except for
        switching ``SAUNA``/``HEATER`` on, which raises
        :class:`HarviaCommandNotSentError` instead (or
        :class:`HarviaRemoteStartNotAllowedError` for a 403 on ``SAUNA`` on
        that is not about the token). No answer within ``command_timeout``
        raises :class:`HarviaCommandTimeoutError` (outcome unknown, never
        re-sent). A ``handled``/``response`` of ``false`` raises the error its
        reason names (:class:`HarviaDeviceUnavailableError` when it names
        none). Writes to one device are paced (see :mod:`.pacing`).
        """
        try:
            command = CommandType(command)
        except ValueError as err:
            raise ValueError(f"Unknown command type {command!r}") from err
        endpoints = await self._api()
        async with self._pacer.write(device_id):
            await self._send_command(
                endpoints, device_id, cabin_id, command, on, params
            )

    async def _send_command(
        self,
        endpoints: Endpoints,
        device_id: str,
        cabin_id: str | None,
        command: CommandType,
        on: bool,
        params: Mapping[str, Any] | None,
    ) -> None:
        resend = not (on and command in _NO_RESEND_ON)
        remote_start = on and command is CommandType.SAUNA
        if command in REST_COMMANDS and params is None:
            body: dict[str, Any] = {
                "deviceId": device_id,
                "command": {"type": command.value, "state": "on" if on else "off"},
            }
            if cabin_id:
                body["cabin"] = {"id": cabin_id}
            _LOGGER.debug(
                "Sending %s %s over REST", command.value, "on" if on else "off"
            )
            result = await self._call(
                "POST",
                self._device_url("/devices/command"),
                json_body=body,
                command=True,
                resend=resend,
                remote_start=remote_start,
            )
            if isinstance(result, Mapping) and result.get("handled") is False:
                reason = result.get("failureReason")
                raise map_failure(reason if isinstance(reason, str) else None)
            return
        payload = dict(params) if params is not None else {"on": 1 if on else 0}
        _LOGGER.debug("Sending %s over GraphQL", command.value)
        data = await self._graphql(
            endpoints.graphql_device,
            documents.DEVICES_COMMANDS_SEND,
            {
                "deviceId": device_id,
                "command": {"type": command.value},
                "subId": cabin_id,
                "params": json.dumps(payload, separators=(",", ":")),
            },
            command=True,
            resend=resend,
        )
        answer = data.get("devicesCommandsSend")
        if isinstance(answer, Mapping) and answer.get("response") is False:
            reason = answer.get("failureReason")
            raise map_failure(reason if isinstance(reason, str) else None)

    async def set_target(
        self,
        device_id: str,
        cabin_id: str | None,
        *,
        temperature: float | None = None,
        humidity: float | None = None,
    ) -> None:
        """Write the target temperature and/or humidity (into the active profile)."""
        if temperature is None and humidity is None:
            raise ValueError("Give a temperature, a humidity or both")
        await self._ensure_auth()
        body: dict[str, Any] = {"deviceId": device_id}
        if cabin_id:
            body["cabin"] = {"id": cabin_id}
        if temperature is not None:
            body["temperature"] = _json_number(temperature)
        if humidity is not None:
            body["humidity"] = _json_number(humidity)
        async with self._pacer.write(device_id):
            await self._call(
                "PATCH", self._device_url("/devices/target"), json_body=body
            )

    async def set_profile(
        self, device_id: str, cabin_id: str | None, profile: int
    ) -> None:
        """Select the active profile by index (sent as a string).

        The panel applies it after 10-15 s and drops a second change sent
        before the first applied: callers should serialise profile writes.
        """
        await self._ensure_auth()
        body: dict[str, Any] = {"deviceId": device_id, "profile": str(int(profile))}
        if cabin_id:
            body["cabin"] = {"id": cabin_id}
        async with self._pacer.write(device_id):
            await self._call(
                "PATCH", self._device_url("/devices/profile"), json_body=body
            )

    # -- firmware --------------------------------------------------------------------

    async def get_ota_updates(
        self, device_type: str | None, hw_version: str | None
    ) -> list[OtaUpdate]:
        """Available firmware updates (``otaUpdatesList``, every page)."""
        api = (await self._api()).graphql_device
        return [
            OtaUpdate.from_dict(row)
            for row in await self._paginate(
                api,
                documents.OTA_UPDATES_LIST,
                {"deviceType": device_type, "hwVersion": hw_version},
                "otaUpdatesList",
                "otaUpdates",
            )
        ]

    async def get_ota_states(self, only_active: bool = False) -> list[OtaState]:
        """Firmware update progress of the account's devices (every page)."""
        api = (await self._api()).graphql_device
        return [
            OtaState.from_dict(row)
            for row in await self._paginate(
                api,
                documents.OTA_UPDATES_STATES_LIST,
                {"onlyActive": only_active},
                "otaUpdatesStatesList",
                "otaUpdateStates",
            )
        ]

    async def start_ota(self, device_id: str, ota_id: str) -> bool:
        """Start a firmware update; the cloud's success flag."""
        api = (await self._api()).graphql_device
        async with self._pacer.write(device_id):
            data = await self._graphql(
                api,
                documents.DEVICES_OTA_UPDATES_START,
                {"deviceId": device_id, "otaId": ota_id},
            )
        return data.get("devicesOtaUpdatesStart") is True

    async def cancel_ota(self, device_id: str) -> bool:
        """Cancel a firmware update; the cloud's success flag."""
        api = (await self._api()).graphql_device
        async with self._pacer.write(device_id):
            data = await self._graphql(
                api, documents.DEVICES_OTA_UPDATES_CANCEL, {"deviceId": device_id}
            )
        return data.get("devicesOtaUpdatesCancel") is True

    async def _paginate(
        self,
        api: GraphQLEndpoint,
        document: DocumentNode,
        variables: Mapping[str, Any],
        field: str,
        items_key: str,
    ) -> list[Any]:
        async def page(next_token: str | None) -> Any:
            data = await self._graphql(
                api, document, {**variables, "nextToken": next_token}
            )
            return data.get(field)

        return await collect_pages(page, items_key, label=field, max_pages=MAX_PAGES)
