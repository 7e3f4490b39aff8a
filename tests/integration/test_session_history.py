"""Session history sensors and events, driving real sessions in the simulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.energy import CONF_HEATER_POWER, CONF_RATINGS
from harvia_simulator import HarviaCloud, SimDevice

from .conftest import async_pass_time, async_refresh, async_settle_push

EVENT = "event.home_sauna_session"
START = "sensor.home_sauna_last_session_start"
DURATION = "sensor.home_sauna_last_session_duration"
HIGHEST = "sensor.home_sauna_last_session_highest_temperature"
ENERGY = "sensor.home_sauna_last_session_estimated_energy"
TODAY = "sensor.home_sauna_sessions_today"
HISTORY = (START, DURATION, HIGHEST, TODAY)

# Noon in the tests' time zone (Los Angeles): an hour's session ends on the day it
# began whenever the suite runs (a session counts on the day it started).
pytestmark = pytest.mark.freeze_time("2026-12-02 20:00:00+00:00")


@pytest.fixture
def platforms() -> list[Platform]:
    """Sensors and events."""
    return [Platform.EVENT, Platform.SENSOR]


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


class _Events:
    """The session events of one entity, in order."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.last: str | None = None

        @callback
        def _changed(event: Event[Any]) -> None:
            if event.data["entity_id"] != entity_id:
                return
            new = event.data["new_state"]
            # A new event is a new state (its time); the last one restored
            # when the entity is added again is none.
            if new is None or new.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
                return
            if new.state == self.last:
                return
            self.last = new.state
            attributes = dict(new.attributes)
            self.seen.append((attributes.pop("event_type"), attributes))

        hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)

    @property
    def types(self) -> list[str]:
        return [event_type for event_type, _ in self.seen]


async def _session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cloud: HarviaCloud,
    entry: MockConfigEntry,
    device: SimDevice,
    minutes: int,
) -> datetime:
    """A session started and stopped at the panel; returns its start."""
    device.panel.power(True)
    await async_settle_push(hass, entry)
    started = dt_util.utcnow()
    await async_pass_time(hass, freezer, cloud, entry, timedelta(minutes=minutes))
    device.panel.power(False)
    await async_settle_push(hass, entry)
    return started


