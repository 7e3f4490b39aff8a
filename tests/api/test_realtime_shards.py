"""Many devices: subscriptions sharded over sockets of at most 100, against
the simulator's per-connection quota, over real websockets.

AppSync refuses the 101st active subscription on one connection
(``MaxSubscriptionsReachedError``). The device API carries two feeds per
device, so 51 devices need a second device socket; a cloud with a lower quota
(set on the simulator) makes the client lower its cap and move devices.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from custom_components.harvia.api.realtime import (
    MAX_STARTS_IN_FLIGHT,
    SUBSCRIPTIONS_PER_SOCKET,
    StateEvent,
    TelemetryEvent,
)
from custom_components.harvia.api.realtime.socket import RealtimeSocket
from harvia_simulator import Account, HarviaCloud, SimulatorServer

from .conftest import ClientFactory
from .test_realtime import DATA, FAST, OTA, SAFETY, STATE, Push

#: Generous: a loaded machine takes a while for dozens of devices.
MANY = 120.0


@pytest.fixture
async def push(
    cloud: HarviaCloud,
    server: SimulatorServer,
    make_client: ClientFactory,
    account: Account,
) -> AsyncIterator[Push]:
    """A realtime client; closed (and checked closed) after the test."""
    harness = Push(cloud, server, make_client())
    harness.build()
    yield harness
    await harness.rt.close()
    if harness.task is not None:
        await asyncio.wait_for(asyncio.wait([harness.task]), SAFETY)
    assert not harness.rt.running
    assert not [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("harvia-realtime")
    ]


def add_devices(cloud: HarviaCloud, account: Account, count: int) -> list[str]:
    """`count` Fenix heaters; their ids sorted (the order they are placed in)."""
    return sorted(
        cloud.add_device(account, "fenix", name=f"S{n}").device_id for n in range(count)
    )


def connections(server: SimulatorServer, api: str) -> list[dict[str, set[str]]]:
    """Per open connection of an API: each receiver and the feeds it holds
    (ordered by receivers)."""
    hub = server.realtime
    assert hub is not None
    layout: list[dict[str, set[str]]] = []
    for conn in hub._connections:
        if conn.api != api:
            continue
        feeds: dict[str, set[str]] = {}
        for sub in conn.subscriptions.values():
            feeds.setdefault(sub.receiver, set()).add(sub.field)
        layout.append(feeds)
    return sorted(layout, key=sorted)


def sockets_of(push: Push, api: str) -> list[str]:
    """Names of the client's sockets of an API, in the order they opened."""
    return [s.name for s in push.rt._sockets if s.api == api]


def socket_named(push: Push, name: str) -> RealtimeSocket:
    """The client's socket called `name` (e.g. device-2)."""
    return next(s for s in push.rt._sockets if s.name == name)


async def quiet(push: Push) -> None:
    """Let the loop run a while (nothing may happen meanwhile)."""
    await push.server.flush()
    for _ in range(50):
        await asyncio.sleep(0)
    await push.server.flush()


# -- the default quota ---------------------------------------------------------------


