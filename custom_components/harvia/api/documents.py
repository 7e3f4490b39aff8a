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
from graphql import DocumentNode, FieldNode, OperationDefinitionNode, parse, print_ast

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


def _aliased(
    template: DocumentNode,
    name: str,
    alias: str,
    count: int,
    arguments: dict[str, str],
) -> DocumentNode:
    """``template``'s one field ``count`` times in one query, aliased.

    ``arguments`` maps each argument to its variable type; the copy ``i`` is
    aliased ``{alias}{i}`` and reads its arguments from ``$<first letter><i>``
    (``deviceId`` from ``$d0``, ...), selecting what the template selects.
    """
    operation = template.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    field = operation.selection_set.selections[0]
    assert isinstance(field, FieldNode) and field.selection_set is not None
    selection = print_ast(field.selection_set)
    variables = ", ".join(
        f"${argument[0]}{i}: {kind}"
        for i in range(count)
        for argument, kind in arguments.items()
    )
    fields = " ".join(
        f"{alias}{i}: {field.name.value}("
        + ", ".join(f"{argument}: ${argument[0]}{i}" for argument in arguments)
        + f") {selection}"
        for i in range(count)
    )
    text = f"query {name}({variables}) {{ {fields} }}"
    # Built here, so sent as built: no locations kept, no reprinting.
    document = parse(text, no_location=True)
    _TEXT[id(document)] = text
    return document


@lru_cache(maxsize=64)
def devices_states_get_many(count: int) -> DocumentNode:
    """``devicesStatesGet`` ``count`` times in one query.

    Aliases ``c0``, ``c1``, ... with variables ``$d0``/``$s0``, ... (device id
    and shadow name); each selects what :data:`DEVICES_STATES_GET` selects.
    """
    return _aliased(
        DEVICES_STATES_GET,
        "DevicesStatesGetMany",
        "c",
        count,
        {"deviceId": "ID!", "shadowName": "String"},
    )


@lru_cache(maxsize=64)
def devices_measurements_latest_many(count: int) -> DocumentNode:
    """``devicesMeasurementsLatest`` ``count`` times in one query.

    Aliases ``m0``, ``m1``, ... with variables ``$d0``, ... (device ids); each
    selects what :data:`DEVICES_MEASUREMENTS_LATEST` selects.
    """
    return _aliased(
        DEVICES_MEASUREMENTS_LATEST,
        "DevicesMeasurementsLatestMany",
        "m",
        count,
        {"deviceId": "String!"},
    )
