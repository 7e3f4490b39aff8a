"""The watchdog's decisions (watchdog.py), on a virtual clock, without Home Assistant."""

from __future__ import annotations

from dataclasses import dataclass, field

from custom_components.harvia.api import Device
from custom_components.harvia.api.realtime import TELEMETRY_FEED
from custom_components.harvia.state import CabinData, DeviceData
from custom_components.harvia.watchdog import (
    SENSOR_SILENT_BELOW,
    SILENCE_LIMIT,
    STATE_PUSH_GRACE,
    Watchdog,
    expects_telemetry,
)

FEED = TELEMETRY_FEED.field
SAUNA = "fenix-dry-0001"
OTHER = "fenix-dry-0002"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeFeeds:
    """The realtime client's feed view: silence counted from the last push or
    the last acknowledged (re)start."""

    clock: Clock
    last: dict[str, float] = field(default_factory=dict)
    resubscribed: list[str] = field(default_factory=list)
    subscribed: bool = True

    def is_subscribed(self, device_id: str, feed: str) -> bool:
        assert feed == FEED
        return self.subscribed

    def last_message_at(self, device_id: str, feed: str) -> float | None:
        return self.last.get(device_id)

    def resubscribe(self, device_id: str, feed: str) -> bool:
        self.resubscribed.append(device_id)
        return True


def test_silent_feed_read_once_and_resubscribed() -> None:
    """25 min of silence: one read and one resubscribe; not again for 25 min."""
    clock = Clock()
    feeds = FakeFeeds(clock, {SAUNA: clock.now, OTHER: clock.now})
    watchdog = Watchdog(clock)
    assert not watchdog.check([SAUNA, OTHER], feeds)
    clock.now += SILENCE_LIMIT - 1
    assert not watchdog.check([SAUNA, OTHER], feeds)
    feeds.last[OTHER] = clock.now
    clock.now += 1
    found = watchdog.check([SAUNA, OTHER], feeds)
    assert found.telemetry == {SAUNA}
    assert found.silenced == [SAUNA]
    assert feeds.resubscribed == [SAUNA]
    assert watchdog.silent_devices == {SAUNA}
    # Still silent (the new start not yet acknowledged): no loop.
    for _ in range(24):
        clock.now += 60
        assert not watchdog.check([SAUNA, OTHER], feeds)
    feeds.last[OTHER] = clock.now
    clock.now += 60
    found = watchdog.check([SAUNA, OTHER], feeds)
    assert found.telemetry == {SAUNA}
    assert found.silenced == []  # logged once, not at every attempt
    assert feeds.resubscribed == [SAUNA, SAUNA]
    # It speaks again: said once.
    assert watchdog.telemetry((SAUNA, "C1"), {"temp": 21}, {})
    assert not watchdog.telemetry((SAUNA, "C1"), {"temp": 21}, {})
    assert watchdog.silent_devices == frozenset()


def test_unsubscribed_feed_is_not_suspect() -> None:
    """No subscription (push down): the poll reads, not the watchdog. Silence
    counts from when the feed is watched, and anew after a restart."""
    clock = Clock()
    feeds = FakeFeeds(clock, subscribed=False)
    watchdog = Watchdog(clock)
    assert not watchdog.check([SAUNA], feeds)
    clock.now += 10 * SILENCE_LIMIT
    assert not watchdog.check([SAUNA], feeds)
    feeds.subscribed = True
    assert not watchdog.check([SAUNA], feeds)  # never a message: counted from now
    clock.now += SILENCE_LIMIT - 60
    watchdog.restart()
    assert not watchdog.check([SAUNA], feeds)
    clock.now += SILENCE_LIMIT - 1
    assert not watchdog.check([SAUNA], feeds)
    clock.now += 1
    assert watchdog.check([SAUNA], feeds).telemetry == {SAUNA}
    assert feeds.resubscribed == [SAUNA]


