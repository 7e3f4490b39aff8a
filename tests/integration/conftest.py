"""Fixtures: a real Home Assistant against a real harvia_simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any
from unittest.mock import patch

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.const import CONF_ENDPOINTS_URL, DOMAIN
from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

EMAIL = "owner@example.com"
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/harvia."""


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
def cloud() -> HarviaCloud:
    """A simulated Harvia cloud; unacknowledged commands fail fast."""
    return HarviaCloud(ack_timeout=0.05)


@pytest.fixture
def account(cloud: HarviaCloud) -> Account:
    """The MyHarvia account Home Assistant signs in with."""
    return cloud.add_account(EMAIL, PASSWORD, licensed=True)


@pytest.fixture
def devices(cloud: HarviaCloud, account: Account) -> dict[str, SimDevice]:
    """One device of each kind (override in a test module to change the set)."""
    return {
        "fenix": cloud.add_device(
            account, "fenix", name="Home Sauna", device_id="fenix-dry-0001"
        ),
        "combi": cloud.add_device(
            account, "fenix_combi", name="Steam Room", device_id="fenix-combi-0002"
        ),
        "generic": cloud.add_device(
            account, "generic", name="Spa", device_id="generic-0003"
        ),
        "sensor": cloud.add_device(
            account, "sauna_sensor", name="Sensor", device_id="sensor-0004"
        ),
    }


@pytest.fixture
async def simulator(
    cloud: HarviaCloud, socket_enabled: None
) -> AsyncIterator[SimulatorServer]:
    """The simulator serving on 127.0.0.1 (the test plugin allows no other host)."""
    server = SimulatorServer(cloud, host="127.0.0.1", port=0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def config_entry_data(simulator: SimulatorServer) -> dict[str, Any]:
    """What the config flow stores."""
    return {
        CONF_USERNAME: EMAIL,
        CONF_PASSWORD: PASSWORD,
        CONF_ENDPOINTS_URL: simulator.endpoints_url,
    }


@pytest.fixture
def config_entry(
    hass: HomeAssistant, account: Account, config_entry_data: dict[str, Any]
) -> MockConfigEntry:
    """A config entry for the simulated account."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=account.username,
        data=config_entry_data,
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    devices: dict[str, SimDevice],
) -> MockConfigEntry:
    """Set up the integration against the simulator."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry
