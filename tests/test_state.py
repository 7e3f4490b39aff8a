"""The state store without Home Assistant: merges, polls racing pushes, profiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

import pytest

from custom_components.harvia.api import Device
from custom_components.harvia.state import (
    CLASSIC,
    PROFILE_APPLY_TIMEOUT,
    AccountData,
    CabinData,
    DeviceData,
    StateStore,
    cabin_of,
    shadow_of,
)

FENIX = "fenix-1"
SENSOR = "sensor-1"
T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)

PROFILES: dict[str, Any] = {
    "0": {"name": "Finnish", "targetTemp": 85, "duration": 90},
    "1": {"name": "Gentle", "targetTemp": 60, "duration": 45},
    "2": {"name": "Steam", "targetTemp": 55, "targetHum": 40, "duration": 60},
}


def _device(device_id: str = FENIX, device_type: str = "Fenix") -> Device:
    return Device.from_dict(
        {
            "deviceId": device_id,
            "type": device_type,
            "attr": [{"key": "powerUnitFwVersion", "value": "1.12.0"}],
        }
    )


def _data(
    reported: dict[str, Any] | None = None,
    telemetry: dict[str, Any] | None = None,
    connected: bool | None = True,
) -> AccountData:
    reported = (
        reported
        if reported is not None
        else {"displayName": "Home Sauna", "activeProfile": 0, "profiles": PROFILES}
    )
    cabin = CabinData.build(
        FENIX, "C1", reported, telemetry or {"temp": 21.5}, connected
    )
    return {FENIX: DeviceData(device=_device(), cabins={"C1": cabin})}


def _status(data: AccountData, cabin_id: str = "C1") -> Any:
    return data[FENIX].cabins[cabin_id].status


def test_nested_partial_push_keeps_other_profiles() -> None:
    """A push of one profile's target leaves the others and every name intact."""
    store = StateStore()
    merged = store.merge(
        _data(), (FENIX, "C1"), {"reported": {"profiles": {"2": {"targetTemp": 70}}}}
    )
    assert merged is not None
    profiles = _status(merged).profiles
    assert [p.label for _, p in sorted(profiles.items())] == [
        "Finnish",
        "Gentle",
        "Steam",
    ]
    assert profiles[2].target_temperature == 70
    assert profiles[2].target_humidity == 40
    assert profiles[2].duration == 60
    assert profiles[0].target_temperature == 85
    assert profiles[1].target_temperature == 60
    assert store.mark == 1


def test_merge_never_replaces_and_leaves_the_input_alone() -> None:
    """Telemetry and connection merge too; the old data is not changed."""
    store = StateStore()
    data = _data()
    merged = store.merge(
        data, (FENIX, "C1"), {"telemetry": {"hum": 12}, "connected": False}
    )
    assert merged is not None
    cabin = merged[FENIX].cabins["C1"]
    assert cabin.telemetry == {"temp": 21.5, "hum": 12}
    assert cabin.connected is False
    assert cabin.status.display_name == "Home Sauna"
    assert data[FENIX].cabins["C1"].telemetry == {"temp": 21.5}
    assert data[FENIX].cabins["C1"].connected is True


def test_merge_into_unknown_cabin_or_device() -> None:
    """Nothing to merge into: no data, and no merge counted."""
    store = StateStore()
    assert store.merge(_data(), (FENIX, "C2"), {"telemetry": {"temp": 30}}) is None
    assert store.merge(_data(), ("gone", "C1"), {"telemetry": {"temp": 30}}) is None
    assert store.mark == 0


def test_push_during_poll_wins_over_older_read() -> None:
    """A state push after the cabin's read is re-applied to the poll's result."""
    store = StateStore()
    data = _data({"displayName": "Home Sauna", "active": 0})
    store.poll_started()
    store.cabin_read((FENIX, "C1"), store.mark, store.mark)
    # Pushed after the read: the panel switched the sauna on.
    data = store.merge(data, (FENIX, "C1"), {"reported": {"active": 1}}) or data
    result = _data({"displayName": "Home Sauna", "active": 0})
    store.poll_ended(result)
    assert result[FENIX].cabins["C1"].reported["active"] == 1