async def test_fifty_one_devices_take_a_second_device_socket(
    push: Push, cloud: HarviaCloud, account: Account, server: SimulatorServer
) -> None:
    """50 devices fill a device socket (100 subscriptions); the 51st gets its
    own. Each socket has its own window of starts in flight; every feed is
    active, no connection holds more than the quota, renewals are per socket."""
    assert SUBSCRIPTIONS_PER_SOCKET == cloud.max_subscriptions_per_connection == 100
    ids = add_devices(cloud, account, 51)
    push.build(replace(FAST, max_connection_age=100.0))
    cloud.faults.hold_start_acks("device")
    push.start(*ids)
    # Both device sockets fill their own window at once: 8 + the last
    # device's 2 starts, none acknowledged.
    await push.wait_until(
        lambda: push.counts("realtime:device:start") == MAX_STARTS_IN_FLIGHT + 2,
        MANY,
    )
    await push.wait_until(lambda: push.rt.stats.active_subscriptions == 51, MANY)
    await quiet(push)
    assert push.counts("realtime:device:start") == MAX_STARTS_IN_FLIGHT + 2
    pending = {
        s.name: len(s.subscriptions.pending)
        for s in push.rt._sockets
        if s.api == "device"
    }
    assert pending == {"device-1": MAX_STARTS_IN_FLIGHT, "device-2": 2}
    cloud.faults.release_start_acks()
    await push.up(MANY)
    assert push.statuses == [True]

    # On the cloud's side: 50 + 1 devices, both feeds of a device on one
    # connection; the data API's 51 on one.
    device_conns = connections(server, "device")
    assert [len(conn) for conn in device_conns] == [50, 1]
    assert sorted(device_conns[1]) == ids[50:]
    for conn in device_conns:
        assert all(feeds == {STATE, OTA} for feeds in conn.values())
    assert [sorted(conn) for conn in connections(server, "data")] == [ids]
    hub = server.realtime
    assert hub is not None
    assert max(len(c.subscriptions) for c in hub._connections) == 100
    # Not one start refused.
    assert push.counts("realtime:device:start") == 102
    assert push.counts("realtime:data:start") == 51
    assert all(
        push.rt.is_subscribed(i, feed) for i in ids for feed in (STATE, OTA, DATA)
    )

    stats = push.rt.stats
    assert [(s.api, s.devices, s.subscriptions) for s in stats.sockets] == [
        ("device", 50, 100),
        ("device", 1, 2),
        ("data", 51, 51),
    ]
    assert stats.connected_sockets == 3
    assert stats.quota_refusals == 0
    assert stats.subscriptions_per_socket == {"device": 100, "data": 100}
    assert [s["devices"] for s in push.rt.diagnostics()["sockets"]] == [50, 1, 51]

    # Every socket renews as planned; push does not flap.
    cloud.advance(101)
    await push.wait_until(
        lambda: push.counts("realtime:device:connect") == 4
        and push.counts("realtime:data:connect") == 2
        and push.rt.stats.active_subscriptions == 153,
        MANY,
    )
    assert push.statuses == [True]
    assert sockets_of(push, "device") == ["device-1", "device-2"]


async def test_added_and_removed_devices_keep_their_sockets(
    push: Push, cloud: HarviaCloud, account: Account, server: SimulatorServer
) -> None:
    """Devices that stay never move; an added one fills a socket with room;
    a socket left without devices is closed."""
    ids = add_devices(cloud, account, 52)
    push.start(*ids)
    await push.up(MANY)
    first, second = ids[:50], ids[50:]
    assert [sorted(conn) for conn in connections(server, "device")] == [
        first,
        second,
    ]
    hub = server.realtime
    assert hub is not None
    device_conns = {conn for conn in hub._connections if conn.api == "device"}

    # One device of the full socket leaves: only its two feeds stop.
    gone = first[0]
    push.rt.set_devices([i for i in ids if i != gone])
    await push.wait_until(lambda: push.counts("realtime:device:stop") == 2, MANY)
    await quiet(push)
    assert push.counts("realtime:device:stop") == 2
    assert push.counts("realtime:data:stop") == 1
    assert [sorted(conn) for conn in connections(server, "device")] == [
        first[1:],
        second,
    ]
    assert {c for c in hub._connections if c.api == "device"} == device_conns

    # A new device goes to the first socket with room: the one just freed.
    new = cloud.add_device(account, "fenix", name="New").device_id
    push.rt.set_devices([*[i for i in ids if i != gone], new])
    await push.up(MANY)
    assert [sorted(conn) for conn in connections(server, "device")] == sorted(
        [sorted([*first[1:], new]), second]
    )
    assert push.rt._socket_of(new, STATE) is push.rt._socket_of(first[1], STATE)
    assert push.counts("realtime:device:start") == 104 + 2
    statuses = list(push.statuses)

    # The second socket's devices leave: it closes; nothing else moves.
    push.rt.set_devices([*first[1:], new])
    await push.wait_until(lambda: len(connections(server, "device")) == 1, MANY)
    assert sockets_of(push, "device") == ["device-1"]
    assert [sorted(conn) for conn in connections(server, "device")] == [
        sorted([*first[1:], new])
    ]
    assert push.counts("realtime:device:connect") == 2
    assert push.counts("realtime:data:connect") == 1
    assert push.counts("realtime:device:start") == 106
    # Closing an emptied socket is no loss of push.
    assert push.statuses == statuses
    assert push.rt.connected is True

    # Another device beyond the first socket's 50 opens a new one.
    extra = cloud.add_device(account, "fenix", name="Extra").device_id
    push.rt.set_devices([*first[1:], new, extra])
    await push.up(MANY)
    assert sockets_of(push, "device") == ["device-1", "device-3"]
    assert [len(conn) for conn in connections(server, "device")] == [50, 1]


