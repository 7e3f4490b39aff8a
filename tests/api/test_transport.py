"""Answers the simulator never gives: a tiny misbehaving HTTP server on 127.0.0.1.

The simulator only answers JSON objects; these cases (HTML error pages, JSON
arrays, empty bodies) come from proxies and gateways in front of real clouds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.harvia.api import (
    HarviaClient,
    HarviaConnectionError,
    HarviaParseError,
)


class Misbehaving:
    """Serves an endpoints document pointing at itself and canned answers."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, str]] = {}
        self.base = ""

    def set(self, path: str, body: Any, status: int = 200) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        self.answers[path] = (status, text)

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path
        if path == "/endpoints" and path not in self.answers:
            rest = {
                name: {"https": f"{self.base}/{name}"}
                for name in ("generics", "device", "data")
            }
            graphql = {
                name: {"https": f"{self.base}/gql/{name}"}
                for name in ("device", "data")
            }
            return web.json_response(
                {"endpoints": {"RestApi": rest, "GraphQL": graphql}}
            )
        if path == "/generics/auth/token" and path not in self.answers:
            return web.json_response(
                {"idToken": "opaque", "refreshToken": "r", "expiresIn": 3600}
            )
        status, text = self.answers.get(path, (404, "<html>nothing here</html>"))
        return web.Response(status=status, text=text, content_type="text/html")


@pytest.fixture
async def misbehaving(socket_enabled: None) -> AsyncIterator[Misbehaving]:
    """The server, started on an ephemeral 127.0.0.1 port."""
    fake = Misbehaving()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A real aiohttp session."""
    async with aiohttp.ClientSession() as session:
        yield session


def _client(session: aiohttp.ClientSession, fake: Misbehaving) -> HarviaClient:
    return HarviaClient(
        session, "u@example.com", "pw", endpoints_url=f"{fake.base}/endpoints"
    )


async def test_endpoints_not_json(
    session: aiohttp.ClientSession, misbehaving: Misbehaving
) -> None:
    """An HTML page instead of the endpoints document."""
    misbehaving.set("/endpoints", "<html>maintenance</html>")
    with pytest.raises(HarviaConnectionError):
        await _client(session, misbehaving).login()


@pytest.mark.parametrize(
    ("body", "error"), [("<html>", HarviaConnectionError), ([1], HarviaParseError)]
)
async def test_login_answer_unusable(
    session: aiohttp.ClientSession,
    misbehaving: Misbehaving,
    body: Any,
    error: type[Exception],
) -> None:
    """A 200 login answer that is not JSON / not an object."""
    misbehaving.set("/generics/auth/token", body)
    with pytest.raises(error):
        await _client(session, misbehaving).login()


async def test_rest_answers_unusable(
    session: aiohttp.ClientSession, misbehaving: Misbehaving
) -> None:
    """Non-JSON 200s are connection errors; JSON of the wrong shape parse errors."""
    client = _client(session, misbehaving)
    await client.login()
    misbehaving.set("/device/devices", "<html>")
    with pytest.raises(HarviaConnectionError):
        await client.get_devices()
    misbehaving.set("/device/devices", [])
    with pytest.raises(HarviaParseError):
        await client.get_devices()
    misbehaving.set("/device/devices/state", "null")
    with pytest.raises(HarviaParseError):
        await client.get_cabin_state("D", "C1")
    misbehaving.set("/gql/device", {"errors": [], "data": None})
    with pytest.raises(HarviaParseError):
        await client.get_ota_states()


async def test_latest_data_forms(
    session: aiohttp.ClientSession, misbehaving: Misbehaving
) -> None:
    """An empty body, or a list of cabins, from latest-data."""
    client = _client(session, misbehaving)
    misbehaving.set("/data/data/latest-data", "")
    empty = await client.get_telemetry("D", "C1")
    assert empty.raw == {}
    assert empty.sub_id == "C1"
    misbehaving.set(
        "/data/data/latest-data",
        [{"subId": "C1", "data": {"temp": 60}}, {"subId": "C2", "data": {"temp": 70}}],
    )
    assert (await client.get_telemetry("D", "C2")).temperature == 70
    assert (await client.get_telemetry("D", None)).temperature == 60
    assert (await client.get_telemetry("D", "C3")).raw == {}