def test_push_while_read_travels_wins() -> None:
    """A push merged after the read was sent may be newer than its answer."""
    store = StateStore()
    data = _data({"active": 0})
    store.poll_started()
    sent = store.mark
    # The cloud answers with the state it held; the push overtakes the answer.
    data = store.merge(data, (FENIX, "C1"), {"reported": {"active": 1}}) or data
    store.cabin_read((FENIX, "C1"), sent, sent)
    result = _data({"active": 0})
    store.poll_ended(result)
    assert result[FENIX].cabins["C1"].reported["active"] == 1


def test_push_before_read_is_not_reapplied() -> None:
    """What the read already saw (or overtook) is not applied again."""
    store = StateStore()
    data = _data({"active": 0})
    store.poll_started()
    data = store.merge(data, (FENIX, "C1"), {"reported": {"active": 1}}) or data
    store.cabin_read((FENIX, "C1"), store.mark, store.mark)
    result = _data({"active": 0})
    store.poll_ended(result)
    assert result[FENIX].cabins["C1"].reported["active"] == 0


def test_telemetry_and_state_reads_marked_apart() -> None:
    """Telemetry read before a push, state read after: only telemetry re-applies."""
    store = StateStore()
    data = _data()
    store.poll_started()
    telemetry_mark = store.mark
    data = (
        store.merge(
            data,
            (FENIX, "C1"),
            {"telemetry": {"temp": 40.0}, "reported": {"activeProfile": 1}},
        )
        or data
    )
    store.cabin_read((FENIX, "C1"), store.mark, telemetry_mark)
    result = _data(telemetry={"temp": 22.0})
    store.poll_ended(result)
    cabin = result[FENIX].cabins["C1"]
    assert cabin.telemetry["temp"] == 40.0
    assert cabin.reported["activeProfile"] == 0


def test_telemetry_not_read_is_not_reapplied() -> None:
    """Telemetry kept from before (-1: not read) already holds the pushes."""
    store = StateStore()
    data = _data()
    store.poll_started()
    data = store.merge(data, (FENIX, "C1"), {"telemetry": {"temp": 40.0}}) or data
    store.cabin_read((FENIX, "C1"), store.mark, telemetry_mark=-1)
    result = _data(telemetry={"temp": 39.0})
    store.poll_ended(result)
    assert result[FENIX].cabins["C1"].telemetry["temp"] == 40.0


def test_failed_poll_stops_recording() -> None:
    """A failed poll re-applies nothing, and merges afterwards are not kept."""
    store = StateStore()
    data = _data()
    store.poll_started()
    data = store.merge(data, (FENIX, "C1"), {"telemetry": {"temp": 40.0}}) or data
    store.poll_ended(None)
    store.merge(data, (FENIX, "C1"), {"telemetry": {"temp": 41.0}})
    result = _data(telemetry={"temp": 22.0})
    store.poll_ended(result)
    assert result[FENIX].cabins["C1"].telemetry["temp"] == 22.0


def test_reapply_skips_cabins_the_poll_did_not_read() -> None:
    """A cabin gone from the result, or never read, takes nothing."""
    store = StateStore()
    data = _data()
    store.poll_started()
    store.merge(data, (FENIX, "C1"), {"telemetry": {"temp": 40.0}})
    unread = _data(telemetry={"temp": 22.0})
    store.poll_ended(unread)
    assert unread[FENIX].cabins["C1"].telemetry["temp"] == 22.0
    store.poll_started()
    store.merge(data, (FENIX, "C1"), {"telemetry": {"temp": 40.0}})
    store.cabin_read((FENIX, "C1"), store.mark, -1)
    empty: AccountData = {}
    store.poll_ended(empty)
    assert empty == {}


def test_state_push_confirms_a_command() -> None:
    """Only a state push after the command's merge confirms it."""
    store = StateStore()
    data = _data()
    key = (FENIX, "C1")
    data = store.merge(data, key, {"reported": {"light": {"on": True}}}) or data
    commanded_at = store.mark
    assert not store.state_pushed_after(key, commanded_at)
    data = store.merge(data, key, {"telemetry": {"temp": 30}}) or data
    assert not store.state_pushed_after(key, commanded_at)
    store.merge(data, key, {"reported": {"light": {"on": True}}}, state_push=True)
    assert store.state_pushed_after(key, commanded_at)