async def test_a_dropped_socket_resubscribes_only_its_devices(
    push: Push, cloud: HarviaCloud, account: Account, server: SimulatorServer
) -> None:
    """The cloud drops the socket of device 51: it alone reconnects and
    subscribes its device again; the 50 others are untouched."""
    ids = add_devices(cloud, account, 51)
    push.start(*ids)
    await push.up(MANY)
    cloud.faults.drop_sockets("device", receiver=ids[50])
    await server.flush()
    await push.wait_until(lambda: push.counts("realtime:device:connect") == 3, MANY)
    await push.up(MANY)
    assert push.statuses == [True, False, True]
    connects = {s.name: s.connects for s in push.rt._sockets}
    assert connects == {"device-1": 1, "device-2": 2, "data-1": 1}
    assert push.counts("realtime:device:start") == 102 + 2
    assert push.counts("realtime:data:connect") == 1
    assert [sorted(conn) for conn in connections(server, "device")] == [
        ids[:50],
        ids[50:],
    ]
    push.mark()
    last = cloud.devices[ids[50]]
    last.panel.set_light(True)
    await push.event(StateEvent, lambda e: e.device_id == ids[50])


# -- a cloud with a lower quota ------------------------------------------------------


async def test_a_lower_quota_moves_devices_to_more_sockets(
    push: Push, cloud: HarviaCloud, account: Account, server: SimulatorServer
) -> None:
    """Quota 3: the first socket keeps what it holds, the cap drops to 3 and
    the refused devices move to new sockets; no flapping, no loop."""
    cloud.max_subscriptions_per_connection = 3
    ids = add_devices(cloud, account, 4)
    push.start(*ids)
    await push.up()
    # Device API: the first device's two feeds and the second's state were
    # acknowledged; the second's OTA and the others' four were refused. One
    # device per socket fits (2 feeds, quota 3).
    assert push.statuses == [True]
    assert [sorted(conn) for conn in connections(server, "device")] == [
        [i] for i in ids
    ]
    assert [sorted(conn) for conn in connections(server, "data")] == [ids[:3], ids[3:]]
    for api in ("device", "data"):
        assert all(len(c) <= 3 for c in connections(server, api))
    stats = push.rt.stats
    assert stats.subscriptions_per_socket == {"device": 3, "data": 3}
    assert [(s.api, s.quota_refusals) for s in stats.sockets] == [
        ("device", 5),
        ("device", 0),
        ("device", 0),
        ("device", 0),
        ("data", 1),
        ("data", 0),
    ]
    assert all(s.failed_subscriptions == 0 for s in stats.sockets)
    first = socket_named(push, "device-1")
    assert "MaxSubscriptionsReachedError" in (first.last_error or "")
    assert push.counts("realtime:device:connect") == 4
    assert push.counts("realtime:data:connect") == 2
    # 8 + the 3 refused devices again, and the moved device's state stopped.
    assert push.counts("realtime:device:start") == 8 + 6
    await push.wait_until(lambda: push.counts("realtime:device:stop") == 1)
    assert all(
        push.rt.is_subscribed(i, feed) for i in ids for feed in (STATE, OTA, DATA)
    )
    push.mark()
    moved = cloud.devices[ids[3]]
    moved.panel.set_light(True)
    await push.event(StateEvent, lambda e: e.device_id == ids[3])
    await push.event(TelemetryEvent, lambda e: e.device_id == ids[3])

    # The cap holds for devices added later: no refusal more.
    extra = cloud.add_device(account, "fenix", name="Extra").device_id
    push.rt.set_devices([*ids, extra])
    await push.up()
    assert push.rt.stats.quota_refusals == 6
    assert push.rt._socket_of(extra, DATA) is push.rt._socket_of(ids[3], DATA)
    assert len(connections(server, "device")) == 5


