"""Exceptions raised by the Harvia cloud client.

Every error the client raises is a :class:`HarviaError`. The hierarchy tells a
caller what it can do about a failure:

* :class:`HarviaConnectionError` (and :class:`HarviaTimeoutError`): transient,
  try again later. Never a reason to ask the user for credentials.
* :class:`HarviaAuthenticationError` (and :class:`HarviaNoPasswordError`): the
  cloud definitely rejected the credentials; the user must act.
* Everything else: the cloud understood the request and refused it.
"""

from __future__ import annotations


class HarviaError(Exception):
    """Base class of every error raised by the Harvia client."""


class HarviaConnectionError(HarviaError):
    """The cloud could not be reached or answered unusably.

    Network failures, HTTP 5xx (except a device's 504), throttling and bodies
    that are not JSON. Transient: retry later.
    """


class HarviaTimeoutError(HarviaConnectionError):
    """A request to the cloud timed out."""


class HarviaAuthenticationError(HarviaError):
    """The cloud definitely rejected the credentials: re-authentication needed."""


class HarviaNoPasswordError(HarviaAuthenticationError):
    """The account has no password (Apple/Google sign-in only).

    The user must set a password in the MyHarvia app before this client can
    log in.
    """


class HarviaForbiddenError(HarviaError):
    """A call was refused although the credentials are valid.

    Raised when a call is still answered 401/403 (or GraphQL
    ``Unauthorized``) right after the token was refreshed or a fresh login
    succeeded: the account may not do this (e.g. list firmware updates). Not
    a reason to re-authenticate.
    """


class HarviaCommandNotSentError(HarviaError):
    """A command was rejected before it reached the device and was not re-sent.

    The token was refused (401/403) for a command that is never re-sent
    automatically (starting the sauna or the heater). The token has been
    renewed; the caller may send the command again.
    """


class HarviaLicenseRequiredError(HarviaError):
    """The account lacks the paid MyHarvia licence needed for writes (HTTP 402)."""


class HarviaDeviceUnavailableError(HarviaError):
    """The device did not acknowledge the request (HTTP 504, device unavailable)."""


class HarviaBadRequestError(HarviaError):
    """The cloud rejected the request as invalid (HTTP 400 and other 4xx)."""


class HarviaCommandNotSupportedError(HarviaBadRequestError):
    """The command is not supported for this device type."""


class HarviaRemoteStartNotAllowedError(HarviaError):
    """The device refused a remote start (door open or remote start not armed)."""


class HarviaNotFoundError(HarviaError):
    """The device, cabin or resource does not exist (HTTP 404)."""


class HarviaParseError(HarviaError):
    """A payload from the cloud is malformed and cannot be used."""
