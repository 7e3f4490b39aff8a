"""The realtime client: an account's feeds per device, push health, stats.

One socket per AppSync API: the **device** API carries
``devicesStatesUpdateFeed`` and ``otaUpdatesStatesUpdateFeed``, the **data**
API ``devicesMeasurementsUpdateFeed``. Every connect asks the auth layer for a
valid idToken; a rejected token is renewed (refresh, then a fresh login) and
only a definite credential rejection ends :meth:`HarviaRealtime.run` with
:class:`HarviaAuthenticationError`.

Nothing here logs tokens, e-mail addresses or device ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
import logging
import random
import time
from typing import Any, Final

import aiohttp

from ..client import HarviaClient
from ..endpoints import GraphQLEndpoint
from .events import FEEDS, RealtimeEvent
from .socket import (
    MIN_CONNECTION_AGE,
    MIN_TOKEN_VALIDITY,
    TOKEN_EXPIRY_MARGIN,
    RealtimeSocket,
    RealtimeTimeouts,
    backoff_delay,
    token_expiry,
)

_LOGGER = logging.getLogger(__package__)

#: The timings used when none are given.
DEFAULT_TIMEOUTS: Final = RealtimeTimeouts()


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


class HarviaRealtime:
    """Push updates of an account's devices over AppSync realtime.

    ``on_event`` gets every parsed push; ``on_status`` gets ``True`` once both
    sockets are connected and every wanted subscription (every feed of every
    device) is acknowledged and active, and ``False`` when a socket is lost or
    a wanted subscription fails, ends or is still missing (each only on a
    change). A failed subscription is retried at the next connection and
    when the devices change (:meth:`set_devices`); :meth:`is_subscribed`
    tells which ones are active.

    Clocks are the caller's: ``time_func`` measures every timeout, liveness,
    socket age and feed silence (Home Assistant passes its loop's clock;
    tests a virtual one); ``wall_time_func`` is compared with the JWT's
    ``exp``. ``timeouts`` holds every timing (:class:`RealtimeTimeouts`).

    Feeds that stay silent: :meth:`silent_for` and :meth:`last_message_at`
    tell, per device and feed, how long nothing came; :meth:`resubscribe`
    restarts one device's feed on its live socket.
    """

    def __init__(
        self,
        client: HarviaClient,
        *,
        on_event: Callable[[RealtimeEvent], None],
        on_status: Callable[[bool], None] | None = None,
        session: aiohttp.ClientSession | None = None,
        timeouts: RealtimeTimeouts = DEFAULT_TIMEOUTS,
        time_func: Callable[[], float] = time.monotonic,
        wall_time_func: Callable[[], float] = time.time,
        random_func: Callable[[], float] = random.random,
    ) -> None:
        """Set up; nothing connects before :meth:`run`."""
        self.client = client
        self.session = session if session is not None else client.session
        self.timeouts = timeouts
        self.time = time_func
        self._on_event = on_event
        self._on_status = on_status
        self._wall_time = wall_time_func
        self._random = random_func
        self.device_ids: frozenset[str] = frozenset()
        self.last_error: str | None = None
        self._sockets = (RealtimeSocket(self, "device"), RealtimeSocket(self, "data"))
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

        ``feed`` is the GraphQL field name (``Feed.field``):
        ``devicesStatesUpdateFeed``, ``devicesMeasurementsUpdateFeed`` or
        ``otaUpdatesStatesUpdateFeed`` (unknown names give ``False``). ``True``
        while the subscription is acknowledged on a live socket (or carried
        over a planned renewal or a :meth:`resubscribe`); ``False`` for a
        device not given to :meth:`run`/:meth:`set_devices`.
        """
        socket = self._socket_of(device_id, feed)
        return socket is not None and socket.subscriptions.is_subscribed(
            (feed, device_id)
        )

    def last_message_at(self, device_id: str, feed: str) -> float | None:
        """When the last message of ``feed`` for ``device_id`` arrived.

        In ``time_func`` seconds; any ``data`` message of that subscription
        counts, also one that could not be parsed. Kept across reconnects;
        ``None`` before the first message or for a device not given to
        :meth:`run`/:meth:`set_devices`.
        """
        socket = self._socket_of(device_id, feed)
        if socket is None:
            return None
        return socket.subscriptions.last_data.get((feed, device_id))

    def silent_for(self, device_id: str, feed: str) -> float | None:
        """Seconds (of ``time_func``) ``feed`` has been silent for ``device_id``.

        Counted from its last message, or from its last acknowledged start
        when that is later (a fresh or renewed subscription starts the count
        again). ``None`` while the feed is not subscribed (see
        :meth:`is_subscribed`). Idle devices push telemetry about every
        15 min, so a telemetry feed silent for much longer is suspect: read
        the device once and :meth:`resubscribe` it.
        """
        socket = self._socket_of(device_id, feed)
        if socket is None:
            return None
        return socket.subscriptions.silent_for((feed, device_id))

    def resubscribe(self, device_id: str, feed: str) -> bool:
        """Restart one device's feed: ``stop`` and a new ``start`` on its socket.

        Returns at once; the restart happens in the socket's next round and
        the silence count starts again with its ``start_ack``. Meanwhile the
        feed still counts as subscribed, so push health does not flap; if the
        new start is refused, the status turns ``False`` as for any failed
        subscription. ``False`` (nothing done) when the device or feed is
        unknown or its socket is not connected (a reconnect subscribes
        everything anyway).
        """
        socket = self._socket_of(device_id, feed)
        return socket is not None and socket.subscriptions.resubscribe(
            (feed, device_id)
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
            sockets=tuple(self._socket_stats(socket) for socket in self._sockets),
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

    def _socket_of(self, device_id: str, feed: str) -> RealtimeSocket | None:
        """The socket carrying ``feed``, when ``device_id`` is wanted."""
        if device_id not in self.device_ids:
            return None
        api = next((known.api for known in FEEDS if known.field == feed), None)
        return next((s for s in self._sockets if s.api == api), None)

    def _socket_stats(self, socket: RealtimeSocket) -> RealtimeSocketStats:
        now = self.time()
        subs = socket.subscriptions.subs.values()
        return RealtimeSocketStats(
            api=socket.api,
            connected=socket.connected,
            subscriptions=sum(1 for sub in subs if sub.acked),
            pending_subscriptions=sum(1 for sub in subs if not sub.acked),
            failed_subscriptions=len(socket.subscriptions.failed),
            last_message_age=_age(now, socket.last_message),
            connected_for=_age(now, socket.connected_at),
            connects=socket.connects,
            reconnects=max(0, socket.attempts - 1),
            last_error=socket.last_error,
        )

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
        exp = token_expiry(token)
        if exp is not None and exp - self._wall_time() < MIN_TOKEN_VALIDITY:
            token = await self.client.renew_id_token(token)
        return token

    def connection_lifetime(self, token: str) -> float:
        """How long a socket opened with ``token`` may stay (``time_func`` s)."""
        lifetime = self.timeouts.max_connection_age
        exp = token_expiry(token)
        if exp is not None:
            left = exp - self._wall_time() - TOKEN_EXPIRY_MARGIN
            lifetime = min(lifetime, max(left, MIN_CONNECTION_AGE))
        return lifetime

    def backoff(self, failures: int) -> float:
        """Delay before retry number ``failures``: exponential, capped, jittered."""
        return backoff_delay(failures, self.timeouts, self._random())

    def refresh_status(self, *, failure: bool = False) -> None:
        """Report ``True`` when every wanted subscription is active.

        Otherwise report ``False`` after a ``failure`` or when the status was
        ``True``; while the first connection is still coming up nothing is
        reported.
        """
        if all(socket.subscriptions.healthy() for socket in self._sockets):
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
        """Count and log (one debug line) a message that could not be used."""
        self._dropped += 1
        _LOGGER.debug("Dropping a realtime message: %s", reason)


def _age(now: float, since: float | None) -> float | None:
    return None if since is None else max(0.0, now - since)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
