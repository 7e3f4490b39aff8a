"""Exact boundaries and fixtures unlike the client's defaults."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.components.climate import (
    ATTR_HUMIDITY,
    ATTR_MAX_TEMP,
    ATTR_MIN_TEMP,
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_HUMIDITY,
    SERVICE_SET_TEMPERATURE,
    HVACMode,
)
from homeassistant.components.number import (
    ATTR_MAX,
    ATTR_MIN,
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.const import ATTR_ENTITY_ID, ATTR_TEMPERATURE, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import async_refresh

FENIX = "climate.home_sauna"
COMBI = "climate.steam_room"
SPA = "number.spa_session_duration"
TARGET_ROUTE = "PATCH /devices/target"
COMMAND_ROUTE = "POST /devices/command"
MAX_TEMP = 100  # not the client's default of 110
MAX_ON_TIME = 240  # not the client's default of 360


@pytest.fixture
def devices(cloud: HarviaCloud, account: Account) -> dict[str, SimDevice]:
    """Panels whose limits differ from every client default."""
    fenix = cloud.add_device(
        account, "fenix", name="Home Sauna", device_id="fenix-dry-0001"
    )
    fenix.panel.set_settings(max_temp=MAX_TEMP)
    combi = cloud.add_device(
        account, "fenix_combi", name="Steam Room", device_id="fenix-combi-0002"
    )
    generic = cloud.add_device(account, "generic", name="Spa", device_id="generic-0003")
    generic.panel.set_settings(max_on_time=MAX_ON_TIME)
    return {"fenix": fenix, "combi": combi, "generic": generic}


async def _climate(hass: HomeAssistant, service: str, entity: str, **data: Any) -> None:
    await hass.services.async_call(
        CLIMATE_DOMAIN, service, {ATTR_ENTITY_ID: entity, **data}, blocking=True
    )


def _attr(hass: HomeAssistant, entity: str, name: str) -> Any:
    state = hass.states.get(entity)
    assert state is not None
    return state.attributes.get(name)


async def test_temperature_range_follows_the_panel(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """max_temp is the panel's 100: 40 and 100 accepted, 39 and 101 refused."""
    assert _attr(hass, FENIX, ATTR_MAX_TEMP) == MAX_TEMP
    assert _attr(hass, FENIX, ATTR_MIN_TEMP) == 40
    cabin = devices["fenix"].cabins["C1"]
    for good in (40, MAX_TEMP):
        await _climate(hass, SERVICE_SET_TEMPERATURE, FENIX, **{ATTR_TEMPERATURE: good})
        assert _attr(hass, FENIX, ATTR_TEMPERATURE) == good
    cloud.advance(60)  # the panel takes a written target within ~35 s
    assert cabin.profile.target_temp == MAX_TEMP
    sent = cloud.request_counts[TARGET_ROUTE]
    for bad in (39, MAX_TEMP + 1):
        with pytest.raises(ServiceValidationError) as err:
            await _climate(
                hass, SERVICE_SET_TEMPERATURE, FENIX, **{ATTR_TEMPERATURE: bad}
            )
        # Home Assistant's own translated range check, from the panel's limits.
        assert err.value.translation_domain == CLIMATE_DOMAIN
        assert err.value.translation_key == "temp_out_of_range"
        assert err.value.translation_placeholders is not None
        assert err.value.translation_placeholders["max_temp"] == f"{MAX_TEMP:.1f}"
    assert cloud.request_counts[TARGET_ROUTE] == sent


async def test_steam_rule_boundary(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """70 °C + 70 % is exactly the limit: accepted; 70 + 71 refused."""
    await _climate(hass, SERVICE_SET_TEMPERATURE, COMBI, **{ATTR_TEMPERATURE: 70})
    await _climate(hass, SERVICE_SET_HUMIDITY, COMBI, **{ATTR_HUMIDITY: 70})
    assert _attr(hass, COMBI, ATTR_HUMIDITY) == 70
    sent = cloud.request_counts[TARGET_ROUTE]
    with pytest.raises(ServiceValidationError) as err:
        await _climate(hass, SERVICE_SET_HUMIDITY, COMBI, **{ATTR_HUMIDITY: 71})
    assert err.value.translation_key == "steam_limit"
    with pytest.raises(ServiceValidationError) as err:
        await _climate(hass, SERVICE_SET_TEMPERATURE, COMBI, **{ATTR_TEMPERATURE: 71})
    assert err.value.translation_key == "steam_limit"
    assert cloud.request_counts[TARGET_ROUTE] == sent


async def test_humidity_range_boundary(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """0 % accepted (with a temperature inside the steam rule)."""
    await _climate(hass, SERVICE_SET_TEMPERATURE, COMBI, **{ATTR_TEMPERATURE: 40})
    await _climate(hass, SERVICE_SET_HUMIDITY, COMBI, **{ATTR_HUMIDITY: 0})
    assert _attr(hass, COMBI, ATTR_HUMIDITY) == 0
    await _climate(hass, SERVICE_SET_HUMIDITY, COMBI, **{ATTR_HUMIDITY: 100})
    assert _attr(hass, COMBI, ATTR_HUMIDITY) == 100


async def test_session_duration_at_both_ends(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """1 minute and the panel's maxOnTime accepted; 0 and one more refused."""
    assert _attr(hass, SPA, ATTR_MIN) == 1
    assert _attr(hass, SPA, ATTR_MAX) == MAX_ON_TIME
    cabin = devices["generic"].cabins["C1"]
    for good in (1, MAX_ON_TIME):
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: SPA, ATTR_VALUE: good},
            blocking=True,
        )
        assert cabin.profile.duration == good
    for bad in (0, MAX_ON_TIME + 1):
        with pytest.raises(ServiceValidationError):
            await hass.services.async_call(
                NUMBER_DOMAIN,
                SERVICE_SET_VALUE,
                {ATTR_ENTITY_ID: SPA, ATTR_VALUE: bad},
                blocking=True,
            )
    assert cabin.profile.duration == MAX_ON_TIME


async def test_rapid_commands_to_one_sauna_all_land(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A scene switching light, fan and heater at once: none fails (paced)."""
    await asyncio.gather(
        *(
            hass.services.async_call(
                domain, SERVICE_TURN_ON, {ATTR_ENTITY_ID: entity}, blocking=True
            )
            for domain, entity in (
                (CLIMATE_DOMAIN, FENIX),
                ("switch", "switch.home_sauna_light"),
                ("switch", "switch.home_sauna_fan"),
            )
        )
    )
    assert cloud.request_counts[COMMAND_ROUTE] == 3
    cabin = devices["fenix"].cabins["C1"]
    assert (cabin.status, cabin.light, cabin.fan) == (1, True, True)
    await async_refresh(hass, init_integration)
    state = hass.states.get(FENIX)
    assert state is not None
    assert state.state == HVACMode.HEAT
