"""The Harvia endpoints document: the only source of API hosts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Self

from .exceptions import HarviaParseError

DEFAULT_ENDPOINTS_URL: Final = "https://prod.api.harvia.io/endpoints"


def derive_wss_url(https_url: str) -> str:
    """Derive an AppSync realtime URL from its query URL.

    ``https`` becomes ``wss`` (``http`` becomes ``ws``) and ``appsync-api``
    becomes ``appsync-realtime-api``.
    """
    if https_url.startswith("https://"):
        url = "wss://" + https_url.removeprefix("https://")
    elif https_url.startswith("http://"):
        url = "ws://" + https_url.removeprefix("http://")
    else:
        url = https_url
    return url.replace("appsync-api", "appsync-realtime-api", 1)


def _url(value: Any, schemes: tuple[str, ...] = ("https://", "http://")) -> str | None:
    """Return a URL with one of ``schemes`` (trailing slash removed), else ``None``."""
    if isinstance(value, str) and value.startswith(schemes):
        return value.rstrip("/")
    return None


@dataclass(frozen=True, slots=True)
class GraphQLEndpoint:
    """One AppSync API: its query URL and its realtime (websocket) URL."""

    https: str
    wss: str

    @property
    def host(self) -> str:
        """The query URL's host, as AppSync's realtime handshake wants it."""
        rest = self.https.split("://", 1)[-1]
        return rest.split("/", 1)[0]

    @classmethod
    def from_dict(cls, payload: Any) -> Self | None:
        """Build from ``{https, wss?}``; ``None`` when there is no https URL."""
        if not isinstance(payload, Mapping):
            return None
        https = _url(payload.get("https"))
        if https is None:
            return None
        wss = _url(payload.get("wss"), ("wss://", "ws://")) or derive_wss_url(https)
        return cls(https=https, wss=wss)


@dataclass(frozen=True, slots=True)
class Endpoints:
    """REST bases and GraphQL APIs from the endpoints document."""

    rest_generics: str
    rest_device: str
    rest_data: str
    graphql_device: GraphQLEndpoint
    graphql_data: GraphQLEndpoint
    rest_users: str | None = None
    graphql: dict[str, GraphQLEndpoint] = field(default_factory=dict)
    region: str | None = None
    version: str | None = None

    @classmethod
    def from_dict(cls, payload: Any) -> Self:
        """Parse ``{"endpoints": {...}}`` (or the inner object itself)."""
        if not isinstance(payload, Mapping):
            raise HarviaParseError("endpoints document: expected a JSON object")
        inner = payload.get("endpoints", payload)
        if not isinstance(inner, Mapping):
            raise HarviaParseError("endpoints document: no endpoints object")
        rest_raw = inner.get("RestApi")
        rest = rest_raw if isinstance(rest_raw, Mapping) else {}
        graphql_raw = inner.get("GraphQL")
        graphql_section = graphql_raw if isinstance(graphql_raw, Mapping) else {}

        def rest_url(name: str) -> str | None:
            entry = rest.get(name)
            return _url(entry.get("https")) if isinstance(entry, Mapping) else None

        graphql: dict[str, GraphQLEndpoint] = {}
        for name, entry in graphql_section.items():
            endpoint = GraphQLEndpoint.from_dict(entry)
            if isinstance(name, str) and endpoint is not None:
                graphql[name] = endpoint

        generics = rest_url("generics")
        device = rest_url("device")
        data = rest_url("data")
        missing = [
            label
            for label, value in (
                ("RestApi.generics", generics),
                ("RestApi.device", device),
                ("RestApi.data", data),
                ("GraphQL.device", graphql.get("device")),
                ("GraphQL.data", graphql.get("data")),
            )
            if value is None
        ]
        if missing or not (generics and device and data):
            raise HarviaParseError("endpoints document: missing " + ", ".join(missing))
        config_raw = inner.get("Config")
        config = config_raw if isinstance(config_raw, Mapping) else {}
        region = config.get("Region")
        version = inner.get("version", payload.get("version"))
        return cls(
            rest_generics=generics,
            rest_device=device,
            rest_data=data,
            graphql_device=graphql["device"],
            graphql_data=graphql["data"],
            rest_users=rest_url("users"),
            graphql=graphql,
            region=region if isinstance(region, str) else None,
            version=version if isinstance(version, str) else None,
        )
