"""Wire shapes shared by REST, GraphQL and realtime (one place per shape)."""

from __future__ import annotations

import copy
import json
from typing import Any

from .devices import Shadow, SimDevice
from .events import OtaPush, StatePush, TelemetryPush
from .firmware import OtaProgress


def device_row(device: SimDevice) -> dict[str, Any]:
    """REST `GET /devices` row: real rows carry the id in `name` (notes §3)."""
    return {
        "name": device.device_id,
        "type": device.device_type,
        "attr": device.attributes(),
        "roles": ["owner"],
        "via": "CanSee",
    }


def device_item(device: SimDevice) -> dict[str, Any]:
    """GraphQL `Device`."""
    return {
        "id": device.device_id,
        "type": device.device_type,
        "attr": device.attributes(),
        "roles": ["owner"],
        "via": "CanSee",
    }


def connection_state(device: SimDevice) -> dict[str, Any]:
    """REST `connectionState` (timestamps in epoch ms)."""
    return {
        "connected": device.connected,
        "updatedTimestamp": device.connection_updated,
    }


def rest_state(device: SimDevice, shadow: Shadow) -> dict[str, Any]:
    """REST `GET /devices/state` document; `state` holds the reported data."""
    return {
        "deviceId": device.device_id,
        "shadowName": shadow.name,
        "state": copy.deepcopy(shadow.reported),
        "version": shadow.version,
        "timestamp": shadow.timestamp,
        "metadata": shadow.metadata(),
        "connectionState": connection_state(device),
    }


def graphql_state(device: SimDevice, shadow: Shadow) -> dict[str, Any]:
    """GraphQL `DeviceState`: AWSJSON fields are JSON strings."""
    return {
        "deviceId": device.device_id,
        "shadowName": shadow.name,
        "desired": json.dumps(shadow.desired) if shadow.desired else None,
        "reported": json.dumps(shadow.reported),
        "timestamp": float(shadow.timestamp),
        "version": shadow.version,
        "clientToken": None,
        "connectionState": {
            "connected": device.connected,
            "updatedTimestamp": str(device.connection_updated),
        },
        "metadata": json.dumps(shadow.metadata()),
    }


def state_push_item(event: StatePush) -> dict[str, Any]:
    """`DeviceState` of a feed notice: `reported` holds only what changed."""
    return {
        "deviceId": event.device_id,
        "shadowName": event.shadow_name,
        "desired": json.dumps(event.desired) if event.desired is not None else None,
        "reported": json.dumps(event.reported),
        "timestamp": float(event.timestamp),
        "version": event.version,
        "clientToken": None,
        "connectionState": {
            "connected": event.connected,
            "updatedTimestamp": str(event.connection_updated),
        },
        "metadata": None,
    }


def rest_measurement(item: TelemetryPush) -> dict[str, Any]:
    """REST `GET /data/latest-data` body."""
    return {
        "deviceId": item.device_id,
        "subId": item.sub_id,
        "timestamp": item.timestamp,
        "sessionId": item.session_id,
        "type": item.type,
        "data": copy.deepcopy(item.data),
    }


def graphql_measurement(item: TelemetryPush) -> dict[str, Any]:
    """GraphQL `MeasurementItem`: `data` is a JSON string."""
    return {
        "deviceId": item.device_id,
        "subId": item.sub_id,
        "timestamp": str(item.timestamp),
        "sessionId": item.session_id,
        "type": item.type,
        "data": json.dumps(item.data),
    }


def ota_state(device: SimDevice, progress: OtaProgress | None) -> dict[str, Any]:
    """GraphQL `OtaUpdateState` of a device (IDLE when it never updated)."""
    from .clock import iso

    if progress is None:
        return {
            "batchKey": None,
            "deviceId": device.device_id,
            "updateFirmwareVersion": None,
            "updateState": "IDLE",
            "resultCode": None,
            "progressPercent": 0,
            "timestamp": iso(device.created_at),
        }
    return {
        "batchKey": None,
        "deviceId": device.device_id,
        "updateFirmwareVersion": progress.firmware_version,
        "updateState": progress.state,
        "resultCode": progress.result_code,
        "progressPercent": progress.progress,
        "timestamp": iso(progress.updated_at),
    }


def ota_push_item(event: OtaPush) -> dict[str, Any]:
    """`OtaUpdateState` of a feed notice."""
    return {
        "batchKey": None,
        "deviceId": event.device_id,
        "updateFirmwareVersion": event.firmware_version,
        "updateState": event.update_state,
        "resultCode": event.result_code,
        "progressPercent": event.progress_percent,
        "timestamp": event.timestamp,
    }
