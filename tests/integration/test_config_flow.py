"""Config flow: every step and error, against the simulator."""

from __future__ import annotations

import base64
import json
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harvia.api import DEFAULT_ENDPOINTS_URL
from custom_components.harvia.config_flow import SECTION_ADVANCED
from custom_components.harvia.const import CONF_ENDPOINTS_URL, DOMAIN
from harvia_simulator import Account, HarviaCloud, SimulatorServer

from .conftest import EMAIL, PASSWORD

pytestmark = pytest.mark.usefixtures("devices")


async def _start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


def _advanced(url: str) -> dict[str, Any]:
    """The form's collapsed section holding the endpoints URL."""
    return {SECTION_ADVANCED: {CONF_ENDPOINTS_URL: url}}


def _url_section(result: dict[str, Any]) -> tuple[section, Any]:
    """The advanced section of a form and its endpoints URL field."""
    schema = result["data_schema"].schema
    assert CONF_ENDPOINTS_URL not in schema
    advanced = schema[SECTION_ADVANCED]
    assert isinstance(advanced, section)
    (field,) = advanced.schema.schema
    assert field == CONF_ENDPOINTS_URL
    return advanced, field


async def test_user_flow_creates_entry(
    hass: HomeAssistant, simulator: SimulatorServer, account: Account
) -> None:
    """A real login creates the entry with the account's id as unique id."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: f"  {EMAIL} ",
            CONF_PASSWORD: PASSWORD,
            **_advanced(simulator.endpoints_url),
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == EMAIL
    assert result["data"] == {
        CONF_USERNAME: EMAIL,
        CONF_PASSWORD: PASSWORD,
        CONF_ENDPOINTS_URL: simulator.endpoints_url,
    }
    assert result["result"].unique_id == account.username


async def test_user_form_keeps_the_url_in_a_collapsed_section(
    hass: HomeAssistant,
) -> None:
    """The endpoints URL waits in a collapsed section, set to the real cloud."""
    advanced, field = _url_section(await _start(hass))
    assert advanced.options == {"collapsed": True}
    assert field.default() == DEFAULT_ENDPOINTS_URL


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda cloud, data: data.update({CONF_PASSWORD: "wrong"}), "invalid_auth"),
        (
            lambda cloud, data: cloud.add_account("apple@example.com", None)
            and data.update({CONF_USERNAME: "apple@example.com"}),
            "no_password",
        ),
        (
            lambda cloud, data: cloud.faults.set_route("POST /auth/token", status=503),
            "cannot_connect",
        ),
        (
            lambda cloud, data: data.update(
                _advanced(data[SECTION_ADVANCED][CONF_ENDPOINTS_URL] + "-missing")
            ),
            "cannot_connect",
        ),
        (
            lambda cloud, data: cloud.faults.set_route("POST /auth/token", status=400),
            "unknown",
        ),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    simulator: SimulatorServer,
    mutate: Any,
    error: str,
) -> None:
    """Each failure shows its error; the form then works with good input."""
    good = {
        CONF_USERNAME: EMAIL,
        CONF_PASSWORD: PASSWORD,
        **_advanced(simulator.endpoints_url),
    }
    data = dict(good)
    mutate(cloud, data)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    cloud.faults.clear()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], good)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_account_twice_aborts(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: SimulatorServer
) -> None:
    """The account is the unique id: adding it again aborts."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: EMAIL,
            CONF_PASSWORD: PASSWORD,
            **_advanced(simulator.endpoints_url),
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, cloud: HarviaCloud, config_entry: MockConfigEntry
) -> None:
    """Re-authentication takes a new password for the same account."""
    cloud.account(EMAIL).password = "new-password-1"
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password-1"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_PASSWORD] == "new-password-1"


async def test_reauth_other_account_aborts(
    hass: HomeAssistant, cloud: HarviaCloud, config_entry: MockConfigEntry
) -> None:
    """Credentials of another account do not replace this one's."""
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_USERNAME: "other@example.com"}
    )
    cloud.add_account("other@example.com", "other-password")
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "other-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_reconfigure(
    hass: HomeAssistant,
    cloud: HarviaCloud,
    config_entry: MockConfigEntry,
    simulator: SimulatorServer,
) -> None:
    """Reconfigure changes the sign-in of the same account."""
    cloud.account(EMAIL).password = "rotated-password"
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    _, field = _url_section(result)
    assert field.default() == config_entry.data[CONF_ENDPOINTS_URL]
    data = {
        CONF_USERNAME: EMAIL,
        CONF_PASSWORD: "bad",
        **_advanced(simulator.endpoints_url),
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["errors"] == {"base": "invalid_auth"}
    data[CONF_PASSWORD] = "rotated-password"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_PASSWORD] == "rotated-password"


async def test_reconfigure_other_account_aborts(
    hass: HomeAssistant, cloud: HarviaCloud, config_entry: MockConfigEntry
) -> None:
    """Reconfigure cannot move the entry to another account."""
    cloud.add_account("other@example.com", "other-password")
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: "other@example.com",
            CONF_PASSWORD: "other-password",
            **_advanced(config_entry.data[CONF_ENDPOINTS_URL]),
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


def test_default_endpoints_url() -> None:
    """The real cloud's endpoints document is the default."""
    assert DEFAULT_ENDPOINTS_URL == "https://prod.api.harvia.io/endpoints"


async def test_token_without_account_id(
    hass: HomeAssistant, cloud: HarviaCloud, simulator: SimulatorServer
) -> None:
    """A login whose token names no account cannot make an entry."""

    def _part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    token = ".".join(
        (_part({"alg": "none"}), _part({"exp": 4_000_000_000}), "signature")
    )
    cloud.faults.set_route(
        "POST /auth/token",
        status=200,
        body={
            "idToken": token,
            "accessToken": token,
            "refreshToken": "r",
            "expiresIn": 3600,
        },
    )
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: EMAIL,
            CONF_PASSWORD: PASSWORD,
            **_advanced(simulator.endpoints_url),
        },
    )
    assert result["errors"] == {"base": "unknown"}
