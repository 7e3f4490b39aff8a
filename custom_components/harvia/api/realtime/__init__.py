"""AppSync realtime (push) client of the Harvia cloud, on aiohttp websockets.

The rooms: :mod:`.protocol` (URL, messages, frames), :mod:`.socket` (one
connection, liveness, renewal, backoff), :mod:`.subscriptions` (a socket's
feeds per device: starts, acks, data, silence), :mod:`.shards` (an API's
sockets and the devices each carries), :mod:`.client` (the account's
sockets, push health, stats) and :mod:`.events` (typed events and parsers).
The integration imports from here.
"""

from __future__ import annotations

from .client import DEFAULT_TIMEOUTS, HarviaRealtime, RealtimeSocketStats, RealtimeStats
from .events import (
    FEEDS,
    OTA_FEED,
    STATE_FEED,
    TELEMETRY_FEED,
    Feed,
    OtaEvent,
    RealtimeEvent,
    StateEvent,
    TelemetryEvent,
    parse_ota_notice,
    parse_state_notice,
    parse_telemetry_notice,
)
from .protocol import (
    DEFAULT_CONNECTION_TIMEOUT,
    EMPTY_PAYLOAD,
    SUBPROTOCOL,
    decode_frame,
    realtime_url,
)
from .shards import SUBSCRIPTIONS_PER_SOCKET
from .socket import MAX_CONNECTION_AGE, RealtimeTimeouts
from .subscriptions import MAX_STARTS_IN_FLIGHT

__all__ = [
    "DEFAULT_CONNECTION_TIMEOUT",
    "DEFAULT_TIMEOUTS",
    "EMPTY_PAYLOAD",
    "FEEDS",
    "MAX_CONNECTION_AGE",
    "MAX_STARTS_IN_FLIGHT",
    "OTA_FEED",
    "STATE_FEED",
    "SUBPROTOCOL",
    "SUBSCRIPTIONS_PER_SOCKET",
    "TELEMETRY_FEED",
    "Feed",
    "HarviaRealtime",
    "OtaEvent",
    "RealtimeEvent",
    "RealtimeSocketStats",
    "RealtimeStats",
    "RealtimeTimeouts",
    "StateEvent",
    "TelemetryEvent",
    "decode_frame",
    "parse_ota_notice",
    "parse_state_notice",
    "parse_telemetry_notice",
    "realtime_url",
]
