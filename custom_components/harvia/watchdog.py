"""Watchdog: notices silent push feeds, so the cloud is read only when needed.

No Home Assistant here. While push is healthy the coordinator asks
:meth:`Watchdog.check` every minute what to read:

- a device's telemetry feed silent for :data:`SILENCE_LIMIT` (idle devices
  push about every 15 min) is suspect: read that device's telemetry once and
  resubscribe the feed; the next suspicion comes no sooner than
  :data:`SILENCE_LIMIT` later;
- telemetry saying that an output (heater, light, fan, steamer) changed with
  no state push to match within :data:`STATE_PUSH_GRACE` means the state feed
  missed something: read that cabin's shadow once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from .api.realtime import TELEMETRY_FEED
from .state import CabinKey, DeviceData

# Idle devices push telemetry about every 15 min: this much silence is suspect.
SILENCE_LIMIT: Final = 25 * 60.0
# A state push answers a telemetry change within this (seconds).
STATE_PUSH_GRACE: Final = 60.0
# Telemetry flags that a state push follows when they change.
OUTPUT_FLAGS: Final = ("heatOn", "lightOn", "fanOn", "steamOn")
# A sauna sensor reports only while its cabin is warmer than this.
SENSOR_SILENT_BELOW: Final = 40.0


def expects_telemetry(data: DeviceData) -> bool:
    """Whether a device's silence would be news.

    An offline device pushes nothing, and a sauna sensor in a cold cabin is
    silent by design.
    """
    if not data.online:
        return False
    if not data.device.capabilities.telemetry_only:
        return True
    return any(
        (temp := cabin.status.current_temperature) is not None
        and temp >= SENSOR_SILENT_BELOW
        for cabin in data.cabins.values()
    )


class Feeds(Protocol):
    """What the watchdog needs of the realtime client."""

    def is_subscribed(self, device_id: str, feed: str) -> bool:
        """Whether pushes of the feed can arrive now."""

    def last_message_at(self, device_id: str, feed: str) -> float | None:
        """When the feed's last message came (None: none yet)."""

    def resubscribe(self, device_id: str, feed: str) -> bool:
        """Restart one device's feed."""


@dataclass(slots=True)
class Findings:
    """What one check found: what to read, and what to log."""

    # Devices whose telemetry is to be read (their feed was resubscribed).
    telemetry: set[str] = field(default_factory=set)
    # Cabins whose shadow is to be read.
    shadows: set[CabinKey] = field(default_factory=set)
    # Devices whose telemetry feed just went silent (log once).
    silenced: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether anything is to be read."""
        return bool(self.telemetry or self.shadows)


class Watchdog:
    """Tracks per device and cabin what the feeds said, and when."""

    def __init__(self, time_func: Callable[[], float]) -> None:
        """Count on ``time_func`` (the realtime client's clock)."""
        self._time = time_func
        # Per device: since when its telemetry is counted as news (the feed
        # watched, or resubscribed). The socket's planned renewals, every
        # 30 min, do not restart the count: a silence lasting across them is
        # still noticed within SILENCE_LIMIT of the last push.
        self._since: dict[str, float] = {}
        # Devices whose telemetry feed is suspect (said once).
        self._suspect: set[str] = set()
        # When each cabin's telemetry changed an output flag (unanswered).
        self._changed: dict[CabinKey, float] = {}
        # When a state push last came for each cabin.
        self._state_pushed: dict[CabinKey, float] = {}

    @property
    def silent_devices(self) -> frozenset[str]:
        """Devices whose telemetry feed is suspect."""
        return frozenset(self._suspect)

    def telemetry(
        self, key: CabinKey, data: Mapping[str, Any], known: Mapping[str, Any]
    ) -> bool:
        """A telemetry push came (``known``: the cabin's telemetry before it);
        True when its device's feed was suspect."""
        if any(
            flag in data and flag in known and data[flag] != known[flag]
            for flag in OUTPUT_FLAGS
        ):
            # Answered by a state push that came just before, or by one to come.
            pushed = self._state_pushed.get(key)
            now = self._time()
            if pushed is None or now - pushed > STATE_PUSH_GRACE:
                self._changed.setdefault(key, now)
        if key[0] in self._suspect:
            self._suspect.discard(key[0])
            return True
        return False

    def state_pushed(self, key: CabinKey) -> None:
        """A state push came for a cabin: it answers a telemetry change."""
        self._state_pushed[key] = self._time()
        self._changed.pop(key, None)

    def shadow_read(self, key: CabinKey) -> None:
        """A cabin's shadow was read: nothing is left to cross-check."""
        self._changed.pop(key, None)

    def restart(self) -> None:
        """Push (re)connected and everything was read: count silence anew."""
        self._since.clear()

    def forget(self, keep: Iterable[str]) -> None:
        """Drop what is known of devices no longer in the account."""
        devices = set(keep)
        self._suspect &= devices
        self._since = {d: t for d, t in self._since.items() if d in devices}
        for table in (self._changed, self._state_pushed):
            for key in [key for key in table if key[0] not in devices]:
                del table[key]

    def check(self, devices: Iterable[str], feeds: Feeds) -> Findings:
        """What to read now; resubscribes the feeds found silent."""
        now = self._time()
        found = Findings()
        feed = TELEMETRY_FEED.field
        for device_id in devices:
            if not feeds.is_subscribed(device_id, feed):
                self._since.pop(device_id, None)
                continue
            since = self._since.setdefault(device_id, now)
            last = feeds.last_message_at(device_id, feed)
            if now - max(since, last if last is not None else since) < SILENCE_LIMIT:
                continue
            if device_id not in self._suspect:
                self._suspect.add(device_id)
                found.silenced.append(device_id)
            # The next suspicion comes SILENCE_LIMIT after this resubscribe.
            self._since[device_id] = now
            feeds.resubscribe(device_id, feed)
            found.telemetry.add(device_id)
        for key, changed in list(self._changed.items()):
            if now - changed >= STATE_PUSH_GRACE:
                del self._changed[key]
                found.shadows.add(key)
        return found
