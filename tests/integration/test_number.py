"""Number: the session duration, against the simulator."""

from __future__ import annotations

import math

from homeassistant.components.number import ATTR_MAX, ATTR_MIN, ATTR_VALUE
from homeassistant.components.number.const import (
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.harvia.const import DOMAIN
from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import async_full_refresh, async_refresh

SPA = "number.spa_session_duration"
SPA2 = "number.spa_2_session_duration"
GRAPHQL_COMMAND = "graphql:device:devicesCommandsSend"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the number platform alone."""
    return [Platform.NUMBER]


async def _set(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )


def _state(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """All numbers and their registry entries."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_only_where_adjust_duration_is_accepted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Fenix panels reject ADJUST_DURATION, the sensor has no session: no number."""
    assert {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if entry.domain == NUMBER_DOMAIN
    } == {"generic-0003_C1_session_duration", "generic-0003_C2_session_duration"}


async def test_profile_duration_while_off(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Off: the active profile's duration, which a change writes."""
    cabin = devices["generic"].cabins["C1"]
    state = _state(hass, SPA)
    assert float(state.state) == cabin.profile.duration == 180
    assert state.attributes[ATTR_MIN] == 1
    assert state.attributes[ATTR_MAX] == 360
    sent = cloud.request_counts[GRAPHQL_COMMAND]

    await _set(hass, SPA, 45)
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1
    assert cabin.profile.duration == 45
    assert devices["generic"].cabins["C2"].profile.duration == 180
    assert float(_state(hass, SPA).state) == 45
    await async_refresh(hass, init_integration)
    assert float(_state(hass, SPA).state) == 45
    assert float(_state(hass, SPA2).state) == 180

    # The next session runs that long.
    devices["generic"].panel.power(True)
    cloud.advance(60)
    await async_refresh(hass, init_integration)
    assert float(_state(hass, SPA).state) == 45


async def test_running_session_duration(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """In a session: the session's own length; a change extends that session."""
    generic = devices["generic"]
    generic.panel.power(True)
    cloud.advance(10 * 60 + 30)
    await async_refresh(hass, init_integration)
    assert float(_state(hass, SPA).state) == 180

    await _set(hass, SPA, 240)
    session = generic.cabins["C1"].session
    assert session is not None
    assert session.duration_min == 240
    # The profile keeps its length for the next session.
    assert generic.cabins["C1"].profile.duration == 180
    assert float(_state(hass, SPA).state) == 240
    cloud.advance(120)
    await async_refresh(hass, init_integration)
    assert float(_state(hass, SPA).state) == 240

    generic.panel.power(False)
    await async_refresh(hass, init_integration)
    assert float(_state(hass, SPA).state) == 180


async def test_range_follows_max_on_time(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The upper bound is the panel's maxOnTime; beyond it nothing is sent."""
    devices["generic"].panel.set_settings(max_on_time=120)
    await async_refresh(hass, init_integration)
    assert _state(hass, SPA).attributes[ATTR_MAX] == 120
    for bad in (0, 121):
        with pytest.raises(ServiceValidationError):
            await _set(hass, SPA, bad)
    assert devices["generic"].cabins["C1"].profile.duration == 180


async def test_malformed_values(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A malformed duration is unknown; a malformed maxOnTime gives the default."""
    reported = devices["generic"].shadows["C1"].reported
    reported["profiles"]["0"]["duration"] = "long"
    reported["settings"]["maxOnTime"] = "forever"
    await async_refresh(hass, init_integration)
    state = _state(hass, SPA)
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_MAX] == 360

    reported["activeProfile"] = None
    del reported["settings"]
    await async_refresh(hass, init_integration)
    assert _state(hass, SPA).state == STATE_UNKNOWN

    # Still settable: the sauna knows its profile even when we do not.
    await _set(hass, SPA, 30)
    assert devices["generic"].cabins["C1"].profile.duration == 30
    assert _state(hass, SPA).state == STATE_UNKNOWN


async def test_session_without_timing_is_unknown(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A running session whose telemetry lacks its timing: unknown."""
    generic = devices["generic"]
    generic.panel.power(True)
    data = generic.latest_telemetry["C1"].data
    del data["remainingTime"]
    await async_full_refresh(hass, init_integration)
    assert _state(hass, SPA).state == STATE_UNKNOWN

    del data["onTime"]
    await async_full_refresh(hass, init_integration)
    await _set(hass, SPA, 90)
    session = generic.cabins["C1"].session
    assert session is not None
    assert session.duration_min == 90
    assert _state(hass, SPA).state == STATE_UNKNOWN


async def test_licence_required(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    account: Account,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """402: an error and the licence repair issue; nothing changed."""
    cloud.faults.payment_required(account.email)
    with pytest.raises(HomeAssistantError) as err:
        await _set(hass, SPA, 30)
    assert err.value.translation_key == "license_required"
    assert issue_registry.async_get_issue(DOMAIN, "control_license_required")
    assert devices["generic"].cabins["C1"].profile.duration == 180
    assert float(_state(hass, SPA).state) == 180


async def test_sauna_does_not_respond(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """504: 'the sauna did not respond', sent once, value unchanged."""
    cloud.faults.no_ack("generic-0003")
    sent = cloud.request_counts[GRAPHQL_COMMAND]
    with pytest.raises(HomeAssistantError, match="did not respond") as err:
        await _set(hass, SPA, 30)
    assert err.value.translation_key == "device_unavailable"
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1
    assert float(_state(hass, SPA).state) == 180


async def test_not_supported(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """The cloud refuses ADJUST_DURATION for the device type."""
    cloud.faults.set_route(
        GRAPHQL_COMMAND,
        status=200,
        count=1,
        body={
            "data": None,
            "errors": [
                {
                    "message": "Command 'ADJUST_DURATION' is not supported for device type 'sauna'",
                    "errorType": "BadRequestException",
                }
            ],
        },
    )
    with pytest.raises(HomeAssistantError) as err:
        await _set(hass, SPA, 30)
    assert err.value.translation_key == "not_supported"
    assert float(_state(hass, SPA).state) == 180


async def test_offline_unavailable(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """An offline controller's numbers are unavailable; the range stays sane."""
    cloud.faults.offline("generic-0003")
    await async_refresh(hass, init_integration)
    state = _state(hass, SPA)
    assert state.state == STATE_UNAVAILABLE
    assert state.attributes[ATTR_MAX] == 360


async def test_removed_device_unavailable(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """A controller that left the account: its entity is gone with its device."""
    cloud.remove_device("generic-0003")
    await async_refresh(hass, init_integration)
    assert hass.states.get(SPA) is None


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
async def test_not_a_number_refused(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    value: float,
) -> None:
    """NaN and infinity are refused with a message, and nothing is sent."""
    sent = cloud.request_counts[GRAPHQL_COMMAND]
    with pytest.raises(ServiceValidationError) as err:
        await _set(hass, SPA, value)
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent
    if math.isnan(value):  # NaN passes Home Assistant's range check: ours refuses it
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == "invalid_number"


async def test_not_a_number_refused_by_the_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entity itself refuses what cannot be rounded (not only the service)."""
    entity = hass.data["entity_components"][NUMBER_DOMAIN].get_entity(SPA)
    assert entity is not None
    for value in (float("inf"), float("nan")):
        with pytest.raises(ServiceValidationError) as err:
            await entity.async_set_native_value(value)
        assert err.value.translation_key == "invalid_number"
