"""One AppSync socket: connect, handshake, subscriptions, liveness, backoff.

A socket that stays silent for the ``connectionTimeoutMs`` of its
``connection_ack`` is dead and reconnected, with exponential backoff and
jitter after failures. Sockets are also renewed ahead of the handshake
token's expiry (at least every :data:`MAX_CONNECTION_AGE`).

Every timeout is measured on the owner's clock (``time_func``): the socket
waits in slices of at most ``poll_interval`` real seconds and reads the clock
in between, so a virtual clock drives it in tests and a busy machine cannot
make a timeout fire early.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
import logging
import math
from typing import TYPE_CHECKING, Any, Final
import uuid

import aiohttp

from ..appsync import GraphQLErrorEntry, describe_errors, errors_of, is_unauthorized
from ..auth import decode_jwt_claims
from ..endpoints import GraphQLEndpoint
from ..exceptions import HarviaAuthenticationError, HarviaError, HarviaParseError
from .events import FEEDS, Feed
from .protocol import (
    CONNECTION_INIT,
    DEFAULT_CONNECTION_TIMEOUT,
    SUBPROTOCOL,
    connection_timeout,
    decode_frame,
    encode,
    message_id,
    realtime_url,
    start_message,
    stop_message,
)

if TYPE_CHECKING:
    from .client import HarviaRealtime

_LOGGER = logging.getLogger(__package__)

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
#: Subscriptions started on one socket and not yet acknowledged, at most.
MAX_STARTS_IN_FLIGHT: Final = 8

type SubscriptionKey = tuple[str, str]
"""(feed field, device id) of one subscription."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RealtimeTimeouts:
    """Every timing of the realtime client, in seconds.

    Timeouts and ages are measured on the client's ``time_func`` clock.
    ``poll_interval`` is the longest real wait between two reads of that
    clock; ``close`` and the backoff delays are real seconds.
    """

    #: Websocket upgrade.
    connect: float = 20.0
    #: ``connection_init`` → ``connection_ack``.
    connection_ack: float = 15.0
    #: ``start`` → ``start_ack`` of each subscription.
    start_ack: float = 15.0
    #: Closing a socket.
    close: float = 5.0
    #: Longest real wait between two reads of the clock.
    poll_interval: float = 10.0
    #: Silence that means a dead socket; ``None``: the ``connection_ack``'s.
    liveness: float | None = None
    #: Renew every socket at least this often.
    max_connection_age: float = MAX_CONNECTION_AGE
    #: First backoff delay after a failure (doubling, jittered).
    backoff_base: float = 1.0
    #: Longest backoff delay.
    backoff_cap: float = 60.0
    #: A connection up this long resets the backoff.
    stable_after: float = STABLE_CONNECTION


