"""Start a session in one action: profile, targets and duration, then the start.

Everything is checked before the first write, so an invalid request (or one the
sauna would refuse: remote start not allowed) sends nothing. The writes then go
out one at a time, each only when it changes something, in the order the panel
needs:

1. the profile (``PATCH /devices/profile``). The panel applies it 10-15 s
   later, and targets are written *into the active profile*: a target sent
   earlier would land in the old profile, and a start sent earlier would run
   with the old profile's settings. So the action waits until the panel reports
   the new profile active (at most ``PROFILE_APPLY_TIMEOUT``; without push the
   cabin's state is read once after ``commands.CONFIRM_WITHIN``);
2. the targets, temperature and humidity in one write (``PATCH /devices/target``);
3. the duration (``ADJUST_DURATION``), where the controller accepts it;
4. ``SAUNA`` on, unless a session already runs. Like every heater-on command it
   is sent once and never retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later

from .api import CabinStatus, CommandType, optimistic
from .const import DOMAIN
from .coordinator import HarviaCoordinator
from .entity import HarviaEntity
from .errors import cloud_action
from .history import start_refusals
from .state import PROFILE_APPLY_TIMEOUT
from .validation import (
    check_duration,
    check_remote_start,
    check_targets,
    session_minutes,
)

SERVICE_START_SESSION = "start_session"
ATTR_TEMPERATURE = "temperature"
ATTR_HUMIDITY = "humidity"
ATTR_DURATION = "duration"
ATTR_PROFILE = "profile"


@dataclass(frozen=True, kw_only=True)
class SessionRequest:
    """What the user asked for; every part optional."""

    temperature: float | None = None
    humidity: float | None = None
    duration: int | None = None
    profile: str | None = None

    @classmethod
    def from_call(cls, data: Mapping[str, Any]) -> SessionRequest:
        """From the action's (schema-checked) data."""
        return cls(
            temperature=data.get(ATTR_TEMPERATURE),
            humidity=data.get(ATTR_HUMIDITY),
            duration=data.get(ATTR_DURATION),
            profile=data.get(ATTR_PROFILE),
        )


@dataclass(frozen=True, kw_only=True)
class SessionPlan:
    """The writes a request needs (None: nothing to change)."""

    profile: int | None = None
    temperature: float | None = None
    humidity: float | None = None
    duration: int | None = None
    start: bool = True


