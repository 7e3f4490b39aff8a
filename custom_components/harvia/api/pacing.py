"""Writes to one device, one at a time and spaced out.

The cloud answers a burst of commands to one device with a 504 (the device
"did not respond"), so every write to a device waits for the previous one to
finish and starts at least :data:`COMMAND_INTERVAL` seconds after it started.
Different devices never wait for each other. The wait runs on the injected
clock and sleep, so tests can drive it on virtual time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final

#: Seconds between the starts of two writes to the same device.
COMMAND_INTERVAL: Final = 1.0


class DevicePacer:
    """Serialises and spaces the writes to each device."""

    def __init__(
        self,
        time_func: Callable[[], float],
        sleep_func: Callable[[float], Awaitable[None]] = asyncio.sleep,
        interval: float = COMMAND_INTERVAL,
    ) -> None:
        """Pace on ``time_func`` (seconds), waiting with ``sleep_func``."""
        self._time = time_func
        self._sleep = sleep_func
        self._interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        # When the last write to each device started, in time_func seconds.
        self._started: dict[str, float] = {}

    @asynccontextmanager
    async def write(self, device_id: str) -> AsyncIterator[None]:
        """Hold the device's turn for one write, after its pacing wait."""
        lock = self._locks.setdefault(device_id, asyncio.Lock())
        async with lock:
            previous = self._started.get(device_id)
            if previous is not None:
                wait = previous + self._interval - self._time()
                if wait > 0:
                    await self._sleep(wait)
            # A clock that did not move during the wait (a frozen test clock)
            # still counts the interval as passed.
            now = self._time()
            if previous is not None:
                now = max(now, previous + self._interval)
            self._started[device_id] = now
            yield
