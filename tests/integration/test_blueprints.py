"""The automation blueprints in blueprints/automation/harvia, against the simulator.

Home Assistant's own blueprint loader reads them from the configuration's
blueprints folder; each runs with its default actions.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification as pn
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint import Blueprint
from homeassistant.components.climate import (
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_TEMPERATURE,
    HVACMode,
)
from homeassistant.components.zone import DOMAIN as ZONE_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_TEMPERATURE,
    STATE_NOT_HOME,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_pass_time, async_refresh

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "harvia"
WARM = "harvia/warm_before_home.yaml"
READY = "harvia/sauna_ready.yaml"
SAUNA = "climate.home_sauna"
REMOTE_START = "binary_sensor.home_sauna_remote_start_allowed"
PERSON = "person.sam"
WORK = {"latitude": 61.4500, "longitude": 23.8500}
AT_WORK = {**WORK, "gps_accuracy": 10}
ON_THE_ROAD = {"latitude": 61.4800, "longitude": 23.8000, "gps_accuracy": 10}


@pytest.fixture
def platforms() -> list[Platform]:
    """The thermostat and the remote-start sensor the blueprints use."""
    return [Platform.CLIMATE, Platform.BINARY_SENSOR]


@pytest.fixture
def blueprint_config(hass: HomeAssistant, tmp_path: Path) -> Generator[None]:
    """A configuration folder holding the repository's blueprints."""
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "harvia")
    config_dir = hass.config.config_dir
    hass.config.config_dir = str(tmp_path)
    yield
    hass.config.config_dir = config_dir


async def _use(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    """An automation from the blueprint, set up the way configuration.yaml would."""
    assert await async_setup_component(hass, pn.DOMAIN, {})
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: {
                "alias": path,
                "use_blueprint": {"path": path, "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    automations = hass.states.async_all(AUTOMATION_DOMAIN)
    assert [state.state for state in automations] == ["on"]


def _messages(hass: HomeAssistant) -> list[str]:
    return [
        str(n["message"]) for n in pn._async_get_or_create_notifications(hass).values()
    ]


async def test_blueprints_load(hass: HomeAssistant, blueprint_config: None) -> None:
    """Home Assistant's loader reads both as valid automation blueprints."""
    loaded = await async_get_blueprints(hass).async_get_blueprints()
    assert sorted(loaded) == [READY, WARM]
    for blueprint in loaded.values():
        assert isinstance(blueprint, Blueprint)
        assert blueprint.validate() is None


async def _leave_work(hass: HomeAssistant) -> None:
    """Sam is at work, then drives off."""
    assert await async_setup_component(
        hass,
        ZONE_DOMAIN,
        {ZONE_DOMAIN: [{"name": "Work", **WORK, "radius": 300}]},
    )
    hass.states.async_set(PERSON, "Work", AT_WORK)
    await hass.async_block_till_done()
    await _warm_automation(hass)
    hass.states.async_set(PERSON, STATE_NOT_HOME, ON_THE_ROAD)
    await hass.async_block_till_done()


async def _warm_automation(hass: HomeAssistant) -> None:
    await _use(
        hass,
        WARM,
        {
            "person": PERSON,
            "zone": "zone.work",
            "sauna": SAUNA,
            "remote_start_allowed": REMOTE_START,
            "temperature": 85,
        },
    )


async def test_warm_before_home_starts_sauna(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    blueprint_config: None,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Leaving work starts a session at the chosen temperature."""
    cabin = devices["fenix"].cabin()
    assert cabin.status == 0
    await _leave_work(hass)
    # The panel reports a new target up to ~35 s after the write.
    cloud.advance(40)
    await async_refresh(hass, init_integration)
    assert cabin.status == 1
    assert cabin.live_target[0] == 85
    state = hass.states.get(SAUNA)
    assert state is not None
    assert state.state == HVACMode.HEAT
    assert state.attributes[ATTR_TEMPERATURE] == 85
    assert _messages(hass) == []


async def test_warm_before_home_refuses_politely(
    hass: HomeAssistant,
    blueprint_config: None,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Door open: nothing is sent to the sauna; a notification says why."""
    devices["fenix"].panel.open_door()
    await async_refresh(hass, init_integration)
    sent = cloud.request_counts["POST /devices/command"]
    await _leave_work(hass)
    await async_refresh(hass, init_integration)
    assert devices["fenix"].cabin().status == 0
    assert cloud.request_counts["POST /devices/command"] == sent
    [message] = _messages(hass)
    assert "Home Sauna was not started" in message
    assert "Close the sauna door" in message


async def test_warm_before_home_reports_cloud_refusal(
    hass: HomeAssistant,
    blueprint_config: None,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Without the Control licence the cloud refuses: told, not silently off."""
    cloud.faults.payment_required(devices["fenix"].owner.email)
    await _leave_work(hass)
    await async_refresh(hass, init_integration)
    assert devices["fenix"].cabin().status == 0
    [message] = _messages(hass)
    assert "the Harvia cloud refused the start" in message


async def test_sauna_ready_when_target_reached(
    hass: HomeAssistant,
    blueprint_config: None,
    freezer: FrozenDateTimeFactory,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """One notification per session, when the cabin is within 1 °C of the
    target while heating; none while the sauna is off (time to target is 0
    then too)."""
    await _use(hass, READY, {"sauna": SAUNA})
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=5))
    assert _messages(hass) == []

    await hass.services.async_call(
        CLIMATE_DOMAIN,
        SERVICE_SET_TEMPERATURE,
        {ATTR_ENTITY_ID: SAUNA, ATTR_TEMPERATURE: 60, "hvac_mode": HVACMode.HEAT},
        blocking=True,
    )
    # 21 -> 59 °C at 1.5 °C a minute: not before 25 minutes.
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=24))
    assert _messages(hass) == []
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=20))
    [message] = _messages(hass)
    assert message.startswith("Home Sauna is ready: 5")
    cabin = devices["fenix"].cabin()
    assert cabin.temp >= 59

    # Still hot and heating later: no second notification.
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=10))
    assert len(_messages(hass)) == 1
