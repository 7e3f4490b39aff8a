"""One set of snapshots for every Home Assistant release under test.

2026.11 serialises the same facts differently from 2026.2: state attribute and
capability keys are enum members, a new entity's aliases are `[None]` (the
entity's own name) instead of an empty set, registry entries carry a
`compat_name`, climate states repeat the unit as `temperature_unit`, and the
integration's icon (an update entity's picture) is served by Home Assistant
itself (from the integration's brand folder) instead of the brands site. The
serializer below writes 2026.11's output in 2026.2's form, so both compare with
the same `.ambr` files; any other difference still fails. (One set per release
would need this same mapping to check that the two agree.)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
import re
from typing import Any

from homeassistant.core import State
from homeassistant.helpers import entity_registry as er
from homeassistant.util.read_only_dict import ReadOnlyDict
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)

# State attributes only 2026.11 writes (the facts are checked by tests).
NEW_STATE_ATTRIBUTES = {"climate": {"temperature_unit"}}
# Where 2026.11 and 2026.2 serve an integration's icon.
LOCAL_ICON = re.compile(r"^/api/brands/integration/(?P<domain>\w+)/(?P<file>[\w.]+)$")
BRANDS_ICON = "https://brands.home-assistant.io/_/{domain}/{file}"


def _plain_keys(data: Mapping[Any, Any]) -> dict[Any, Any]:
    """The mapping with enum keys as their string values."""
    return {
        key.value if isinstance(key, StrEnum) else key: value
        for key, value in data.items()
    }


class HarviaSnapshotSerializer(HomeAssistantSnapshotSerializer):
    """Home Assistant's serializer, with 2026.11's format changes undone."""

    @classmethod
    def _serializable_state(cls, data: State) -> Any:
        serialized = super()._serializable_state(data)
        dropped = NEW_STATE_ATTRIBUTES.get(data.domain, set())
        attributes = {
            key: value
            for key, value in _plain_keys(serialized["attributes"]).items()
            if key not in dropped
        }
        picture = attributes.get("entity_picture")
        if isinstance(picture, str) and (local := LOCAL_ICON.match(picture)):
            attributes["entity_picture"] = BRANDS_ICON.format(**local.groupdict())
        serialized["attributes"] = ReadOnlyDict(attributes)
        return serialized

    @classmethod
    def _serializable_entity_registry_entry(cls, data: er.RegistryEntry) -> Any:
        serialized = super()._serializable_entity_registry_entry(data)
        serialized.pop("compat_name", None)
        # None stands for the entity's own name, which 2026.2 implies.
        serialized["aliases"] = {a for a in serialized["aliases"] if a is not None}
        if serialized.get("capabilities"):
            serialized["capabilities"] = _plain_keys(serialized["capabilities"])
        serialized["options"] = {
            domain: _plain_keys(options)
            for domain, options in serialized["options"].items()
        }
        return serialized


class HarviaSnapshotExtension(HomeAssistantSnapshotExtension):
    """The test plugin's extension with the release-neutral serializer."""

    serializer_class = HarviaSnapshotSerializer
