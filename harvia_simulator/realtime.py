"""AppSync realtime (`graphql-ws` subprotocol) for the device and data APIs.

Protocol (notes §6): connect with `?header=<base64 JSON {Authorization, host}>
&payload=e30=`, `connection_init` → `connection_ack`, per subscription `start`
(authorized again via `extensions.authorization`) → `start_ack` → `data`...,
`stop` → `complete`; `ka` keep-alives on virtual-time ticks.

Every outgoing message goes through a per-socket queue drained by one writer
task, so order is kept and `flush()` can wait for delivery.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
import contextlib
from dataclasses import dataclass, field
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationType,
    execute_sync,
    get_operation_ast,
)
from graphql.execution.values import get_argument_values, get_variable_values

from .accounts import Account
from .cloud import HarviaCloud
from .errors import SimError, graphql_names
from .events import (
    DropSockets,
    KeepAliveTick,
    MalformedPush,
    OtaPush,
    ReleaseStartAcks,
    StatePush,
    TelemetryPush,
)
from .graphql_api import SCHEMAS, checked_document
from .httputil import apply_fault, fault_response
from .shapes import graphql_measurement, ota_push_item, state_push_item

_LOGGER = logging.getLogger(__name__)

PROTOCOL = "graphql-ws"
STATE_FEED = "devicesStatesUpdateFeed"
OTA_FEED = "otaUpdatesStatesUpdateFeed"
DATA_FEED = "devicesMeasurementsUpdateFeed"


@dataclass(eq=False, slots=True)
class _Subscription:
    sub_id: str
    field: str
    response_key: str
    receiver: str
    username: str
    document: DocumentNode
    variables: dict[str, Any]
    operation_name: str | None


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    message: str


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    api: str
    account: Account | None
    # Why `connection_init` is refused: (errorType, message, errorCode).
    refusal: tuple[str, str, int] | None
    acked: bool = False
    subscriptions: dict[str, _Subscription] = field(default_factory=dict)
    # `start_ack`s held back by the fault (subscription ids).
    held_acks: list[str] = field(default_factory=list)
    # `start_ack`s on their way (the latency fault): no pushes before them.
    delayed_acks: set[str] = field(default_factory=set)
    queue: asyncio.Queue[str | _Close] = field(default_factory=asyncio.Queue)

    def send(self, message: dict[str, Any]) -> None:
        self.queue.put_nowait(json.dumps(message))

    def send_raw(self, text: str) -> None:
        self.queue.put_nowait(text)

    def error(
        self,
        sub_id: str | None,
        status: int | None,
        message: str,
        error_type: str | None = None,
    ) -> None:
        """An `error` message (with the subscription id when there is one).

        `status` None: no `errorCode`, as in AppSync's quota refusals.
        """
        if error_type is None:
            assert status is not None, "an error without a status names its type"
            error_type = graphql_names(status)[0]
        entry: dict[str, Any] = {"errorType": error_type, "message": message}
        if status is not None:
            entry["errorCode"] = status
        msg: dict[str, Any] = {"type": "error", "payload": {"errors": [entry]}}
        if sub_id is not None:
            msg["id"] = sub_id
        self.send(msg)

    async def write_loop(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                if isinstance(item, _Close):
                    await self.ws.close(code=item.code, message=item.message.encode())
                elif not self.ws.closed:
                    await self.ws.send_str(item)
            except (ConnectionError, RuntimeError) as err:
                _LOGGER.debug("Realtime write failed: %s", err)
            finally:
                self.queue.task_done()

    def drain(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
            self.queue.task_done()


def _decode_header(raw: str | None) -> dict[str, Any] | None:
    """The base64 JSON object of the `header` query parameter (None: unusable)."""
    if not raw:
        return None
    try:
        padded = raw + "=" * (-len(raw) % 4)
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"))
        header = json.loads(decoded)
    except (ValueError, binascii.Error):
        return None
    return header if isinstance(header, dict) else None


def _header_refusal(query: Mapping[str, str]) -> tuple[str, str, int] | None:
    """Why AppSync refuses a connect URL: `header` and `payload` are required
    and the header names the API's `host`."""
    if "header" not in query or "payload" not in query:
        return (
            "MalformedRequest",
            "Both header and payload query string parameters are required",
            400,
        )
    header = _decode_header(query.get("header"))
    if header is None:
        return ("MalformedRequest", "The header parameter is not base64 JSON", 400)
    if not isinstance(header.get("host"), str) or not header["host"]:
        return ("MalformedRequest", "The header must name the API host", 400)
    return None


