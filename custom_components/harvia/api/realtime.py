"""AppSync realtime (push) client of the Harvia cloud, on aiohttp websockets.

One socket per AppSync API (notes §6):

* the **device** API carries ``devicesStatesUpdateFeed`` and
  ``otaUpdatesStatesUpdateFeed``;
* the **data** API carries ``devicesMeasurementsUpdateFeed``.

Every feed is subscribed once per device with ``receiver`` = the device id
(the only receiver real feeds deliver to). Pushes are parsed by the same
models as REST answers and handed out as :class:`StateEvent`,
:class:`TelemetryEvent` and :class:`OtaEvent`; a payload that cannot be parsed
is logged at debug level and dropped.

A socket that stays silent for the ``connectionTimeoutMs`` of its
``connection_ack`` is dead and reconnected, with exponential backoff and
jitter after failures. Sockets are also renewed ahead of the handshake token's
expiry (at least every :data:`MAX_CONNECTION_AGE`). Every connect asks the
auth layer for a valid idToken; a rejected token is renewed (refresh, then a
fresh login) and only a definite credential rejection ends :meth:`HarviaRealtime.run`
with :class:`HarviaAuthenticationError`.

Nothing here logs tokens, e-mail addresses or device ids.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
import json
import logging
import math
import random
import time
from typing import Any, Final
from urllib.parse import quote
import uuid

import aiohttp
from graphql import DocumentNode
from yarl import URL

from . import documents
from ._http import safe_code
from .auth import decode_jwt_claims
from .client import HarviaClient
from .endpoints import GraphQLEndpoint
from .exceptions import HarviaAuthenticationError, HarviaError, HarviaParseError
from .models import OtaState, ShadowState, Telemetry

_LOGGER = logging.getLogger(__name__)

#: The websocket subprotocol of AppSync's realtime endpoint.
SUBPROTOCOL: Final = "graphql-ws"
#: Base64 of ``{}``: the connect URL's ``payload`` parameter.
EMPTY_PAYLOAD: Final = "e30="
#: Liveness window when ``connection_ack`` does not give one (AppSync's 5 min).
DEFAULT_CONNECTION_TIMEOUT: Final = 300.0
#: Renew every socket at least this often (seconds).
MAX_CONNECTION_AGE: Final = 1800.0
#: Renew a socket this long before its handshake token expires (seconds).
TOKEN_EXPIRY_MARGIN: Final = 120.0
#: Renew the idToken before a connect when it has less validity left (seconds).
MIN_TOKEN_VALIDITY: Final = 300.0
#: A socket never lives shorter than this because of a short-lived token.
MIN_CONNECTION_AGE: Final = 60.0
#: A connection that stayed up this long resets the backoff (seconds).
STABLE_CONNECTION: Final = 60.0


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateEvent:
    """A (partial) shadow push: merge ``reported`` into what is known.

    ``reported`` holds only the keys the device changed; it is empty for a
    push that only reports the connection state.
    """

    device_id: str
    shadow_name: str | None
    reported: dict[str, Any]
    connected: bool | None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TelemetryEvent:
    """A telemetry push (Data service); ``telemetry.raw`` may be partial."""

    telemetry: Telemetry

    @property
    def device_id(self) -> str:
        """The device the measurements belong to."""
        return self.telemetry.device_id or ""


@dataclass(frozen=True, slots=True)
class OtaEvent:
    """A firmware update progress push."""

    ota: OtaState

    @property
    def device_id(self) -> str:
        """The device being updated."""
        return self.ota.device_id


type RealtimeEvent = StateEvent | TelemetryEvent | OtaEvent


def _notice_item(notice: Any) -> Mapping[str, Any]:
    """The ``item`` of a feed notice ``{receiver, item}``."""
    if not isinstance(notice, Mapping):
        raise HarviaParseError("feed notice is not an object")
    item = notice.get("item")
    if not isinstance(item, Mapping):
        raise HarviaParseError("feed notice has no item object")
    return item


def parse_state_notice(notice: Any, device_id: str) -> StateEvent:
    """Parse a ``devicesStatesUpdateFeed`` notice (``device_id``: the receiver)."""
    state = ShadowState.from_dict(_notice_item(notice))
    return StateEvent(
        device_id=state.device_id or device_id,
        shadow_name=state.shadow_name,
        reported=state.reported,
        connected=state.connected,
        timestamp=state.timestamp,
    )


def parse_telemetry_notice(notice: Any, device_id: str) -> TelemetryEvent:
    """Parse a ``devicesMeasurementsUpdateFeed`` notice."""
    telemetry = Telemetry.from_dict(_notice_item(notice))
    if telemetry.device_id is None:
        telemetry = replace(telemetry, device_id=device_id)
    return TelemetryEvent(telemetry)


def parse_ota_notice(notice: Any, device_id: str) -> OtaEvent:
    """Parse an ``otaUpdatesStatesUpdateFeed`` notice."""
    item = _notice_item(notice)
    if not item.get("deviceId"):
        item = {**item, "deviceId": device_id}
    return OtaEvent(OtaState.from_dict(item))


@dataclass(frozen=True, slots=True)
class _Feed:
    """One subscription field, the API that serves it and its parser."""

    field: str
    api: str
    document: DocumentNode
    parse: Callable[[Any, str], RealtimeEvent]
    # Push counts as healthy only while every required feed is subscribed.
    required: bool = True


STATE_FEED: Final = _Feed(
    "devicesStatesUpdateFeed",
    "device",
    documents.DEVICES_STATES_UPDATE_FEED,
    parse_state_notice,
)
OTA_FEED: Final = _Feed(
    "otaUpdatesStatesUpdateFeed",
    "device",
    documents.OTA_UPDATES_STATES_UPDATE_FEED,
    parse_ota_notice,
    # Its receiver is unsure (notes §6); firmware progress is also polled, so a
    # refused OTA subscription must not keep state and telemetry polling.
    required=False,
)
TELEMETRY_FEED: Final = _Feed(
    "devicesMeasurementsUpdateFeed",
    "data",
    documents.DEVICES_MEASUREMENTS_UPDATE_FEED,
    parse_telemetry_notice,
)
FEEDS: Final = (STATE_FEED, OTA_FEED, TELEMETRY_FEED)


# --------------------------------------------------------------------------
# Protocol helpers
# --------------------------------------------------------------------------


def _authorization(token: str, host: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "host": host}


def realtime_url(endpoint: GraphQLEndpoint, token: str) -> URL:
    """The connect URL: ``wss`` with the base64 ``header`` and ``payload=e30=``."""
    header = base64.b64encode(
        json.dumps(_authorization(token, endpoint.host), separators=(",", ":")).encode()
    ).decode("ascii")
    query = f"header={quote(header, safe='')}&payload={quote(EMPTY_PAYLOAD, safe='')}"
    base = endpoint.wss.split("?", 1)[0]
    return URL(f"{base}?{query}", encoded=True)


def _errors(payload: Any) -> list[Mapping[str, Any]]:
    errors = payload.get("errors") if isinstance(payload, Mapping) else None
    if isinstance(errors, Mapping):
        errors = [errors]
    if not isinstance(errors, list):
        return []
    return [error for error in errors if isinstance(error, Mapping)]


def _error_type(errors: list[Mapping[str, Any]]) -> str:
    """A short, secret-free description: the error types (never messages).

    Only values that look like codes (:func:`safe_code`) are kept.
    """
    types: list[str] = []
    for error in errors:
        value = safe_code(error.get("errorType"))
        if value is None:
            extensions = error.get("extensions")
            code = extensions.get("code") if isinstance(extensions, Mapping) else None
            value = safe_code(code)
        status = error.get("errorCode")
        if value is None and isinstance(status, int) and not isinstance(status, bool):
            value = f"code {status}"
        if value:
            types.append(value)
    return ", ".join(types) or "unspecified"


def _is_unauthorized(errors: list[Mapping[str, Any]]) -> bool:
    """Whether the errors say the token was refused."""
    for error in errors:
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, Mapping) else None
        texts = [error.get("errorType"), code]
        if any(isinstance(t, str) and "unauthorized" in t.lower() for t in texts):
            return True
        if error.get("errorCode") in (401, "401"):
            return True
    return False


class _SessionError(HarviaError):
    """A socket session failed; ``auth``: the token was refused."""

    def __init__(self, reason: str, *, auth: bool = False) -> None:
        super().__init__(reason)
        self.auth = auth


@dataclass(slots=True)
class _Subscription:
    feed: _Feed
    device_id: str
    acked: bool = False


@dataclass(frozen=True, slots=True)
class _StartFailure:
    """Why a ``start`` was refused."""

    reason: str
    unauthorized: bool


# --------------------------------------------------------------------------
# Stats
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RealtimeSocketStats:
    """One socket's state (no secrets, no device ids)."""

    api: str
    connected: bool
    subscriptions: int
    pending_subscriptions: int
    failed_subscriptions: int
    last_message_age: float | None
    connected_for: float | None
    connects: int
    reconnects: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class RealtimeStats:
    """State of the realtime client as a whole."""

    running: bool
    connected: bool | None
    devices: int
    events: int
    dropped: int
    last_error: str | None
    sockets: tuple[RealtimeSocketStats, ...]

    @property
    def connected_sockets(self) -> int:
        """Sockets open and acknowledged."""
        return sum(1 for socket in self.sockets if socket.connected)

    @property
    def active_subscriptions(self) -> int:
        """Acknowledged subscriptions over all sockets."""
        return sum(socket.subscriptions for socket in self.sockets)

    @property
    def reconnects(self) -> int:
        """Reconnects over all sockets."""
        return sum(socket.reconnects for socket in self.sockets)

    @property
    def last_message_age(self) -> float | None:
        """Seconds since the newest message on any socket."""
        ages = [
            s.last_message_age for s in self.sockets if s.last_message_age is not None
        ]
        return min(ages) if ages else None


