"""The endpoints document model (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.harvia.api import (
    DEFAULT_ENDPOINTS_URL,
    Endpoints,
    GraphQLEndpoint,
    HarviaParseError,
    derive_wss_url,
)

APPSYNC = "https://abc123.appsync-api.eu-central-1.amazonaws.com/graphql"


def _document(**graphql: Any) -> dict[str, Any]:
    return {
        "endpoints": {
            "RestApi": {
                "generics": {
                    "https": "https://g.execute-api.eu-central-1.amazonaws.com/prod/"
                },
                "device": {
                    "https": "https://d.execute-api.eu-central-1.amazonaws.com/prod"
                },
                "data": {
                    "https": "https://t.execute-api.eu-central-1.amazonaws.com/prod"
                },
                "users": {"https": 5},
            },
            "GraphQL": {
                "device": {"https": APPSYNC},
                "data": {
                    "https": "https://def.appsync-api.eu-central-1.amazonaws.com/graphql",
                    "wss": "wss://def.appsync-realtime-api.eu-central-1.amazonaws.com/graphql",
                },
                **graphql,
            },
            "Config": {"Region": "eu-central-1"},
            "version": "6.31.2",
        }
    }


def test_default_url() -> None:
    """The published document's URL."""
    assert DEFAULT_ENDPOINTS_URL == "https://prod.api.harvia.io/endpoints"


def test_derive_wss() -> None:
    """https→wss and appsync-api→appsync-realtime-api."""
    assert (
        derive_wss_url(APPSYNC)
        == "wss://abc123.appsync-realtime-api.eu-central-1.amazonaws.com/graphql"
    )
    assert (
        derive_wss_url("http://127.0.0.1:1/graphql/x") == "ws://127.0.0.1:1/graphql/x"
    )
    assert derive_wss_url("ftp://x") == "ftp://x"


def test_parse_real_shape() -> None:
    """REST bases (trailing slash removed), GraphQL with derived wss, extras."""
    endpoints = Endpoints.from_dict(
        _document(
            events={"https": "ftp://no"}, stats="junk", payment={"wss": "wss://x"}
        )
    )
    assert (
        endpoints.rest_generics
        == "https://g.execute-api.eu-central-1.amazonaws.com/prod"
    )
    assert endpoints.rest_users is None
    assert endpoints.graphql_device == GraphQLEndpoint(
        APPSYNC, "wss://abc123.appsync-realtime-api.eu-central-1.amazonaws.com/graphql"
    )
    assert (
        endpoints.graphql_device.host == "abc123.appsync-api.eu-central-1.amazonaws.com"
    )
    assert endpoints.graphql_data.wss.startswith("wss://def.appsync-realtime-api")
    assert set(endpoints.graphql) == {"device", "data"}
    assert endpoints.region == "eu-central-1"
    assert endpoints.version == "6.31.2"


def test_parse_inner_object() -> None:
    """The inner object alone is accepted too."""
    assert Endpoints.from_dict(_document()["endpoints"]).version == "6.31.2"


@pytest.mark.parametrize(
    "payload",
    [None, [], {"endpoints": []}, {"endpoints": {}}, {"endpoints": {"RestApi": "x"}}],
)
def test_unusable(payload: Any) -> None:
    """Missing bases or not an object: a parse error."""
    with pytest.raises(HarviaParseError):
        Endpoints.from_dict(payload)


def test_missing_graphql_data() -> None:
    """The data API is required."""
    document = _document()
    del document["endpoints"]["GraphQL"]["data"]
    with pytest.raises(HarviaParseError, match=r"GraphQL\.data"):
        Endpoints.from_dict(document)
