"""Typed push events, the feeds that carry them and their parsers.

Every feed is subscribed once per device with ``receiver`` = the device id
(the only receiver real feeds deliver to). Pushes are parsed by the
same models as REST answers. A parser returns its event or raises
:class:`HarviaParseError`, and nothing else, whatever the notice holds: a bad
push costs that push, never the feed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
import functools
from typing import Any, Final

from graphql import DocumentNode

from .. import documents
from ..exceptions import HarviaParseError
from ..models import OtaState, ShadowState, Telemetry


@dataclass(frozen=True, slots=True)
class StateEvent:
    """A (partial) shadow push: merge ``reported`` into what is known.

    ``reported`` holds only the keys the device changed; it is empty for a
    push that only reports the connection state.
    """

    device_id: str
    shadow_name: str | None
    reported: dict[str, Any]
    connected: bool | None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class TelemetryEvent:
    """A telemetry push (Data service); ``telemetry.raw`` may be partial."""

    telemetry: Telemetry

    @property
    def device_id(self) -> str:
        """The device the measurements belong to."""
        return self.telemetry.device_id or ""


@dataclass(frozen=True, slots=True)
class OtaEvent:
    """A firmware update progress push."""

    ota: OtaState

    @property
    def device_id(self) -> str:
        """The device being updated."""
        return self.ota.device_id


type RealtimeEvent = StateEvent | TelemetryEvent | OtaEvent


def _only_parse_errors[E](
    parse: Callable[[Any, str], E],
) -> Callable[[Any, str], E]:
    """Turn any failure of ``parse`` into :class:`HarviaParseError`.

    The models are meant to raise only that; this guard keeps a model bug
    (an overflow, a recursion, a wrong type) from ending the push loop.
    """

    @functools.wraps(parse)
    def guarded(notice: Any, device_id: str) -> E:
        try:
            return parse(notice, device_id)
        except HarviaParseError:
            raise
        except Exception as err:
            raise HarviaParseError(
                f"notice not readable ({type(err).__name__})"
            ) from err

    return guarded


def _notice_item(notice: Any) -> Mapping[str, Any]:
    """The ``item`` of a feed notice ``{receiver, item}``."""
    if not isinstance(notice, Mapping):
        raise HarviaParseError("feed notice is not an object")
    item = notice.get("item")
    if not isinstance(item, Mapping):
        raise HarviaParseError("feed notice has no item object")
    return item


@_only_parse_errors
def parse_state_notice(notice: Any, device_id: str) -> StateEvent:
    """Parse a ``devicesStatesUpdateFeed`` notice (``device_id``: the receiver)."""
    state = ShadowState.from_dict(_notice_item(notice))
    return StateEvent(
        device_id=state.device_id or device_id,
        shadow_name=state.shadow_name,
        reported=state.reported,
        connected=state.connected,
        timestamp=state.timestamp,
    )


@_only_parse_errors
def parse_telemetry_notice(notice: Any, device_id: str) -> TelemetryEvent:
    """Parse a ``devicesMeasurementsUpdateFeed`` notice."""
    telemetry = Telemetry.from_dict(_notice_item(notice))
    if telemetry.device_id is None:
        telemetry = replace(telemetry, device_id=device_id)
    return TelemetryEvent(telemetry)


@_only_parse_errors
def parse_ota_notice(notice: Any, device_id: str) -> OtaEvent:
    """Parse an ``otaUpdatesStatesUpdateFeed`` notice."""
    item = _notice_item(notice)
    if not item.get("deviceId"):
        item = {**item, "deviceId": device_id}
    return OtaEvent(OtaState.from_dict(item))


@dataclass(frozen=True, slots=True)
class Feed:
    """One subscription field, the API that serves it and its parser."""

    field: str
    api: str
    document: DocumentNode
    parse: Callable[[Any, str], RealtimeEvent]
    # Push counts as healthy only while every required feed is subscribed.
    required: bool = True


STATE_FEED: Final = Feed(
    "devicesStatesUpdateFeed",
    "device",
    documents.DEVICES_STATES_UPDATE_FEED,
    parse_state_notice,
)
OTA_FEED: Final = Feed(
    "otaUpdatesStatesUpdateFeed",
    "device",
    documents.OTA_UPDATES_STATES_UPDATE_FEED,
    parse_ota_notice,
    # Its receiver is unsure; firmware progress is also polled, so a
    # refused OTA subscription must not keep state and telemetry polling.
    required=False,
)
TELEMETRY_FEED: Final = Feed(
    "devicesMeasurementsUpdateFeed",
    "data",
    documents.DEVICES_MEASUREMENTS_UPDATE_FEED,
    parse_telemetry_notice,
)
FEEDS: Final = (STATE_FEED, OTA_FEED, TELEMETRY_FEED)
#: The AppSync APIs; each has its own sockets.
APIS: Final = ("device", "data")
