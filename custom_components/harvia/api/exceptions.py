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
    """Base class of every error raised by the Harvia client.

    The message (``str(err)``) carries only safe facts: the HTTP status, the
    cloud's error code (``error``/``errorType``) and the client's own wording.
    Never the cloud's free-text message, which may echo input such as an
    e-mail address or an id. ``status`` is the HTTP status when there was one.
    """

    def __init__(self, *args: object, status: int | None = None) -> None:
        """Store the message and, when known, the HTTP status."""
        super().__init__(*args)
        self.status = status


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
    renewed; the caller may send the command again. (A 403 on starting the
    sauna that is not about the token, after a renewal that worked, is
    raised as :class:`HarviaRemoteStartNotAllowedError` instead.)
    """


class HarviaLicenseRequiredError(HarviaError):
    """The account lacks the paid MyHarvia licence needed for writes (HTTP 402)."""


class HarviaDeviceUnavailableError(HarviaError):
    """The device did not acknowledge the request (HTTP 504, device unavailable)."""


class HarviaCommandTimeoutError(HarviaDeviceUnavailableError):
    """A command got no answer within the command timeout.

    The cloud holds a command until the device acknowledges it, so the
    command may have reached the device and been carried out (the sauna may
    be heating) although no answer arrived: **its outcome is unknown**. It is
    never re-sent automatically; read the device state before sending it
    again.
    """


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
