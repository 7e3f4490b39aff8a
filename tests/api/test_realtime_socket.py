"""A socket's waits on the owner's clock: what came too late is disposed of."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.harvia.api.realtime import HarviaRealtime
from custom_components.harvia.api.realtime.socket import RealtimeSocket

from .conftest import ClientFactory


@pytest.fixture
def socket(make_client: ClientFactory) -> RealtimeSocket:
    """A socket that never runs (its waits only)."""
    realtime = HarviaRealtime(make_client(), on_event=lambda _event: None)
    return RealtimeSocket(realtime, "device", "device-1")


async def test_a_result_that_comes_as_the_wait_is_cancelled_is_disposed_of(
    socket: RealtimeSocket,
) -> None:
    """A connect that completes in the same turn as the cancellation (e.g. of
    close()) is closed, not leaked."""
    disposed: list[str] = []

    async def unused(value: str) -> None:
        disposed.append(value)

    connect: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(socket._within(connect, 10.0, unused))
    await asyncio.sleep(0)
    connect.set_result("websocket")
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert disposed == ["websocket"]


async def test_a_returned_result_is_not_disposed_of(socket: RealtimeSocket) -> None:
    disposed: list[str] = []

    async def unused(value: str) -> None:
        disposed.append(value)

    connect: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(socket._within(connect, 10.0, unused))
    await asyncio.sleep(0)
    connect.set_result("websocket")
    assert await waiting == "websocket"
    assert disposed == []