# --------------------------------------------------------------------------
# One socket
# --------------------------------------------------------------------------


class _Socket:
    """The socket of one AppSync API and its subscriptions."""

    def __init__(self, owner: HarviaRealtime, api: str) -> None:
        self.owner = owner
        self.api = api
        self.feeds = tuple(feed for feed in FEEDS if feed.api == api)
        self.wake = asyncio.Event()
        self.connected = False
        # Subscriptions active when the socket was renewed as planned: they
        # count as active until the new connection's first subscription round
        # ends (a planned renewal is not an outage). ``None``: no renewal.
        self.carried: frozenset[tuple[str, str]] | None = None
        self.token: str | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.subs: dict[str, _Subscription] = {}
        self.keys: dict[tuple[str, str], str] = {}
        self.failed: set[tuple[str, str]] = set()
        self.stopping: set[str] = set()
        self.pending: dict[str, asyncio.Future[_StartFailure | None]] = {}
        self.liveness = DEFAULT_CONNECTION_TIMEOUT
        self.deadline = math.inf
        self.connected_at: float | None = None
        self.uptime = 0.0
        self.last_message: float | None = None
        self.attempts = 0
        self.connects = 0
        self.last_error: str | None = None

    # -- loop -----------------------------------------------------------------

    async def run(self) -> None:
        """Keep the socket up until cancelled; raises only on auth rejection."""
        failures = 0
        retried_auth = False
        renew = False
        while True:
            if not self.owner.device_ids:
                self.wake.clear()
                await self.wake.wait()
                continue
            self.attempts += 1
            try:
                if renew:
                    # The last token was refused: renew it (refresh, then a
                    # fresh login). Raises on a definite credential rejection.
                    renew = False
                    await self.owner.client.renew_id_token(self.token)
                await self._session()
            except HarviaAuthenticationError:
                self._lost("credentials rejected")
                raise
            except (
                HarviaError,
                aiohttp.ClientError,
                OSError,
                TimeoutError,
                ValueError,
            ) as err:
                if self.uptime >= self.owner.stable_after:
                    failures = 0
                self._lost(_describe(err))
                if isinstance(err, _SessionError) and err.auth:
                    renew = True
                    if not retried_auth:
                        # Retry at once with the renewed token, once.
                        retried_auth = True
                        continue
                retried_auth = False
                failures += 1
                delay = self.owner.backoff(failures)
                _LOGGER.debug("Realtime %s socket: retrying in %.3f s", self.api, delay)
                await asyncio.sleep(delay)
            else:
                # Planned renewal (token age): reconnect at once.
                retried_auth = False
                if self.uptime >= self.owner.stable_after:
                    failures = 0

    def _lost(self, reason: str) -> None:
        _LOGGER.debug("Realtime %s socket lost: %s", self.api, reason)
        self.last_error = reason
        self.owner.last_error = f"{self.api}: {reason}"
        self.carried = None
        self.owner.socket_lost()

    # -- health ---------------------------------------------------------------

    def wanted(self) -> set[tuple[str, str]]:
        """(feed, device) of every subscription this socket should hold."""
        return {
            (feed.field, device_id)
            for feed in self.feeds
            for device_id in self.owner.device_ids
        }

    def active(self) -> set[tuple[str, str]]:
        """(feed, device) of the subscriptions acknowledged and still live."""
        if not self.connected:
            return set()
        return {
            key
            for key, sub_id in self.keys.items()
            if (sub := self.subs.get(sub_id)) is not None and sub.acked
        }

    def is_subscribed(self, key: tuple[str, str]) -> bool:
        """Whether a subscription is active (or carried over a renewal)."""
        return key in self.active() or (
            self.carried is not None and key in self.carried
        )

    def healthy(self) -> bool:
        """Connected (or renewing as planned) with every wanted subscription."""
        if not self.connected and self.carried is None:
            return False
        live = self.active() | (self.carried or frozenset())
        required = {feed.field for feed in self.feeds if feed.required}
        return {key for key in self.wanted() if key[0] in required} <= live

    # -- session --------------------------------------------------------------

    async def _session(self) -> None:
        """One connection: connect, handshake, subscribe, read.

        Returns when the socket is due for renewal; raises when it failed.
        """
        owner = self.owner
        self.uptime = 0.0
        token = await owner.connect_token()
        self.token = token
        endpoint = owner.endpoint(self.api)
        ws = await self._connect(endpoint, token)
        self.connects += 1
        self.ws = ws
        reader: asyncio.Task[None] | None = None
        syncer: asyncio.Task[None] | None = None
        try:
            await self._handshake(ws)
            now = owner.time()
            self.connected_at = self.last_message = now
            self.deadline = now + owner.connection_lifetime(token)
            self.connected = True
            _LOGGER.debug("Realtime %s socket connected", self.api)
            reader = asyncio.create_task(
                self._reader(ws), name=f"harvia-realtime-{self.api}-reader"
            )
            syncer = asyncio.create_task(
                self._sync_loop(ws, endpoint), name=f"harvia-realtime-{self.api}-sync"
            )
            done, _ = await asyncio.wait(
                {reader, syncer}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in (reader, syncer):
                if task in done and (error := task.exception()) is not None:
                    raise error
            _LOGGER.debug("Realtime %s socket due for renewal", self.api)
            self.carried = frozenset(self.active())
        finally:
            tasks = [t for t in (reader, syncer) if t is not None and not t.done()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks)
            self._reset()
            self.ws = None
            await self._close(ws)

    def _reset(self) -> None:
        if self.connected_at is not None:
            self.uptime = self.owner.time() - self.connected_at
        self.connected = False
        self.connected_at = None
        self.deadline = math.inf
        for future in self.pending.values():
            future.cancel()
        self.pending.clear()
        self.subs.clear()
        self.keys.clear()
        self.failed.clear()
        self.stopping.clear()

    async def _close(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async with asyncio.timeout(self.owner.close_timeout):
                await ws.close()
        except (TimeoutError, aiohttp.ClientError, OSError):
            _LOGGER.debug("Realtime %s socket: close did not finish", self.api)

    async def _connect(
        self, endpoint: GraphQLEndpoint, token: str
    ) -> aiohttp.ClientWebSocketResponse:
        owner = self.owner
        try:
            async with asyncio.timeout(owner.connect_timeout):
                return await owner.session.ws_connect(
                    realtime_url(endpoint, token),
                    protocols=(SUBPROTOCOL,),
                    autoping=True,
                    heartbeat=None,
                    timeout=aiohttp.ClientWSTimeout(ws_close=owner.close_timeout),
                )
        except aiohttp.WSServerHandshakeError as err:
            raise _SessionError(
                f"connect refused (HTTP {err.status})", auth=err.status in (401, 403)
            ) from err
        except TimeoutError as err:
            raise _SessionError("connect timed out") from err
        except aiohttp.ClientError as err:
            raise _SessionError(f"connect failed ({type(err).__name__})") from err

    async def _handshake(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await self._send(ws, {"type": "connection_init"})
        try:
            async with asyncio.timeout(self.owner.ack_timeout):
                while True:
                    msg = await ws.receive()
                    if msg.type not in _DATA_FRAMES:
                        raise _SessionError("socket closed during the handshake")
                    message = _decode(msg) or {}
                    kind = message.get("type")
                    if kind == "connection_ack":
                        break
                    if kind in ("connection_error", "error"):
                        errors = _errors(message.get("payload"))
                        raise _SessionError(
                            f"{kind}: {_error_type(errors)}",
                            auth=_is_unauthorized(errors),
                        )
        except TimeoutError as err:
            raise _SessionError("no connection_ack in time") from err
        override = self.owner.liveness_timeout
        timeout = _connection_timeout(message.get("payload"))
        self.liveness = override if override is not None else timeout

    async def _send(
        self, ws: aiohttp.ClientWebSocketResponse, message: Mapping[str, Any]
    ) -> None:
        await ws.send_str(json.dumps(message, separators=(",", ":")))

    # -- reading --------------------------------------------------------------

    async def _reader(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Read until the socket fails (raises) or is due for renewal (returns)."""
        owner = self.owner
        while True:
            now = owner.time()
            assert self.last_message is not None
            silent = now - self.last_message
            if silent >= self.liveness:
                raise _SessionError("no message within the connection timeout")
            if now >= self.deadline:
                return
            wait = min(owner.poll_interval, self.liveness - silent, self.deadline - now)
            try:
                msg = await ws.receive(timeout=wait)
            except TimeoutError:
                continue
            if msg.type not in _DATA_FRAMES:
                # aiohttp answers pings itself: anything else is the end.
                raise _SessionError(f"socket closed (code {ws.close_code})")
            self.last_message = owner.time()
            message = _decode(msg)
            if message is None:
                owner.drop("message is not a JSON object")
                continue
            self._handle(message)

    def _handle(self, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        raw_id = message.get("id")
        sub_id = raw_id if isinstance(raw_id, str) else None
        if kind in ("ka", "connection_ack"):
            return
        if kind == "data":
            self._on_data(sub_id, message.get("payload"))
        elif kind == "start_ack":
            self._resolve(sub_id, None)
        elif kind in ("error", "connection_error"):
            # A connection_error concerns the whole socket, whatever its id.
            self._on_error(
                sub_id if kind == "error" else None, _errors(message.get("payload"))
            )
        elif kind == "complete":
            self._on_complete(sub_id)
        else:
            _LOGGER.debug("Realtime %s socket: ignoring a message", self.api)

    def _resolve(self, sub_id: str | None, failure: _StartFailure | None) -> bool:
        future = self.pending.pop(sub_id, None) if sub_id is not None else None
        if future is None:
            return False
        if not future.done():
            future.set_result(failure)
        return True

    def _on_data(self, sub_id: str | None, payload: Any) -> None:
        sub = self.subs.get(sub_id) if sub_id is not None else None
        if sub is None:
            _LOGGER.debug("Realtime %s socket: data for no subscription", self.api)
            return
        data = payload.get("data") if isinstance(payload, Mapping) else None
        notice = data.get(sub.feed.field) if isinstance(data, Mapping) else None
        if notice is None:
            errors = _errors(payload)
            self.owner.drop(
                "data message without a notice"
                + (f" ({_error_type(errors)})" if errors else "")
            )
            return
        try:
            event = sub.feed.parse(notice, sub.device_id)
        except HarviaParseError as err:
            self.owner.drop(str(err))
            return
        self.owner.emit(event)

    def _on_error(self, sub_id: str | None, errors: list[Mapping[str, Any]]) -> None:
        reason = _error_type(errors)
        unauthorized = _is_unauthorized(errors)
        if sub_id is None:
            raise _SessionError(f"error: {reason}", auth=unauthorized)
        if self._resolve(sub_id, _StartFailure(reason, unauthorized)):
            return
        if sub_id in self.subs:
            if unauthorized:
                raise _SessionError(f"subscription error: {reason}", auth=True)
            self._give_up(sub_id, f"subscription error: {reason}")
            return
        _LOGGER.debug("Realtime %s socket: error for no subscription", self.api)

    def _on_complete(self, sub_id: str | None) -> None:
        if sub_id in self.stopping:
            self.stopping.discard(sub_id)
            return
        if self._resolve(sub_id, _StartFailure("complete", unauthorized=False)):
            return
        if sub_id is not None and sub_id in self.subs:
            self._give_up(sub_id, "subscription completed by the server")

    def _give_up(self, sub_id: str, reason: str) -> None:
        """Drop a subscription until the next connection."""
        sub = self.subs.pop(sub_id)
        key = (sub.feed.field, sub.device_id)
        self.keys.pop(key, None)
        self.failed.add(key)
        self.last_error = reason
        self.owner.last_error = f"{self.api}: {reason}"
        _LOGGER.debug("Realtime %s socket: %s", self.api, reason)
        self.owner.refresh_status(failure=True)

    # -- subscribing ----------------------------------------------------------

    async def _sync_loop(
        self, ws: aiohttp.ClientWebSocketResponse, endpoint: GraphQLEndpoint
    ) -> None:
        """Keep the subscriptions equal to the wanted devices, forever."""
        while True:
            self.wake.clear()
            await self._sync(ws, endpoint)
            # The first round after a planned renewal has replaced what was
            # carried over; from now on only live subscriptions count.
            self.carried = None
            self.owner.refresh_status(failure=bool(self.failed))
            await self.wake.wait()

    async def _sync(
        self, ws: aiohttp.ClientWebSocketResponse, endpoint: GraphQLEndpoint
    ) -> None:
        wanted = {
            (feed.field, device_id): feed
            for feed in self.feeds
            for device_id in self.owner.device_ids
        }
        for key, sub_id in list(self.keys.items()):
            if key not in wanted:
                del self.keys[key]
                self.subs.pop(sub_id, None)
                self.stopping.add(sub_id)
                await self._send(ws, {"type": "stop", "id": sub_id})
        # Failed subscriptions are retried on every round: at each connection
        # and whenever the devices change.
        self.failed.clear()
        new = [key for key in wanted if key not in self.keys]
        if not new:
            return
        token = await self.owner.client.get_id_token()
        refused = await self._start_all(ws, endpoint, token, new, wanted)
        if refused:
            # The token was refused: renew it and try these once more.
            token = await self.owner.client.renew_id_token(token)
            for key in await self._start_all(ws, endpoint, token, refused, wanted):
                self.failed.add(key)
                self.last_error = "subscription refused with a renewed token"
                self.owner.last_error = f"{self.api}: {self.last_error}"

    async def _start_all(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        endpoint: GraphQLEndpoint,
        token: str,
        keys: list[tuple[str, str]],
        feeds: Mapping[tuple[str, str], _Feed],
    ) -> list[tuple[str, str]]:
        """Start subscriptions and wait for their acks; the unauthorized ones."""
        loop = asyncio.get_running_loop()
        futures: dict[asyncio.Future[_StartFailure | None], str] = {}
        for key in keys:
            feed, device_id = feeds[key], key[1]
            sub_id = str(uuid.uuid4())
            self.subs[sub_id] = _Subscription(feed, device_id)
            self.keys[key] = sub_id
            future: asyncio.Future[_StartFailure | None] = loop.create_future()
            self.pending[sub_id] = future
            futures[future] = sub_id
            await self._send(
                ws, _start_message(sub_id, feed, device_id, token, endpoint)
            )
        _, not_acked = await asyncio.wait(futures, timeout=self.owner.start_ack_timeout)
        if not_acked:
            raise _SessionError("no start_ack in time")
        refused: list[tuple[str, str]] = []
        for future, sub_id in futures.items():
            failure = future.result()
            sub = self.subs.get(sub_id)
            if sub is None:  # removed meanwhile
                continue
            if failure is None:
                sub.acked = True
                continue
            key = (sub.feed.field, sub.device_id)
            del self.subs[sub_id]
            self.keys.pop(key, None)
            if failure.unauthorized:
                refused.append(key)
            else:
                self.failed.add(key)
                self.last_error = f"subscription refused: {failure.reason}"
                self.owner.last_error = f"{self.api}: {self.last_error}"
                _LOGGER.debug("Realtime %s socket: %s", self.api, self.last_error)
        return refused

    # -- stats ----------------------------------------------------------------

    def stats(self) -> RealtimeSocketStats:
        now = self.owner.time()
        return RealtimeSocketStats(
            api=self.api,
            connected=self.connected,
            subscriptions=sum(1 for sub in self.subs.values() if sub.acked),
            pending_subscriptions=sum(1 for sub in self.subs.values() if not sub.acked),
            failed_subscriptions=len(self.failed),
            last_message_age=(
                None if self.last_message is None else max(0.0, now - self.last_message)
            ),
            connected_for=(
                None if self.connected_at is None else max(0.0, now - self.connected_at)
            ),
            connects=self.connects,
            reconnects=max(0, self.attempts - 1),
            last_error=self.last_error,
        )


def _start_message(
    sub_id: str, feed: _Feed, device_id: str, token: str, endpoint: GraphQLEndpoint
) -> dict[str, Any]:
    data = {
        "query": documents.document_text(feed.document),
        "variables": {"receiver": device_id},
    }
    return {
        "id": sub_id,
        "type": "start",
        "payload": {
            "data": json.dumps(data, separators=(",", ":")),
            "extensions": {"authorization": _authorization(token, endpoint.host)},
        },
    }


_DATA_FRAMES: Final = frozenset({aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY})


def _decode(msg: aiohttp.WSMessage) -> dict[str, Any] | None:
    """A text/binary frame as a JSON object; ``None`` when it is not one."""
    data = msg.data
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        message = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _connection_timeout(payload: Any) -> float:
    value = payload.get("connectionTimeoutMs") if isinstance(payload, Mapping) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000.0
    return DEFAULT_CONNECTION_TIMEOUT


def _describe(err: BaseException) -> str:
    """Why a session failed, for diagnostics: the error type and HTTP status.

    Only this module's own session errors keep their text (it is written
    here from statuses and error types); other errors never contribute
    theirs, which could hold what the cloud said.
    """
    if isinstance(err, _SessionError):
        return str(err) or type(err).__name__
    name = type(err).__name__
    status = err.status if isinstance(err, HarviaError) else None
    return f"{name} (HTTP {status})" if status is not None else name


# --------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------


class HarviaRealtime:
    """Push updates of an account's devices over AppSync realtime.

    ``on_event`` gets every parsed push; ``on_status`` gets ``True`` once both
    sockets are connected and every wanted subscription (every feed of every
    device) is acknowledged and active, and ``False`` when a socket is lost or
    a wanted subscription fails, ends or is still missing (each only on a
    change). A failed subscription is retried at the next connection and
    when the devices change (:meth:`set_devices`); :meth:`is_subscribed`
    tells which ones are active. Clocks and timeouts are injectable for tests:
    ``time_func`` measures liveness and socket age, ``wall_time_func`` is
    compared with the JWT's ``exp``.
    """

    def __init__(
        self,
        client: HarviaClient,
        *,
        on_event: Callable[[RealtimeEvent], None],
        on_status: Callable[[bool], None] | None = None,
        session: aiohttp.ClientSession | None = None,
        time_func: Callable[[], float] = time.monotonic,
        wall_time_func: Callable[[], float] = time.time,
        random_func: Callable[[], float] = random.random,
        connect_timeout: float = 20.0,
        ack_timeout: float = 15.0,
        start_ack_timeout: float = 15.0,
        close_timeout: float = 5.0,
        poll_interval: float = 10.0,
        liveness_timeout: float | None = None,
        max_connection_age: float = MAX_CONNECTION_AGE,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        stable_after: float = STABLE_CONNECTION,
    ) -> None:
        """Set up; nothing connects before :meth:`run`."""
        self.client = client
        self.session = session if session is not None else client.session
        self._on_event = on_event
        self._on_status = on_status
        self.time = time_func
        self._wall_time = wall_time_func
        self._random = random_func
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout
        self.start_ack_timeout = start_ack_timeout
        self.close_timeout = close_timeout
        self.poll_interval = poll_interval
        self.liveness_timeout = liveness_timeout
        self.max_connection_age = max_connection_age
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.stable_after = stable_after
        self.device_ids: frozenset[str] = frozenset()
        self.last_error: str | None = None
        self._sockets = (_Socket(self, "device"), _Socket(self, "data"))
        self._tasks: list[asyncio.Task[None]] = []
        self._status: bool | None = None
        self._events = 0
        self._dropped = 0

    def __repr__(self) -> str:
        """Never show tokens or devices."""
        return f"<HarviaRealtime running={self.running} connected={self._status}>"

    # -- public ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether :meth:`run` is active."""
        return any(not task.done() for task in self._tasks)

    @property
    def connected(self) -> bool | None:
        """The last status reported to ``on_status`` (``None``: none yet)."""
        return self._status

    async def run(self, device_ids: Iterable[str]) -> None:
        """Receive pushes for ``device_ids`` until cancelled or :meth:`close`.

        Raises :class:`HarviaAuthenticationError` when the credentials are
        definitely rejected; every other failure is retried.
        """
        if self.running:
            raise RuntimeError("HarviaRealtime.run is already running")
        self.set_devices(device_ids)
        self._tasks = [
            asyncio.create_task(socket.run(), name=f"harvia-realtime-{socket.api}")
            for socket in self._sockets
        ]
        try:
            done, _ = await asyncio.wait(
                self._tasks, return_when=asyncio.FIRST_EXCEPTION
            )
        finally:
            await self._stop_tasks()
        for task in done:
            if not task.cancelled() and (error := task.exception()) is not None:
                raise error

    def set_devices(self, device_ids: Iterable[str]) -> None:
        """Subscribe devices added and unsubscribe devices removed.

        A change also retries subscriptions that failed. Until the added
        devices are subscribed the status is not ``True``.
        """
        devices = frozenset(device_ids)
        if devices == self.device_ids:
            return
        self.device_ids = devices
        for socket in self._sockets:
            socket.wake.set()
        self.refresh_status()

    def is_subscribed(self, device_id: str, feed: str) -> bool:
        """Whether pushes of ``feed`` for ``device_id`` can arrive now.

        ``feed`` is the GraphQL field name: ``devicesStatesUpdateFeed``,
        ``devicesMeasurementsUpdateFeed`` or ``otaUpdatesStatesUpdateFeed``
        (unknown names give ``False``). ``True`` while the subscription is
        acknowledged on a live socket (or carried over a planned renewal);
        ``False`` for a device not given to :meth:`run`/:meth:`set_devices`.
        """
        if device_id not in self.device_ids:
            return False
        return any(
            socket.is_subscribed((feed, device_id))
            for socket in self._sockets
            if any(known.field == feed for known in socket.feeds)
        )

    async def close(self) -> None:
        """Stop :meth:`run` (it returns) and close the sockets."""
        await self._stop_tasks()

    @property
    def stats(self) -> RealtimeStats:
        """Counters and state for diagnostics."""
        return RealtimeStats(
            running=self.running,
            connected=self._status,
            devices=len(self.device_ids),
            events=self._events,
            dropped=self._dropped,
            last_error=self.last_error,
            sockets=tuple(socket.stats() for socket in self._sockets),
        )

    def diagnostics(self) -> dict[str, Any]:
        """A JSON-friendly summary (no tokens, e-mail addresses or device ids)."""
        stats = self.stats
        return {
            "running": stats.running,
            "connected": stats.connected,
            "devices": stats.devices,
            "connected_sockets": stats.connected_sockets,
            "active_subscriptions": stats.active_subscriptions,
            "reconnects": stats.reconnects,
            "events": stats.events,
            "dropped_messages": stats.dropped,
            "last_message_age": _round(stats.last_message_age),
            "last_error": stats.last_error,
            "sockets": {
                socket.api: {
                    "connected": socket.connected,
                    "subscriptions": socket.subscriptions,
                    "pending_subscriptions": socket.pending_subscriptions,
                    "failed_subscriptions": socket.failed_subscriptions,
                    "last_message_age": _round(socket.last_message_age),
                    "connected_for": _round(socket.connected_for),
                    "connects": socket.connects,
                    "reconnects": socket.reconnects,
                    "last_error": socket.last_error,
                }
                for socket in stats.sockets
            },
        }

    # -- for the sockets ------------------------------------------------------

    async def _stop_tasks(self) -> None:
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for socket in self._sockets:
            socket.carried = None

    def endpoint(self, api: str) -> GraphQLEndpoint:
        """The AppSync API of a socket (known once logged in)."""
        endpoints = self.client.endpoints
        return endpoints.graphql_device if api == "device" else endpoints.graphql_data

    async def connect_token(self) -> str:
        """A valid idToken with enough life left for a connection."""
        token = await self.client.get_id_token()
        exp = _exp(token)
        if exp is not None and exp - self._wall_time() < MIN_TOKEN_VALIDITY:
            token = await self.client.renew_id_token(token)
        return token

    def connection_lifetime(self, token: str) -> float:
        """How long a socket opened with ``token`` may stay (``time_func`` s)."""
        lifetime = self.max_connection_age
        exp = _exp(token)
        if exp is not None:
            left = exp - self._wall_time() - TOKEN_EXPIRY_MARGIN
            lifetime = min(lifetime, max(left, MIN_CONNECTION_AGE))
        return lifetime

    def backoff(self, failures: int) -> float:
        """Delay before retry number ``failures``: exponential, capped, jittered."""
        delay = min(self.backoff_cap, self.backoff_base * 2.0 ** min(failures - 1, 30))
        return delay / 2 + self._random() * delay / 2

    def refresh_status(self, *, failure: bool = False) -> None:
        """Report ``True`` when every wanted subscription is active.

        Otherwise report ``False`` after a ``failure`` or when the status was
        ``True``; while the first connection is still coming up nothing is
        reported.
        """
        if all(socket.healthy() for socket in self._sockets):
            self._report(True)
        elif failure or self._status:
            self._report(False)

    def socket_lost(self) -> None:
        """A socket failed."""
        self._report(False)

    def _report(self, status: bool) -> None:
        if status == self._status:
            return
        self._status = status
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:
                _LOGGER.exception("Realtime status callback failed")

    def emit(self, event: RealtimeEvent) -> None:
        """Hand a parsed push to ``on_event``."""
        self._events += 1
        try:
            self._on_event(event)
        except Exception:
            _LOGGER.exception("Realtime event callback failed")

    def drop(self, reason: str) -> None:
        """Count and log (debug) a push that could not be used."""
        self._dropped += 1
        _LOGGER.debug("Dropping a realtime message: %s", reason)


def _exp(token: str) -> float | None:
    value = decode_jwt_claims(token).get("exp")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
