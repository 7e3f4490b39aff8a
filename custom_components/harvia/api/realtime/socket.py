"""One AppSync socket: connect, handshake, liveness, renewal, backoff.

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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
import logging
import math
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from ..appsync import describe_errors, errors_of, is_unauthorized
from ..auth import decode_jwt_claims
from ..endpoints import GraphQLEndpoint
from ..exceptions import HarviaAuthenticationError, HarviaError, HarviaParseError
from .protocol import (
    CONNECTION_INIT,
    DEFAULT_CONNECTION_TIMEOUT,
    SUBPROTOCOL,
    SessionError,
    connection_timeout,
    decode_frame,
    encode,
    realtime_url,
)
from .subscriptions import Subscriptions

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


_DATA_FRAMES: Final = frozenset({aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY})


class RealtimeSocket:
    """One socket of an AppSync API; its subscriptions in ``subscriptions``.

    It carries the feeds of the devices in ``devices`` (in the order they
    were placed on it) and exists only while it has some.
    """

    def __init__(self, owner: HarviaRealtime, api: str, name: str) -> None:
        """Idle until :meth:`run`; ``name`` (e.g. ``device-2``) is for logs."""
        self.owner = owner
        self.api = api
        self.name = name
        self.devices: dict[str, None] = {}
        # Set when the wanted subscriptions change.
        self.wake = asyncio.Event()
        self.connected = False
        # Subscriptions active when the socket was renewed as planned: they
        # count as active until the new connection's first subscription round
        # ends (a planned renewal is not an outage). ``None``: no renewal.
        self.carried: frozenset[tuple[str, str]] | None = None
        self.subscriptions = Subscriptions(owner, self)
        self.token: str | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
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
                _LOGGER.debug(
                    "Realtime %s socket: retrying in %.3f s", self.name, delay
                )
                await asyncio.sleep(delay)
            else:
                # Planned renewal (token age): reconnect at once.
                retried_auth = False
                if self.uptime >= self.owner.timeouts.stable_after:
                    failures = 0

    def _lost(self, reason: str) -> None:
        _LOGGER.debug("Realtime %s socket lost: %s", self.name, reason)
        self.set_error(reason)
        self.carried = None
        self.subscriptions.restarting.clear()
        self.owner.socket_lost()

    def set_error(self, reason: str) -> None:
        """Remember why something failed (for diagnostics)."""
        self.last_error = reason
        self.owner.last_error = f"{self.name}: {reason}"

    async def _within[T](
        self,
        awaitable: Awaitable[T],
        seconds: float,
        unused: Callable[[T], Awaitable[None]] | None = None,
    ) -> T:
        """``awaitable``'s result, or :class:`TimeoutError` after ``seconds``
        of the owner's clock (read at least every ``poll_interval``).

        ``unused`` disposes of a result that came but is not returned (the
        wait was cancelled or timed out meanwhile), e.g. closes a websocket.
        """
        owner = self.owner
        task = asyncio.ensure_future(awaitable)
        start = owner.time()
        returned = False
        try:
            while not task.done():
                left = seconds - (owner.time() - start)
                if left <= 0:
                    raise TimeoutError
                await asyncio.wait(
                    {task}, timeout=min(owner.timeouts.poll_interval, left)
                )
            result = task.result()
            returned = True
            return result
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
            # Retrieved either way: never "never retrieved".
            came = not task.cancelled() and task.exception() is None
            if came and not returned and unused is not None:
                await unused(task.result())

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
            _LOGGER.debug("Realtime %s socket connected", self.name)
            reader = asyncio.create_task(
                self._reader(ws), name=f"harvia-realtime-{self.name}-reader"
            )
            syncer = asyncio.create_task(
                self.subscriptions.sync_loop(ws, endpoint),
                name=f"harvia-realtime-{self.name}-sync",
            )
            done, _ = await asyncio.wait(
                {reader, syncer}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in (reader, syncer):
                if task in done and (error := task.exception()) is not None:
                    raise error
            _LOGGER.debug("Realtime %s socket due for renewal", self.name)
            self.carried = frozenset(self.subscriptions.active())
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
        self.subscriptions.reset()

    async def _close(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async with asyncio.timeout(self.owner.timeouts.close):
                await ws.close()
        except (TimeoutError, aiohttp.ClientError, OSError):
            _LOGGER.debug("Realtime %s socket: close did not finish", self.name)

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
                # Connected just as the wait ended: close it, or it lingers.
                self._close,
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
        await self.send(ws, CONNECTION_INIT)
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

    async def send(
        self, ws: aiohttp.ClientWebSocketResponse, message: Mapping[str, Any]
    ) -> None:
        """Send one protocol message."""
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
            self.subscriptions.handle(message)