def backoff_delay(
    failures: int, timeouts: RealtimeTimeouts, random_value: float
) -> float:
    """Delay before retry number ``failures``: exponential, capped, jittered.

    ``random_value`` in [0, 1] picks the delay between half and all of it.
    """
    delay = min(
        timeouts.backoff_cap, timeouts.backoff_base * 2.0 ** min(failures - 1, 30)
    )
    return delay / 2 + random_value * delay / 2


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (epoch seconds), when it has one."""
    value = decode_jwt_claims(token).get("exp")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def describe_failure(err: BaseException) -> str:
    """Why a session failed, for diagnostics: the error type and HTTP status.

    Only this module's own session errors keep their text (it is written
    here from statuses and error codes); other errors never contribute
    theirs, which could hold what the cloud said.
    """
    if isinstance(err, SessionError):
        return str(err) or type(err).__name__
    name = type(err).__name__
    status = err.status if isinstance(err, HarviaError) else None
    return f"{name} (HTTP {status})" if status is not None else name


class SessionError(HarviaError):
    """A socket session failed; ``auth``: the token was refused."""

    def __init__(self, reason: str, *, auth: bool = False) -> None:
        """Keep the reason (our own wording) and whether the token was refused."""
        super().__init__(reason)
        self.auth = auth


@dataclass(slots=True)
class Subscription:
    """One ``start`` on the current connection."""

    feed: Feed
    device_id: str
    acked: bool = False

    @property
    def key(self) -> SubscriptionKey:
        """(feed field, device id)."""
        return (self.feed.field, self.device_id)


@dataclass(frozen=True, slots=True)
class StartFailure:
    """Why a ``start`` was refused."""

    reason: str
    unauthorized: bool


_DATA_FRAMES: Final = frozenset({aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY})


class RealtimeSocket:
    """The socket of one AppSync API and its subscriptions."""

    def __init__(self, owner: HarviaRealtime, api: str) -> None:
        """Idle until :meth:`run`."""
        self.owner = owner
        self.api = api
        self.feeds = tuple(feed for feed in FEEDS if feed.api == api)
        self.wake = asyncio.Event()
        self.connected = False
        # Subscriptions active when the socket was renewed as planned: they
        # count as active until the new connection's first subscription round
        # ends (a planned renewal is not an outage). ``None``: no renewal.
        self.carried: frozenset[SubscriptionKey] | None = None
        # Subscriptions asked to restart (resubscribe); they count as active
        # until the round that restarts them ends.
        self.restarting: set[SubscriptionKey] = set()
        self.token: str | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.subs: dict[str, Subscription] = {}
        self.keys: dict[SubscriptionKey, str] = {}
        self.failed: set[SubscriptionKey] = set()
        self.stopping: set[str] = set()
        self.pending: dict[str, asyncio.Future[StartFailure | None]] = {}
        # Per subscription, across connections (clock seconds): the last
        # data message and the last start_ack.
        self.last_data: dict[SubscriptionKey, float] = {}
        self.acked_at: dict[SubscriptionKey, float] = {}
        self.liveness = DEFAULT_CONNECTION_TIMEOUT
        self.deadline = math.inf
        self.connected_at: float | None = None
        # When the reader last found the socket alive (clock seconds).
        self.checked_at: float | None = None
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
                if self.uptime >= self.owner.timeouts.stable_after:
                    failures = 0
                self._lost(describe_failure(err))
                if isinstance(err, SessionError) and err.auth:
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
                if self.uptime >= self.owner.timeouts.stable_after:
                    failures = 0

    def _lost(self, reason: str) -> None:
        _LOGGER.debug("Realtime %s socket lost: %s", self.api, reason)
        self._set_error(reason)
        self.carried = None
        self.restarting.clear()
        self.owner.socket_lost()

    def _set_error(self, reason: str) -> None:
        self.last_error = reason
        self.owner.last_error = f"{self.api}: {reason}"

    async def _within[T](self, awaitable: Awaitable[T], seconds: float) -> T:
        """``awaitable``'s result, or :class:`TimeoutError` after ``seconds``
        of the owner's clock (read at least every ``poll_interval``)."""
        owner = self.owner
        task = asyncio.ensure_future(awaitable)
        start = owner.time()
        try:
            while not task.done():
                left = seconds - (owner.time() - start)
                if left <= 0:
                    raise TimeoutError
                await asyncio.wait(
                    {task}, timeout=min(owner.timeouts.poll_interval, left)
                )
            return task.result()
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: never "never retrieved"

    # -- health ---------------------------------------------------------------

    def wanted(self) -> set[SubscriptionKey]:
        """(feed, device) of every subscription this socket should hold."""
        return {
            (feed.field, device_id)
            for feed in self.feeds
            for device_id in self.owner.device_ids
        }

    def active(self) -> set[SubscriptionKey]:
        """(feed, device) of the subscriptions acknowledged and still live."""
        if not self.connected:
            return set()
        return {
            key
            for key, sub_id in self.keys.items()
            if (sub := self.subs.get(sub_id)) is not None and sub.acked
        }

    def _live(self) -> set[SubscriptionKey]:
        """Active, or carried over a planned renewal or a restart."""
        live = self.active() | (self.carried or frozenset())
        if self.connected:
            live |= self.restarting
        return live

    def is_subscribed(self, key: SubscriptionKey) -> bool:
        """Whether a subscription is active (or carried over a renewal)."""
        return key in self._live()

    def healthy(self) -> bool:
        """Connected (or renewing as planned) with every wanted subscription."""
        if not self.connected and self.carried is None:
            return False
        required = {feed.field for feed in self.feeds if feed.required}
        return {key for key in self.wanted() if key[0] in required} <= self._live()

    def silent_for(self, key: SubscriptionKey) -> float | None:
        """Clock seconds since the last data message or start_ack of ``key``."""
        if not self.is_subscribed(key):
            return None
        times = [
            t
            for t in (self.last_data.get(key), self.acked_at.get(key))
            if t is not None
        ]
        if not times:
            return None
        return max(0.0, self.owner.time() - max(times))

    def resubscribe(self, key: SubscriptionKey) -> bool:
        """Stop and start one subscription on this connection (at the next round)."""
        if not self.connected or key not in self.wanted():
            return False
        if key in self.keys:
            self.restarting.add(key)
        self.wake.set()
        return True

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
            self.connected_at = self.last_message = self.checked_at = now
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
        self.restarting.clear()

    async def _close(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async with asyncio.timeout(self.owner.timeouts.close):
                await ws.close()
        except (TimeoutError, aiohttp.ClientError, OSError):
            _LOGGER.debug("Realtime %s socket: close did not finish", self.api)

    async def _connect(
        self, endpoint: GraphQLEndpoint, token: str
    ) -> aiohttp.ClientWebSocketResponse:
        owner = self.owner
        try:
            return await self._within(
                owner.session.ws_connect(
                    realtime_url(endpoint, token),
                    protocols=(SUBPROTOCOL,),
                    autoping=True,
                    heartbeat=None,
                    timeout=aiohttp.ClientWSTimeout(ws_close=owner.timeouts.close),
                ),
                owner.timeouts.connect,
            )
        except aiohttp.WSServerHandshakeError as err:
            raise SessionError(
                f"connect refused (HTTP {err.status})", auth=err.status in (401, 403)
            ) from err
        except TimeoutError as err:
            raise SessionError("connect timed out") from err
        except aiohttp.ClientError as err:
            raise SessionError(f"connect failed ({type(err).__name__})") from err

    async def _handshake(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await self._send(ws, CONNECTION_INIT)
        try:
            payload = await self._within(
                self._await_ack(ws), self.owner.timeouts.connection_ack
            )
        except TimeoutError as err:
            raise SessionError("no connection_ack in time") from err
        override = self.owner.timeouts.liveness
        self.liveness = (
            override if override is not None else connection_timeout(payload)
        )

    async def _await_ack(self, ws: aiohttp.ClientWebSocketResponse) -> Any:
        """The ``connection_ack`` payload; raises on an error or a close."""
        while True:
            msg = await ws.receive()
            if msg.type not in _DATA_FRAMES:
                raise SessionError("socket closed during the handshake")
            try:
                message = decode_frame(msg.data)
            except HarviaParseError:
                continue
            kind = message.get("type")
            if kind == "connection_ack":
                return message.get("payload")
            if kind in ("connection_error", "error"):
                errors = errors_of(message.get("payload"))
                raise SessionError(
                    f"{kind}: {describe_errors(errors)}",
                    auth=is_unauthorized(errors),
                )

    async def _send(
        self, ws: aiohttp.ClientWebSocketResponse, message: Mapping[str, Any]
    ) -> None:
        await ws.send_str(encode(message))

    # -- reading --------------------------------------------------------------

    async def _reader(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Read until the socket fails (raises) or is due for renewal (returns)."""
        owner = self.owner
        while True:
            now = owner.time()
            assert self.last_message is not None
            silent = now - self.last_message
            if silent >= self.liveness:
                raise SessionError("no message within the connection timeout")
            if now >= self.deadline:
                return
            self.checked_at = now
            wait = min(
                owner.timeouts.poll_interval,
                self.liveness - silent,
                self.deadline - now,
            )
            try:
                msg = await ws.receive(timeout=wait)
            except TimeoutError:
                continue
            if msg.type not in _DATA_FRAMES:
                # aiohttp answers pings itself: anything else is the end.
                raise SessionError(f"socket closed (code {ws.close_code})")
            self.last_message = owner.time()
            try:
                message = decode_frame(msg.data)
            except HarviaParseError as err:
                # One bad frame costs itself: the socket and its
                # subscriptions stay.
                owner.drop(str(err))
                continue
            self._handle(message)

    def _handle(self, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        sub_id = message_id(message)
        if kind in ("ka", "connection_ack"):
            return
        if kind == "data":
            self._on_data(sub_id, message.get("payload"))
        elif kind == "start_ack":
            self._resolve(sub_id, None)
        elif kind in ("error", "connection_error"):
            # A connection_error concerns the whole socket, whatever its id.
            self._on_error(
                sub_id if kind == "error" else None, errors_of(message.get("payload"))
            )
        elif kind == "complete":
            self._on_complete(sub_id)
        else:
            _LOGGER.debug("Realtime %s socket: ignoring a message", self.api)

    def _resolve(self, sub_id: str | None, failure: StartFailure | None) -> bool:
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
        # Whatever it holds, the feed is not silent.
        self.last_data[sub.key] = self.owner.time()
        data = payload.get("data") if isinstance(payload, Mapping) else None
        notice = data.get(sub.feed.field) if isinstance(data, Mapping) else None
        if notice is None:
            errors = errors_of(payload)
            self.owner.drop(
                "data message without a notice"
                + (f" ({describe_errors(errors)})" if errors else "")
            )
            return
        try:
            event = sub.feed.parse(notice, sub.device_id)
        except HarviaParseError as err:
            self.owner.drop(str(err))
            return
        self.owner.emit(event)

    def _on_error(
        self, sub_id: str | None, errors: tuple[GraphQLErrorEntry, ...]
    ) -> None:
        reason = describe_errors(errors)
        unauthorized = is_unauthorized(errors)
        if sub_id is None:
            raise SessionError(f"error: {reason}", auth=unauthorized)
        if self._resolve(sub_id, StartFailure(reason, unauthorized)):
            return
        if sub_id in self.subs:
            if unauthorized:
                raise SessionError(f"subscription error: {reason}", auth=True)
            self._give_up(sub_id, f"subscription error: {reason}")
            return
        _LOGGER.debug("Realtime %s socket: error for no subscription", self.api)

    def _on_complete(self, sub_id: str | None) -> None:
        if sub_id in self.stopping:
            self.stopping.discard(sub_id)
            return
        if self._resolve(sub_id, StartFailure("complete", unauthorized=False)):
            return
        if sub_id is not None and sub_id in self.subs:
            self._give_up(sub_id, "subscription completed by the server")

    def _give_up(self, sub_id: str, reason: str) -> None:
        """Drop a subscription until the next connection."""
        sub = self.subs.pop(sub_id)
        self.keys.pop(sub.key, None)
        self.failed.add(sub.key)
        self._set_error(reason)
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
        restart = set(self.restarting)
        for key, sub_id in list(self.keys.items()):
            if key not in wanted or key in restart:
                del self.keys[key]
                self.subs.pop(sub_id, None)
                self.stopping.add(sub_id)
                await self._send(ws, stop_message(sub_id))
            if key not in wanted:
                self.last_data.pop(key, None)
                self.acked_at.pop(key, None)
        try:
            await self._start_wanted(ws, endpoint, wanted)
        finally:
            self.restarting -= restart

    async def _start_wanted(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        endpoint: GraphQLEndpoint,
        wanted: Mapping[SubscriptionKey, Feed],
    ) -> None:
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
                self._set_error("subscription refused with a renewed token")

    async def _start_all(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        endpoint: GraphQLEndpoint,
        token: str,
        keys: list[SubscriptionKey],
        feeds: Mapping[SubscriptionKey, Feed],
    ) -> list[SubscriptionKey]:
        """Start subscriptions, at most :data:`MAX_STARTS_IN_FLIGHT` awaiting
        their ``start_ack`` at a time; the ones refused as unauthorized.

        Each ``start_ack`` must come within ``start_ack`` seconds of its start.
        """
        owner = self.owner
        loop = asyncio.get_running_loop()
        queue = deque(keys)
        started: dict[asyncio.Future[StartFailure | None], str] = {}
        in_flight: dict[asyncio.Future[StartFailure | None], float] = {}
        while queue or in_flight:
            while queue and len(in_flight) < MAX_STARTS_IN_FLIGHT:
                key = queue.popleft()
                sub_id = str(uuid.uuid4())
                self.subs[sub_id] = Subscription(feeds[key], key[1])
                self.keys[key] = sub_id
                future: asyncio.Future[StartFailure | None] = loop.create_future()
                self.pending[sub_id] = future
                started[future] = sub_id
                in_flight[future] = owner.time()
                await self._send(
                    ws,
                    start_message(sub_id, feeds[key].document, key[1], token, endpoint),
                )
            # Answers first: a start_ack that came counts, however late the
            # clock is read.
            for future in [f for f in in_flight if f.done()]:
                del in_flight[future]
            if not in_flight:
                continue
            left = owner.timeouts.start_ack - (owner.time() - min(in_flight.values()))
            if left <= 0:
                raise SessionError("no start_ack in time")
            await asyncio.wait(
                in_flight,
                timeout=min(owner.timeouts.poll_interval, left),
                return_when=asyncio.FIRST_COMPLETED,
            )
        return self._settle(started)

    def _settle(
        self, started: Mapping[asyncio.Future[StartFailure | None], str]
    ) -> list[SubscriptionKey]:
        """Mark acknowledged starts; the ones refused as unauthorized."""
        refused: list[SubscriptionKey] = []
        for future, sub_id in started.items():
            failure = future.result()
            sub = self.subs.get(sub_id)
            if sub is None:  # removed meanwhile
                continue
            if failure is None:
                sub.acked = True
                self.acked_at[sub.key] = self.owner.time()
                continue
            del self.subs[sub_id]
            self.keys.pop(sub.key, None)
            if failure.unauthorized:
                refused.append(sub.key)
            else:
                self.failed.add(sub.key)
                self._set_error(f"subscription refused: {failure.reason}")
                _LOGGER.debug("Realtime %s socket: %s", self.api, self.last_error)
        return refused
