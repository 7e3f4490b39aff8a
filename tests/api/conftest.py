"""Fixtures: a real SimulatorServer on 127.0.0.1 and real aiohttp sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from custom_components.harvia.api import HarviaClient
from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

EMAIL = "owner@example.com"
PASSWORD = "correct horse battery staple"

type ClientFactory = Callable[..., HarviaClient]


@pytest.fixture
def cloud() -> HarviaCloud:
    """A simulated cloud; commands that are never acknowledged fail fast."""
    return HarviaCloud(token_lifetime=3600.0, ack_timeout=0)


@pytest.fixture
def account(cloud: HarviaCloud) -> Account:
    """The licensed account the client logs in with."""
    return cloud.add_account(EMAIL, PASSWORD, licensed=True)


@pytest.fixture
def fenix(cloud: HarviaCloud, account: Account) -> SimDevice:
    """A Fenix panel (one cabin, C1)."""
    return cloud.add_device(account, "fenix", name="Home Sauna")


@pytest.fixture
def generic(cloud: HarviaCloud, account: Account) -> SimDevice:
    """A spec-generic controller (cabins C1, C2; the whole command enum)."""
    return cloud.add_device(account, "generic", name="Spa")


@pytest.fixture
def sensor(cloud: HarviaCloud, account: Account) -> SimDevice:
    """A SaunaSensor (classic shadow, telemetry only)."""
    return cloud.add_device(account, "sauna_sensor", name="Cabin sensor")


@pytest.fixture
async def server(
    cloud: HarviaCloud, socket_enabled: None
) -> AsyncIterator[SimulatorServer]:
    """The simulator served over HTTP on 127.0.0.1 (the only host sockets may reach)."""
    server = SimulatorServer(cloud, host="127.0.0.1", port=0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A real aiohttp session (the one Home Assistant would inject)."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def make_client(
    server: SimulatorServer, session: aiohttp.ClientSession, cloud: HarviaCloud
) -> ClientFactory:
    """Build clients against the simulator, on the cloud's virtual clock.

    The pacing of writes waits on that clock too: its sleep moves it.
    """

    async def advance(seconds: float) -> None:
        cloud.advance(seconds)

    def factory(
        username: str = EMAIL, password: str = PASSWORD, **kwargs: Any
    ) -> HarviaClient:
        kwargs.setdefault("endpoints_url", server.endpoints_url)
        kwargs.setdefault("time_func", cloud.now)
        kwargs.setdefault("sleep_func", advance)
        return HarviaClient(session, username, password, **kwargs)

    return factory


@pytest.fixture
async def client(make_client: ClientFactory, account: Account) -> HarviaClient:
    """A logged-in client of the licensed account."""
    client = make_client()
    await client.login()
    return client
