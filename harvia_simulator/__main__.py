"""`python -m harvia_simulator`: a demo cloud on a real clock.

Creates a demo account with one device of each kind, serves it, and advances
the virtual clock with real time (times --speed) until Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TextIO

from .accounts import Account
from .cloud import HarviaCloud
from .devices import SimDevice
from .server import SimulatorServer

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "harvia-demo-sauna"  # noqa: S105 - a published demo credential
TICK = 1.0  # real seconds between clock advances


def build_demo(cloud: HarviaCloud) -> tuple[Account, list[SimDevice]]:
    """The demo account and its devices (one of each kind)."""
    account = cloud.add_account(DEMO_EMAIL, DEMO_PASSWORD, licensed=True)
    devices = [
        cloud.add_device(account, "fenix", name="Home Sauna"),
        cloud.add_device(account, "fenix_combi", name="Steam Sauna"),
        cloud.add_device(account, "generic", name="Spa"),
        cloud.add_device(account, "sauna_sensor", name="Cabin Sensor"),
    ]
    return account, devices


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m harvia_simulator", description="Run a local fake Harvia cloud."
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0 = any)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="virtual seconds per real second (default 1)",
    )
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be positive")
    return args


async def run(
    args: argparse.Namespace,
    *,
    stop: asyncio.Event | None = None,
    out: TextIO = sys.stdout,
    handle_signals: bool = True,
    tick: float = TICK,
) -> HarviaCloud:
    """Serve the demo until `stop` is set (or a signal arrives)."""
    stop = stop or asyncio.Event()
    # Real devices take seconds to answer; so does the demo (tests use 0.2 s).
    cloud = HarviaCloud(ack_timeout=5.0)
    account, devices = build_demo(cloud)
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    async with SimulatorServer(cloud, host=args.host, port=args.port) as server:
        print(f"Harvia simulator on {server.base_url}", file=out)
        print(f"  endpoints: {server.endpoints_url}", file=out)
        print(f"  e-mail:    {account.email}", file=out)
        print(f"  password:  {DEMO_PASSWORD}", file=out)
        for device in devices:
            print(
                f"  device:    {device.device_id} ({device.kind}, {device.name})",
                file=out,
            )
        print(
            f"  admin:     {server.base_url}/_admin   speed x{args.speed:g}", file=out
        )
        out.flush()
        last = loop.time()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=tick)
            now = loop.time()
            cloud.advance((now - last) * args.speed)
            last = now
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return cloud


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
