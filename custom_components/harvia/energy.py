"""Estimated electrical power and energy of a heater and its steam generator.

The cloud reports no electrical power (``heaterPower`` is always 0), but it
reports whether the element and the steamer are on. With the rated power the
owner enters per controller, that gives an estimate: the rated power while an
output is on, nothing while it is off. No Home Assistant here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from .api import CabinStatus

# Options of the config entry: the ratings per controller (device id), in kW.
CONF_RATINGS: Final = "ratings"
CONF_HEATER_POWER: Final = "heater_power"
CONF_STEAMER_POWER: Final = "steamer_power"

# Rated powers of Harvia heaters (kW) to pick from; any other value can be typed.
HEATER_RATINGS: Final = (4.5, 6.0, 6.8, 8.0, 9.0, 10.5, 11.0, 13.8, 15.0, 16.0, 20.0)
# Common rated powers of steam generators and combi heaters' evaporators (kW).
STEAMER_RATINGS: Final = (2.0, 2.2, 3.0, 4.5, 6.0, 9.0, 10.8, 15.0)
# What a typed rating may be (kW): a sauna's element or steamer, not a typo.
MIN_RATING: Final = 0.5
MAX_RATING: Final = 50.0

_WATT_HOURS_PER_KWH: Final = 1000.0
_SECONDS_PER_HOUR: Final = 3600.0


@dataclass(frozen=True, slots=True)
class Ratings:
    """The rated powers (kW) of one controller's heater and steam generator."""

    heater: float | None = None
    steamer: float | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any], device_id: str) -> Ratings:
        """The ratings stored for a controller; unset (None) where none is."""
        stored = options.get(CONF_RATINGS, {}).get(device_id, {})
        return cls(
            heater=_rating(stored.get(CONF_HEATER_POWER)),
            steamer=_rating(stored.get(CONF_STEAMER_POWER)),
        )


def _rating(value: Any) -> float | None:
    """A stored rating, None when missing or not a usable number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if MIN_RATING <= value <= MAX_RATING else None


def parse_rating(value: str | float | None) -> float | None:
    """A rating typed or picked in the options (kW); ValueError when unusable.

    Empty means unset (None). A comma is accepted as the decimal mark.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower().removesuffix("kw").strip().replace(",", ".")
        if not text:
            return None
        value = float(text)
    rating = float(value)
    if not MIN_RATING <= rating <= MAX_RATING:
        raise ValueError(f"rating {rating} kW is out of range")
    return rating


def heater_on(status: CabinStatus) -> bool | None:
    """Whether the element draws power: its relay, while a session runs.

    The relay flag alone is also set while a scheduled start waits; a session
    that does not run draws nothing whatever the last telemetry said.
    """
    if status.is_heating is not True:
        return None if status.is_heating is None else False
    return status.heat_on if status.heat_on is not None else True


def steamer_on(status: CabinStatus) -> bool | None:
    """Whether the steam generator draws power (only while a session runs)."""
    if status.is_heating is not True:
        return None if status.is_heating is None else False
    return status.steamer_on


def estimated_power(on: bool | None, rating_kw: float | None) -> float | None:
    """The power (W) of an output with this rating; None when unknown."""
    if on is None or rating_kw is None:
        return None
    return rating_kw * 1000.0 if on else 0.0


def cabin_power(status: CabinStatus, ratings: Ratings) -> float | None:
    """The whole estimated power (W) of a cabin's heater and steamer.

    None when the heater is unrated or its state unknown; an unrated steamer
    adds nothing.
    """
    heater = estimated_power(heater_on(status), ratings.heater)
    if heater is None:
        return None
    return heater + (estimated_power(steamer_on(status), ratings.steamer) or 0.0)


class EnergyMeter:
    """Integrates an estimated power over time into kWh.

    The power holds from one reading until the next (a left Riemann sum): the
    outputs switch in steps and every switch is a new reading. An unknown
    power counts nothing until the next known one.
    """

    def __init__(self, kwh: float = 0.0) -> None:
        """Start at ``kwh`` (e.g. restored after a restart)."""
        self.kwh = kwh
        self._power: float | None = None
        self._since: datetime | None = None

    @property
    def power(self) -> float | None:
        """The power (W) that holds since the last reading."""
        return self._power

    def update(self, now: datetime, power: float | None) -> None:
        """Count the energy up to ``now``; ``power`` holds from now on."""
        if self._power is not None and self._since is not None and now > self._since:
            seconds = (now - self._since).total_seconds()
            self.kwh += self._power * seconds / _SECONDS_PER_HOUR / _WATT_HOURS_PER_KWH
        if self._since is None or now >= self._since:
            self._since = now
        self._power = power
