"""The panel's limits, checked before anything is sent to the cloud.

One place for the rules the entities and the start_session action share: a
request that breaks one is refused with a message the user can act on, and
nothing reaches the sauna. Also the session length they are checked against.
"""

from __future__ import annotations

from homeassistant.exceptions import ServiceValidationError

from .api import (
    DEFAULT_MAX_ON_TIME,
    MAX_HUMIDITY,
    MIN_HUMIDITY,
    STEAM_LIMIT,
    CabinStatus,
)
from .const import DOMAIN

# The shortest session a panel takes (minutes).
MIN_SESSION_MINUTES = 1


def check_remote_start(status: CabinStatus) -> None:
    """Refuse a remote start the panel does not allow (door open, not armed)."""
    if status.remote_allowed is False:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="remote_start_not_allowed"
        )


def check_targets(
    status: CabinStatus,
    *,
    temperature: float | None = None,
    humidity: float | None = None,
    baseline: tuple[float | None, float | None] | None = None,
) -> None:
    """Check new targets against the panel's range and the steam rule.

    ``baseline`` is the (temperature, humidity) the values not given keep;
    by default the cabin's current targets.
    """
    if temperature is not None and not (
        status.min_temperature <= temperature <= status.max_temperature
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="temperature_out_of_range",
            translation_placeholders={
                "min": f"{status.min_temperature:g}",
                "max": f"{status.max_temperature:g}",
            },
        )
    if humidity is not None and not MIN_HUMIDITY <= humidity <= MAX_HUMIDITY:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="humidity_out_of_range",
            translation_placeholders={
                "min": str(MIN_HUMIDITY),
                "max": str(MAX_HUMIDITY),
            },
        )
    if not status.has_steamer or (temperature is None and humidity is None):
        return
    base_temperature, base_humidity = baseline or (
        status.target_temperature,
        status.target_humidity,
    )
    total_temperature = temperature if temperature is not None else base_temperature
    total_humidity = humidity if humidity is not None else base_humidity
    if (
        total_temperature is not None
        and total_humidity is not None
        and total_temperature + total_humidity > STEAM_LIMIT
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="steam_limit",
            translation_placeholders={
                "temperature": f"{total_temperature:g}",
                "humidity": f"{total_humidity:g}",
                "limit": str(STEAM_LIMIT),
            },
        )


def session_minutes(status: CabinStatus) -> int | None:
    """The session length in minutes.

    While a session runs, its own length (minutes on plus minutes left: a
    change applies to the running session); otherwise the active profile's,
    which the next session starts with.
    """
    if status.is_heating:
        if status.on_time is not None and status.remaining_time is not None:
            return status.on_time + status.remaining_time
        return None
    profile = status.active_profile_data
    return profile.duration if profile else None


def max_session_minutes(status: CabinStatus) -> int:
    """The panel's longest session (settings.maxOnTime, else the default)."""
    max_on_time = status.max_on_time
    return max_on_time if max_on_time and max_on_time > 0 else DEFAULT_MAX_ON_TIME


def check_duration(status: CabinStatus, minutes: int) -> None:
    """Check a session length against the panel's range."""
    maximum = max_session_minutes(status)
    if not MIN_SESSION_MINUTES <= minutes <= maximum:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="duration_out_of_range",
            translation_placeholders={
                "min": str(MIN_SESSION_MINUTES),
                "max": str(maximum),
            },
        )


def check_session_running(status: CabinStatus, error: str) -> None:
    """Refuse what the controller takes only during a session (``error``: why)."""
    if status.is_heating is False:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key=error)
