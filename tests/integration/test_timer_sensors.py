"""Scheduled start, ready-at and external-sensor temperature, against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime
import math

from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_full_refresh, async_refresh, async_settle_push

START = "sensor.home_sauna_scheduled_start"
READY = "sensor.home_sauna_ready_at"
FENIX_EXTERNAL = "sensor.home_sauna_external_sensor_temperature"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the sensor platform alone."""
    return [Platform.SENSOR]


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def _iso(epoch: float) -> str:
    """As the sensor's state shows it: whole seconds (the simulator prints ms)."""
    return datetime.fromtimestamp(math.floor(epoch), tz=UTC).isoformat()


async def test_schedule(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Unknown without a schedule; the panel's times while one waits; unknown
    again at ignition (the panel clears its timer)."""
    assert _state(hass, START) == STATE_UNKNOWN
    assert _state(hass, READY) == STATE_UNKNOWN
    fenix = devices["fenix"]
    fenix.panel.schedule(start_in_minutes=90)
    schedule = fenix.cabins["C1"].schedule
    assert schedule is not None
    await async_settle_push(hass, init_integration)
    assert _state(hass, START) == _iso(schedule.start_at)
    assert _state(hass, READY) == _iso(schedule.ready_at)
    assert schedule.ready_at > schedule.start_at

    cloud.advance(90 * 60)
    await async_settle_push(hass, init_integration)
    assert fenix.cabins["C1"].status == 1
    assert _state(hass, START) == STATE_UNKNOWN
    assert _state(hass, READY) == STATE_UNKNOWN


async def test_cancelled_schedule(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A schedule cancelled at the panel clears both sensors."""
    fenix = devices["fenix"]
    fenix.panel.schedule(start_in_minutes=30)
    await async_refresh(hass, init_integration)
    assert _state(hass, START) != STATE_UNKNOWN
    fenix.panel.cancel_schedule()
    await async_refresh(hass, init_integration)
    assert _state(hass, START) == STATE_UNKNOWN
    assert _state(hass, READY) == STATE_UNKNOWN


async def test_malformed_timer_is_unknown(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A timer the integration cannot read shows unknown; nothing breaks."""
    shadow = devices["fenix"].shadows["C1"]
    shadow.reported["timer"] = {"startTime": "soon", "readyTime": ["x"]}
    await async_full_refresh(hass, init_integration)
    assert _state(hass, START) == STATE_UNKNOWN
    assert _state(hass, READY) == STATE_UNKNOWN
    shadow.reported["timer"] = "none"
    await async_full_refresh(hass, init_integration)
    assert _state(hass, START) == STATE_UNKNOWN


async def test_external_sensor_temperature(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The extSensorTemp telemetry, per cabin."""
    fenix = devices["fenix"]
    expected = fenix.latest_telemetry["C1"].data["extSensorTemp"]
    assert float(_state(hass, FENIX_EXTERNAL)) == expected
    fenix.panel.power(True)
    cloud.advance(20 * 60)
    await async_settle_push(hass, init_integration)
    warmer = fenix.latest_telemetry["C1"].data["extSensorTemp"]
    assert warmer > expected
    assert float(_state(hass, FENIX_EXTERNAL)) == warmer
    assert (
        float(_state(hass, "sensor.spa_2_external_sensor_temperature"))
        == devices["generic"].latest_telemetry["C2"].data["extSensorTemp"]
    )


async def test_external_sensor_only_where_reported(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
    entity_registry: er.EntityRegistry,
) -> None:
    """A controller without an external sensor input gets no such sensor."""
    del devices["combi"].latest_telemetry["C1"].data["extSensorTemp"]
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_settle_push(hass, config_entry)
    keys = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, config_entry.entry_id
        )
    }
    assert "fenix-dry-0001_C1_external_temperature" in keys
    assert "fenix-combi-0002_C1_external_temperature" not in keys
    assert not any(key.startswith("sensor-0004") and "external" in key for key in keys)
