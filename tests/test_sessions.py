"""Session tracking, without Home Assistant."""

from __future__ import annotations

from datetime import date, datetime, timedelta
import json
from zoneinfo import ZoneInfo

import pytest

from custom_components.harvia.sessions import (
    NEW_SESSION_SLACK,
    TARGET_MARGIN,
    Sample,
    SessionEvent,
    SessionEventType,
    SessionTracker,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
T0 = datetime(2026, 12, 2, 18, 0, tzinfo=HELSINKI)
IDLE = Sample(running=False, temperature=21.0, power=0.0)


def _running(
    temperature: float, target: float = 80.0, power: float | None = 9_000.0
) -> Sample:
    return Sample(
        running=True, temperature=temperature, target_temperature=target, power=power
    )


def _types(events: list[SessionEvent]) -> list[SessionEventType]:
    return [event.type for event in events]


def _session(tracker: SessionTracker, start: datetime) -> list[SessionEvent]:
    """An hour-long session seen live: idle, start, heat up, hold, stop."""
    events = tracker.update(start - timedelta(minutes=1), IDLE)
    events += tracker.update(start, _running(22.0))
    events += tracker.update(start + timedelta(minutes=30), _running(78.0))
    events += tracker.update(start + timedelta(minutes=40), _running(80.4))
    events += tracker.update(start + timedelta(minutes=60), IDLE)
    return events


def test_session_seen_live() -> None:
    """Started, target reached (once), ended with its figures."""
    tracker = SessionTracker()
    events = _session(tracker, T0)
    assert _types(events) == [
        SessionEventType.SESSION_STARTED,
        SessionEventType.TARGET_REACHED,
        SessionEventType.SESSION_ENDED,
    ]
    assert events[0].attributes == {"target_temperature": 80.0}
    assert events[1].attributes == {"temperature": 80.4, "target_temperature": 80.0}
    assert events[2].attributes == {
        "duration": 60,
        "highest_temperature": 80.4,
        "energy": 9.0,
    }
    last = tracker.last
    assert last is not None
    assert last.duration == timedelta(hours=1)
    assert last.energy == pytest.approx(9.0)
    assert tracker.last_start == T0
    assert tracker.sessions_on(T0.date()) == 1
    assert not tracker.running


def test_target_margin_boundary() -> None:
    """Reached exactly at target minus the margin, not a hundredth below."""
    tracker = SessionTracker()
    tracker.update(T0, IDLE)
    tracker.update(T0 + timedelta(seconds=1), _running(30.0))
    below = 80.0 - TARGET_MARGIN - 0.01
    assert tracker.update(T0 + timedelta(minutes=1), _running(below)) == []
    events = tracker.update(T0 + timedelta(minutes=2), _running(80.0 - TARGET_MARGIN))
    assert _types(events) == [SessionEventType.TARGET_REACHED]
    # A temperature or target that is unknown decides nothing.
    assert (
        tracker.update(T0 + timedelta(minutes=3), Sample(running=True, power=0.0)) == []
    )


def test_unknown_state_holds_the_session() -> None:
    """While nothing is known the session stays open and counts no energy."""
    tracker = SessionTracker()
    tracker.update(T0, IDLE)
    tracker.update(T0 + timedelta(minutes=1), _running(30.0))
    assert tracker.update(T0 + timedelta(minutes=11), Sample(running=None)) == []
    assert tracker.running
    # Ten minutes of 9 kW before the state went unknown, nothing after.
    events = tracker.update(T0 + timedelta(hours=2), IDLE)
    assert events[0].attributes["energy"] == pytest.approx(1.5)
    assert events[0].attributes["duration"] == 119


def test_unrated_session_has_no_energy() -> None:
    """Without a rating the energy stays unknown."""
    tracker = SessionTracker()
    tracker.update(T0, IDLE)
    tracker.update(T0 + timedelta(minutes=1), _running(30.0, power=None))
    events = tracker.update(T0 + timedelta(minutes=31), IDLE)
    assert events[0].attributes == {
        "duration": 30,
        "highest_temperature": 30.0,
        "energy": None,
    }


def test_session_running_when_first_seen() -> None:
    """A session that started unseen counts from the panel's on-time, unannounced."""
    tracker = SessionTracker()
    events = tracker.update(
        T0, Sample(running=True, temperature=60.0, target_temperature=80.0, on_time=25)
    )
    assert events == []
    assert tracker.last_start == T0 - timedelta(minutes=25)
    assert tracker.sessions_on(T0.date()) == 1
    events = tracker.update(T0 + timedelta(minutes=35), IDLE)
    assert _types(events) == [SessionEventType.SESSION_ENDED]
    assert events[0].attributes["duration"] == 60

    # Without an on-time it counts from when it was seen.
    fresh = SessionTracker()
    fresh.update(T0, Sample(running=True))
    assert fresh.last_start == T0


def test_unknown_first_then_start_is_not_announced() -> None:
    """Only a start after a sample showing the cabin idle is announced."""
    tracker = SessionTracker()
    assert tracker.update(T0, Sample(running=None)) == []
    assert tracker.update(T0 + timedelta(minutes=1), _running(30.0)) == []
    assert tracker.running


def test_sessions_today_counts_per_local_day() -> None:
    """Counted on the local day the session started; a new day starts at 0."""
    tracker = SessionTracker()
    _session(tracker, T0)
    _session(tracker, T0 + timedelta(hours=2))
    assert tracker.sessions_on(T0.date()) == 2
    # 00:30 in Helsinki is still 22:30 UTC the day before: a new local day.
    next_day = datetime(2026, 12, 3, 0, 30, tzinfo=HELSINKI)
    assert tracker.sessions_on(next_day.date()) == 0
    _session(tracker, next_day)
    assert tracker.sessions_on(next_day.date()) == 1
    assert tracker.sessions_on(T0.date()) == 0


def test_round_trip_while_idle() -> None:
    """The stored state (JSON) gives back the last session and today's count."""
    tracker = SessionTracker()
    _session(tracker, T0)
    stored = json.loads(json.dumps(tracker.as_dict()))
    restored = SessionTracker(stored)
    assert restored.last == tracker.last
    assert restored.sessions_on(T0.date()) == 1
    assert not restored.running
    # A start after the restore is announced once the cabin was seen idle.
    later = T0 + timedelta(hours=3)
    assert restored.update(later, IDLE) == []
    assert _types(restored.update(later + timedelta(seconds=5), _running(25.0))) == [
        SessionEventType.SESSION_STARTED
    ]


def _restored_mid_session() -> tuple[SessionTracker, datetime]:
    tracker = SessionTracker()
    tracker.update(T0, IDLE)
    tracker.update(T0 + timedelta(minutes=1), _running(30.0))
    seen = T0 + timedelta(minutes=41)
    events = tracker.update(seen, _running(80.0))
    assert _types(events) == [SessionEventType.TARGET_REACHED]
    return SessionTracker(json.loads(json.dumps(tracker.as_dict()))), seen


def test_restart_mid_session_continues() -> None:
    """The same session goes on after a restart: no second start, no second target."""
    tracker, seen = _restored_mid_session()
    assert tracker.running
    back = seen + timedelta(minutes=10)
    # The panel's on-time agrees with the session kept (started at minute 1).
    events = tracker.update(
        back,
        Sample(running=True, temperature=81.0, power=9_000.0, on_time=50),
    )
    assert events == []
    events = tracker.update(back + timedelta(minutes=9), IDLE)
    assert _types(events) == [SessionEventType.SESSION_ENDED]
    # 40 min of 9 kW before the restart; 9 min after it (the minutes while
    # Home Assistant was down count nothing).
    assert events[0].attributes == {
        "duration": 59,
        "highest_temperature": 81.0,
        "energy": pytest.approx(7.35),
    }
    assert tracker.sessions_on(T0.date()) == 1


def test_restart_without_on_time_continues() -> None:
    """Without the panel's on-time a running session is the one kept."""
    tracker, seen = _restored_mid_session()
    assert tracker.update(seen + timedelta(hours=1), Sample(running=True)) == []
    assert tracker.last is None
    assert tracker.last_start == T0 + timedelta(minutes=1)


def test_restart_after_session_ended_unseen() -> None:
    """A session that ended while Home Assistant was down closes at its last sight."""
    tracker, seen = _restored_mid_session()
    assert tracker.update(seen + timedelta(hours=2), IDLE) == []
    last = tracker.last
    assert last is not None
    assert last.ended_at == seen
    assert last.duration == timedelta(minutes=40)
    assert last.energy == pytest.approx(6.0)


def test_restart_into_a_new_session() -> None:
    """The panel's on-time tells a new session from the one kept."""
    tracker, seen = _restored_mid_session()
    back = seen + timedelta(hours=2)
    on_time = 60
    began = back - timedelta(minutes=on_time)
    assert began > seen + NEW_SESSION_SLACK
    events = tracker.update(back, Sample(running=True, on_time=on_time))
    assert events == []
    last = tracker.last
    assert last is not None
    assert last.ended_at == seen
    assert tracker.last_start == began
    assert tracker.sessions_on(T0.date()) == 2

    # Started just within the slack: the same session.
    tracker, seen = _restored_mid_session()
    back = seen + timedelta(minutes=30)
    on_time = int((back - seen - NEW_SESSION_SLACK).total_seconds() // 60) + 1
    tracker.update(back, Sample(running=True, on_time=on_time))
    assert tracker.last is None
    assert tracker.last_start == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    "stored",
    [
        {},
        {"last": "yesterday", "open": 3, "day": 5, "count": "two"},
        {
            "last": {"started_at": "not a time", "ended_at": None},
            "open": {"started_at": "2026-12-02T18:00:00", "last_seen": "x"},
            "day": "12/02/2026",
            "count": 2,
        },
        {"day": "2026-12-02", "count": 0},
    ],
)
def test_unreadable_store_starts_empty(stored: dict[str, object]) -> None:
    """What cannot be read is dropped, never raised."""
    tracker = SessionTracker(stored)
    assert tracker.last is None
    assert not tracker.running
    assert tracker.last_start is None
    assert tracker.sessions_on(date(2026, 12, 2)) == 0


def test_stored_values_of_wrong_type_are_unknown() -> None:
    """Figures of the wrong type become unknown; the session itself stays."""
    tracker = SessionTracker(
        {
            "last": {
                "started_at": "2026-12-02T18:00:00+02:00",
                "ended_at": "2026-12-02T19:00:00+02:00",
                "highest_temperature": "hot",
                "energy": True,
            }
        }
    )
    last = tracker.last
    assert last is not None
    assert last.highest_temperature is None
    assert last.energy is None
    assert last.duration == timedelta(hours=1)