async def test_before_any_session(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Nothing known yet; no session today; no energy figure without a rating."""
    for entity_id in (START, DURATION, HIGHEST, EVENT):
        assert _state(hass, entity_id) == STATE_UNKNOWN
    assert _state(hass, TODAY) == "0"
    assert hass.states.get(ENERGY) is None
    # One per heater cabin: none for the SaunaSensor.
    assert hass.states.get("event.sensor_session") is None
    assert hass.states.get("event.spa_2_session") is not None


async def test_a_session_seen_live(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """Started, target reached, ended: events and figures of a real session."""
    events = _Events(hass, EVENT)
    started = await _session(
        hass, freezer, cloud, init_integration, devices["fenix"], 55
    )
    assert events.types == ["session_started", "target_reached", "session_ended"]
    assert events.seen[0][1]["target_temperature"] == 80
    reached = events.seen[1][1]
    assert 79 <= reached["temperature"] < 80
    ended = events.seen[2][1]
    assert ended["duration"] == 55
    assert 79 <= ended["highest_temperature"] <= 80
    assert ended["energy"] is None

    assert dt_util.parse_datetime(_state(hass, START)) == started.replace(microsecond=0)
    assert _state(hass, DURATION) == "55"
    assert float(_state(hass, HIGHEST)) == ended["highest_temperature"]
    assert _state(hass, TODAY) == "1"
    # Other cabins saw nothing.
    assert _state(hass, "sensor.steam_room_sessions_today") == "0"

    await _session(hass, freezer, cloud, init_integration, devices["fenix"], 5)
    assert _state(hass, TODAY) == "2"
    assert _state(hass, DURATION) == "5"


@pytest.fixture
def rated(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The dry heater rated 9 kW."""
    hass.config_entries.async_update_entry(
        config_entry,
        options={CONF_RATINGS: {"fenix-dry-0001": {CONF_HEATER_POWER: 9.0}}},
    )
    return config_entry


@pytest.mark.usefixtures("rated")
async def test_session_energy(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A rated heater's session has its estimated energy."""
    events = _Events(hass, EVENT)
    assert _state(hass, ENERGY) == STATE_UNKNOWN
    await _session(hass, freezer, cloud, init_integration, devices["fenix"], 20)
    assert float(_state(hass, ENERGY)) == pytest.approx(3.0)
    assert events.seen[-1][1]["energy"] == pytest.approx(3.0)


async def test_history_survives_a_restart(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Reloaded (as at a restart), the figures come back from storage."""
    await _session(hass, freezer, cloud, init_integration, devices["fenix"], 12)
    before = {entity_id: _state(hass, entity_id) for entity_id in HISTORY}
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert f"harvia.{init_integration.entry_id}.sessions" in hass_storage
    assert {entity_id: _state(hass, entity_id) for entity_id in HISTORY} == before


async def test_restart_during_a_session(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """A session running across a reload is one session, announced once."""
    events = _Events(hass, EVENT)
    device = devices["fenix"]
    device.panel.power(True)
    await async_settle_push(hass, init_integration)
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=10))
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await async_settle_push(hass, init_integration)
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=10))
    device.panel.power(False)
    await async_settle_push(hass, init_integration)
    assert events.types == ["session_started", "session_ended"]
    assert events.seen[-1][1]["duration"] == 20
    assert _state(hass, TODAY) == "1"


async def test_stored_history_is_read(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
    hass_storage: dict[str, Any],
) -> None:
    """What an earlier run stored shows at start; an unreadable part is dropped."""
    today = dt_util.now().date()
    hass_storage[f"harvia.{config_entry.entry_id}.sessions"] = {
        "version": 1,
        "key": f"harvia.{config_entry.entry_id}.sessions",
        "data": {
            "cabins": {
                "fenix-dry-0001": {
                    "C1": {
                        "last": {
                            "started_at": "2026-11-30T18:00:00+00:00",
                            "ended_at": "2026-11-30T19:30:00+00:00",
                            "highest_temperature": 84.5,
                            "energy": None,
                        },
                        "open": None,
                        "day": today.isoformat(),
                        "count": 3,
                    }
                },
                "fenix-combi-0002": "garbage",
            }
        },
    }
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _state(hass, DURATION) == "90"
    assert _state(hass, HIGHEST) == "84.5"
    assert _state(hass, START) == "2026-11-30T18:00:00+00:00"
    assert _state(hass, TODAY) == "3"
    assert _state(hass, "sensor.steam_room_sessions_today") == "0"
    # A write keeps what belongs to cabins not followed right now.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    stored = hass_storage[f"harvia.{config_entry.entry_id}.sessions"]["data"]
    assert stored["cabins"]["fenix-dry-0001"]["C1"]["count"] == 3


async def test_unreadable_store(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
    hass_storage: dict[str, Any],
) -> None:
    """A store of the wrong shape is ignored."""
    hass_storage[f"harvia.{config_entry.entry_id}.sessions"] = {
        "version": 1,
        "key": f"harvia.{config_entry.entry_id}.sessions",
        "data": ["not", "a", "mapping"],
    }
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _state(hass, TODAY) == "0"


async def test_removed_entry_forgets_history(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Deleting the integration deletes its stored history."""
    await _session(hass, freezer, cloud, init_integration, devices["fenix"], 3)
    key = f"harvia.{init_integration.entry_id}.sessions"
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert key in hass_storage
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


# 23:50 in Los Angeles (the tests' time zone): midnight is ten minutes away.
@pytest.mark.freeze_time("2026-12-02 07:50:00+00:00")
async def test_sessions_today_resets_at_midnight(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The day's count goes back to 0 at local midnight; the last session stays."""
    await hass.config.async_set_time_zone("America/Los_Angeles")
    await _session(hass, freezer, cloud, init_integration, devices["fenix"], 5)
    assert _state(hass, TODAY) == "1"
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=4))
    assert _state(hass, TODAY) == "1"
    await async_pass_time(hass, freezer, cloud, init_integration, timedelta(minutes=2))
    assert dt_util.now().hour == 0
    assert _state(hass, TODAY) == "0"
    assert _state(hass, DURATION) == "5"


async def test_offline_sauna_keeps_history(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    devices: dict[str, SimDevice],
    init_integration: MockConfigEntry,
) -> None:
    """The history is Home Assistant's own: it stays while the sauna is offline."""
    await _session(hass, freezer, cloud, init_integration, devices["fenix"], 3)
    devices["fenix"].set_connected(False)
    await async_refresh(hass, init_integration)
    assert _state(hass, "sensor.home_sauna_temperature") == "unavailable"
    assert _state(hass, DURATION) == "3"
    assert _state(hass, EVENT) != "unavailable"
