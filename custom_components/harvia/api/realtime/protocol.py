"""AppSync's realtime protocol (``graphql-ws``): URL, messages and frames.

Notes §6: connect with ``?header=<base64 JSON {Authorization, host}>&payload=e30=``,
``connection_init`` → ``connection_ack {connectionTimeoutMs}``, per
subscription ``start`` (authorised again in ``extensions``) → ``start_ack`` →
``data``…, ``stop`` → ``complete``; ``ka`` keep-alives. Pure functions: no I/O.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
import json
import math
from typing import Any, Final
from urllib.parse import quote

from graphql import DocumentNode
from yarl import URL

from .. import documents
from ..endpoints import GraphQLEndpoint
from ..exceptions import HarviaError, HarviaParseError

#: The websocket subprotocol of AppSync's realtime endpoint.
SUBPROTOCOL: Final = "graphql-ws"
#: Base64 of ``{}``: the connect URL's ``payload`` parameter.
EMPTY_PAYLOAD: Final = "e30="
#: Liveness window when ``connection_ack`` does not give one (AppSync's 5 min).
DEFAULT_CONNECTION_TIMEOUT: Final = 300.0
#: Deepest JSON nesting a frame may have. Real frames are about 5 deep (the
#: notices' AWSJSON fields are strings); anything deeper is dropped before
#: code that walks it can recurse.
MAX_FRAME_DEPTH: Final = 32
#: Largest frame read (characters): real ones are a few kilobytes.
MAX_FRAME_SIZE: Final = 1_000_000
#: ``errorType`` of a ``start`` refused because the connection holds its
#: quota of subscriptions (AppSync's default: 100).
QUOTA_ERROR: Final = "MaxSubscriptionsReachedError"


def authorization(token: str, host: str) -> dict[str, str]:
    """The ``{Authorization, host}`` object of the URL header and of starts."""
    return {"Authorization": f"Bearer {token}", "host": host}


def realtime_url(endpoint: GraphQLEndpoint, token: str) -> URL:
    """The connect URL: ``wss`` with the base64 ``header`` and ``payload=e30=``."""
    header = base64.b64encode(
        json.dumps(authorization(token, endpoint.host), separators=(",", ":")).encode()
    ).decode("ascii")
    query = f"header={quote(header, safe='')}&payload={quote(EMPTY_PAYLOAD, safe='')}"
    base = endpoint.wss.split("?", 1)[0]
    return URL(f"{base}?{query}", encoded=True)


def encode(message: Mapping[str, Any]) -> str:
    """A message as sent: compact JSON."""
    return json.dumps(message, separators=(",", ":"))


CONNECTION_INIT: Final = {"type": "connection_init"}


def start_message(
    sub_id: str,
    document: DocumentNode,
    receiver: str,
    token: str,
    endpoint: GraphQLEndpoint,
) -> dict[str, Any]:
    """``start`` of one subscription to ``receiver``."""
    data = {
        "query": documents.document_text(document),
        "variables": {"receiver": receiver},
    }
    return {
        "id": sub_id,
        "type": "start",
        "payload": {
            "data": json.dumps(data, separators=(",", ":")),
            "extensions": {"authorization": authorization(token, endpoint.host)},
        },
    }


def stop_message(sub_id: str) -> dict[str, Any]:
    """``stop`` of one subscription."""
    return {"type": "stop", "id": sub_id}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def decode_frame(data: str | bytes) -> dict[str, Any]:
    """A text/binary frame as a JSON object, or :class:`HarviaParseError`.

    Refused: invalid JSON (also ``NaN``/``Infinity`` and integers too long
    to read), frames over :data:`MAX_FRAME_SIZE`, nesting deeper than
    :data:`MAX_FRAME_DEPTH`, and anything but an object. The reason names no
    content.
    """
    if len(data) > MAX_FRAME_SIZE:
        raise HarviaParseError("frame too large")
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        message = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as err:
        raise HarviaParseError("frame nested too deeply") from err
    except ValueError as err:
        raise HarviaParseError("frame is not JSON") from err
    if not isinstance(message, dict):
        raise HarviaParseError("frame is not a JSON object")
    if _too_deep(message, MAX_FRAME_DEPTH):
        raise HarviaParseError("frame nested too deeply")
    return message


def message_id(message: Mapping[str, Any]) -> str | None:
    """A message's subscription id (``None`` when it has no usable one)."""
    value = message.get("id")
    return value if isinstance(value, str) else None


def connection_timeout(payload: Any) -> float:
    """``connectionTimeoutMs`` of a ``connection_ack`` payload, in seconds."""
    value = payload.get("connectionTimeoutMs") if isinstance(payload, Mapping) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value) / 1000.0
        except OverflowError:
            return DEFAULT_CONNECTION_TIMEOUT
        if math.isfinite(seconds) and seconds > 0:
            return seconds
    return DEFAULT_CONNECTION_TIMEOUT


class SessionError(HarviaError):
    """A socket session failed; ``auth``: the token was refused."""

    def __init__(self, reason: str, *, auth: bool = False) -> None:
        """Keep the reason (our own wording) and whether the token was refused."""
        super().__init__(reason)
        self.auth = auth
