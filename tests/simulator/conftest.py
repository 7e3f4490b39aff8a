"""Shared fixtures: a simulated cloud and a server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer

from .helpers import EMAIL, PASSWORD, Api

START = 1_750_000_000.0


@pytest.fixture
def cloud() -> HarviaCloud:
    """A cloud at a fixed virtual time; unacknowledged commands fail at once."""
    return HarviaCloud(start_time=START, ack_timeout=0)


@pytest.fixture
def account(cloud: HarviaCloud) -> Account:
    """The licensed owner account."""
    return cloud.add_account(EMAIL, PASSWORD, licensed=True)


@pytest.fixture
def fenix(cloud: HarviaCloud, account: Account) -> SimDevice:
    """A dry Fenix heater."""
    return cloud.add_device(account, "fenix", name="Home Sauna", device_id="fenix-1")


@pytest.fixture
def combi(cloud: HarviaCloud, account: Account) -> SimDevice:
    """A Fenix combi (steam) heater."""
    return cloud.add_device(
        account, "fenix_combi", name="Steam Room", device_id="combi-1"
    )


@pytest.fixture
def generic(cloud: HarviaCloud, account: Account) -> SimDevice:
    """A spec-generic controller with two cabins."""
    return cloud.add_device(account, "generic", name="Spa", device_id="generic-1")


@pytest.fixture
def sensor(cloud: HarviaCloud, account: Account) -> SimDevice:
    """A SaunaSensor."""
    return cloud.add_device(
        account, "sauna_sensor", name="Sensor", device_id="sensor-1"
    )


@pytest.fixture
async def server(
    cloud: HarviaCloud, socket_enabled: None
) -> AsyncIterator[SimulatorServer]:
    """The simulator serving `cloud` on 127.0.0.1 (stopped afterwards).

    The Home Assistant test plugin blocks sockets; `socket_enabled`
    (pytest-socket) lifts that for this test while connections stay
    limited to 127.0.0.1.
    """
    server = SimulatorServer(cloud, host="127.0.0.1", port=0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client session."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def api(
    session: aiohttp.ClientSession, server: SimulatorServer, account: Account
) -> Api:
    """A logged-in protocol client."""
    client = Api(session, server)
    status, _ = await client.login()
    assert status == 200
    return client
