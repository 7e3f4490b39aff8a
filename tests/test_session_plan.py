"""Planning harvia.start_session without the cloud: which writes, which refusals."""

from __future__ import annotations

from typing import Any

from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.harvia.api import CabinStatus
from custom_components.harvia.session import SessionPlan, SessionRequest, plan_session

PROFILES: dict[str, Any] = {
    "0": {"name": "Finnish", "targetTemp": 85, "targetHum": 10, "duration": 90},
    "1": {"name": "Steam", "targetTemp": 55, "targetHum": 40, "duration": 60},
}


def _status(**reported: Any) -> CabinStatus:
    telemetry = reported.pop("telemetry", {})
    return CabinStatus.from_payloads(
        {
            "saunaStatus": 0,
            "activeProfile": 0,
            "profiles": PROFILES,
            "remoteAllowed": 1,
            "settings": {"maxTemp": 105, "maxOnTime": 180},
            **reported,
        },
        telemetry,
        True,
        has_steamer=True,
    )


def _plan(status: CabinStatus, **request: Any) -> SessionPlan:
    return plan_session(
        status,
        SessionRequest(**request),
        duration_supported=True,
        profile_pending=False,
    )


def test_nothing_asked_is_the_start_alone() -> None:
    assert _plan(_status()) == SessionPlan(start=True)


def test_running_session_starts_nothing() -> None:
    running = _status(saunaStatus=1, telemetry={"targetTemp": 70, "onTime": 20})
    assert _plan(running) == SessionPlan(start=False)
    # The running session's length is unknown without remainingTime: written.
    assert _plan(running, duration=60) == SessionPlan(duration=60, start=False)
    # Its live target counts, not the profile's.
    assert _plan(running, temperature=70) == SessionPlan(start=False)
    assert _plan(running, temperature=85) == SessionPlan(temperature=85, start=False)


def test_profile_switch_compares_with_the_new_profile() -> None:
    plan = _plan(_status(), profile="Steam", temperature=85, humidity=40, duration=60)
    assert plan == SessionPlan(profile=1, temperature=85)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_not_a_number_is_refused(value: float) -> None:
    with pytest.raises(ServiceValidationError) as err:
        _plan(_status(), temperature=value)
    assert err.value.translation_key == "temperature_out_of_range"
    with pytest.raises(ServiceValidationError) as err:
        _plan(_status(), humidity=value)
    assert err.value.translation_key == "humidity_out_of_range"


def test_pending_profile_refuses_writes_only() -> None:
    status = _status()
    plan = plan_session(
        status, SessionRequest(), duration_supported=True, profile_pending=True
    )
    assert plan == SessionPlan(start=True)
    with pytest.raises(ServiceValidationError) as err:
        plan_session(
            status,
            SessionRequest(duration=30),
            duration_supported=True,
            profile_pending=True,
        )
    assert err.value.translation_key == "profile_change_pending"