def _refuse(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def plan_session(
    status: CabinStatus,
    request: SessionRequest,
    *,
    duration_supported: bool,
    profile_pending: bool,
) -> SessionPlan:
    """Check the whole request and work out the writes; raise before any is sent."""
    start = not status.is_heating
    if start:
        check_remote_start(status)
    index: int | None = None
    if request.profile is not None:
        index = next(
            (i for i, p in status.profiles.items() if p.label == request.profile),
            None,
        )
        if index is None:
            raise _refuse(
                "unknown_preset",
                preset=request.profile,
                presets=", ".join(p.label for _, p in sorted(status.profiles.items())),
            )
    if request.humidity is not None and not status.has_steamer:
        raise _refuse("humidity_not_supported")
    if request.duration is not None:
        if not duration_supported:
            raise _refuse("duration_not_supported")
        check_duration(status, request.duration)

    switch = index is not None and index != status.active_profile
    # After a profile switch the values not given are the new profile's.
    new_profile = status.profiles[index] if switch and index is not None else None
    if new_profile is not None:
        current_temperature = new_profile.target_temperature
        current_humidity = new_profile.target_humidity
        current_minutes = new_profile.duration
    else:
        current_temperature = status.target_temperature
        current_humidity = status.target_humidity
        current_minutes = session_minutes(status)
    check_targets(
        status,
        temperature=request.temperature,
        humidity=request.humidity,
        baseline=(current_temperature, current_humidity),
    )
    plan = SessionPlan(
        profile=index if switch else None,
        temperature=(
            request.temperature if request.temperature != current_temperature else None
        ),
        humidity=request.humidity if request.humidity != current_humidity else None,
        duration=request.duration if request.duration != current_minutes else None,
        start=start,
    )
    writes = (plan.profile, plan.temperature, plan.humidity, plan.duration)
    if profile_pending and any(value is not None for value in writes):
        # The panel would drop a second profile change, or the pending one
        # would overwrite these targets when it lands.
        raise _refuse("profile_change_pending")
    return plan


async def async_start_session(entity: HarviaEntity, request: SessionRequest) -> None:
    """Run the harvia.start_session action on one cabin's climate entity."""
    entry = entity.coordinator.config_entry
    # Whatever stops the action is a refused start on the session events.
    with start_refusals(entry, entity.device_id, entity.cabin_id):
        await _async_start_session(entity, request)


async def _async_start_session(entity: HarviaEntity, request: SessionRequest) -> None:
    coordinator = entity.coordinator
    entry = coordinator.config_entry
    client = coordinator.client
    device_id, cabin_id, shadow_id = entity.device_id, entity.cabin_id, entity.shadow_id
    data = entity.device_data
    plan = plan_session(
        entity.status,
        request,
        duration_supported=(
            data is not None
            and data.device.capabilities.supports(CommandType.ADJUST_DURATION)
        ),
        profile_pending=(device_id, cabin_id) in coordinator.state.pending_profiles,
    )

    if plan.profile is not None:
        async with cloud_action(entry):
            await coordinator.commands.async_set_profile(
                device_id, cabin_id, plan.profile
            )
        await _async_wait_for_profile(coordinator, device_id, cabin_id, plan.profile)

    if plan.temperature is not None or plan.humidity is not None:
        status = entity.status
        async with cloud_action(entry):
            await client.set_target(
                device_id,
                shadow_id,
                temperature=plan.temperature,
                humidity=plan.humidity,
            )
        mark = coordinator.commands.async_commanded(
            device_id,
            cabin_id,
            **optimistic.target(
                status, temperature=plan.temperature, humidity=plan.humidity
            ),
        )
        if plan.start:
            # The panel takes a new target up to ~35 s after the write; a start
            # before that would run the session on the old one.
            await _async_wait_until(
                coordinator,
                lambda: coordinator.state.applied((device_id, cabin_id), mark),
                "target_not_applied",
            )

    if plan.duration is not None:
        status = entity.status
        async with cloud_action(entry):
            await client.send_command(
                device_id,
                shadow_id,
                CommandType.ADJUST_DURATION,
                True,
                params={"duration": plan.duration},
            )
        coordinator.commands.async_commanded(
            device_id, cabin_id, **optimistic.duration(status, plan.duration)
        )

    if plan.start:
        # The door may have opened while the profile was being applied.
        check_remote_start(entity.status)
        async with cloud_action(entry):
            await client.send_command(device_id, shadow_id, CommandType.SAUNA, True)
        coordinator.commands.async_commanded(
            device_id, cabin_id, **optimistic.power(True)
        )


async def _async_wait_for_profile(
    coordinator: HarviaCoordinator, device_id: str, cabin_id: str, profile: int
) -> None:
    """Wait until the panel reports the profile active; fail after a while."""

    def _active() -> bool:
        data = coordinator.data.get(device_id)
        cabin = data.cabins.get(cabin_id) if data else None
        return cabin is not None and cabin.status.active_profile == profile

    # Without a push confirming the change, the cabin's state is read once.
    coordinator.commands.async_commanded(device_id, cabin_id)
    await _async_wait_until(coordinator, _active, "profile_not_applied")


async def _async_wait_until(
    coordinator: HarviaCoordinator, done: Callable[[], bool], error_key: str
) -> None:
    """Wait until ``done`` holds after an update; raise ``error_key`` after a while."""
    hass = coordinator.hass
    applied: asyncio.Future[bool] = hass.loop.create_future()

    @callback
    def _check() -> None:
        if not applied.done() and done():
            applied.set_result(True)

    @callback
    def _give_up(_now: datetime) -> None:
        if not applied.done():
            applied.set_result(False)

    unsubscribe = coordinator.async_add_listener(_check)
    cancel_timeout = async_call_later(hass, PROFILE_APPLY_TIMEOUT, _give_up)
    try:
        _check()
        if not await applied:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key=error_key
            )
    finally:
        unsubscribe()
        cancel_timeout()
