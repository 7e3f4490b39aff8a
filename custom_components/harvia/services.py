"""Actions of the Harvia integration, registered once for all entries."""

from __future__ import annotations

from homeassistant.components.climate.const import DOMAIN as CLIMATE_DOMAIN
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.typing import VolDictType
import voluptuous as vol

from .const import DOMAIN
from .session import (
    ATTR_DURATION,
    ATTR_HUMIDITY,
    ATTR_PROFILE,
    ATTR_TEMPERATURE,
    SERVICE_START_SESSION,
)

# Types only: ranges depend on the panel and are checked by the entity, with a
# message that names the panel's limits.
START_SESSION_SCHEMA: VolDictType = {
    vol.Optional(ATTR_TEMPERATURE): vol.Coerce(float),
    vol.Optional(ATTR_HUMIDITY): vol.Coerce(float),
    vol.Optional(ATTR_DURATION): vol.Coerce(int),
    vol.Optional(ATTR_PROFILE): cv.string,
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_START_SESSION,
        entity_domain=CLIMATE_DOMAIN,
        schema=START_SESSION_SCHEMA,
        func="async_start_session",
    )
