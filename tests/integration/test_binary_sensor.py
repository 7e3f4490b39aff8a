"""Binary sensors: heating, steam, remote start, cloud connection."""

from __future__ import annotations

from homeassistant.components.binary_sensor import DOMAIN as BINARY_SENSOR_DOMAIN
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
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

HEATING = "binary_sensor.home_sauna_heating"
REMOTE = "binary_sensor.home_sauna_remote_start_allowed"
CONNECTION = "binary_sensor.home_sauna_cloud_connection"
COMBI_STEAM = "binary_sensor.steam_room_steam"
SENSOR_CONNECTION = "binary_sensor.sensor_cloud_connection"


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the binary sensor platform alone."""
    return [Platform.BINARY_SENSOR]


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """All binary sensors and their registry entries."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_which_binary_sensors_exist(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Steam only on the Fenix combi (its steamer has no switch); the sensor
    shows only its connection."""
    keys = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if entry.domain == BINARY_SENSOR_DOMAIN
    }
    heater = ("remote_start_allowed", "cloud_connection", "heating")
    assert keys == {
        *(f"fenix-dry-0001_C1_{key}" for key in heater),
        *(f"fenix-combi-0002_C1_{key}" for key in (*heater, "steam")),
        *(f"generic-0003_C1_{key}" for key in heater),
        *(f"generic-0003_C2_{key}" for key in heater),
        "sensor-0004_classic_cloud_connection",
    }


async def test_heating(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """On while a session runs; a scheduled wait is not heating."""
    fenix = devices["fenix"]
    assert _state(hass, HEATING) == STATE_OFF

    fenix.panel.schedule(start_in_minutes=30)
    await async_refresh(hass, init_integration)
    assert _state(hass, HEATING) == STATE_OFF

    cloud.advance(31 * 60)
    await async_refresh(hass, init_integration)
    assert _state(hass, HEATING) == STATE_ON

    fenix.panel.power(False)
    await async_refresh(hass, init_integration)
    assert _state(hass, HEATING) == STATE_OFF


async def test_remote_start_allowed(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Follows the door and the remote-start arming at the panel."""
    panel = devices["fenix"].panel
    assert _state(hass, REMOTE) == STATE_ON
    panel.open_door()
    await async_refresh(hass, init_integration)
    assert _state(hass, REMOTE) == STATE_OFF
    panel.close_door()
    await async_refresh(hass, init_integration)
    assert _state(hass, REMOTE) == STATE_ON
    panel.arm_remote_start(False)
    await async_refresh(hass, init_integration)
    assert _state(hass, REMOTE) == STATE_OFF


async def test_steam(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A combi's steamer runs with a steam profile's session."""
    combi = devices["combi"]
    assert _state(hass, COMBI_STEAM) == STATE_OFF
    combi.panel.select_profile(1)  # "Relax": steamer on
    combi.panel.power(True)
    cloud.advance(60)
    await async_refresh(hass, init_integration)
    assert _state(hass, COMBI_STEAM) == STATE_ON
    combi.panel.power(False)
    await async_refresh(hass, init_integration)
    assert _state(hass, COMBI_STEAM) == STATE_OFF


async def test_cloud_connection_while_offline(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """Offline: the connection shows off (not unavailable), the rest unavailable."""
    assert _state(hass, CONNECTION) == STATE_ON
    cloud.faults.offline("fenix-dry-0001")
    await async_refresh(hass, init_integration)
    assert _state(hass, CONNECTION) == STATE_OFF
    assert _state(hass, HEATING) == STATE_UNAVAILABLE
    assert _state(hass, REMOTE) == STATE_UNAVAILABLE
    # Other devices are not affected.
    assert _state(hass, SENSOR_CONNECTION) == STATE_ON

    cloud.faults.offline("fenix-dry-0001", offline=False)
    await async_refresh(hass, init_integration)
    assert _state(hass, CONNECTION) == STATE_ON
    assert _state(hass, HEATING) == STATE_OFF


async def test_cloud_unreachable(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """When the cloud itself fails (poll and push), all unavailable."""
    cloud.faults.set_route("*", status=503)
    cloud.faults.drop_sockets()
    await async_refresh(hass, init_integration)
    assert _state(hass, CONNECTION) == STATE_UNAVAILABLE
    assert _state(hass, HEATING) == STATE_UNAVAILABLE
    cloud.faults.clear()
    await async_refresh(hass, init_integration)
    assert _state(hass, CONNECTION) == STATE_ON


async def test_malformed_values_unknown(
    hass: HomeAssistant,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Missing or malformed fields show as unknown; nothing raises."""
    fenix = devices["fenix"]
    reported = fenix.shadows["C1"].reported
    reported["remoteAllowed"] = "perhaps"
    reported["saunaStatus"] = "busy"
    reported["heater"] = None
    fenix.latest_telemetry["C1"].data.pop("heatOn")
    combi = devices["combi"]
    combi.shadows["C1"].reported["steamer"] = {"on": "lots"}
    combi.latest_telemetry["C1"].data["steamOn"] = None
    await async_full_refresh(hass, init_integration)
    assert _state(hass, REMOTE) == STATE_UNKNOWN
    assert _state(hass, HEATING) == STATE_UNKNOWN
    assert _state(hass, COMBI_STEAM) == STATE_UNKNOWN


async def test_new_device_adds_binary_sensors(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    account: Account,
    init_integration: MockConfigEntry,
) -> None:
    """A combi added to the account later gets its sensors on the next refresh."""
    cloud.add_device(account, "fenix_combi", name="Cellar", device_id="fenix-new-0006")
    await async_refresh(hass, init_integration)
    assert _state(hass, "binary_sensor.cellar_heating") == STATE_OFF
    assert _state(hass, "binary_sensor.cellar_steam") == STATE_OFF
    assert _state(hass, "binary_sensor.cellar_cloud_connection") == STATE_ON
