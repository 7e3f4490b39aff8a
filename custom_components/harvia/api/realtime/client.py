"""The realtime client: an account's feeds per device, push health, stats.

The **device** API carries ``devicesStatesUpdateFeed`` and
``otaUpdatesStatesUpdateFeed``, the **data** API
``devicesMeasurementsUpdateFeed``; each API has as many sockets as its
subscriptions need (:mod:`.shards`), and none without devices. Every connect
asks the auth layer for a
valid idToken; a rejected token is renewed (refresh, then a fresh login) and
only a definite credential rejection ends :meth:`HarviaRealtime.run` with
:class:`HarviaAuthenticationError`.

Nothing here logs tokens, e-mail addresses or device ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
import logging
import random
import time
from typing import Any, Final

import aiohttp

from ..client import HarviaClient
from ..endpoints import GraphQLEndpoint
from .events import APIS, FEEDS, RealtimeEvent
from .shards import ApiShards
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
    devices: int
    connected: bool
    subscriptions: int
    pending_subscriptions: int
    failed_subscriptions: int
    last_message_age: float | None
    connected_for: float | None
    connects: int
    reconnects: int
    quota_refusals: int
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
    #: Subscriptions per socket, per API (lowered by a cloud's lower quota).
    subscriptions_per_socket: Mapping[str, int]

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
    def quota_refusals(self) -> int:
        """Starts refused over a connection's quota, over all sockets."""
        return sum(socket.quota_refusals for socket in self.sockets)

    @property
    def last_message_age(self) -> float | None:
        """Seconds since the newest message on any socket."""
        ages = [
            s.last_message_age for s in self.sockets if s.last_message_age is not None
        ]
        return min(ages) if ages else None


