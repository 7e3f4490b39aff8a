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

# Cloud failure -> (error class, translation key, whether the message names it).
# The first match wins: subclasses stand before their bases.
_FAILURES: tuple[tuple[type[HarviaError], type[HomeAssistantError], str, bool], ...] = (
    (HarviaLicenseRequiredError, HomeAssistantError, "license_required", False),
    # Something the user can fix at the sauna.
    (
        HarviaRemoteStartNotAllowedError,
        ServiceValidationError,
        "remote_start_not_allowed",
        False,
    ),
    (HarviaDeviceUnavailableError, HomeAssistantError, "device_unavailable", False),
    (HarviaCommandNotSupportedError, HomeAssistantError, "not_supported", False),
    (HarviaBadRequestError, HomeAssistantError, "bad_request", True),
    (HarviaCommandNotSentError, HomeAssistantError, "command_not_sent", False),
    (HarviaForbiddenError, HomeAssistantError, "forbidden", False),
    (HarviaAuthenticationError, HomeAssistantError, "auth_failed", False),
    (HarviaConnectionError, HomeAssistantError, "cannot_connect", True),
    (HarviaError, HomeAssistantError, "unexpected_error", True),
)


@asynccontextmanager
async def cloud_action(entry: HarviaConfigEntry) -> AsyncIterator[None]:
    """Run one write to the cloud; map its failure to a translated error.

    Nothing here retries: a heater command reaches the sauna once or not at all.
    """
    hass = entry.runtime_data.coordinator.hass
    try:
        yield
    except HarviaError as err:
        if isinstance(err, HarviaLicenseRequiredError):
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
        elif isinstance(err, HarviaAuthenticationError):
            entry.async_start_reauth(hass)
        error, key, with_detail = next(
            (error, key, detail)
            for failure, error, key, detail in _FAILURES
            if isinstance(err, failure)
        )
        raise error(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"error": str(err)} if with_detail else None,
        ) from err
    else:
        # A write went through: the licence is there (again).
        ir.async_delete_issue(hass, DOMAIN, LICENSE_ISSUE_ID)
