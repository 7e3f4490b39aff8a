"""Every GraphQL document validates against the simulator's SDL schema."""

from __future__ import annotations

from pathlib import Path

from gql import Client
from graphql import build_schema, validate
import pytest

from custom_components.harvia.api import DOCUMENTS

SCHEMA_DIR = Path(__file__).parents[2] / "harvia_simulator" / "schema"

# Which AppSync API serves each document.
DATA_API = {"devices_measurements_latest", "devices_measurements_update_feed"}


def _schema_text(api: str) -> str:
    return (SCHEMA_DIR / f"{api}.graphql").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_validates(name: str) -> None:
    """graphql-core validation and gql's own client-side validation agree: valid."""
    api = "data" if name in DATA_API else "device"
    schema = build_schema(_schema_text(api))
    document = DOCUMENTS[name]
    assert validate(schema, document) == []
    client = Client(schema=_schema_text(api))
    client.validate(document)


def test_every_document_is_assigned() -> None:
    """The data-API documents exist (a rename would silently skip them)."""
    assert set(DATA_API) <= set(DOCUMENTS)