def test_profile_queue_and_settle() -> None:
    """A change waits behind the one being applied; it is sent once that landed."""
    store = StateStore()
    key = (FENIX, "C1")
    assert not store.queue_profile(key, 2)
    assert store.shown_profile(key) is None
    store.profile_sent(key, 1, T0)
    assert store.shown_profile(key) == 1
    assert store.queue_profile(key, 2)
    assert store.shown_profile(key) == 2
    # Not applied yet (the panel still shows profile 0).
    assert store.settle_profiles(_data(), T0 + timedelta(seconds=5)) == []
    applied = _data({"activeProfile": 1, "profiles": PROFILES})
    assert store.settle_profiles(applied, T0 + timedelta(seconds=15)) == [(key, 2)]
    assert store.pending_profiles == {}


def test_profile_given_up_after_timeout() -> None:
    """A change the panel never applies stops waiting; the same one queued is not resent."""
    store = StateStore()
    key = (FENIX, "C1")
    store.profile_sent(key, 1, T0)
    store.queue_profile(key, 1)
    assert store.settle_profiles(_data(), T0 + PROFILE_APPLY_TIMEOUT) == []
    assert key in store.pending_profiles
    later = T0 + PROFILE_APPLY_TIMEOUT + timedelta(seconds=1)
    assert store.settle_profiles(_data(), later) == []
    assert store.pending_profiles == {}
    # A cabin that left the data: given up on too.
    store.profile_sent((FENIX, "C9"), 1, T0)
    assert store.settle_profiles({}, later) == []
    assert store.pending_profiles == {}


def test_failed_profile_write() -> None:
    """A failed write is not pending; what waited behind it goes next."""
    store = StateStore()
    key = (FENIX, "C1")
    store.profile_sent(key, 1, T0)
    assert store.profile_failed(key) is None
    store.profile_sent(key, 1, T0)
    store.queue_profile(key, 2)
    assert store.profile_failed(key) == 2
    store.profile_sent(key, 1, T0)
    store.queue_profile(key, 1)
    assert store.profile_failed(key) is None
    assert store.pending_profiles == {}


def test_device_offline_and_back_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """One line when a device goes offline (or unreadable), one when it returns."""
    caplog.set_level(logging.INFO, logger="custom_components.harvia")
    store = StateStore()
    store.note_online(_data())
    store.note_online(_data())
    assert caplog.records == []
    store.note_online(_data(connected=False))
    store.note_online(_data(connected=False))
    store.note_online(_data(connected=True))
    store.note_online(_data(), unreadable={FENIX})
    store.note_online(_data())
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Home Sauna is offline: the Harvia cloud cannot reach it",
        "Home Sauna is back online",
        "Home Sauna is offline: the Harvia cloud cannot reach it",
        "Home Sauna is back online",
    ]
    assert {r.levelno for r in caplog.records} == {logging.INFO}
    # A device that left the account is forgotten; unknown connection is online.
    store.note_online({})
    store.note_online(_data(connected=None))
    assert len(caplog.records) == 4


def test_device_data_names_and_firmware() -> None:
    """Names from the panel; firmware from the panel, else the device attributes."""
    assert _data()[FENIX].name == "Home Sauna"
    assert _data()[FENIX].firmware_version == "1.12.0"
    reported = {"displayName": "Spa", "deviceFwVersion": "1.14.2"}
    two = DeviceData(
        device=_device(),
        cabins={
            "C1": CabinData.build(FENIX, "C1", reported, {}, True),
            "C2": CabinData.build(FENIX, "C2", {}, {}, True),
        },
    )
    assert two.name == "Spa controller"
    assert two.firmware_version == "1.14.2"
    assert DeviceData(device=_device(SENSOR, "SaunaSensor")).name == (
        "Harvia SaunaSensor"
    )


def test_cabins_and_shadows() -> None:
    """The sensor's classic shadow has no cabin id; payloads find their cabin."""
    assert shadow_of(CLASSIC) is None
    assert shadow_of("C2") == "C2"
    sensor = _device(SENSOR, "SaunaSensor")
    assert cabin_of(sensor, "C1") == CLASSIC
    assert cabin_of(_device(), "C2") == "C2"
    assert cabin_of(_device(), None) == "C1"
    cabin = CabinData.build(SENSOR, CLASSIC, {}, {}, None)
    assert cabin.shadow_id is None


