"""Per realtime connection: AppSync's quota of active subscriptions, and
dropping only the connections that carry one device."""

from __future__ import annotations

from harvia_simulator import HarviaCloud, SimDevice, SimulatorServer
from harvia_simulator.cloud import MAX_SUBSCRIPTIONS_PER_CONNECTION

from .helpers import DATA_FEED, STATE_FEED, Api


def quota_error(sub_id: str, limit: int) -> dict[str, object]:
    """The refusal as AppSync sends it: no errorCode."""
    return {
        "type": "error",
        "id": sub_id,
        "payload": {
            "errors": [
                {
                    "errorType": "MaxSubscriptionsReachedError",
                    "message": f"Max number of {limit} subscriptions reached",
                }
            ]
        },
    }


def test_default_quota_is_appsyncs() -> None:
    assert MAX_SUBSCRIPTIONS_PER_CONNECTION == 100
    assert HarviaCloud().max_subscriptions_per_connection == 100


async def test_the_limit_th_start_is_acked_the_next_refused(
    api: Api, cloud: HarviaCloud, fenix: SimDevice, server: SimulatorServer
) -> None:
    cloud.max_subscriptions_per_connection = 3
    socket = await api.realtime()
    for n in range(3):
        ack = await socket.start(STATE_FEED, {"receiver": "fenix-1"}, sub_id=f"s{n}")
        assert ack == {"id": f"s{n}", "type": "start_ack"}
    refused = await socket.start(STATE_FEED, {"receiver": "fenix-1"}, sub_id="s3")
    assert refused == quota_error("s3", 3)
    # The refused start holds nothing: pushes reach the three, not it.
    fenix.panel.set_light(True)
    await server.flush()
    pushed = await socket.drain()
    assert sorted(m["id"] for m in pushed) == ["s0", "s1", "s2"]
    # A stop frees a slot for exactly one more.
    await socket.ws.send_json({"type": "stop", "id": "s1"})
    assert await socket.receive() == {"id": "s1", "type": "complete"}
    again = await socket.start(STATE_FEED, {"receiver": "fenix-1"}, sub_id="s3")
    assert again == {"id": "s3", "type": "start_ack"}
    assert await socket.start(
        STATE_FEED, {"receiver": "fenix-1"}, sub_id="s4"
    ) == quota_error("s4", 3)
    await socket.close()


async def test_the_quota_is_per_connection(api: Api, cloud: HarviaCloud) -> None:
    """A second socket, also of the same API, has its own quota."""
    cloud.max_subscriptions_per_connection = 1
    first = await api.realtime()
    second = await api.realtime()
    data = await api.realtime("data")
    for socket, query in ((first, STATE_FEED), (second, STATE_FEED), (data, DATA_FEED)):
        assert (await socket.start(query, {"receiver": "x"}, sub_id="a"))[
            "type"
        ] == "start_ack"
        refused = await socket.start(query, {"receiver": "x"}, sub_id="b")
        assert refused == quota_error("b", 1)
    await first.close()
    # A closed connection frees nothing elsewhere; a new one starts empty.
    assert (await second.start(STATE_FEED, {"receiver": "x"}, sub_id="c"))[
        "type"
    ] == "error"
    fresh = await api.realtime()
    assert (await fresh.start(STATE_FEED, {"receiver": "x"}, sub_id="a"))[
        "type"
    ] == "start_ack"
    for socket in (second, data, fresh):
        await socket.close()


async def test_drop_only_the_sockets_of_one_receiver(
    api: Api, server: SimulatorServer, cloud: HarviaCloud
) -> None:
    first = await api.realtime()
    second = await api.realtime()
    data = await api.realtime("data")
    await first.start(STATE_FEED, {"receiver": "a"}, sub_id="1")
    await second.start(STATE_FEED, {"receiver": "b"}, sub_id="2")
    await data.start(DATA_FEED, {"receiver": "a"}, sub_id="3")
    cloud.faults.drop_sockets("device", receiver="a")
    await server.flush()
    assert (await first.ws.receive()).type.name == "CLOSE"
    assert await second.drain() == []
    assert await data.drain() == []
    cloud.faults.drop_sockets(receiver="a")
    await server.flush()
    assert (await data.ws.receive()).type.name == "CLOSE"
    assert await second.drain() == []
    await second.close()
