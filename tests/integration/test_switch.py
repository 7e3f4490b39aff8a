"""Switches: light, fan and steamer, against the simulator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.harvia.const import DOMAIN
from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import async_full_refresh, async_poll, async_refresh, async_settle_push

FENIX_LIGHT = "switch.home_sauna_light"
FENIX_FAN = "switch.home_sauna_fan"
SPA_STEAMER = "switch.spa_steamer"
SPA2_FAN = "switch.spa_2_fan"
SPA_FAN = "switch.spa_fan"
REST_COMMAND = "POST /devices/command"
GRAPHQL_COMMAND = "graphql:device:devicesCommandsSend"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the switch platform alone."""
    return [Platform.SWITCH]


async def _switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        Platform.SWITCH, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def _light(device: SimDevice, cabin: str = "C1") -> bool:
    return device.cabins[cabin].light


def _fan(device: SimDevice, cabin: str = "C1") -> bool:
    return device.cabins[cabin].fan


def _steaming(device: SimDevice, cabin: str = "C1") -> bool:
    return device.cabins[cabin].steaming


def _switch_keys(entity_registry: er.EntityRegistry, entry_id: str) -> set[str]:
    """`device_cabin_key` unique ids of the switches."""
    return {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(entity_registry, entry_id)
        if entry.domain == Platform.SWITCH
    }


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """All switches and their registry entries."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_which_switches_exist(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Light and fan on every heater; a steamer only where STEAMER is accepted.

    Fenix panels (dry and combi) reject STEAMER, the sensor has no outputs,
    and each cabin of the generic controller gets its own switches.
    """
    assert _switch_keys(entity_registry, init_integration.entry_id) == {
        "fenix-dry-0001_C1_light",
        "fenix-dry-0001_C1_fan",
        "fenix-combi-0002_C1_light",
        "fenix-combi-0002_C1_fan",
        "generic-0003_C1_light",
        "generic-0003_C1_fan",
        "generic-0003_C1_steamer",
        "generic-0003_C2_light",
        "generic-0003_C2_fan",
        "generic-0003_C2_steamer",
        # Outputs only the generic controller reports and accepts.
        *(
            f"generic-0003_{cabin}_{key}"
            for cabin in ("C1", "C2")
            for key in ("vaporizer", "ir_heater", "after_heater", "ext_switch")
        ),
    }


async def test_light_on_and_off(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The light command reaches the sauna and the switch follows."""
    fenix = devices["fenix"]
    assert _state(hass, FENIX_LIGHT) == STATE_OFF
    sent = cloud.request_counts[REST_COMMAND]

    await _switch(hass, SERVICE_TURN_ON, FENIX_LIGHT)
    assert _light(fenix) is True
    # Shown at once, before the cloud reports it.
    assert _state(hass, FENIX_LIGHT) == STATE_ON
    assert cloud.request_counts[REST_COMMAND] == sent + 1
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX_LIGHT) == STATE_ON

    await _switch(hass, SERVICE_TURN_OFF, FENIX_LIGHT)
    assert _light(fenix) is False
    assert _state(hass, FENIX_LIGHT) == STATE_OFF
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX_LIGHT) == STATE_OFF


async def test_fan_of_one_cabin(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A multi-cabin controller: the command addresses the switch's cabin only."""
    generic = devices["generic"]
    await _switch(hass, SERVICE_TURN_ON, SPA2_FAN)
    assert _fan(generic, "C2") is True
    assert _fan(generic, "C1") is False
    await async_refresh(hass, init_integration)
    assert _state(hass, SPA2_FAN) == STATE_ON
    assert _state(hass, SPA_FAN) == STATE_OFF

    await _switch(hass, SERVICE_TURN_OFF, SPA2_FAN)
    assert _fan(generic, "C2") is False
    await async_refresh(hass, init_integration)
    assert _state(hass, SPA2_FAN) == STATE_OFF


async def test_steamer(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The steamer is switched with the STEAMER command (over GraphQL)."""
    generic = devices["generic"]
    generic.panel.power(True)
    await async_refresh(hass, init_integration)
    assert _state(hass, SPA_STEAMER) == STATE_OFF
    sent = cloud.request_counts[GRAPHQL_COMMAND]

    await _switch(hass, SERVICE_TURN_ON, SPA_STEAMER)
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1
    assert _steaming(generic) is True
    assert _state(hass, SPA_STEAMER) == STATE_ON
    cloud.advance(60)
    await async_refresh(hass, init_integration)
    assert _state(hass, SPA_STEAMER) == STATE_ON

    await _switch(hass, SERVICE_TURN_OFF, SPA_STEAMER)
    assert _steaming(generic) is False
    await async_refresh(hass, init_integration)
    assert _state(hass, SPA_STEAMER) == STATE_OFF


async def test_panel_change_followed(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """What the cloud reports wins over the commanded state."""
    await _switch(hass, SERVICE_TURN_ON, FENIX_FAN)
    assert _state(hass, FENIX_FAN) == STATE_ON
    devices["fenix"].panel.set_fan(False)
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX_FAN) == STATE_OFF
    devices["fenix"].panel.set_light(True)
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX_LIGHT) == STATE_ON


async def test_licence_required(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    account: Account,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """402: an error, a repair issue, nothing switched; fixed by the licence."""
    cloud.faults.payment_required(account.email)
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON, FENIX_LIGHT)
    assert err.value.translation_key == "license_required"
    assert issue_registry.async_get_issue(DOMAIN, "control_license_required")
    assert _light(devices["fenix"]) is False
    assert _state(hass, FENIX_LIGHT) == STATE_OFF

    cloud.faults.payment_required(account.email, enabled=False)
    await _switch(hass, SERVICE_TURN_ON, FENIX_LIGHT)
    assert _state(hass, FENIX_LIGHT) == STATE_ON
    assert not issue_registry.async_get_issue(DOMAIN, "control_license_required")


async def test_sauna_does_not_respond(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """504: 'the sauna did not respond', sent exactly once, state unchanged."""
    cloud.faults.no_ack("fenix-dry-0001")
    sent = cloud.request_counts[REST_COMMAND]
    with pytest.raises(HomeAssistantError, match="did not respond") as err:
        await _switch(hass, SERVICE_TURN_ON, FENIX_LIGHT)
    assert err.value.translation_key == "device_unavailable"
    assert cloud.request_counts[REST_COMMAND] == sent + 1
    assert _light(devices["fenix"]) is False
    assert _state(hass, FENIX_LIGHT) == STATE_OFF


async def test_steamer_not_supported(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The cloud refuses STEAMER for the device type: said so, not retried."""
    cloud.faults.set_route(
        GRAPHQL_COMMAND,
        status=200,
        count=1,
        body={
            "data": None,
            "errors": [
                {
                    "message": "Command 'STEAMER' is not supported for device type 'sauna'",
                    "errorType": "BadRequestException",
                }
            ],
        },
    )
    # The steamer runs only in a session.
    devices["generic"].panel.power(True)
    await async_refresh(hass, init_integration)
    sent = cloud.request_counts[GRAPHQL_COMMAND]
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON, SPA_STEAMER)
    assert err.value.translation_key == "not_supported"
    assert cloud.request_counts[GRAPHQL_COMMAND] == sent + 1
    assert devices["generic"].cabins["C1"].steamer is False
    assert _state(hass, SPA_STEAMER) == STATE_OFF


@pytest.mark.parametrize(
    ("status", "translation_key"),
    [(503, "cannot_connect"), (400, "bad_request")],
)
async def test_other_cloud_errors(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    status: int,
    translation_key: str,
) -> None:
    """Other refusals are translated, never raw, and not retried."""
    cloud.faults.set_route(REST_COMMAND, status=status)
    sent = cloud.request_counts[REST_COMMAND]
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_ON, FENIX_FAN)
    assert err.value.translation_key == translation_key
    assert cloud.request_counts[REST_COMMAND] == sent + 1
    assert _state(hass, FENIX_FAN) == STATE_OFF