# -- commands held over reports until the panel reports them -------------------

TARGET_90: dict[str, Any] = {"reported": {"profiles": {"0": {"targetTemp": 90}}}}
WITHIN = timedelta(seconds=45)


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _target(data: AccountData) -> Any:
    return data[FENIX].cabins["C1"].reported["profiles"]["0"]["targetTemp"]


def _held_store() -> tuple[StateStore, _Clock, AccountData, int]:
    clock = _Clock()
    store = StateStore(clock)
    data = store.merge(_data(), (FENIX, "C1"), TARGET_90) or {}
    mark = store.mark
    store.hold((FENIX, "C1"), TARGET_90, WITHIN)
    return store, clock, data, mark


def _poll(store: StateStore, target: int = 85) -> AccountData:
    """A poll that reads ``target`` in profile 0."""
    store.poll_started()
    store.cabin_read((FENIX, "C1"), store.mark, store.mark)
    profiles = {**PROFILES, "0": {**PROFILES["0"], "targetTemp": target}}
    result = _data(
        {"displayName": "Home Sauna", "activeProfile": 0, "profiles": profiles}
    )
    store.poll_ended(result)
    return result


def test_held_target_survives_a_read_of_the_old_value() -> None:
    """A read before the panel reports the write shows the commanded target."""
    store, clock, data, mark = _held_store()
    assert _target(data) == 90
    clock.now = T0 + WITHIN - timedelta(microseconds=1)
    result = _poll(store)
    assert _target(result) == 90
    # The other profiles and names are the read's.
    assert result[FENIX].cabins["C1"].reported["profiles"]["1"]["name"] == "Gentle"
    assert not store.applied((FENIX, "C1"), mark)


def test_held_target_survives_a_push_of_the_old_value() -> None:
    """A push still carrying the old value (a full telemetry push) does not undo it."""
    store, _, data, _ = _held_store()
    pushed = {"reported": {"profiles": {"0": {"targetTemp": 85}}}}
    data = store.merge(data, (FENIX, "C1"), pushed, state_push=True) or data
    assert _target(data) == 90


def test_hold_ends_when_its_time_is_up() -> None:
    """At the end of ``within`` the read is the truth (the panel never took it)."""
    store, clock, _, mark = _held_store()
    clock.now = T0 + WITHIN
    assert _target(_poll(store)) == 85
    clock.now = T0
    assert _target(_poll(store)) == 85
    assert not store.applied((FENIX, "C1"), mark)


def test_hold_ends_once_a_report_shows_it() -> None:
    """Reported: applied, and a later change at the panel shows."""
    store, _, _, mark = _held_store()
    assert _target(_poll(store, target=90)) == 90
    assert store.applied((FENIX, "C1"), mark)
    assert _target(_poll(store)) == 85


def test_push_of_the_commanded_value_confirms_it() -> None:
    """A push that carries the commanded value ends the hold as applied."""
    store, _, data, mark = _held_store()
    pushed = {"reported": {"profiles": {"0": {"targetTemp": 90}}}}
    store.merge(data, (FENIX, "C1"), pushed, state_push=True)
    assert store.applied((FENIX, "C1"), mark)
    assert _target(_poll(store)) == 85


def test_push_of_other_keys_keeps_the_hold() -> None:
    """A push about something else (the light) does not end the hold."""
    store, _, data, mark = _held_store()
    store.merge(data, (FENIX, "C1"), {"reported": {"light": {"on": 1}}})
    assert _target(_poll(store)) == 90
    assert not store.applied((FENIX, "C1"), mark)


def test_hold_of_a_cabin_that_left_is_dropped() -> None:
    """A cabin missing from the poll's result takes its holds with it."""
    store, _, _, _ = _held_store()
    store.poll_started()
    store.poll_ended({})
    assert _target(_poll(store)) == 85


def test_newer_command_replaces_the_held_one() -> None:
    """40 then 100 at once: 100 shows, and a read of the old value keeps it."""
    store, _, data, _ = _held_store()
    target_100: dict[str, Any] = {"reported": {"profiles": {"0": {"targetTemp": 100}}}}
    data = store.merge(data, (FENIX, "C1"), target_100, command=True) or data
    store.hold((FENIX, "C1"), target_100, WITHIN)
    assert _target(data) == 100
    assert _target(_poll(store)) == 100