def test_output_change_without_state_push_reads_the_shadow() -> None:
    """Telemetry says the light went on and no state push came: read once."""
    clock = Clock()
    feeds = FakeFeeds(clock, {SAUNA: clock.now})
    watchdog = Watchdog(clock)
    key = (SAUNA, "C1")
    # Unknown before: no change.
    watchdog.telemetry(key, {"heatOn": 0, "lightOn": 1}, {"temp": 20})
    clock.now += STATE_PUSH_GRACE
    assert not watchdog.check([SAUNA], feeds)
    watchdog.telemetry(key, {"heatOn": 0, "lightOn": 1, "temp": 30}, {"lightOn": 0})
    clock.now += STATE_PUSH_GRACE - 1
    assert not watchdog.check([SAUNA], feeds)
    clock.now += 1
    assert watchdog.check([SAUNA], feeds).shadows == {key}
    clock.now += 60
    assert not watchdog.check([SAUNA], feeds)  # once
    # The same flags again are no change.
    watchdog.telemetry(key, {"lightOn": 1}, {"lightOn": 1})
    clock.now += STATE_PUSH_GRACE
    assert not watchdog.check([SAUNA], feeds)


def test_output_change_answered_by_state_push() -> None:
    """A state push just before or within the grace answers the change."""
    clock = Clock()
    feeds = FakeFeeds(clock, {SAUNA: clock.now})
    watchdog = Watchdog(clock)
    key = (SAUNA, "C1")
    watchdog.state_pushed(key)
    clock.now += 5
    watchdog.telemetry(key, {"heatOn": 1}, {"heatOn": 0})  # the push came first
    clock.now += STATE_PUSH_GRACE
    assert not watchdog.check([SAUNA], feeds)
    clock.now += 600
    watchdog.telemetry(key, {"heatOn": 0}, {"heatOn": 1})
    clock.now += 10
    watchdog.state_pushed(key)  # the push follows
    clock.now += STATE_PUSH_GRACE
    assert not watchdog.check([SAUNA], feeds)
    # A read of the shadow meanwhile answers it too.
    clock.now += 600
    watchdog.telemetry(key, {"heatOn": 1}, {"heatOn": 0})
    watchdog.shadow_read(key)
    clock.now += STATE_PUSH_GRACE
    assert not watchdog.check([SAUNA], feeds)


def test_forget_devices_gone() -> None:
    """What is known of a device removed from the account is dropped."""
    clock = Clock()
    feeds = FakeFeeds(clock)
    watchdog = Watchdog(clock)
    watchdog.check([SAUNA], feeds)
    watchdog.telemetry((SAUNA, "C1"), {"heatOn": 1}, {"heatOn": 0})
    clock.now += SILENCE_LIMIT
    watchdog.check([SAUNA], feeds)
    assert watchdog.silent_devices == {SAUNA}
    watchdog.forget([OTHER])
    assert watchdog.silent_devices == frozenset()
    clock.now += STATE_PUSH_GRACE
    assert not watchdog.check([], feeds)


def _device(kind: str, temp: float | None, connected: bool | None) -> DeviceData:
    device = Device.from_dict({"deviceId": SAUNA, "type": kind})
    cabin_id = "C1" if kind == "Fenix" else ""
    telemetry = {} if temp is None else {"temp": temp}
    cabin = CabinData.build(SAUNA, cabin_id, {}, telemetry, connected)
    return DeviceData(device=device, cabins={cabin_id: cabin})


def test_expects_telemetry() -> None:
    """Offline devices and sauna sensors in a cold cabin are silent by design."""
    assert expects_telemetry(_device("Fenix", None, True))
    assert expects_telemetry(_device("Fenix", None, None))
    assert not expects_telemetry(_device("Fenix", 80.0, False))
    assert not expects_telemetry(_device("SaunaSensor", None, True))
    assert not expects_telemetry(
        _device("SaunaSensor", SENSOR_SILENT_BELOW - 0.1, True)
    )
    assert expects_telemetry(_device("SaunaSensor", SENSOR_SILENT_BELOW, True))
