"""Setup, unload, retry and authentication failures."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.compat import async_get_device
from custom_components.harvia.const import DOMAIN, PUSH_SAFETY_INTERVAL, SCAN_INTERVAL
from harvia_simulator import HarviaCloud, SimDevice
from harvia_simulator.tokens import TokenError

from .conftest import EMAIL, async_pass_time, async_poll, async_settle_push


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads, creates entities and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.async_entity_ids("climate")
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


@pytest.mark.usefixtures("devices")
async def test_firmware_catalogue_unreachable(
    hass: HomeAssistant, cloud: HarviaCloud, config_entry: MockConfigEntry
) -> None:
    """A firmware catalogue the cloud cannot send now does not hold up setup."""
    cloud.faults.set_route("graphql:device:otaUpdatesList", status=503)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.async_entity_ids("climate")
    assert config_entry.runtime_data.firmware.data == {}


@pytest.mark.usefixtures("devices")
async def test_cloud_unreachable_retries(
    hass: HomeAssistant, cloud: HarviaCloud, config_entry: MockConfigEntry
) -> None:
    """An unreachable cloud at start-up means: try again later."""
    cloud.faults.set_route("POST /auth/token", status=503)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.usefixtures("devices")
async def test_first_refresh_failure_retries(
    hass: HomeAssistant, cloud: HarviaCloud, config_entry: MockConfigEntry
) -> None:
    """A failing device list at start-up means: try again later."""
    cloud.faults.set_route("GET /devices", status=500)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.usefixtures("devices")
async def test_rejected_credentials_start_reauth(
    hass: HomeAssistant, cloud: HarviaCloud, config_entry: MockConfigEntry
) -> None:
    """A definite credential rejection asks the user to sign in again."""
    cloud.account(EMAIL).password = "changed-elsewhere"
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_password_changed_while_running_starts_reauth(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Tokens revoked and the password changed: re-authentication, not a crash."""
    cloud.account(EMAIL).password = "changed-elsewhere"
    cloud.faults.revoke_tokens()
    await async_poll(hass, freezer, SCAN_INTERVAL)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_available_while_either_path_delivers(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    cloud: HarviaCloud,
    init_integration: MockConfigEntry,
) -> None:
    """Entities stay available while poll or push delivers; not when both fail."""
    entity_id = hass.states.async_entity_ids("climate")[0]
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.push_connected
    cloud.faults.set_route("GET /devices", status=500)
    await async_pass_time(hass, freezer, cloud, init_integration, PUSH_SAFETY_INTERVAL)
    assert coordinator.push_connected
    assert not coordinator.last_update_success
    assert hass.states.get(entity_id).state != STATE_UNAVAILABLE

    # Push lost too (and it cannot reconnect): unavailable.
    cloud.faults.set_route("realtime:device:connect", status=503)
    cloud.faults.set_route("realtime:data:connect", status=503)
    cloud.faults.drop_sockets()
    await async_settle_push(hass, init_integration)
    assert not coordinator.push_connected
    await async_poll(hass, freezer, SCAN_INTERVAL)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE

    # The poll is back at its normal pace and restores the entities.
    cloud.faults.clear_route("GET /devices")
    await async_poll(hass, freezer, SCAN_INTERVAL)
    assert hass.states.get(entity_id).state != STATE_UNAVAILABLE


async def test_device_registry(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    devices: dict[str, SimDevice],
    device_registry: dr.DeviceRegistry,
) -> None:
    """One device per controller; cabins of a multi-cabin controller via it.

    Models read as a person knows them: no "Fenix (Fenix)" or "sauna (Generic)".
    """
    fenix = async_get_device(
        device_registry, init_integration.entry_id, (DOMAIN, "fenix-dry-0001")
    )
    assert fenix is not None
    assert fenix.manufacturer == "Harvia"
    assert fenix.name == "Home Sauna"
    assert (fenix.model, fenix.model_id) == ("Fenix", None)
    assert fenix.serial_number
    assert fenix.sw_version

    models = {
        device_id: (device.model, device.model_id)
        for device_id in ("fenix-combi-0002", "sensor-0004")
        if (
            device := async_get_device(
                device_registry, init_integration.entry_id, (DOMAIN, device_id)
            )
        )
    }
    assert models == {
        "fenix-combi-0002": ("Fenix combi", None),
        "sensor-0004": ("SaunaSensor", "SAM001W"),
    }

    generic = async_get_device(
        device_registry, init_integration.entry_id, (DOMAIN, "generic-0003")
    )
    assert generic is not None
    assert (generic.model, generic.model_id) == ("Sauna controller", None)
    assert generic.name == "Spa controller"
    for number, cabin in enumerate(("C1", "C2"), start=1):
        cabin_device = async_get_device(
            device_registry,
            init_integration.entry_id,
            (DOMAIN, f"generic-0003_{cabin}"),
        )
        assert cabin_device is not None
        assert cabin_device.via_device_id == generic.id
        assert cabin_device.model == f"Cabin {number} of Sauna controller"


async def test_removal_revokes_the_session(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """Deleting the entry revokes the refresh token Home Assistant held."""
    auth = init_integration.runtime_data.coordinator.client._auth
    assert auth is not None
    id_token = auth._id_token
    assert id_token is not None
    cloud.tokens.verify_id_token(id_token)
    # A reload does not sign out.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert cloud.request_counts["POST /auth/revoke"] == 0
    auth = init_integration.runtime_data.coordinator.client._auth
    assert auth is not None
    id_token = auth._id_token
    assert id_token is not None

    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert cloud.request_counts["POST /auth/revoke"] == 1
    with pytest.raises(TokenError, match="revoked"):
        cloud.tokens.verify_id_token(id_token)


async def test_removal_when_revoke_fails(
    hass: HomeAssistant, cloud: HarviaCloud, init_integration: MockConfigEntry
) -> None:
    """A cloud that cannot revoke now does not hold up the removal."""
    cloud.faults.set_route("POST /auth/revoke", status=503)
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert cloud.request_counts["POST /auth/revoke"] == 1
    assert hass.config_entries.async_get_entry(init_integration.entry_id) is None


async def test_removal_of_an_entry_never_loaded(
    hass: HomeAssistant, cloud: HarviaCloud, config_entry: MockConfigEntry
) -> None:
    """Nothing was signed in: nothing to revoke."""
    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert cloud.request_counts["POST /auth/revoke"] == 0
