"""A client written only from the published spec and the notes.

It knows nothing of the simulator's internals: it follows the endpoints
document, logs in, lists devices (taking the id from deviceId, id or name),
reads a cabin's state and telemetry, subscribes per device with the device id
as receiver, sends SAUNA on, and merges the partial push it receives.
"""

from __future__ import annotations

import base64
import json
from typing import Any
import uuid

import aiohttp

from harvia_simulator import Account, HarviaCloud, SimDevice, SimulatorServer


async def test_spec_client_starts_a_sauna_and_sees_it_live(
    session: aiohttp.ClientSession,
    server: SimulatorServer,
    cloud: HarviaCloud,
    account: Account,
    fenix: SimDevice,
) -> None:
    # 1. Endpoints: the only source of hosts (notes §1).
    async with session.get(server.endpoints_url) as resp:
        endpoints = (await resp.json())["endpoints"]
    generics = endpoints["RestApi"]["generics"]["https"]
    device_api = endpoints["RestApi"]["device"]["https"]
    data_api = endpoints["RestApi"]["data"]["https"]
    graphql_device = endpoints["GraphQL"]["device"]

    # 2. Login; every call carries the idToken (notes §2).
    async with session.post(
        f"{generics}/auth/token",
        json={"username": "owner@example.com", "password": "s3cret-pass"},
    ) as resp:
        tokens = await resp.json()
    headers = {"Authorization": f"Bearer {tokens['idToken']}"}

    # 3. Devices, following nextToken until absent (notes §3).
    devices: list[dict[str, Any]] = []
    params: dict[str, str] = {"maxResults": "50"}
    while True:
        async with session.get(
            f"{device_api}/devices", params=params, headers=headers
        ) as resp:
            page = await resp.json()
        devices += page["devices"]
        if not page.get("nextToken"):
            break
        params["nextToken"] = page["nextToken"]
    heater = next(d for d in devices if d["type"] == "Fenix")
    device_id = heater.get("deviceId") or heater.get("id") or heater["name"]

    # 4. The cabin's state (C1) and telemetry (notes §4).
    async with session.get(
        f"{device_api}/devices/state",
        params={"deviceId": device_id, "subId": "C1"},
        headers=headers,
    ) as resp:
        state = (await resp.json())["state"]
    assert state["displayName"] == "Home Sauna"
    assert state["saunaStatus"] == 0
    assert state["remoteAllowed"] == 1
    async with session.get(
        f"{data_api}/data/latest-data",
        params={"deviceId": device_id, "cabinId": "C1"},
        headers=headers,
    ) as resp:
        telemetry = (await resp.json())["data"]
    current_temp = telemetry.get("temp", telemetry.get("temperature"))
    assert current_temp is not None

    # 5. Realtime: own socket for the device API, receiver = device id (notes §6).
    host = graphql_device["https"].split("://", 1)[1].split("/", 1)[0]
    auth = {"Authorization": f"Bearer {tokens['idToken']}", "host": host}
    header = base64.b64encode(json.dumps(auth).encode()).decode()
    ws = await session.ws_connect(
        f"{graphql_device['wss']}?header={header}&payload=e30=",
        protocols=["graphql-ws"],
    )
    await ws.send_json({"type": "connection_init"})
    ack = await ws.receive_json(timeout=5)
    assert ack["type"] == "connection_ack"
    sub_id = str(uuid.uuid4())
    query = (
        "subscription DevicesStatesUpdateFeed($receiver: ID!) { devicesStatesUpdateFeed(receiver: $receiver) "
        "{ receiver item { deviceId shadowName desired reported timestamp connectionState { connected updatedTimestamp } } } }"
    )
    await ws.send_json(
        {
            "id": sub_id,
            "type": "start",
            "payload": {
                "data": json.dumps(
                    {"query": query, "variables": {"receiver": device_id}}
                ),
                "extensions": {"authorization": auth},
            },
        }
    )
    while (message := await ws.receive_json(timeout=5))["type"] == "ka":
        pass
    assert message == {"id": sub_id, "type": "start_ack"}

    # 6. SAUNA on, the documented way (notes §5).
    async with session.post(
        f"{device_api}/devices/command",
        json={
            "deviceId": device_id,
            "cabin": {"id": "C1"},
            "command": {"type": "SAUNA", "state": "on"},
        },
        headers=headers,
    ) as resp:
        assert resp.status == 200
        assert await resp.json() == {"handled": True}

    # 7. The change arrives within one virtual step; merge the partial push.
    cloud.advance(1)
    await server.flush()
    while (message := await ws.receive_json(timeout=5))["type"] == "ka":
        pass
    assert message["id"] == sub_id
    assert message["type"] == "data"
    notice = message["payload"]["data"]["devicesStatesUpdateFeed"]
    assert notice["item"]["deviceId"] == device_id
    state.update(json.loads(notice["item"]["reported"]))
    assert state["saunaStatus"] == 1
    assert state["heater"]["on"] == 1
    assert state["displayName"] == "Home Sauna"  # kept from the full read

    await ws.send_json({"type": "stop", "id": sub_id})
    while (message := await ws.receive_json(timeout=5))["type"] != "complete":
        pass
    await ws.close()