def _token_from_header(raw: str | None) -> str | None:
    """The Authorization value from the base64 `header` query parameter."""
    header = _decode_header(raw)
    if header is None:
        return None
    value = header.get("Authorization") or header.get("authorization")
    return value if isinstance(value, str) else None


class RealtimeHub:
    """All realtime sockets of one server."""

    def __init__(self, cloud: HarviaCloud) -> None:
        self.cloud = cloud
        self._connections: set[_Connection] = set()
        self._writers: set[asyncio.Task[None]] = set()
        self._unsubscribe = cloud.subscribe(self._on_event, control=True)

    def detach(self) -> None:
        """Stop listening to the cloud."""
        self._unsubscribe()

    @property
    def connection_count(self) -> int:
        """Open sockets."""
        return len(self._connections)

    # -- sockets ---------------------------------------------------------------

    def handler(self, api: str) -> Any:
        """The aiohttp handler of `/realtime/<api>`."""

        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._handle(request, api)

        return handle

    async def _handle(self, request: web.Request, api: str) -> web.StreamResponse:
        route = f"realtime:{api}:connect"
        self.cloud.request_counts[route] += 1
        fault = self.cloud.faults.take_route(route)
        if await apply_fault(fault):
            assert fault is not None
            return fault_response(fault, route, "graphql")
        # A short close timeout: a client that never answers a close must not
        # hold up `SimulatorServer.stop()`.
        ws = web.WebSocketResponse(protocols=(PROTOCOL,), autoping=True, timeout=2.0)
        if (
            not ws.can_prepare(request).ok
            or ws.can_prepare(request).protocol != PROTOCOL
        ):
            return web.json_response(
                {
                    "errors": [
                        {
                            "errorType": "BadRequestException",
                            "message": f"WebSocket upgrade with subprotocol {PROTOCOL} required",
                        }
                    ]
                },
                status=400,
            )
        account: Account | None = None
        refusal = _header_refusal(request.query)
        if refusal is None:
            try:
                account = self.cloud.authenticate(
                    _token_from_header(request.query.get("header"))
                )
            except SimError as err:
                refusal = ("UnauthorizedException", err.message, 401)
        await ws.prepare(request)
        conn = _Connection(ws, api, account, refusal)
        writer = asyncio.create_task(
            conn.write_loop(), name=f"harvia-sim-ws-writer-{api}"
        )
        self._writers.add(writer)
        self._connections.add(conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(conn, msg.data)
                else:
                    conn.error(
                        None,
                        400,
                        "Only text messages are supported",
                        "UnsupportedOperation",
                    )
        finally:
            self._connections.discard(conn)
            task = asyncio.current_task()
            if task is None or not task.cancelling():  # server stopping: no waiting
                await self._finish_writes(conn)
            writer.cancel()
            await asyncio.wait([writer])
            self._writers.discard(writer)
            conn.drain()
        return ws

    @staticmethod
    async def _finish_writes(conn: _Connection) -> None:
        """Let the writer finish what is queued, e.g. a close handshake it
        started (messages for a closed socket are skipped quickly)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(conn.queue.join(), timeout=3.0)

    async def flush(self) -> None:
        """Wait until every queued message has been written to its socket."""
        await asyncio.sleep(0)
        pending = [c.queue.join() for c in self._connections]
        if pending:
            await asyncio.gather(*pending)

    async def close_all(
        self, code: int = 1001, message: str = "Server shutting down"
    ) -> None:
        """Close every socket and give the writers a moment to do it."""
        conns = list(self._connections)
        for conn in conns:
            conn.queue.put_nowait(_Close(code, message))
        if conns:
            joins = [asyncio.ensure_future(c.queue.join()) for c in conns]
            _, pending = await asyncio.wait(joins, timeout=1.0)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    # -- client messages -------------------------------------------------------

    async def _on_text(self, conn: _Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            conn.error(None, 400, "Message is not valid JSON", "BadRequestException")
            return
        if not isinstance(message, dict):
            conn.error(
                None, 400, "Message must be a JSON object", "BadRequestException"
            )
            return
        kind = message.get("type")
        if kind == "connection_init":
            self._connection_init(conn)
        elif kind == "start":
            await self._start(conn, message)
        elif kind == "stop":
            self._stop(conn, message)
        else:
            conn.error(
                message.get("id") if isinstance(message.get("id"), str) else None,
                400,
                f"Unknown message type {kind!r}",
                "UnsupportedOperation",
            )

    def _connection_init(self, conn: _Connection) -> None:
        self.cloud.request_counts[f"realtime:{conn.api}:connection_init"] += 1
        if conn.account is None:
            error_type, message, code = conn.refusal or (
                "UnauthorizedException",
                "Unauthorized",
                401,
            )
            conn.send(
                {
                    "type": "connection_error",
                    "payload": {
                        "errors": [
                            {
                                "errorType": error_type,
                                "message": message,
                                "errorCode": code,
                            }
                        ]
                    },
                }
            )
            conn.queue.put_nowait(_Close(1008, error_type))
            return
        conn.acked = True
        timeout = conn.account.connection_timeout_ms
        self._send_late(
            conn,
            {
                "type": "connection_ack",
                "payload": {
                    "connectionTimeoutMs": timeout
                    if timeout is not None
                    else self.cloud.connection_timeout_ms
                },
            },
        )

    def _send_late(
        self, conn: _Connection, message: dict[str, Any], sub_id: str | None = None
    ) -> None:
        """Send an acknowledgement after the latency fault's delay (if any);
        a subscription gets no pushes before its `start_ack`."""
        latency = self.cloud.faults.latency
        if latency <= 0:
            conn.send(message)
            return
        if sub_id is not None:
            conn.delayed_acks.add(sub_id)

        def send() -> None:
            if sub_id is not None:
                conn.delayed_acks.discard(sub_id)
            if conn in self._connections:
                conn.send(message)

        asyncio.get_running_loop().call_later(latency, send)

    async def _start(self, conn: _Connection, message: dict[str, Any]) -> None:
        route = f"realtime:{conn.api}:start"
        self.cloud.request_counts[route] += 1
        sub_id = message.get("id")
        if not isinstance(sub_id, str) or not sub_id:
            conn.error(None, 400, "start needs an id", "BadRequestException")
            return
        fault = self.cloud.faults.take_route(route)
        if await apply_fault(fault):
            assert fault is not None
            conn.error(
                sub_id, fault.status or 500, f"Simulated {fault.status} on {route}"
            )
            return
        if not conn.acked:
            conn.error(
                sub_id, 400, "connection_init is required first", "UnsupportedOperation"
            )
            return
        payload = message.get("payload")
        if not isinstance(payload, dict):
            conn.error(sub_id, 400, "start needs a payload", "BadRequestException")
            return
        extensions = payload.get("extensions")
        authorization = (
            extensions.get("authorization") if isinstance(extensions, dict) else None
        )
        token = (
            authorization.get("Authorization")
            if isinstance(authorization, dict)
            else None
        )
        try:
            account = self.cloud.authenticate(token if isinstance(token, str) else None)
        except SimError as err:
            conn.error(sub_id, 401, err.message, "UnauthorizedException")
            return
        if sub_id in conn.subscriptions:
            conn.error(
                sub_id,
                400,
                f"Subscription {sub_id} already exists",
                "DuplicatedOperationError",
            )
            return
        try:
            subscription = self._parse_subscription(
                conn.api, sub_id, payload.get("data"), account
            )
        except GraphQLError as err:
            conn.error(
                sub_id, 400, f"Validation error: {err.message}", "ValidationError"
            )
            return
        if subscription.field == OTA_FEED and self.cloud.faults.ota_refused_for(
            account.email
        ):
            # An account the cloud refuses OTA to is refused its feed too.
            conn.error(
                sub_id,
                401,
                f"Not Authorized to access {OTA_FEED} on type Subscription",
                "Unauthorized",
            )
            return
        limit = self.cloud.max_subscriptions_per_connection
        if len(conn.subscriptions) >= limit:
            # AppSync's per-connection quota: refused without an errorCode.
            conn.error(
                sub_id,
                None,
                f"Max number of {limit} subscriptions reached",
                "MaxSubscriptionsReachedError",
            )
            return
        conn.subscriptions[sub_id] = subscription
        if self.cloud.faults.take_held_ack(conn.api):
            conn.held_acks.append(sub_id)
            return
        self._send_late(conn, {"id": sub_id, "type": "start_ack"}, sub_id)

    def _parse_subscription(
        self, api: str, sub_id: str, data: Any, account: Account
    ) -> _Subscription:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as err:
                raise GraphQLError("payload.data is not valid JSON") from err
        if not isinstance(data, dict) or not isinstance(data.get("query"), str):
            raise GraphQLError("payload.data must hold a query")
        variables = data.get("variables") or {}
        if not isinstance(variables, dict):
            raise GraphQLError("variables must be an object")
        operation_name = data.get("operationName")
        schema = SCHEMAS[api]
        document, errors = checked_document(api, data["query"])
        if errors:
            raise errors[0]
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation != OperationType.SUBSCRIPTION:
            raise GraphQLError("Only subscription operations can be started")
        node = operation.selection_set.selections[0]
        if not isinstance(node, FieldNode):
            raise GraphQLError("A subscription must select one field")
        coerced = get_variable_values(
            schema, operation.variable_definitions or (), variables
        )
        if isinstance(coerced, list):
            raise coerced[0]
        subscription_type = schema.subscription_type
        assert subscription_type is not None
        field_name = node.name.value
        args = get_argument_values(subscription_type.fields[field_name], node, coerced)
        return _Subscription(
            sub_id=sub_id,
            field=field_name,
            response_key=node.alias.value if node.alias else field_name,
            receiver=str(args["receiver"]),
            username=account.username,
            document=document,
            variables=variables,
            operation_name=operation_name if isinstance(operation_name, str) else None,
        )

    def _stop(self, conn: _Connection, message: dict[str, Any]) -> None:
        self.cloud.request_counts[f"realtime:{conn.api}:stop"] += 1
        sub_id = message.get("id")
        if not isinstance(sub_id, str) or sub_id not in conn.subscriptions:
            conn.error(
                sub_id if isinstance(sub_id, str) else None,
                400,
                f"Unknown subscription {sub_id!r}",
                "UnknownOperationError",
            )
            return
        del conn.subscriptions[sub_id]
        conn.send({"id": sub_id, "type": "complete"})

    # -- cloud events ------------------------------------------------------------

    def _on_event(self, event: Any) -> None:
        if isinstance(event, StatePush):
            self._deliver("device", STATE_FEED, event.device_id, state_push_item(event))
        elif isinstance(event, TelemetryPush):
            self._deliver(
                "data", DATA_FEED, event.device_id, graphql_measurement(event)
            )
        elif isinstance(event, OtaPush):
            self._deliver("device", OTA_FEED, event.device_id, ota_push_item(event))
        elif isinstance(event, KeepAliveTick):
            if not self.cloud.faults.keepalives_stopped:
                for conn in self._connections:
                    if conn.acked:
                        conn.send({"type": "ka"})
        elif isinstance(event, DropSockets):
            for conn in self._connections:
                if (event.api is None or event.api == conn.api) and (
                    event.receiver is None
                    or any(
                        sub.receiver == event.receiver
                        for sub in conn.subscriptions.values()
                    )
                ):
                    conn.queue.put_nowait(_Close(1001, "Connection dropped"))
        elif isinstance(event, MalformedPush):
            self._malformed(event)
        elif isinstance(event, ReleaseStartAcks):
            for conn in self._connections:
                for sub_id in conn.held_acks:
                    if sub_id in conn.subscriptions:
                        conn.send({"id": sub_id, "type": "start_ack"})
                conn.held_acks.clear()

    def _matching(
        self, api: str, feed: str, device_id: str
    ) -> list[tuple[_Connection, _Subscription]]:
        """Subscriptions that receive a device's pushes: receiver must be the
        device id (other receivers are acknowledged and stay silent, as in
        reality) and the subscriber must own the device."""
        device = self.cloud.devices.get(device_id)
        if device is None or self.cloud.faults.feed_silenced(device_id, api):
            return []
        return [
            (conn, sub)
            for conn in self._connections
            if conn.api == api
            for sub in conn.subscriptions.values()
            if sub.field == feed
            and sub.sub_id not in conn.held_acks
            and sub.sub_id not in conn.delayed_acks
            and sub.receiver == device_id
            and sub.username == device.owner.username
        ]

    def _deliver(
        self, api: str, feed: str, device_id: str, item: dict[str, Any]
    ) -> None:
        for conn, sub in self._matching(api, feed, device_id):
            result = execute_sync(
                SCHEMAS[api],
                sub.document,
                root_value={feed: {"receiver": sub.receiver, "item": item}},
                variable_values=sub.variables,
                operation_name=sub.operation_name,
            )
            payload: dict[str, Any] = {"data": result.data}
            if result.errors:
                payload["errors"] = [
                    {"message": e.message, "errorType": "ExecutionError"}
                    for e in result.errors
                ]
            conn.send({"id": sub.sub_id, "type": "data", "payload": payload})

    def _malformed(self, event: MalformedPush) -> None:
        feed = STATE_FEED if event.api == "device" else DATA_FEED
        for conn, sub in self._matching(event.api, feed, event.device_id):
            conn.send_raw(_malformed_text(event, sub))


def _malformed_text(event: MalformedPush, sub: _Subscription) -> str:
    """One broken message of the requested kind."""
    if event.kind == "not_json":
        return '{"id": "' + sub.sub_id + '", "type": "data", "payload": {"data": {'
    if event.kind == "no_payload":
        return json.dumps({"id": sub.sub_id, "type": "data"})
    if event.kind == "deep_nesting":
        depth = 100_000
        return (
            '{"id": "'
            + sub.sub_id
            + '", "type": "data", "payload": '
            + "[" * depth
            + "]" * depth
            + "}"
        )
    if event.kind == "huge_integer":
        return (
            '{"id": "'
            + sub.sub_id
            + '", "type": "data", "payload": {"data": {"'
            + sub.response_key
            + '": {"receiver": "'
            + sub.receiver
            + '", "item": {"temp": 1'
            + "0" * 5000
            + "}}}}}"
        )
    if event.kind == "unknown_type":
        return json.dumps({"id": sub.sub_id, "type": "surprise", "payload": {}})
    item: dict[str, Any] | None
    if event.kind == "missing_item":
        item = None
    elif event.api == "device":
        item = {
            "deviceId": event.device_id,
            "shadowName": "C1",
            "desired": None,
            "reported": '{"saunaStatus": 1, "heater": {"on"',
            "timestamp": 1.0,
            "connectionState": {"connected": True, "updatedTimestamp": "0"},
        }
        if event.kind == "wrong_types":
            item.update(
                reported=json.dumps(
                    {
                        "saunaStatus": "heating",
                        "heater": "on",
                        "activeProfile": [2],
                        "light": 1,
                        "profiles": "none",
                        "remoteAllowed": "yes",
                        "targetTemp": "hot",
                    }
                ),
                timestamp="yesterday",
                connectionState={"connected": "maybe", "updatedTimestamp": 0},
            )
    else:
        item = {
            "deviceId": event.device_id,
            "subId": "C1",
            "timestamp": "0",
            "sessionId": None,
            "type": "measurement",
            "data": '{"temp": 7',
        }
        if event.kind == "wrong_types":
            item.update(
                data=json.dumps(
                    {
                        "temp": "hot",
                        "hum": None,
                        "targetTemp": "80",
                        "heatOn": "yes",
                        "remainingTime": -5,
                    }
                ),
                timestamp=12345,
            )
    notice = {"receiver": sub.receiver, "item": item}
    return json.dumps(
        {
            "id": sub.sub_id,
            "type": "data",
            "payload": {"data": {sub.response_key: notice}},
        }
    )
