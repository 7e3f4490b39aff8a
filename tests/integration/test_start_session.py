"""The harvia.start_session action, against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.climate import ATTR_PRESET_MODE, HVACMode
from homeassistant.const import ATTR_ENTITY_ID, ATTR_TEMPERATURE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
import voluptuous as vol

import custom_components.harvia
from custom_components.harvia.const import DOMAIN
from custom_components.harvia.services import START_SESSION_SCHEMA
from harvia_simulator import HarviaCloud, SimDevice

from .conftest import EMAIL, async_refresh, async_settle_push

FENIX = "climate.home_sauna"
COMBI = "climate.steam_room"
SPA = "climate.spa"
SPA_2 = "climate.spa_2"
SERVICE = "start_session"
# Every route that writes to a sauna.
WRITES = (
    "POST /devices/command",
    "PATCH /devices/target",
    "PATCH /devices/profile",
    "graphql:device:devicesCommandsSend",
)
PROFILE_WRITE = "PATCH /devices/profile"
TARGET_WRITE = "PATCH /devices/target"
REST_COMMAND = "POST /devices/command"
# A panel applies a profile 10-15 s after the write, a target up to ~35 s after.
PROFILE_APPLIED = 16
TARGET_APPLIED = 36
GRAPHQL_COMMAND = "graphql:device:devicesCommandsSend"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the climate platform alone (it carries the action)."""
    return [Platform.CLIMATE]


@pytest.fixture
def devices(cloud: HarviaCloud, devices: dict[str, SimDevice]) -> dict[str, SimDevice]:
    """Panel limits that differ from the client's defaults (110 °C, 360 min)."""
    devices["fenix"].panel.set_settings(max_temp=100)
    devices["combi"].panel.set_settings(max_temp=105)
    devices["generic"].panel.set_settings("C1", max_temp=95, max_on_time=240)
    return devices