async def test_malformed_output_state_is_unknown(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """An output state that is missing or malformed shows as unknown."""
    fenix = devices["fenix"]
    fenix.shadows["C1"].reported["light"] = "bright"
    del fenix.shadows["C1"].reported["fan"]
    telemetry: dict[str, Any] = fenix.latest_telemetry["C1"].data
    telemetry["lightOn"] = [1]
    del telemetry["fanOn"]
    await async_full_refresh(hass, init_integration)
    assert _state(hass, FENIX_LIGHT) == STATE_UNKNOWN
    assert _state(hass, FENIX_FAN) == STATE_UNKNOWN


async def test_offline_unavailable(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """An offline sauna's switches are unavailable until it returns."""
    cloud.faults.offline("fenix-dry-0001")
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX_LIGHT) == STATE_UNAVAILABLE
    cloud.faults.offline("fenix-dry-0001", offline=False)
    await async_refresh(hass, init_integration)
    assert _state(hass, FENIX_LIGHT) == STATE_OFF


async def test_new_device_adds_switches(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    account: Account,
    init_integration: MockConfigEntry,
) -> None:
    """A sauna added to the account later gets its switches on the next refresh."""
    cloud.add_device(account, "fenix", name="Cottage", device_id="fenix-new-0005")
    await async_refresh(hass, init_integration)
    assert _state(hass, "switch.cottage_light") == STATE_OFF
    assert _state(hass, "switch.cottage_fan") == STATE_OFF


async def test_unconfirmed_command_is_checked(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """A command the sauna never confirms is checked with the cloud, not kept."""
    # The cloud acknowledges, but the command never reaches the sauna, so the
    # controller pushes nothing.
    cloud.faults.set_route(REST_COMMAND, status=200, count=1, body={"handled": True})
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": FENIX_FAN}, blocking=True
    )
    # Shown at once.
    assert hass.states.get(FENIX_FAN).state == STATE_ON  # type: ignore[union-attr]
    await async_settle_push(hass, init_integration)
    reads = cloud.request_counts["GET /devices/state"]
    await async_poll(hass, freezer, timedelta(seconds=31))
    assert cloud.request_counts["GET /devices/state"] > reads
    assert hass.states.get(FENIX_FAN).state == STATE_OFF  # type: ignore[union-attr]


async def test_confirmed_command_needs_no_check(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """A command the sauna confirms by push costs no extra read."""
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.home_sauna_light"}, blocking=True
    )
    await async_settle_push(hass, init_integration)
    reads = cloud.request_counts["GET /devices/state"]
    await async_poll(hass, freezer, timedelta(seconds=31))
    assert cloud.request_counts["GET /devices/state"] == reads
    assert hass.states.get("switch.home_sauna_light").state == STATE_ON  # type: ignore[union-attr]
