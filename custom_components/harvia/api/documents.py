"""GraphQL documents of the Harvia APIs, parsed once at import.

The ``.graphql`` files live in the ``graphql`` folder beside this module. They
are read at import time (never from the event loop) with :func:`gql.gql`,
which also checks their syntax.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

from gql import gql
from graphql import DocumentNode, FieldNode, OperationDefinitionNode, print_ast

GRAPHQL_DIR: Final = Path(__file__).parent / "graphql"


def _load_all() -> dict[str, DocumentNode]:
    return {
        path.stem: gql(path.read_text(encoding="utf-8"))
        for path in sorted(GRAPHQL_DIR.glob("*.graphql"))
    }


#: Every document by file stem (e.g. ``"devices_states_update_feed"``).
DOCUMENTS: Final = MappingProxyType(_load_all())

# Device API (GraphQL.device)
DEVICES_STATES_GET: Final = DOCUMENTS["devices_states_get"]
DEVICES_COMMANDS_SEND: Final = DOCUMENTS["devices_commands_send"]
OTA_UPDATES_LIST: Final = DOCUMENTS["ota_updates_list"]
OTA_UPDATES_STATES_LIST: Final = DOCUMENTS["ota_updates_states_list"]
DEVICES_OTA_UPDATES_START: Final = DOCUMENTS["devices_ota_updates_start"]
DEVICES_OTA_UPDATES_CANCEL: Final = DOCUMENTS["devices_ota_updates_cancel"]
DEVICES_STATES_UPDATE_FEED: Final = DOCUMENTS["devices_states_update_feed"]
OTA_UPDATES_STATES_UPDATE_FEED: Final = DOCUMENTS["ota_updates_states_update_feed"]

# Data API (GraphQL.data)
DEVICES_MEASUREMENTS_LATEST: Final = DOCUMENTS["devices_measurements_latest"]
DEVICES_MEASUREMENTS_UPDATE_FEED: Final = DOCUMENTS["devices_measurements_update_feed"]

_TEXT: Final = {id(doc): print_ast(doc) for doc in DOCUMENTS.values()}


def document_text(document: DocumentNode) -> str:
    """The printed source of a document, as sent in ``{"query": ...}``."""
    text = _TEXT.get(id(document))
    return text if text is not None else print_ast(document)


@lru_cache(maxsize=64)
def devices_states_get_many(count: int) -> DocumentNode:
    """``devicesStatesGet`` ``count`` times in one query.

    Aliases ``c0``, ``c1``, ... with variables ``$d0``/``$s0``, ... (device id
    and shadow name); each selects what :data:`DEVICES_STATES_GET` selects.
    """
    operation = DEVICES_STATES_GET.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    field = operation.selection_set.selections[0]
    assert isinstance(field, FieldNode) and field.selection_set is not None
    selection = print_ast(field.selection_set)
    variables = ", ".join(f"$d{i}: ID!, $s{i}: String" for i in range(count))
    fields = " ".join(
        f"c{i}: devicesStatesGet(deviceId: $d{i}, shadowName: $s{i}) {selection}"
        for i in range(count)
    )
    document = gql(f"query DevicesStatesGetMany({variables}) {{ {fields} }}")
    _TEXT[id(document)] = print_ast(document)
    return document