async def _deliver(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Deliver the simulator's pushes while an action runs."""
    await async_settle_push(hass, entry, block=False)


def _writes(cloud: HarviaCloud) -> dict[str, int]:
    return {route: cloud.request_counts[route] for route in WRITES}


def _start(
    hass: HomeAssistant, entity_id: str, **data: Any
) -> Coroutine[Any, Any, Any]:
    return hass.services.async_call(
        DOMAIN, SERVICE, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


async def _finish(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    entry: MockConfigEntry,
    task: asyncio.Task[Any],
) -> Any:
    """Let the panel's clock run (in 1 s steps, pushes delivered) until the
    action ends: the panel takes a new profile and target seconds after the
    write, and the action waits for that before it starts the session."""
    for _ in range(120):
        for _ in range(200):
            if task.done():
                return await task
            await asyncio.sleep(0)
        cloud.advance(1.0)
        await _deliver(hass, entry)
    return await task


async def _start_applied(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    entry: MockConfigEntry,
    entity_id: str,
    **data: Any,
) -> Any:
    """Run the action to its end, the panel's clock running meanwhile."""
    task = asyncio.create_task(_start(hass, entity_id, **data))
    return await _finish(hass, cloud, entry, task)


async def _until(condition: Callable[[], bool]) -> None:
    """Let the loop run until `condition` holds (requests go over real sockets)."""
    for _ in range(100_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


def _state(hass: HomeAssistant, entity_id: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def _refused(
    hass: HomeAssistant, cloud: HarviaCloud, entity_id: str, key: str, **data: Any
) -> None:
    """The action is refused with `key` and nothing reaches the cloud."""
    before = _writes(cloud)
    with pytest.raises(ServiceValidationError) as err:
        await _start(hass, entity_id, **data)
    assert err.value.translation_key == key
    assert _writes(cloud) == before


async def test_plain_start_sends_only_the_start(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Without values the action is the start alone (SAUNA on, once)."""
    before = _writes(cloud)
    await _start_applied(hass, cloud, init_integration, FENIX)
    assert _writes(cloud) == {**before, REST_COMMAND: before[REST_COMMAND] + 1}
    assert devices["fenix"].cabins["C1"].status == 1
    assert _state(hass, FENIX).state == HVACMode.HEAT


async def test_targets_and_duration_then_start(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """One target write (both values), the duration, then the start."""
    before = _writes(cloud)
    await _start_applied(
        hass, cloud, init_integration, SPA, temperature=85, humidity=40, duration=75
    )
    assert _writes(cloud) == {
        **before,
        TARGET_WRITE: before[TARGET_WRITE] + 1,
        GRAPHQL_COMMAND: before[GRAPHQL_COMMAND] + 1,  # ADJUST_DURATION
        REST_COMMAND: before[REST_COMMAND] + 1,  # SAUNA on
    }
    cabin = devices["generic"].cabins["C1"]
    session = cabin.session
    # The session started with the new values: they were written first.
    assert session is not None
    assert (session.target_temp, session.target_hum) == (85, 40)
    assert session.duration_min == 75
    # The other cabin was left alone.
    assert devices["generic"].cabins["C2"].status == 0
    await async_refresh(hass, init_integration)
    state = _state(hass, SPA)
    assert state.state == HVACMode.HEAT
    assert state.attributes[ATTR_TEMPERATURE] == 85
    assert state.attributes["humidity"] == 40


async def test_unchanged_values_are_not_written(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Values the cabin already has, and the active profile, cost no write."""
    profile = devices["generic"].cabins["C1"].profile
    before = _writes(cloud)
    await _start(
        hass,
        SPA,
        profile=profile.name,
        temperature=profile.target_temp,
        humidity=profile.target_hum,
        duration=profile.duration,
    )
    assert _writes(cloud) == {**before, REST_COMMAND: before[REST_COMMAND] + 1}


async def test_running_session_gets_targets_without_a_start(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A session already runs: targets change, nothing is started again.

    No start is sent, so the remote-start check does not apply: the door may
    have been opened since.
    """
    fenix = devices["fenix"]
    fenix.panel.power(True)
    fenix.panel.open_door()
    await async_refresh(hass, init_integration)
    before = _writes(cloud)
    await _start_applied(hass, cloud, init_integration, FENIX, temperature=92)
    assert _writes(cloud) == {**before, TARGET_WRITE: before[TARGET_WRITE] + 1}
    cloud.advance(TARGET_APPLIED)
    session = fenix.cabins["C1"].session
    assert session is not None
    assert session.target_temp == 92


async def test_profile_first_then_targets_then_start(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The targets wait until the panel applied the profile, then land in it."""
    fenix = devices["fenix"]
    cabin = fenix.cabins["C1"]
    assert cabin.active_profile == 0
    old_target = cabin.profiles[0].target_temp
    before = _writes(cloud)

    task = asyncio.create_task(_start(hass, FENIX, profile="Hot", temperature=95))
    await _until(lambda: cloud.request_counts[PROFILE_WRITE] > before[PROFILE_WRITE])
    await _deliver(hass, init_integration)
    # Nothing else is sent while the panel applies the profile.
    assert not task.done()
    assert _writes(cloud) == {**before, PROFILE_WRITE: before[PROFILE_WRITE] + 1}
    assert _state(hass, FENIX).attributes[ATTR_PRESET_MODE] == "Hot"

    cloud.advance(PROFILE_APPLIED)
    await _deliver(hass, init_integration)
    await _finish(hass, cloud, init_integration, task)
    assert _writes(cloud) == {
        **before,
        PROFILE_WRITE: before[PROFILE_WRITE] + 1,
        TARGET_WRITE: before[TARGET_WRITE] + 1,
        REST_COMMAND: before[REST_COMMAND] + 1,
    }
    # The target went into the new profile, and the session runs with it.
    assert cabin.active_profile == 2
    assert cabin.profiles[2].target_temp == 95
    assert cabin.profiles[0].target_temp == old_target
    assert cabin.session is not None
    assert cabin.session.target_temp == 95
    await async_refresh(hass, init_integration)
    state = _state(hass, FENIX)
    assert state.state == HVACMode.HEAT
    assert state.attributes[ATTR_TEMPERATURE] == 95


async def test_profile_not_applied_sends_no_start(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The panel never applies the profile: after a minute, an error, no start."""
    cloud.profile_delay = 3600
    before = _writes(cloud)
    task = asyncio.create_task(_start(hass, FENIX, profile="Relax"))
    await _until(lambda: cloud.request_counts[PROFILE_WRITE] > before[PROFILE_WRITE])
    await _deliver(hass, init_integration)
    freezer.tick(timedelta(seconds=59))
    async_fire_time_changed(hass)
    await _deliver(hass, init_integration)
    assert not task.done()
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    with pytest.raises(HomeAssistantError) as err:
        await task
    assert err.value.translation_key == "profile_not_applied"
    assert _writes(cloud) == {**before, PROFILE_WRITE: before[PROFILE_WRITE] + 1}
    assert devices["fenix"].cabins["C1"].status == 0


async def test_door_opened_while_profile_applied(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The start is checked again after the wait: the door opened meanwhile."""
    fenix = devices["fenix"]
    before = _writes(cloud)
    task = asyncio.create_task(_start(hass, FENIX, profile="Relax"))
    await _until(lambda: cloud.request_counts[PROFILE_WRITE] > before[PROFILE_WRITE])
    fenix.panel.open_door()
    cloud.advance(PROFILE_APPLIED)
    await _deliver(hass, init_integration)
    with pytest.raises(ServiceValidationError) as err:
        await task
    assert err.value.translation_key == "remote_start_not_allowed"
    assert _writes(cloud) == {**before, PROFILE_WRITE: before[PROFILE_WRITE] + 1}
    assert fenix.cabins["C1"].active_profile == 1
    assert fenix.cabins["C1"].status == 0


async def test_refused_when_remote_start_not_allowed(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """remoteAllowed 0: the whole action is refused, no target or profile sent."""
    devices["fenix"].panel.arm_remote_start(False)
    await async_refresh(hass, init_integration)
    assert devices["fenix"].shadows["C1"].reported["remoteAllowed"] == 0
    await _refused(
        hass,
        cloud,
        FENIX,
        "remote_start_not_allowed",
        profile="Hot",
        temperature=90,
    )
    assert devices["fenix"].cabins["C1"].profiles[0].target_temp == 80


async def test_temperature_boundaries(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """40 °C … the panel's maxTemp (100 here), both ends included."""
    for value in (39, 39.5, 100.5, 101):
        await _refused(
            hass, cloud, FENIX, "temperature_out_of_range", temperature=value
        )
    await _start_applied(hass, cloud, init_integration, FENIX, temperature=40)
    assert devices["fenix"].cabins["C1"].session is not None
    assert devices["fenix"].cabins["C1"].session.target_temp == 40
    # The session runs: the new target lands in it when the panel takes it.
    await _start_applied(hass, cloud, init_integration, FENIX, temperature=100)
    cloud.advance(TARGET_APPLIED)
    assert devices["fenix"].cabins["C1"].session.target_temp == 100


async def test_steam_limit_boundaries(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Combi: temperature + humidity ≤ 140, with the values not given taken from
    the profile the session will use."""
    combi = devices["combi"]
    # Finnish (active): 80 °C / 10 %.
    await _refused(hass, cloud, COMBI, "steam_limit", temperature=80, humidity=61)
    await _refused(hass, cloud, COMBI, "steam_limit", humidity=61)
    # Relax: 55 °C / 45 % - its humidity counts, not the active profile's.
    await _refused(hass, cloud, COMBI, "steam_limit", profile="Relax", temperature=96)
    await _refused(hass, cloud, COMBI, "humidity_out_of_range", humidity=101)
    await _refused(hass, cloud, COMBI, "humidity_out_of_range", humidity=-1)
    await _start_applied(
        hass, cloud, init_integration, COMBI, temperature=80, humidity=60
    )
    session = combi.cabins["C1"].session
    assert session is not None
    assert (session.target_temp, session.target_hum) == (80, 60)


async def test_steam_limit_with_profile_at_the_boundary(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """95 °C with Relax's 45 % is exactly 140: accepted."""
    combi = devices["combi"]
    task = asyncio.create_task(_start(hass, COMBI, profile="Relax", temperature=95))
    await _until(lambda: combi.cabins["C1"].pending_profile is not None)
    cloud.advance(PROFILE_APPLIED)
    await _deliver(hass, init_integration)
    await _finish(hass, cloud, init_integration, task)
    session = combi.cabins["C1"].session
    assert session is not None
    assert (session.target_temp, session.target_hum) == (95, 45)
    assert combi.cabins["C1"].steaming


async def test_duration_boundaries(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """1 … the panel's maxOnTime (240 here)."""
    for value in (0, 241):
        await _refused(hass, cloud, SPA, "duration_out_of_range", duration=value)
    await _start_applied(hass, cloud, init_integration, SPA, duration=240)
    session = devices["generic"].cabins["C1"].session
    assert session is not None
    assert session.duration_min == 240
    await _start_applied(hass, cloud, init_integration, SPA_2, duration=1)
    session = devices["generic"].cabins["C2"].session
    assert session is not None
    assert session.duration_min == 1


async def test_what_the_controller_cannot_do_is_refused(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """A dry heater has no humidity; a Fenix takes no duration; unknown profile."""
    await _refused(hass, cloud, FENIX, "humidity_not_supported", humidity=20)
    await _refused(
        hass, cloud, FENIX, "duration_not_supported", temperature=80, duration=60
    )
    await _refused(hass, cloud, FENIX, "unknown_preset", profile="Nope")


async def test_refused_while_a_profile_change_is_pending(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A preset change still being applied: the panel would drop a second one."""
    await hass.services.async_call(
        "climate",
        "set_preset_mode",
        {ATTR_ENTITY_ID: FENIX, ATTR_PRESET_MODE: "Hot"},
        blocking=True,
    )
    await _refused(hass, cloud, FENIX, "profile_change_pending", temperature=85)
    await _refused(hass, cloud, FENIX, "profile_change_pending", profile="Relax")
    # A plain start is fine: the session picks the profile up when it lands.
    await _start_applied(hass, cloud, init_integration, FENIX)
    cloud.advance(PROFILE_APPLIED)
    await async_refresh(hass, init_integration)
    assert devices["fenix"].cabins["C1"].active_profile == 2
    assert devices["fenix"].cabins["C1"].session is not None


async def test_start_never_retried(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The sauna does not acknowledge: one start, an error, no second one."""
    cloud.faults.no_ack("fenix-dry-0001")
    before = _writes(cloud)
    with pytest.raises(HomeAssistantError) as err:
        await _start(hass, FENIX)
    assert err.value.translation_key == "device_unavailable"
    assert _writes(cloud) == {**before, REST_COMMAND: before[REST_COMMAND] + 1}


async def test_failed_write_stops_the_rest(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No licence: the first write fails, nothing after it is sent."""
    cloud.account(EMAIL).licensed = False
    before = _writes(cloud)
    with pytest.raises(HomeAssistantError) as err:
        await _start(hass, SPA, temperature=85, duration=60)
    assert err.value.translation_key == "license_required"
    assert _writes(cloud) == {**before, TARGET_WRITE: before[TARGET_WRITE] + 1}
    assert issue_registry.async_get_issue(DOMAIN, "control_license_required")
    assert devices["generic"].cabins["C1"].status == 0


async def test_not_a_harvia_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The action is registered for the integration's climate entities only."""
    assert hass.services.has_service(DOMAIN, SERVICE)
    with pytest.raises(vol.Invalid):
        await _start(hass, FENIX, temperature="hot")


def test_action_description() -> None:
    """services.yaml, the schema, the translations and the icon agree."""
    package = Path(custom_components.harvia.__file__).parent
    services = load_yaml_dict(str(package / "services.yaml"))
    fields = set(services[SERVICE]["fields"])
    assert fields == {str(key) for key in START_SESSION_SCHEMA}
    assert services[SERVICE]["target"]["entity"] == {
        "integration": DOMAIN,
        "domain": "climate",
    }
    text = json.loads((package / "translations" / "en.json").read_text())
    action = text["services"][SERVICE]
    assert action["name"]
    assert action["description"]
    assert set(action["fields"]) == fields
    assert all(f["name"] and f["description"] for f in action["fields"].values())
    icons = json.loads((package / "icons.json").read_text())
    assert icons["services"][SERVICE]["service"].startswith("mdi:")