async def test_a_quota_below_a_devices_feeds_fails_only_the_optional_feed(
    push: Push, cloud: HarviaCloud, account: Account, server: SimulatorServer
) -> None:
    """Quota 1: a device's two device-API feeds cannot share a socket. Each
    device keeps its state feed on its own socket; the (optional) OTA feed
    is refused and counted, and nothing retries in a loop."""
    cloud.max_subscriptions_per_connection = 1
    ids = add_devices(cloud, account, 2)
    push.start(*ids)
    await push.up()
    # Round 1 on device-1: 4 starts (3 refused); its next round retries
    # the first device's OTA once; device-2: 2 starts (1 refused).
    await push.wait_until(lambda: push.counts("realtime:device:start") == 7)
    await quiet(push)
    assert push.counts("realtime:device:start") == 7
    assert push.statuses == [True]
    for i in ids:
        assert push.rt.is_subscribed(i, STATE)
        assert push.rt.is_subscribed(i, DATA)
        assert not push.rt.is_subscribed(i, OTA)
    stats = push.rt.stats
    assert stats.subscriptions_per_socket == {"device": 1, "data": 1}
    assert [(s.api, s.devices, s.failed_subscriptions) for s in stats.sockets] == [
        ("device", 1, 1),
        ("device", 1, 1),
        ("data", 1, 0),
        ("data", 1, 0),
    ]
    assert stats.quota_refusals == 5 + 1
    assert [sorted(c.items()) for c in connections(server, "device")] == [
        [(i, {STATE})] for i in ids
    ]


async def test_a_quota_refused_with_nothing_held_moves_nothing(
    push: Push, cloud: HarviaCloud, account: Account, server: SimulatorServer
) -> None:
    """Every start refused (a quota that is not the connection's): more
    sockets would be refused too. The subscriptions fail, are counted and
    retried only at the next connection; push is not healthy."""
    cloud.max_subscriptions_per_connection = 0
    ids = add_devices(cloud, account, 2)
    push.start(*ids)
    await push.wait_until(
        lambda: push.statuses == [False]
        and push.rt.stats.connected_sockets == 2
        and sum(s.failed_subscriptions for s in push.rt.stats.sockets) == 6
    )
    await quiet(push)
    stats = push.rt.stats
    assert len(stats.sockets) == 2
    assert stats.quota_refusals == 6
    assert stats.subscriptions_per_socket == {"device": 100, "data": 100}
    assert "MaxSubscriptionsReachedError" in (stats.last_error or "")
    assert push.counts("realtime:device:start") == 4
    assert push.counts("realtime:data:start") == 2
    assert push.counts("realtime:device:connect") == 1
    # The cloud allows them again: the next connections subscribe.
    cloud.max_subscriptions_per_connection = 100
    cloud.faults.drop_sockets()
    await server.flush()
    await push.up()
    assert push.statuses == [False, True]
    assert all(push.rt.is_subscribed(i, STATE) for i in ids)
