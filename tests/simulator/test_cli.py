"""`python -m harvia_simulator`: the demo builder and the runner."""

from __future__ import annotations

import asyncio
import io

import pytest

from harvia_simulator import HarviaCloud
from harvia_simulator.__main__ import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    build_demo,
    parse_args,
    run,
)


def test_build_demo_has_one_device_of_each_kind() -> None:
    cloud = HarviaCloud(start_time=0.0)
    account, devices = build_demo(cloud)
    assert account.email == DEMO_EMAIL
    assert account.password == DEMO_PASSWORD
    assert account.licensed
    assert sorted(d.kind for d in devices) == [
        "fenix",
        "fenix_combi",
        "generic",
        "sauna_sensor",
    ]
    assert all(d.owner is account for d in devices)


def test_parse_args() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.speed) == ("127.0.0.1", 8765, 1.0)
    args = parse_args(["--host", "127.0.0.1", "--port", "0", "--speed", "60"])
    assert (args.port, args.speed) == (0, 60.0)
    with pytest.raises(SystemExit):
        parse_args(["--speed", "0"])


async def test_run_serves_until_stopped(socket_enabled: None) -> None:
    stop = asyncio.Event()
    out = io.StringIO()
    loop = asyncio.get_running_loop()
    # Stop after a couple of loop turns: the runner advances once per tick.
    loop.call_soon(loop.call_soon, stop.set)
    cloud = await run(
        parse_args(["--port", "0", "--speed", "10"]),
        stop=stop,
        out=out,
        handle_signals=False,
        tick=0,
    )
    text = out.getvalue()
    assert "endpoints: http://127.0.0.1:" in text
    assert DEMO_EMAIL in text
    assert DEMO_PASSWORD in text
    assert text.count("device:") == 4
    assert len(cloud.devices) == 4
    assert cloud.ack_timeout == 5.0


async def test_run_with_signal_handlers(socket_enabled: None) -> None:
    stop = asyncio.Event()
    stop.set()
    await run(
        parse_args(["--port", "0"]), stop=stop, out=io.StringIO(), handle_signals=True
    )
