"""One poll of the account: every device and cabin, read concurrently.

No Home Assistant here. The client bounds the requests in flight; a poll
records in the state store when it read each cabin, so that what was pushed
meanwhile can be re-applied to its result (see ``state.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from .api import (
    Device,
    HarviaClient,
    HarviaNotFoundError,
    HarviaParseError,
    ShadowState,
    Telemetry,
)
from .batch import BatchLoader
from .const import LOGGER
from .state import (
    CLASSIC,
    AccountData,
    CabinData,
    DeviceData,
    StateStore,
    cabin_of,
    shadow_of,
)


async def gather_all[T](reads: Iterable[Awaitable[T]]) -> list[T]:
    """Run reads concurrently and let each finish; raise the first failure."""
    values: list[T] = []
    for result in await asyncio.gather(*reads, return_exceptions=True):
        if isinstance(result, BaseException):
            raise result
        values.append(result)
    return values


# Shadows, and devices' telemetry, read with one GraphQL query at most.
SHADOWS_PER_QUERY: Final = 25
TELEMETRY_PER_QUERY: Final = 25

type ShadowRef = tuple[str, str | None]
type TelemetryRef = tuple[str, tuple[str | None, ...]]


def shadow_loader(client: HarviaClient) -> BatchLoader[ShadowRef, ShadowState]:
    """Shadows asked for in one turn: one query; one alone: ``GET /devices/state``."""
    return BatchLoader(
        lambda ref: client.get_cabin_state(*ref),
        client.get_cabin_states,
        per_query=SHADOWS_PER_QUERY,
    )


def telemetry_loader(
    client: HarviaClient,
) -> BatchLoader[TelemetryRef, list[Telemetry]]:
    """Devices' latest telemetry asked for in one turn: one query.

    A ref holds the device and the cabins to read should the cloud refuse the
    query (then each is read over REST).
    """
    return BatchLoader(
        lambda ref: client.get_latest_measurements(*ref),
        client.get_latest_measurements_many,
        per_query=TELEMETRY_PER_QUERY,
    )


@dataclass(kw_only=True)
class Poll:
    """Reads the account's devices into the shape the state store holds."""

    client: HarviaClient
    store: StateStore
    # The data before this poll (None at the first one).
    known: AccountData | None
    # Whether a device's telemetry arrives by push (then it is not read).
    telemetry_pushed: Callable[[str], bool]
    # Devices the cloud could not answer for: their last data is kept.
    unreadable: set[str] = field(default_factory=set)
    # Told the account's devices as soon as they are listed.
    devices_listed: Callable[[list[Device]], None] | None = None

    def __post_init__(self) -> None:
        """Cabins, and devices' telemetry, read in the same turn share a query."""
        self._shadows = shadow_loader(self.client)
        self._telemetry = telemetry_loader(self.client)

    async def async_read(self) -> AccountData:
        """Every device of the account; raises what the cloud raised for all.

        What was merged meanwhile is re-applied to the result.
        """
        self.store.poll_started()
        result: AccountData | None = None
        try:
            devices = await self.client.get_devices()
            if self.devices_listed is not None:
                self.devices_listed(devices)
            read = await gather_all(self._async_read_device(d) for d in devices)
            result = {data.device.device_id: data for data in read if data is not None}
        finally:
            self.store.poll_ended(result)
        return result

    async def _async_read_device(self, device: Device) -> DeviceData | None:
        """One device's data; the last one when the cloud cannot answer for it."""
        try:
            return await self._async_fetch_device(device)
        except (HarviaNotFoundError, HarviaParseError) as err:
            LOGGER.debug("Keeping the last data of a %s (%s)", device.type, err)
            self.unreadable.add(device.device_id)
            return self.known.get(device.device_id) if self.known else None

    async def _async_fetch_device(self, device: Device) -> DeviceData:
        """Read state (and, without push, telemetry) of every cabin of one device."""
        known = self.known.get(device.device_id) if self.known else None
        telemetry: dict[str, dict[str, Any]] = {}
        if known and self.telemetry_pushed(device.device_id):
            # Telemetry arrives by push (every 15 min even when idle): only the
            # shadow is read, as a safety net. Nothing was read: nothing is newer.
            telemetry = {k: cabin.telemetry for k, cabin in known.cabins.items()}
            telemetry_mark = -1
        else:
            # Cabins known so far (the undocumented "every cabin" read may be
            # refused, and the documented one reads one cabin at a time).
            shadows = tuple(shadow_of(c) for c in known.cabins) if known else (None,)
            telemetry_mark = self.store.mark
            for item in await self._telemetry.load((device.device_id, shadows)):
                telemetry[cabin_of(device, item.sub_id)] = dict(item.raw)
        if device.capabilities.telemetry_only:
            cabin_ids = [CLASSIC]
        else:
            default = device.capabilities.default_cabin or "C1"
            cabin_ids = sorted({default} | {c for c in telemetry if c != CLASSIC})
        cabins = await gather_all(
            self._async_read_cabin(
                device, cabin_id, telemetry.get(cabin_id, {}), telemetry_mark, known
            )
            for cabin_id in cabin_ids
        )
        return DeviceData(device=device, cabins={c.cabin_id: c for c in cabins})

    async def _async_read_cabin(
        self,
        device: Device,
        cabin_id: str,
        telemetry: dict[str, Any],
        telemetry_mark: int,
        known: DeviceData | None,
    ) -> CabinData:
        """Read one cabin's state; a malformed one keeps what we had."""
        state_mark = self.store.mark
        try:
            state = await self._shadows.load((device.device_id, shadow_of(cabin_id)))
        except HarviaParseError:
            # Its entities show unknown until the cloud sends a readable one.
            LOGGER.debug("Ignoring a malformed state of a %s cabin", device.type)
            previous = known.cabins.get(cabin_id) if known else None
            reported, connected = (
                (previous.reported, previous.connected) if previous else ({}, None)
            )
        else:
            reported, connected = dict(state.reported), state.connected
        self.store.cabin_read((device.device_id, cabin_id), state_mark, telemetry_mark)
        return CabinData.build(
            device.device_id,
            cabin_id,
            reported,
            telemetry,
            connected,
            device.has_steamer,
        )


async def async_read_telemetry(
    client: HarviaClient, data: DeviceData
) -> dict[str, dict[str, Any]]:
    """One device's latest telemetry, per cabin (a read the watchdog asked for)."""
    device = data.device
    return {
        cabin_of(device, item.sub_id): dict(item.raw)
        for item in await client.get_latest_measurements(
            device.device_id, [shadow_of(c) for c in data.cabins]
        )
    }
