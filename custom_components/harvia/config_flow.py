"""Config flow for the Harvia Sauna integration."""

from __future__ import annotations

from collections.abc import Mapping
import sys
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

if TYPE_CHECKING and sys.version_info >= (3, 14):
    # 2026.11 types its forms with probatio; at runtime `voluptuous` is its alias.
    import probatio as vol
else:
    import voluptuous as vol

from .api import (
    DEFAULT_ENDPOINTS_URL,
    HarviaAuthenticationError,
    HarviaClient,
    HarviaConnectionError,
    HarviaError,
    HarviaNoPasswordError,
    HarviaNotFoundError,
)
from .const import CONF_ENDPOINTS_URL, DOMAIN, LOGGER
from .options_flow import HarviaOptionsFlow

_EMAIL = TextSelector(
    TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
)
_PASSWORD = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
# The endpoints URL is for testing against another cloud: it sits in a section
# that starts collapsed (advanced mode, which used to hide it, is going away).
SECTION_ADVANCED = "advanced"


def _endpoints_url(user_input: Mapping[str, Any], default: str) -> str:
    """The endpoints URL from the form's advanced section, else `default`."""
    advanced: Mapping[str, Any] = user_input.get(SECTION_ADVANCED) or {}
    return str(advanced.get(CONF_ENDPOINTS_URL) or default)


class HarviaConfigFlow(ConfigFlow, domain=DOMAIN):
    """Log in to the Harvia cloud (MyHarvia account)."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> HarviaOptionsFlow:
        """The rated powers for the energy estimate."""
        return HarviaOptionsFlow()

    async def _async_login(
        self, username: str, password: str, endpoints_url: str
    ) -> tuple[str | None, dict[str, str]]:
        """Log in for real; return the account's user id or the form errors."""
        client = HarviaClient(
            async_get_clientsession(self.hass),
            username,
            password,
            endpoints_url=endpoints_url,
        )
        try:
            await client.login()
        except HarviaNoPasswordError:
            return None, {"base": "no_password"}
        except HarviaAuthenticationError:
            return None, {"base": "invalid_auth"}
        except (HarviaConnectionError, HarviaNotFoundError):
            # A wrong endpoints URL is as unreachable as a cloud that is down.
            return None, {"base": "cannot_connect"}
        except HarviaError:
            LOGGER.exception("Unexpected error from the Harvia cloud")
            return None, {"base": "unknown"}
        if client.user_id is None:
            # Signed in, but the token names no account: nothing to tie the entry to.
            return None, {"base": "unknown"}
        return client.user_id, {}

    def _schema(self, defaults: Mapping[str, Any]) -> vol.Schema:
        """E-mail and password, and the endpoints URL in a collapsed section."""
        advanced = vol.Schema(
            {
                vol.Required(
                    CONF_ENDPOINTS_URL,
                    default=defaults.get(CONF_ENDPOINTS_URL, DEFAULT_ENDPOINTS_URL),
                ): _URL
            }
        )
        return vol.Schema(
            {
                vol.Required(
                    CONF_USERNAME, default=defaults.get(CONF_USERNAME, "")
                ): _EMAIL,
                vol.Required(CONF_PASSWORD): _PASSWORD,
                vol.Required(SECTION_ADVANCED): section(advanced, {"collapsed": True}),
            }
        )

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the MyHarvia e-mail and password."""
        errors: dict[str, str] = {}
        if user_input is not None:
            username = user_input[CONF_USERNAME].strip()
            endpoints_url = _endpoints_url(user_input, DEFAULT_ENDPOINTS_URL)
            user_id, errors = await self._async_login(
                username, user_input[CONF_PASSWORD], endpoints_url
            )
            if user_id is not None:
                await self.async_set_unique_id(user_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=username,
                    data={
                        CONF_USERNAME: username,
                        CONF_PASSWORD: user_input[CONF_PASSWORD],
                        CONF_ENDPOINTS_URL: endpoints_url,
                    },
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                self._schema({}), user_input or {}
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication after the cloud rejected the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the password again; the account must stay the same."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            user_id, errors = await self._async_login(
                entry.data[CONF_USERNAME],
                user_input[CONF_PASSWORD],
                entry.data.get(CONF_ENDPOINTS_URL, DEFAULT_ENDPOINTS_URL),
            )
            if user_id is not None:
                await self.async_set_unique_id(user_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_PASSWORD: user_input[CONF_PASSWORD]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD}),
            description_placeholders={"username": entry.data[CONF_USERNAME]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the e-mail, password or endpoints URL of the same account."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            username = user_input[CONF_USERNAME].strip()
            endpoints_url = _endpoints_url(
                user_input, entry.data.get(CONF_ENDPOINTS_URL, DEFAULT_ENDPOINTS_URL)
            )
            user_id, errors = await self._async_login(
                username, user_input[CONF_PASSWORD], endpoints_url
            )
            if user_id is not None:
                await self.async_set_unique_id(user_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry,
                    title=username,
                    data_updates={
                        CONF_USERNAME: username,
                        CONF_PASSWORD: user_input[CONF_PASSWORD],
                        CONF_ENDPOINTS_URL: endpoints_url,
                    },
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                self._schema(entry.data), user_input or {}
            ),
            errors=errors,
        )
