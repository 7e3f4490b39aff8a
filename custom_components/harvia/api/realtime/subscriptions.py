"""The subscriptions of one socket: starts, acks, data, silence per feed.

Every feed the socket carries is subscribed once per device placed on it; a
round starts what is missing, device by device, with at most
:data:`MAX_STARTS_IN_FLIGHT` starts awaiting their ``start_ack`` at a time
(per socket: 100 devices need not wait for 300 acks in turn). Starts the
cloud refuses over the connection's quota go to the owner, which moves
devices to other sockets.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Any, Final
import uuid

import aiohttp

from ..appsync import GraphQLErrorEntry, describe_errors, errors_of, is_unauthorized
from ..endpoints import GraphQLEndpoint
from ..exceptions import HarviaParseError
from .events import FEEDS, Feed
from .protocol import QUOTA_ERROR, SessionError, message_id, start_message, stop_message

if TYPE_CHECKING:
    from .client import HarviaRealtime
    from .socket import RealtimeSocket

_LOGGER = logging.getLogger(__package__)

#: Subscriptions started on one socket and not yet acknowledged, at most.
MAX_STARTS_IN_FLIGHT: Final = 8

type SubscriptionKey = tuple[str, str]
"""(feed field, device id) of one subscription."""


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
    # Refused because the connection holds its quota of subscriptions.
    over_quota: bool = False


class Subscriptions:
    """The subscriptions of one socket: one per feed it carries and device.

    Kept per connection (``subs``, ``keys``, ``pending``, ``failed``), and per
    (feed, device) across connections: when its last ``data`` message and its
    last ``start_ack`` came (``last_data``, ``acked_at``, clock seconds).
    """

    def __init__(self, owner: HarviaRealtime, socket: RealtimeSocket) -> None:
        """Nothing subscribed yet."""
        self.owner = owner
        self.socket = socket
        self.feeds = tuple(feed for feed in FEEDS if feed.api == socket.api)
        # Push is healthy only with these (an optional feed may fail).
        self.required = frozenset(feed.field for feed in self.feeds if feed.required)
        self.subs: dict[str, Subscription] = {}
        self.keys: dict[SubscriptionKey, str] = {}
        self.failed: set[SubscriptionKey] = set()
        self.stopping: set[str] = set()
        self.pending: dict[str, asyncio.Future[StartFailure | None]] = {}
        # Asked to restart (resubscribe): they count as active until the
        # round that restarts them ends.
        self.restarting: set[SubscriptionKey] = set()
        self.last_data: dict[SubscriptionKey, float] = {}
        self.acked_at: dict[SubscriptionKey, float] = {}
        # Starts refused over the connection's quota (all connections).
        self.quota_refusals = 0

    def reset(self) -> None:
        """The connection ended: nothing is subscribed or pending any more."""
        for future in self.pending.values():
            future.cancel()
        self.pending.clear()
        self.subs.clear()
        self.keys.clear()
        self.failed.clear()
        self.stopping.clear()
        self.restarting.clear()

    # -- health ---------------------------------------------------------------

    def wanted(self) -> set[SubscriptionKey]:
        """(feed, device) of every subscription this socket should hold."""
        return {
            (feed.field, device_id)
            for feed in self.feeds
            for device_id in self.socket.devices
        }

    def active(self) -> set[SubscriptionKey]:
        """(feed, device) of the subscriptions acknowledged and still live."""
        if not self.socket.connected:
            return set()
        return {
            key
            for key, sub_id in self.keys.items()
            if (sub := self.subs.get(sub_id)) is not None and sub.acked
        }

    def _live(self) -> set[SubscriptionKey]:
        """Active, or carried over a planned renewal or a restart."""
        live = self.active() | (self.socket.carried or frozenset())
        if self.socket.connected:
            live |= self.restarting
        return live

    def is_subscribed(self, key: SubscriptionKey) -> bool:
        """Whether a subscription is active (or carried over a renewal)."""
        return key in self._live()

    def healthy(self) -> bool:
        """Connected (or renewing as planned) with every wanted subscription."""
        if not self.socket.connected and self.socket.carried is None:
            return False
        required = {key for key in self.wanted() if key[0] in self.required}
        return required <= self._live()

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
        if not self.socket.connected or key not in self.wanted():
            return False
        if key in self.keys:
            self.restarting.add(key)
        self.socket.wake.set()
        return True

    # -- messages -------------------------------------------------------------

    def handle(self, message: Mapping[str, Any]) -> None:
        """A message of the connection (the socket has judged it alive)."""
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
            _LOGGER.debug("Realtime %s socket: ignoring a message", self.socket.name)

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
            _LOGGER.debug(
                "Realtime %s socket: data for no subscription", self.socket.name
            )
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
        over_quota = any(error.error_type == QUOTA_ERROR for error in errors)
        if self._resolve(sub_id, StartFailure(reason, unauthorized, over_quota)):
            return
        if sub_id in self.subs:
            if unauthorized:
                raise SessionError(f"subscription error: {reason}", auth=True)
            self._give_up(sub_id, f"subscription error: {reason}")
            return
        _LOGGER.debug("Realtime %s socket: error for no subscription", self.socket.name)

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
        self.socket.set_error(reason)
        _LOGGER.debug("Realtime %s socket: %s", self.socket.name, reason)
        self.owner.refresh_status(failure=sub.feed.field in self.required)

    # -- subscribing ----------------------------------------------------------

    async def sync_loop(
        self, ws: aiohttp.ClientWebSocketResponse, endpoint: GraphQLEndpoint
    ) -> None:
        """Keep the subscriptions equal to the wanted devices, forever."""
        while True:
            self.socket.wake.clear()
            await self._sync(ws, endpoint)
            # The first round after a planned renewal has replaced what was
            # carried over; from now on only live subscriptions count.
            self.socket.carried = None
            self.owner.refresh_status(
                failure=any(key[0] in self.required for key in self.failed)
            )
            await self.socket.wake.wait()

    async def _sync(
        self, ws: aiohttp.ClientWebSocketResponse, endpoint: GraphQLEndpoint
    ) -> None:
        # Device by device: a quota refuses whole devices where it can.
        wanted = {
            (feed.field, device_id): feed
            for device_id in self.socket.devices
            for feed in self.feeds
        }
        restart = set(self.restarting)
        for key, sub_id in list(self.keys.items()):
            if key not in wanted or key in restart:
                del self.keys[key]
                self.subs.pop(sub_id, None)
                self.stopping.add(sub_id)
                await self.socket.send(ws, stop_message(sub_id))
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
        over_quota: set[SubscriptionKey] = set()
        token = await self.owner.client.get_id_token()
        refused = await self._start_all(ws, endpoint, token, new, wanted, over_quota)
        if refused:
            # The token was refused: renew it and try these once more.
            token = await self.owner.client.renew_id_token(token)
            for key in await self._start_all(
                ws, endpoint, token, refused, wanted, over_quota
            ):
                self.failed.add(key)
                self.socket.set_error("subscription refused with a renewed token")
        if over_quota:
            self._over_quota(over_quota)

    def _over_quota(self, keys: set[SubscriptionKey]) -> None:
        """Starts refused over the quota: the owner moves devices elsewhere;
        the refused feeds of devices that stay are failed."""
        self.quota_refusals += len(keys)
        held = sum(1 for sub in self.subs.values() if sub.acked)
        reason = f"subscription refused: {QUOTA_ERROR} with {held} held"
        self.socket.set_error(reason)
        _LOGGER.debug("Realtime %s socket: %s", self.socket.name, reason)
        if self.owner.over_quota(self.socket, held, {key[1] for key in keys}):
            # The next round stops what the moved devices still hold here.
            self.socket.wake.set()
        self.failed |= {key for key in keys if key[1] in self.socket.devices}

    async def _start_all(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        endpoint: GraphQLEndpoint,
        token: str,
        keys: list[SubscriptionKey],
        feeds: Mapping[SubscriptionKey, Feed],
        over_quota: set[SubscriptionKey],
    ) -> list[SubscriptionKey]:
        """Start subscriptions, at most :data:`MAX_STARTS_IN_FLIGHT` awaiting
        their ``start_ack`` at a time; the ones refused as unauthorized
        (those refused over the quota are added to ``over_quota``).

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
                await self.socket.send(
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
        return self._settle(started, over_quota)

    def _settle(
        self,
        started: Mapping[asyncio.Future[StartFailure | None], str],
        over_quota: set[SubscriptionKey],
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
            elif failure.over_quota:
                over_quota.add(sub.key)
            else:
                self.failed.add(sub.key)
                self.socket.set_error(f"subscription refused: {failure.reason}")
                _LOGGER.debug(
                    "Realtime %s socket: %s", self.socket.name, self.socket.last_error
                )
        return refused
