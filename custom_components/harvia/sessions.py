"""Sauna sessions of one cabin, told apart from the cabin's status over time.

Fed with a sample of the cabin at each update, a :class:`SessionTracker`
notices a session starting, reaching its target and ending, keeps the last
session's figures and counts the day's sessions. Its state round-trips through
a plain dict, so it survives restarts. No Home Assistant here.

Events are only told for what was seen as it happened: a session that started
or ended while nobody watched still counts, but is not announced late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from .energy import EnergyMeter

# A session's target counts as reached this close to it (°C): the last degree
# takes a panel the longest, and owners call the sauna ready there.
TARGET_MARGIN: Final = 1.0
# The panel's on-time counts whole minutes and arrives with some delay: a
# session it says started this much after the one we kept is a new one.
NEW_SESSION_SLACK: Final = timedelta(minutes=5)


class SessionEventType(StrEnum):
    """What happened to a cabin's session (the event entity's types)."""

    SESSION_STARTED = "session_started"
    SESSION_ENDED = "session_ended"
    TARGET_REACHED = "target_reached"
    SESSION_REFUSED = "session_refused"


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """An event and its attributes."""

    type: SessionEventType
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sample:
    """What one update says about a cabin.

    ``running`` None means unknown (nothing is decided then); ``power`` is the
    estimated power in W (None when unrated or unknown); ``on_time`` the
    minutes the panel says the running session has lasted.
    """

    running: bool | None
    temperature: float | None = None
    target_temperature: float | None = None
    power: float | None = None
    on_time: int | None = None


@dataclass(frozen=True, slots=True)
class CompletedSession:
    """The figures of a session that ended."""

    started_at: datetime
    ended_at: datetime
    highest_temperature: float | None
    # Estimated kWh; None when no power was known during the session.
    energy: float | None

    @property
    def duration(self) -> timedelta:
        """How long the session ran."""
        return self.ended_at - self.started_at


@dataclass(slots=True)
class _OpenSession:
    started_at: datetime
    last_seen: datetime
    highest_temperature: float | None
    target_reached: bool
    meter: EnergyMeter
    energy_known: bool


class SessionTracker:
    """Sessions of one cabin, from samples at (local, aware) times."""

    def __init__(self, stored: Mapping[str, Any] | None = None) -> None:
        """Start empty, or from :meth:`as_dict` of an earlier tracker."""
        self.last: CompletedSession | None = None
        self._open: _OpenSession | None = None
        # The open session was restored: the first sample tells whether it
        # still runs.
        self._restored = False
        self._idle_seen = False
        self._day: date | None = None
        self._count = 0
        if stored:
            self._restore(stored)

    @property
    def running(self) -> bool:
        """Whether a session is open."""
        return self._open is not None

    @property
    def last_start(self) -> datetime | None:
        """When the running (or else the last) session started."""
        if self._open is not None:
            return self._open.started_at
        return self.last.started_at if self.last else None

    def sessions_on(self, day: date) -> int:
        """How many sessions started on ``day``."""
        return self._count if day == self._day else 0

    def update(self, now: datetime, sample: Sample) -> list[SessionEvent]:
        """Take a sample of the cabin at ``now``; return what happened."""
        session = self._open
        if session is not None and self._restored and sample.running is not None:
            self._restored = False
            if not sample.running or self._began_after(session, now, sample):
                # It ended while nobody watched: at the last time it was seen.
                self._close(session, session.last_seen)
                session = None
        if session is None:
            if sample.running:
                return self._start(now, sample)
            # A start after a sample that showed the cabin idle is announced.
            self._idle_seen |= sample.running is False
            return []
        events: list[SessionEvent] = []
        session.meter.update(now, sample.power)
        if sample.running is None:
            return events
        session.last_seen = now
        if sample.running is False:
            completed = self._close(session, now)
            self._idle_seen = True
            events.append(
                SessionEvent(
                    SessionEventType.SESSION_ENDED, _ended_attributes(completed)
                )
            )
            return events
        session.energy_known |= sample.power is not None
        temperature = sample.temperature
        if temperature is not None:
            highest = session.highest_temperature
            session.highest_temperature = (
                temperature if highest is None else max(highest, temperature)
            )
            target = sample.target_temperature
            if (
                not session.target_reached
                and target is not None
                and temperature >= target - TARGET_MARGIN
            ):
                session.target_reached = True
                events.append(
                    SessionEvent(
                        SessionEventType.TARGET_REACHED,
                        {"temperature": temperature, "target_temperature": target},
                    )
                )
        return events

    def _start(self, now: datetime, sample: Sample) -> list[SessionEvent]:
        seen = self._idle_seen
        started_at = now
        if not seen and sample.on_time is not None:
            started_at = now - timedelta(minutes=max(0, sample.on_time))
        meter = EnergyMeter()
        meter.update(now, sample.power)
        self._open = _OpenSession(
            started_at=started_at,
            last_seen=now,
            highest_temperature=sample.temperature,
            target_reached=False,
            meter=meter,
            energy_known=sample.power is not None,
        )
        day = started_at.date()
        self._count = self._count + 1 if day == self._day else 1
        self._day = day
        self._idle_seen = False
        if not seen:
            return []
        return [
            SessionEvent(
                SessionEventType.SESSION_STARTED,
                {"target_temperature": sample.target_temperature},
            )
        ]

    def _began_after(
        self, session: _OpenSession, now: datetime, sample: Sample
    ) -> bool:
        """Whether the panel's session began after the restored one was last seen."""
        if sample.on_time is None:
            return False
        began = now - timedelta(minutes=sample.on_time)
        return began > session.last_seen + NEW_SESSION_SLACK

    def _close(self, session: _OpenSession, ended_at: datetime) -> CompletedSession:
        session.meter.update(ended_at, None)
        self.last = CompletedSession(
            started_at=session.started_at,
            ended_at=max(ended_at, session.started_at),
            highest_temperature=session.highest_temperature,
            energy=session.meter.kwh if session.energy_known else None,
        )
        self._open = None
        return self.last

    def as_dict(self) -> dict[str, Any]:
        """The state to store (JSON-serialisable)."""
        last = self.last
        session = self._open
        return {
            "last": (
                {
                    "started_at": last.started_at.isoformat(),
                    "ended_at": last.ended_at.isoformat(),
                    "highest_temperature": last.highest_temperature,
                    "energy": last.energy,
                }
                if last
                else None
            ),
            "open": (
                {
                    "started_at": session.started_at.isoformat(),
                    "last_seen": session.last_seen.isoformat(),
                    "highest_temperature": session.highest_temperature,
                    "target_reached": session.target_reached,
                    "energy": session.meter.kwh if session.energy_known else None,
                }
                if session
                else None
            ),
            "day": self._day.isoformat() if self._day else None,
            "count": self._count,
        }

    def _restore(self, stored: Mapping[str, Any]) -> None:
        """Take a stored state; what is unreadable in it is dropped."""
        last = stored.get("last")
        if isinstance(last, Mapping):
            started, ended = _time(last, "started_at"), _time(last, "ended_at")
            if started is not None and ended is not None:
                self.last = CompletedSession(
                    started_at=started,
                    ended_at=ended,
                    highest_temperature=_number(last.get("highest_temperature")),
                    energy=_number(last.get("energy")),
                )
        session = stored.get("open")
        if isinstance(session, Mapping):
            started, seen = _time(session, "started_at"), _time(session, "last_seen")
            if started is not None and seen is not None:
                energy = _number(session.get("energy"))
                self._open = _OpenSession(
                    started_at=started,
                    last_seen=seen,
                    highest_temperature=_number(session.get("highest_temperature")),
                    target_reached=session.get("target_reached") is True,
                    meter=EnergyMeter(energy or 0.0),
                    energy_known=energy is not None,
                )
                self._restored = True
        day, count = stored.get("day"), stored.get("count")
        if isinstance(day, str) and isinstance(count, int) and count > 0:
            try:
                self._day = date.fromisoformat(day)
            except ValueError:
                return
            self._count = count


def _ended_attributes(session: CompletedSession) -> dict[str, Any]:
    """The session_ended event's attributes: minutes, °C and kWh."""
    return {
        "duration": round(session.duration.total_seconds() / 60),
        "highest_temperature": session.highest_temperature,
        "energy": None if session.energy is None else round(session.energy, 3),
    }


def _time(stored: Mapping[str, Any], key: str) -> datetime | None:
    value = stored.get(key)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
