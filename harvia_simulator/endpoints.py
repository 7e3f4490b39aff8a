"""The endpoints document (`GET /endpoints`) in the real service's shape."""

from __future__ import annotations

from typing import Any

from .tokens import APP_CLIENT_ID, USER_POOL_ID

VERSION = "6.31.2"
GRAPHQL_APIS = ("device", "data", "events", "users", "stats", "payment")
REST_APIS = ("generics", "device", "data", "users")


def endpoints_document(base_url: str) -> dict[str, Any]:
    """Every URL points back at this server (http/ws: no TLS locally; the
    keys keep their real names `https`/`wss`)."""
    ws_base = "ws" + base_url.removeprefix("http")
    host = base_url.split("://", 1)[1]
    return {
        "endpoints": {
            "RestApi": {
                name: {"https": f"{base_url}/rest/{name}"} for name in REST_APIS
            },
            "GraphQL": {
                name: {
                    "https": f"{base_url}/graphql/{name}",
                    "wss": f"{ws_base}/realtime/{name}",
                    "schemaUrl": f"{base_url}/schema/{name}.graphql",
                }
                for name in GRAPHQL_APIS
            },
            "Config": {
                "Region": "eu-central-1",
                "UserPoolId": USER_POOL_ID,
                "IdentityPoolId": "eu-central-1:0c6f3a52-5a0e-4b8e-9d8e-7a1f2e3d4c5b",
                "Clients": [
                    {"name": "MyHarvia", "id": APP_CLIENT_ID},
                    {"name": "HarviaWeb", "id": "harviasimulatorwebclient02"},
                ],
                "IotCoreEndpoint": host,
                "EulaUrl": f"{base_url}/legal/eula",
                "PrivacyPolicyUrl": f"{base_url}/legal/privacy",
            },
            "version": VERSION,
        }
    }
