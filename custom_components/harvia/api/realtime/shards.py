"""The sockets of one AppSync API and which devices each carries.

AppSync holds at most 100 active subscriptions on one connection by default
and refuses the next ``start`` with ``MaxSubscriptionsReachedError``. The
device API carries two feeds per device and the data API one, so one socket
holds 50 or 100 devices; more devices get more sockets of the same API.

A device's feeds of one API share a socket. Assignments are stable: an added
device goes to the first socket with room (a new one when none has), a
removed device frees its place, a socket left without devices is closed, and
devices that stay never move, except off a socket the cloud refused to fill:
a cloud with a lower quota lowers the API's cap to what that socket holds.
"""

from __future__ import annotations

from collections.abc import Iterable
import itertools
import logging
from typing import TYPE_CHECKING, Final

from .events import FEEDS
from .socket import RealtimeSocket

if TYPE_CHECKING:
    from .client import HarviaRealtime

_LOGGER = logging.getLogger(__package__)

#: Subscriptions one socket carries at most (AppSync's default quota).
SUBSCRIPTIONS_PER_SOCKET: Final = 100


class ApiShards:
    """The sockets of one AppSync API, each with the devices it carries."""

    def __init__(self, owner: HarviaRealtime, api: str) -> None:
        """No sockets until devices are placed."""
        self.owner = owner
        self.api = api
        self.feeds = tuple(feed for feed in FEEDS if feed.api == api)
        #: Subscriptions per socket; lowered when the cloud refuses fewer.
        self.limit = SUBSCRIPTIONS_PER_SOCKET
        self.sockets: list[RealtimeSocket] = []
        self.socket_of: dict[str, RealtimeSocket] = {}
        self._numbers = itertools.count(1)

    @property
    def devices_per_socket(self) -> int:
        """Devices whose feeds fit on one socket (at least one)."""
        return max(1, self.limit // len(self.feeds))

    def assign(
        self, device_ids: frozenset[str]
    ) -> tuple[list[RealtimeSocket], list[RealtimeSocket]]:
        """Carry exactly ``device_ids``: the sockets opened and those emptied."""
        for device_id in [d for d in self.socket_of if d not in device_ids]:
            socket = self.socket_of.pop(device_id)
            del socket.devices[device_id]
            socket.wake.set()
        # Added devices may refill a socket emptied just now: it stays open.
        opened = self._place(sorted(device_ids - self.socket_of.keys()))
        emptied = [socket for socket in self.sockets if not socket.devices]
        self.sockets = [socket for socket in self.sockets if socket.devices]
        return opened, emptied

    def _place(
        self, device_ids: Iterable[str], avoid: RealtimeSocket | None = None
    ) -> list[RealtimeSocket]:
        """Put devices on sockets with room (first first); the sockets opened."""
        opened: list[RealtimeSocket] = []
        room = self.devices_per_socket
        for device_id in device_ids:
            socket = next(
                (s for s in self.sockets if s is not avoid and len(s.devices) < room),
                None,
            )
            if socket is None:
                socket = RealtimeSocket(
                    self.owner, self.api, f"{self.api}-{next(self._numbers)}"
                )
                self.sockets.append(socket)
                opened.append(socket)
            socket.devices[device_id] = None
            self.socket_of[device_id] = socket
            socket.wake.set()
        return opened

    def over_quota(
        self, socket: RealtimeSocket, held: int, refused: set[str]
    ) -> list[RealtimeSocket]:
        """``socket`` holds ``held`` subscriptions and the cloud refused more.

        Lowers the cap to ``held`` and moves the devices beyond it, those
        refused first, to other sockets; returns the sockets opened. A socket
        refused with nothing held moves nothing: the quota is not the
        connection's, so more sockets would only be refused as well.
        """
        if held <= 0:
            return []
        if held < self.limit:
            _LOGGER.debug(
                "Realtime %s API: the cloud holds %d subscriptions per socket",
                self.api,
                held,
            )
            self.limit = held
        # Kept: the devices placed first among those fully subscribed.
        ordered = sorted(socket.devices, key=lambda device_id: device_id in refused)
        moving = ordered[self.devices_per_socket :]
        for device_id in moving:
            del socket.devices[device_id]
            del self.socket_of[device_id]
        return self._place(moving, avoid=socket)
