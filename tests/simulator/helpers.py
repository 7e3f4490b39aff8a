"""A small protocol-level client for the simulator tests."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import aiohttp

from harvia_simulator import SimulatorServer

EMAIL = "owner@example.com"
PASSWORD = "s3cret-pass"

STATE_FEED = (
    "subscription Feed($receiver: ID!) { devicesStatesUpdateFeed(receiver: $receiver) "
    "{ receiver item { deviceId shadowName desired reported timestamp version "
    "connectionState { connected updatedTimestamp } } } }"
)
DATA_FEED = (
    "subscription Data($receiver: ID!) { devicesMeasurementsUpdateFeed(receiver: $receiver) "
    "{ receiver item { deviceId subId timestamp sessionId type data } } }"
)
OTA_FEED = (
    "subscription Ota($receiver: ID!) { otaUpdatesStatesUpdateFeed(receiver: $receiver) "
    "{ receiver item { deviceId updateState progressPercent updateFirmwareVersion timestamp } } }"
)

_barrier_ids = itertools.count()


def encode_header(token: str, host: str = "127.0.0.1") -> str:
    """The base64 `header` query parameter of the realtime handshake."""
    raw = json.dumps({"Authorization": f"Bearer {token}", "host": host})
    return base64.b64encode(raw.encode()).decode()


class Api:
    """Endpoints-document-driven calls against a running simulator."""

    def __init__(self, session: aiohttp.ClientSession, server: SimulatorServer) -> None:
        self.session = session
        self.server = server
        self.endpoints: dict[str, Any] = {}
        self.token: str | None = None
        self.refresh_token: str | None = None

    async def discover(self) -> dict[str, Any]:
        async with self.session.get(self.server.endpoints_url) as resp:
            assert resp.status == 200
            self.endpoints = (await resp.json())["endpoints"]
        return self.endpoints

    def rest_base(self, api: str) -> str:
        return str(self.endpoints["RestApi"][api]["https"])

    async def login(
        self, email: str = EMAIL, password: str = PASSWORD
    ) -> tuple[int, dict[str, Any]]:
        if not self.endpoints:
            await self.discover()
        status, body = await self.rest(
            "POST",
            "generics",
            "/auth/token",
            json={"username": email, "password": password},
            auth=False,
        )
        if status == 200:
            self.token = body["idToken"]
            self.refresh_token = body["refreshToken"]
        return status, body

    async def rest(
        self,
        method: str,
        api: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        token: str | None = None,
        auth: bool = True,
    ) -> tuple[int, Any]:
        if not self.endpoints:
            await self.discover()
        headers = {}
        if auth:
            headers["Authorization"] = f"Bearer {token or self.token}"
        async with self.session.request(
            method,
            self.rest_base(api) + path,
            json=json,
            params=params,
            headers=headers,
        ) as resp:
            return resp.status, await resp.json(content_type=None)

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        api: str = "device",
        token: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        if not self.endpoints:
            await self.discover()
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        async with self.session.post(
            self.endpoints["GraphQL"][api]["https"],
            json=body,
            headers={"Authorization": f"Bearer {token or self.token}"},
        ) as resp:
            return resp.status, await resp.json()

    async def realtime(
        self, api: str = "device", *, token: str | None = None, init: bool = True
    ) -> Realtime:
        if not self.endpoints:
            await self.discover()
        url = self.endpoints["GraphQL"][api]["wss"]
        ws = await self.session.ws_connect(
            f"{url}?header={encode_header(token or self.token or '')}&payload=e30=",
            protocols=["graphql-ws"],
        )
        socket = Realtime(ws, token or self.token or "")
        if init:
            ack = await socket.init()
            assert ack["type"] == "connection_ack", ack
        return socket


class Realtime:
    """One AppSync realtime socket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, token: str) -> None:
        self.ws = ws
        self.token = token

    async def init(self) -> dict[str, Any]:
        await self.ws.send_json({"type": "connection_init"})
        return await self.receive()

    async def receive(self) -> dict[str, Any]:
        # The timeout only keeps a broken test from hanging; no test relies on it.
        msg = await self.ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        return dict(json.loads(msg.data))

    async def start(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        sub_id: str = "sub-1",
        token: str | None = None,
    ) -> dict[str, Any]:
        await self.ws.send_json(
            {
                "id": sub_id,
                "type": "start",
                "payload": {
                    "data": json.dumps({"query": query, "variables": variables or {}}),
                    "extensions": {
                        "authorization": {
                            "Authorization": f"Bearer {token or self.token}",
                            "host": "127.0.0.1",
                        }
                    },
                },
            }
        )
        return await self.receive()

    async def drain(self, *, keep_ka: bool = False) -> list[dict[str, Any]]:
        """Every message the server queued before now, in order.

        Deterministic: a `stop` for an unknown id is answered with an `error`
        through the same ordered queue, so everything before it has arrived.
        """
        marker = f"barrier-{next(_barrier_ids)}"
        await self.ws.send_json({"type": "stop", "id": marker})
        messages: list[dict[str, Any]] = []
        while True:
            msg = await self.receive()
            if msg.get("type") == "error" and msg.get("id") == marker:
                return messages
            if keep_ka or msg.get("type") != "ka":
                messages.append(msg)

    async def close(self) -> None:
        await self.ws.close()


def reported_of(message: dict[str, Any]) -> dict[str, Any]:
    """The decoded partial `reported` of a state-feed data message."""
    notice = message["payload"]["data"]["devicesStatesUpdateFeed"]
    return dict(json.loads(notice["item"]["reported"]))


def data_of(message: dict[str, Any]) -> dict[str, Any]:
    """The decoded `data` of a telemetry-feed data message."""
    notice = message["payload"]["data"]["devicesMeasurementsUpdateFeed"]
    return dict(json.loads(notice["item"]["data"]))
