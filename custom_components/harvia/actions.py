"""Writes to the Harvia cloud, with their failures as messages a user can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from .api import (
    HarviaAuthenticationError,
    HarviaBadRequestError,
    HarviaCommandNotSentError,
    HarviaCommandNotSupportedError,
    HarviaConnectionError,
    HarviaDeviceUnavailableError,
    HarviaError,
    HarviaForbiddenError,
    HarviaLicenseRequiredError,
    HarviaRemoteStartNotAllowedError,
)
from .const import DOMAIN

if TYPE_CHECKING:
    from .data import HarviaConfigEntry

LICENSE_ISSUE_ID = "control_license_required"


@asynccontextmanager
async def cloud_action(entry: HarviaConfigEntry) -> AsyncIterator[None]:
    """Run one write to the cloud; map its failure to a translated error.

    Nothing here retries: a heater command reaches the sauna once or not at all.
    """
    hass = entry.runtime_data.coordinator.hass
    try:
        yield
    except HarviaLicenseRequiredError as err:
        ir.async_create_issue(
            hass,
            DOMAIN,
            LICENSE_ISSUE_ID,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=LICENSE_ISSUE_ID,
            learn_more_url="https://www.harvia.com/en/myharvia/",
        )
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="license_required"
        ) from err
    except HarviaRemoteStartNotAllowedError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="remote_start_not_allowed"
        ) from err
    except HarviaDeviceUnavailableError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="device_unavailable"
        ) from err
    except HarviaCommandNotSupportedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="not_supported"
        ) from err
    except HarviaBadRequestError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="bad_request",
            translation_placeholders={"error": str(err)},
        ) from err
    except HarviaCommandNotSentError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="command_not_sent"
        ) from err
    except HarviaForbiddenError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="forbidden"
        ) from err
    except HarviaAuthenticationError as err:
        entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except HarviaConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    except HarviaError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="unexpected_error",
            translation_placeholders={"error": str(err)},
        ) from err
    else:
        # A write went through: the licence is there (again).
        ir.async_delete_issue(hass, DOMAIN, LICENSE_ISSUE_ID)
