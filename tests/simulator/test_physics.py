"""Device models over virtual time (no server needed)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from harvia_simulator import HarviaCloud, OtaPush, SimDevice, StatePush, TelemetryPush
from harvia_simulator.devices import parse_toggle
from harvia_simulator.errors import SimError


def collect(cloud: HarviaCloud) -> list[Any]:
    events: list[Any] = []
    cloud.subscribe(events.append)
    return events


def reported_changes(events: list[Any], key: str) -> list[Any]:
    return [
        e.reported[key]
        for e in events
        if isinstance(e, StatePush) and key in e.reported
    ]


def test_heating_curve(cloud: HarviaCloud, fenix: SimDevice) -> None:
    cabin = fenix.cabins["C1"]
    assert cabin.temp == pytest.approx(21.0)
    fenix.panel.power(True)
    temps = []
    for _ in range(60):
        cloud.advance(60)
        temps.append(cabin.temp)
    # About 1.5 °C a minute while far from the target ...
    assert temps[9] == pytest.approx(21 + 15, abs=0.5)
    assert all(b >= a for a, b in pairwise(temps))
    # ... then a first-order approach that settles on the target.
    assert 79.0 < temps[-1] <= 80.0
    data = fenix.latest_telemetry["C1"].data
    assert data["heatOn"] == 1
    assert data["timeToTarget"] == 0
    assert data["onTime"] >= 59
    # Dry heat: humidity falls as the air warms.
    assert data["hum"] < 20
    fenix.panel.power(False)
    cloud.advance(3 * 3600)
    assert cabin.temp < 35
    cloud.advance(24 * 3600)
    assert cabin.temp == pytest.approx(21.0, abs=0.1)


def test_time_to_target_and_remaining_time(
    cloud: HarviaCloud, fenix: SimDevice
) -> None:
    fenix.panel.power(True)
    cloud.advance(60)
    data = fenix._telemetry(fenix.cabins["C1"])
    assert data["timeToTarget"] == 39  # (80 - 22.5) / 1.5 rounded up
    assert data["remainingTime"] == 179
    assert data["onTime"] == 1


def test_combi_steams_to_target_humidity(cloud: HarviaCloud, combi: SimDevice) -> None:
    combi.panel.select_profile(1)  # Relax: steamer on, 55 °C / 45 %
    combi.panel.power(True)
    cloud.advance(3600)
    cabin = combi.cabins["C1"]
    assert cabin.hum == pytest.approx(45, abs=1)
    assert combi.shadows["C1"].reported["steamer"] == {"on": 1, "state": 0}
    assert combi.latest_telemetry["C1"].data["steamOn"] == 1


def test_session_counters(cloud: HarviaCloud, fenix: SimDevice) -> None:
    cabin = fenix.cabins["C1"]
    sessions, hours = cabin.total_sessions, cabin.total_hours
    fenix.panel.power(True)
    assert cabin.total_sessions == sessions + 1
    cloud.advance(3600)
    assert cabin.total_hours == pytest.approx(hours + 1.0)
    assert cabin.total_bathing_hours > 0


def test_session_ends_at_max_on_time(cloud: HarviaCloud, fenix: SimDevice) -> None:
    events = collect(cloud)
    fenix.panel.set_profile(0, duration=720)  # longer than maxOnTime (360)
    fenix.panel.power(True)
    cloud.advance(360 * 60 - 1)
    assert fenix.cabins["C1"].status == 1
    cloud.advance(1)
    assert fenix.cabins["C1"].status == 0
    assert reported_changes(events, "saunaStatus") == [1, 0]
    assert fenix.latest_telemetry["C1"].data["heatOn"] == 0


def test_session_ends_at_profile_duration_and_settings(
    cloud: HarviaCloud, fenix: SimDevice
) -> None:
    fenix.panel.select_profile(2)  # Hot: 60 minutes
    fenix.panel.power(True)
    cloud.advance(3600)
    assert fenix.cabins["C1"].status == 0
    fenix.panel.set_settings(
        max_on_time=30, temp_calibration=-1.5, max_temp=100, remote_control=0
    )
    fenix.panel.set_profile(0, duration=0)  # no duration: maxOnTime applies
    fenix.panel.select_profile(0)
    fenix.panel.power(True)
    cloud.advance(30 * 60)
    assert fenix.cabins["C1"].status == 0
    settings = fenix.shadows["C1"].reported["settings"]
    assert settings == {
        "maxTemp": 100,
        "maxOnTime": 30,
        "tempCalibration": -1.5,
        "remoteControl": 0,
    }


def test_schedule_waits_then_ignites(cloud: HarviaCloud, fenix: SimDevice) -> None:
    events = collect(cloud)
    fenix.panel.schedule(30)
    reported = fenix.shadows["C1"].reported
    assert reported["saunaStatus"] == 5
    assert reported["heater"]["on"] == 1  # on while merely waiting
    assert reported["timer"]["startTime"].endswith("Z")
    assert reported["timer"]["readyTime"] > reported["timer"]["startTime"]
    assert fenix.cabins["C1"].temp == pytest.approx(21.0)
    cloud.advance(30 * 60 - 1)
    assert fenix.cabins["C1"].status == 5
    assert fenix.cabins["C1"].temp == pytest.approx(21.0)
    cloud.advance(1)
    assert reported["saunaStatus"] == 1
    assert reported["timer"] == {"startTime": None, "readyTime": None}
    assert reported_changes(events, "saunaStatus") == [5, 1]
    with pytest.raises(ValueError):
        fenix.panel.schedule(10)


def test_schedule_validation_and_cancel(cloud: HarviaCloud, fenix: SimDevice) -> None:
    with pytest.raises(ValueError):
        fenix.panel.schedule(0)
    fenix.panel.schedule(10)
    fenix.panel.cancel_schedule()
    assert fenix.cabins["C1"].status == 0
    assert fenix.shadows["C1"].reported["timer"]["startTime"] is None
    fenix.panel.cancel_schedule()  # nothing scheduled: no-op


def test_remote_allowed_follows_door_and_arming(
    cloud: HarviaCloud, fenix: SimDevice
) -> None:
    events = collect(cloud)
    fenix.panel.open_door()
    fenix.panel.close_door()
    fenix.panel.arm_remote_start(False)
    fenix.panel.open_door()
    fenix.panel.arm_remote_start(True)
    fenix.panel.close_door()
    assert reported_changes(events, "remoteAllowed") == [0, 1, 0, 1]


def test_profile_delay_is_configurable(cloud: HarviaCloud, fenix: SimDevice) -> None:
    cloud.profile_delay = 3.0
    fenix.request_profile(fenix.cabins["C1"], 1)
    cloud.advance(2.9)
    assert fenix.cabins["C1"].active_profile == 0
    cloud.advance(0.1)
    assert fenix.cabins["C1"].active_profile == 1


def test_profile_change_moves_a_running_session(
    cloud: HarviaCloud, fenix: SimDevice
) -> None:
    fenix.panel.power(True)
    fenix.panel.select_profile(2)
    session = fenix.cabins["C1"].session
    assert session is not None
    assert session.target_temp == 90


def test_telemetry_cadence(cloud: HarviaCloud, fenix: SimDevice) -> None:
    events = collect(cloud)
    cloud.advance(3600)
    idle = [e for e in events if isinstance(e, TelemetryPush)]
    assert 3 <= len(idle) <= 5  # about every 15 minutes
    events.clear()
    fenix.panel.power(True)
    cloud.advance(600)
    active = [e.timestamp for e in events if isinstance(e, TelemetryPush)]
    gaps = [(b - a) / 1000 for a, b in pairwise(active[1:])]
    assert gaps
    assert all(30 <= gap <= 60 for gap in gaps)


def test_sensor_is_silent_below_40(cloud: HarviaCloud, sensor: SimDevice) -> None:
    events = collect(cloud)
    cloud.advance(3600)
    assert not [e for e in events if isinstance(e, TelemetryPush)]
    sensor.panel.power(True)
    cloud.advance(60 * 60)
    pushes = [e for e in events if isinstance(e, TelemetryPush)]
    assert pushes
    assert all(e.data["temp"] >= 40 for e in pushes)
    assert set(pushes[0].data) == {"temp", "hum"}
    sensor.panel.power(False)
    events.clear()
    cloud.advance(6 * 3600)
    cooling = [e for e in events if isinstance(e, TelemetryPush)]
    assert cooling  # still reports while it cools through 40 °C ...
    assert all(e.data["temp"] >= 40 for e in cooling)
    assert cooling[-1].timestamp < (cloud.now() - 4 * 3600) * 1000  # ... then silent
    with pytest.raises(ValueError):
        sensor.panel.open_door()


def test_generic_outputs_and_cabins(cloud: HarviaCloud, generic: SimDevice) -> None:
    assert set(generic.shadows) == {"C1", "C2"}
    reported = generic.shadows["C2"].reported
    for key in ("vaporizer", "irHeater", "afterHeater", "extSwitch"):
        assert reported[key] == {"on": 0}
    data = generic.latest_telemetry["C1"].data
    assert "temperature" in data
    assert "vaporizerOn" in data
    generic.apply_command(generic.cabins["C1"], "SAUNA", None, {})  # toggles on
    generic.apply_command(generic.cabins["C1"], "HEATER", None, {})  # element off
    assert generic.cabins["C1"].status == 1
    assert not generic.cabins["C1"].heating
    generic.apply_command(generic.cabins["C1"], "VAPORIZER", None, {})
    assert generic.cabins["C1"].extras["vaporizer"]
    generic.apply_command(
        generic.cabins["C1"], "ADJUST_DURATION", None, {"duration": 500}
    )
    session = generic.cabins["C1"].session
    assert session is not None
    assert session.duration_min == 360  # capped at maxOnTime
    generic.apply_command(generic.cabins["C1"], "SAUNA", False, {})
    generic.apply_command(
        generic.cabins["C1"], "ADJUST_DURATION", None, {"duration": 45}
    )
    assert generic.cabins["C1"].profile.duration == 45
    for bad in ({}, {"duration": 0}, {"duration": True}):
        with pytest.raises(SimError):
            generic.apply_command(generic.cabins["C1"], "ADJUST_DURATION", None, bad)


def test_active_profile_as_string(cloud: HarviaCloud, fenix: SimDevice) -> None:
    events = collect(cloud)
    fenix.active_profile_as_string = True
    fenix.panel.select_profile(3)
    assert fenix.shadows["C1"].reported["activeProfile"] == "3"
    assert reported_changes(events, "activeProfile") == ["3"]


def test_ota_progress_to_new_version(cloud: HarviaCloud, fenix: SimDevice) -> None:
    from harvia_simulator.firmware import find_update

    events = collect(cloud)
    update = find_update("ota-fenix-2.0-1.14.2")
    assert update is not None
    fenix.start_ota(update)
    cloud.advance(119)
    assert fenix.firmware == "1.12.0"
    cloud.advance(1)
    assert fenix.firmware == "1.14.2"
    ota = [e for e in events if isinstance(e, OtaPush)]
    assert [e.progress_percent for e in ota] == list(range(0, 101, 10))
    assert ota[-1].update_state == "DONE"
    assert reported_changes(events, "deviceFwVersion") == ["1.14.2"]
    attrs = {a["key"]: a["value"] for a in fenix.attributes()}
    assert attrs["powerUnitFwVersion"] == "1.14.2"
    assert not fenix.cancel_ota()


def test_offline_device_keeps_running_but_reports_nothing(
    cloud: HarviaCloud, fenix: SimDevice
) -> None:
    events = collect(cloud)
    fenix.panel.power(True)
    events.clear()
    fenix.set_connected(False)
    fenix.set_connected(False)  # no-op
    cloud.advance(1800)
    assert [type(e) for e in events] == [StatePush]  # just the disconnect
    assert fenix.cabins["C1"].temp > 50
    assert fenix.latest_telemetry["C1"].data["temp"] < 25  # the cloud's copy is stale


def test_parse_toggle() -> None:
    for value, expected in (
        ("on", True),
        ("Off", False),
        (True, True),
        ("0", False),
        (1, True),
        (0.0, False),
    ):
        assert (
            parse_toggle(value, numbers_ok=True, device_type="sauna", what="x")
            is expected
        )
    bad: tuple[object, ...] = (2, "maybe", None, [1])
    for wrong in bad:
        with pytest.raises(SimError):
            parse_toggle(wrong, numbers_ok=True, device_type="sauna", what="x")


def test_population_errors(cloud: HarviaCloud) -> None:
    account = cloud.add_account("a@example.com", "pw")
    with pytest.raises(ValueError):
        cloud.add_account("A@example.com", "pw")
    with pytest.raises(ValueError):
        cloud.add_device(account, "toaster")
    cloud.add_device(account, "fenix", device_id="x")
    with pytest.raises(ValueError):
        cloud.add_device(account, "fenix", device_id="x")
    with pytest.raises(ValueError):
        cloud.advance(-1)
    with pytest.raises(ValueError):
        SimDevice(cloud, account, "toaster", name="n", device_id="y")


def test_deterministic_with_a_seed() -> None:
    def world(seed: int) -> tuple[list[str], float]:
        cloud = HarviaCloud(start_time=0.0, seed=seed)
        account = cloud.add_account("a@example.com", "pw")
        devices = [
            cloud.add_device(account, kind)
            for kind in ("fenix", "generic", "sauna_sensor")
        ]
        devices[0].panel.power(True)
        cloud.advance(900)
        return [d.device_id + d.serial_number + d.mac for d in devices], devices[
            0
        ].cabins["C1"].temp

    assert world(1) == world(1)
    assert world(1) != world(2)


def test_subscriber_errors_do_not_break_the_cloud(
    cloud: HarviaCloud, fenix: SimDevice
) -> None:
    def broken(_event: object) -> None:
        raise RuntimeError("boom")

    unsubscribe = cloud.subscribe(broken)
    fenix.panel.set_light(True)
    unsubscribe()
    unsubscribe()  # twice is fine
    assert fenix.cabins["C1"].light


def test_default_start_time_is_now() -> None:
    import time

    before = time.time()
    cloud = HarviaCloud()
    assert before <= cloud.now() <= time.time()


def test_remove_device(cloud: HarviaCloud, fenix: SimDevice) -> None:
    cloud.remove_device("fenix-1")
    assert "fenix-1" not in cloud.devices
    assert fenix.owner.device_ids == []
    with pytest.raises(KeyError):
        cloud.device("fenix-1")
