"""Sensors: cabin climate, session timing and counters, against the simulator."""

from __future__ import annotations

from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from harvia_simulator import Account, HarviaCloud, SimDevice

from .conftest import async_full_refresh, async_refresh

TEMPERATURE = "sensor.home_sauna_temperature"
HUMIDITY = "sensor.home_sauna_humidity"
TIME_TO_TARGET = "sensor.home_sauna_time_to_target_temperature"
REMAINING = "sensor.home_sauna_remaining_session_time"
PANEL_TEMPERATURE = "sensor.home_sauna_panel_temperature"
SIGNAL = "sensor.home_sauna_signal_strength"
SESSIONS = "sensor.home_sauna_sessions"
BATHING = "sensor.home_sauna_bathing_time"
OPERATING = "sensor.home_sauna_operating_time"
SENSOR_TEMPERATURE = "sensor.sensor_temperature"
SENSOR_HUMIDITY = "sensor.sensor_humidity"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the sensor platform alone."""
    return [Platform.SENSOR]


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def _number(hass: HomeAssistant, entity_id: str) -> float:
    return float(_state(hass, entity_id))


def _sensor_keys(
    entity_registry: er.EntityRegistry, entry_id: str, device_id: str
) -> set[str]:
    prefix = f"{device_id}_"
    return {
        entry.unique_id.removeprefix(prefix)
        for entry in er.async_entries_for_config_entry(entity_registry, entry_id)
        if entry.domain == SENSOR_DOMAIN and entry.unique_id.startswith(prefix)
    }


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """All sensors (disabled ones enabled) and their registry entries."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_which_sensors_exist(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Heaters get the full set per cabin (never heaterPower); the SaunaSensor
    only temperature and humidity."""
    heater = {
        "temperature",
        "humidity",
        "time_to_target",
        "remaining_time",
        "panel_temperature",
        "signal_strength",
        "total_sessions",
        "total_bathing_hours",
        "total_hours",
        # Session history (the estimated energy only with a rated heater).
        "last_session_start",
        "last_session_duration",
        "last_session_highest_temperature",
        "sessions_today",
        "scheduled_start",
        "ready_at",
        "external_temperature",
    }
    entry_id = init_integration.entry_id
    assert _sensor_keys(entity_registry, entry_id, "fenix-dry-0001") == {
        f"C1_{key}" for key in heater
    }
    assert _sensor_keys(entity_registry, entry_id, "generic-0003") == {
        f"{cabin}_{key}" for cabin in ("C1", "C2") for key in heater
    }
    assert _sensor_keys(entity_registry, entry_id, "sensor-0004") == {
        "classic_temperature",
        "classic_humidity",
    }


async def test_diagnostics_disabled_by_default(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Panel temperature and Wi-Fi signal are diagnostic and off by default."""
    for entity_id in (PANEL_TEMPERATURE, SIGNAL):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert entry.entity_category is not None
        assert hass.states.get(entity_id) is None
    entry = entity_registry.async_get(TEMPERATURE)
    assert entry is not None
    assert entry.disabled_by is None


async def test_session_values(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A session heats the cabin; timing and counters follow the sauna."""
    fenix = devices["fenix"]
    cabin = fenix.cabins["C1"]
    start_temperature = _number(hass, TEMPERATURE)
    sessions = _number(hass, SESSIONS)
    operating = _number(hass, OPERATING)
    assert _number(hass, TIME_TO_TARGET) == 0
    assert _number(hass, REMAINING) == 0

    fenix.panel.power(True)
    cloud.advance(10 * 60)
    await async_refresh(hass, init_integration)
    assert _number(hass, TEMPERATURE) > start_temperature + 10
    assert _number(hass, HUMIDITY) < 45
    assert _number(hass, TIME_TO_TARGET) > 0
    # Minutes left as of the last telemetry push (sent every 30-60 s).
    assert 169 <= _number(hass, REMAINING) <= 171
    assert _number(hass, SESSIONS) == sessions + 1
    assert _number(hass, OPERATING) > operating

    cloud.advance(60 * 60)
    await async_refresh(hass, init_integration)
    assert _number(hass, TEMPERATURE) == pytest.approx(
        cabin.profile.target_temp, abs=1.5
    )
    assert _number(hass, TIME_TO_TARGET) == 0
    assert _number(hass, BATHING) > 0


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_diagnostic_values(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Wi-Fi signal in dBm from the shadow; panel temperature from telemetry."""
    assert _number(hass, SIGNAL) == devices["fenix"].signal_strength
    assert 20 < _number(hass, PANEL_TEMPERATURE) < 30


async def test_sauna_sensor(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The SaunaSensor reports only in a hot cabin: unknown until then."""
    assert _state(hass, SENSOR_TEMPERATURE) == STATE_UNKNOWN
    devices["sensor"].panel.power(True)  # the stove of its cabin
    cloud.advance(40 * 60)
    await async_refresh(hass, init_integration)
    assert _number(hass, SENSOR_TEMPERATURE) > 40
    assert 0 <= _number(hass, SENSOR_HUMIDITY) <= 100


async def test_malformed_values_unknown(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Missing or malformed values show as unknown; the others still show."""
    fenix = devices["fenix"]
    data = fenix.latest_telemetry["C1"].data
    data["temp"] = "hot"
    data["hum"] = ""
    data["timeToTarget"] = {"minutes": 3}
    del data["remainingTime"]
    data["totalSessions"] = None
    data["totalBathingHours"] = [1, 2]
    await async_full_refresh(hass, init_integration)
    for entity_id in (TEMPERATURE, HUMIDITY, TIME_TO_TARGET, REMAINING, SESSIONS):
        assert _state(hass, entity_id) == STATE_UNKNOWN, entity_id
    assert _state(hass, BATHING) == STATE_UNKNOWN
    assert _number(hass, OPERATING) > 0


async def test_spec_field_names(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The generic controller reports `temperature`/`humidity` (the spec's names)."""
    data = devices["generic"].latest_telemetry["C1"].data
    assert "temperature" in data
    assert "temp" not in data
    assert _number(hass, "sensor.spa_temperature") == data["temperature"]
    assert _number(hass, "sensor.spa_humidity") == data["humidity"]


async def test_offline_unavailable(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """An offline sauna's sensors are unavailable until it returns."""
    cloud.faults.offline("fenix-dry-0001")
    await async_refresh(hass, init_integration)
    assert _state(hass, TEMPERATURE) == STATE_UNAVAILABLE
    assert _state(hass, "sensor.spa_temperature") != STATE_UNAVAILABLE
    cloud.faults.offline("fenix-dry-0001", offline=False)
    await async_refresh(hass, init_integration)
    assert _state(hass, TEMPERATURE) != STATE_UNAVAILABLE


async def test_new_device_adds_sensors(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    account: Account,
    init_integration: MockConfigEntry,
) -> None:
    """A device added to the account later gets its sensors on the next refresh."""
    cloud.add_device(account, "fenix", name="Cottage", device_id="fenix-new-0005")
    await async_refresh(hass, init_integration)
    assert _number(hass, "sensor.cottage_temperature") > 0
    assert _number(hass, "sensor.cottage_sessions") > 0
