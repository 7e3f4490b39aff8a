"""Virtual time: everything in the simulated cloud runs on this clock.

Tests move it explicitly (`HarviaCloud.advance`), so an hour-long sauna session
or a token expiry takes no real time.
"""

from __future__ import annotations

from datetime import UTC, datetime
import time


class VirtualClock:
    """Epoch seconds that only move when told to."""

    def __init__(self, start_time: float | None = None) -> None:
        self._now = time.time() if start_time is None else float(start_time)

    def now(self) -> float:
        """Current virtual epoch seconds."""
        return self._now

    def set(self, when: float) -> None:
        """Jump forward to `when` (never backward: time is monotonic here)."""
        self._now = max(self._now, when)


def epoch_ms(when: float) -> int:
    """Epoch milliseconds, the unit of shadow and telemetry timestamps."""
    return round(when * 1000)


def iso(when: float) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, as AWS services print it."""
    moment = datetime.fromtimestamp(when, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