class HarviaRealtime:
    """Push updates of an account's devices over AppSync realtime.

    ``on_event`` gets every parsed push; ``on_status`` gets ``True`` once
    every socket is connected and every wanted subscription (every feed of
    every device) is acknowledged and active, and ``False`` when a socket is
    lost or a wanted subscription fails, ends or is still missing (each only
    on a change). A failed subscription is retried at the next connection and
    when the devices change (:meth:`set_devices`); :meth:`is_subscribed`
    tells which ones are active.

    Each socket carries at most :data:`SUBSCRIPTIONS_PER_SOCKET`
    subscriptions; a cloud that refuses fewer (``MaxSubscriptionsReachedError``)
    lowers that API's cap to what the refusing socket holds, and the devices
    beyond it move to other sockets (:class:`ApiShards`).

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
        self._shards = {api: ApiShards(self, api) for api in APIS}
        self._tasks: dict[RealtimeSocket, asyncio.Task[None]] = {}
        # Tasks of sockets left without devices, still closing.
        self._closing: set[asyncio.Task[None]] = set()
        # Done when run() is to return: a result on close(), or the error.
        self._stop: asyncio.Future[None] | None = None
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
        return self._stop is not None and not self._stop.done()

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
        stop = self._stop = asyncio.get_running_loop().create_future()
        try:
            self.set_devices(device_ids)
            self._launch(self._sockets)
            await stop
        finally:
            stop.cancel()
            await self._stop_tasks()

    def set_devices(self, device_ids: Iterable[str]) -> None:
        """Subscribe devices added and unsubscribe devices removed.

        A change also retries subscriptions that failed. Until the added
        devices are subscribed the status is not ``True``.
        """
        devices = frozenset(device_ids)
        if devices == self.device_ids:
            return
        self.device_ids = devices
        for shards in self._shards.values():
            opened, emptied = shards.assign(devices)
            for socket in emptied:
                self._retire(socket)
            self._launch(opened)
        # Failed subscriptions are retried on every socket.
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
        if self._stop is not None and not self._stop.done():
            self._stop.set_result(None)
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
            subscriptions_per_socket={
                api: shards.limit for api, shards in self._shards.items()
            },
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
            "subscriptions_per_socket": dict(stats.subscriptions_per_socket),
            "quota_refusals": stats.quota_refusals,
            "sockets": [
                {
                    "api": socket.api,
                    "devices": socket.devices,
                    "connected": socket.connected,
                    "subscriptions": socket.subscriptions,
                    "pending_subscriptions": socket.pending_subscriptions,
                    "failed_subscriptions": socket.failed_subscriptions,
                    "last_message_age": _round(socket.last_message_age),
                    "connected_for": _round(socket.connected_for),
                    "connects": socket.connects,
                    "reconnects": socket.reconnects,
                    "quota_refusals": socket.quota_refusals,
                    "last_error": socket.last_error,
                }
                for socket in stats.sockets
            ],
        }

    # -- for the sockets ------------------------------------------------------

    @property
    def _sockets(self) -> tuple[RealtimeSocket, ...]:
        """Every socket, API by API, each API's in the order they were opened."""
        return tuple(
            socket for shards in self._shards.values() for socket in shards.sockets
        )

    def _socket_of(self, device_id: str, feed: str) -> RealtimeSocket | None:
        """The socket carrying ``feed`` of ``device_id`` (when it is wanted)."""
        api = next((known.api for known in FEEDS if known.field == feed), None)
        shards = self._shards.get(api) if api is not None else None
        return shards.socket_of.get(device_id) if shards is not None else None

    def _launch(self, sockets: Iterable[RealtimeSocket]) -> None:
        """Run ``sockets`` (while :meth:`run` is active)."""
        if not self.running:
            return
        for socket in sockets:
            if socket not in self._tasks:
                task = asyncio.create_task(
                    socket.run(), name=f"harvia-realtime-{socket.name}"
                )
                task.add_done_callback(self._socket_ended)
                self._tasks[socket] = task

    def _socket_ended(self, task: asyncio.Task[None]) -> None:
        """A socket's task ended: only cancelled, or with the error run() raises."""
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and self._stop is not None and not self._stop.done():
            self._stop.set_exception(error)

    def _retire(self, socket: RealtimeSocket) -> None:
        """Close a socket left without devices."""
        socket.carried = None
        if (task := self._tasks.pop(socket, None)) is not None:
            task.cancel()
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        _LOGGER.debug("Realtime %s socket closed: no devices left", socket.name)

    def over_quota(self, socket: RealtimeSocket, held: int, refused: set[str]) -> bool:
        """The cloud refused ``refused`` devices' starts over the quota of a
        socket holding ``held``: move devices off it; whether any moved."""
        before = len(socket.devices)
        self._launch(self._shards[socket.api].over_quota(socket, held, refused))
        return len(socket.devices) < before

    def _socket_stats(self, socket: RealtimeSocket) -> RealtimeSocketStats:
        now = self.time()
        subs = socket.subscriptions.subs.values()
        return RealtimeSocketStats(
            api=socket.api,
            devices=len(socket.devices),
            connected=socket.connected,
            subscriptions=sum(1 for sub in subs if sub.acked),
            pending_subscriptions=sum(1 for sub in subs if not sub.acked),
            failed_subscriptions=len(socket.subscriptions.failed),
            last_message_age=_age(now, socket.last_message),
            connected_for=_age(now, socket.connected_at),
            connects=socket.connects,
            reconnects=max(0, socket.attempts - 1),
            quota_refusals=socket.subscriptions.quota_refusals,
            last_error=socket.last_error,
        )

    async def _stop_tasks(self) -> None:
        tasks = [*self._tasks.values(), *self._closing]
        self._tasks = {}
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
        reported. Without devices nothing is missing, once push has been
        judged at all (there are no sockets to judge).
        """
        sockets = self._sockets
        if not sockets:
            if self._status is not None:
                self._report(True)
        elif all(socket.subscriptions.healthy() for socket in sockets):
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
