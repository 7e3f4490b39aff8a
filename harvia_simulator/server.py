"""`SimulatorServer`: the simulated cloud served over HTTP/WebSocket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from aiohttp import web

from .admin import AdminApi
from .cloud import HarviaCloud
from .endpoints import GRAPHQL_APIS, endpoints_document
from .errors import SimError, not_found
from .graphql_api import SDL, GraphQLApi
from .httputil import Handler, json_response, routed
from .realtime import RealtimeHub
from .rest import RestApi


class SimulatorServer:
    """One aiohttp application serving every API of a `HarviaCloud`."""

    def __init__(
        self, cloud: HarviaCloud, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.cloud = cloud
        self.host = host
        self.port = port
        self.realtime: RealtimeHub | None = None
        self._runner: web.AppRunner | None = None
        self._inflight: set[asyncio.Task[object]] = set()
        self._stopping = False

    @property
    def base_url(self) -> str:
        """`http://host:port` of the running server."""
        if self._runner is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def endpoints_url(self) -> str:
        """The endpoints document's URL (what a client is configured with)."""
        return f"{self.base_url}/endpoints"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind and serve."""
        if self._runner is not None:
            raise RuntimeError("server already started")
        self.realtime = RealtimeHub(self.cloud)
        app = web.Application(middlewares=[self._track])
        self._add_routes(app, self.realtime)
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            self.realtime.detach()
            self.realtime = None
            raise
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])

    async def flush(self) -> None:
        """Wait until every queued realtime message has been written."""
        if self.realtime is not None:
            await self.realtime.flush()

    async def stop(self) -> None:
        """Close sockets, cancel in-flight requests, release the port."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        # Nothing new first: a client whose socket is closed below reconnects
        # at once, and a request whose handler starts after the cancelling
        # would hold up the cleanup for as long as its timeouts, which never end
        # under a test's frozen clock. Requests already on the wire are answered
        # 503 at once (see `_track`).
        self._stopping = True
        for site in list(runner.sites):
            await site.stop()
        if self.realtime is not None:
            self.realtime.detach()
            await self.realtime.close_all()
        while tasks := [t for t in self._inflight if not t.done()]:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
        await runner.cleanup()
        self.realtime = None
        self._stopping = False

    @web.middleware
    async def _track(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """Remember request tasks so `stop()` can cancel the ones still waiting
        (command acknowledgements, injected latency, open websockets)."""
        if self._stopping:
            return web.json_response({"message": "Service stopping"}, status=503)
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            latency = self.cloud.faults.latency
            if latency > 0 and not request.path.startswith("/_admin"):
                await asyncio.sleep(latency)
            return await handler(request)
        finally:
            if task is not None:
                self._inflight.discard(task)

    def _add_routes(self, app: web.Application, hub: RealtimeHub) -> None:
        cloud = self.cloud

        def count(name: str) -> None:
            cloud.request_counts[name] += 1

        def add(
            method: str, path: str, name: str, handler: Handler, style: str = "rest"
        ) -> None:
            app.router.add_route(
                method,
                path,
                routed(count, cloud.faults.take_route, name, handler, style),
            )

        add("GET", "/endpoints", "GET /endpoints", self._endpoints)
        for method, path, name, handler in RestApi(cloud).routes():
            add(method, path, name, handler)
        for api in ("device", "data"):
            add(
                "POST",
                f"/graphql/{api}",
                f"POST /graphql/{api}",
                GraphQLApi(cloud, api).handle,
                "graphql",
            )
            add(
                "GET",
                f"/schema/{api}.graphql",
                f"GET /schema/{api}.graphql",
                self._schema(api),
            )
            app.router.add_get(f"/realtime/{api}", hub.handler(api))
        for api in GRAPHQL_APIS:
            if api not in ("device", "data"):
                add(
                    "POST",
                    f"/graphql/{api}",
                    f"POST /graphql/{api}",
                    self._unsimulated(api),
                    "graphql",
                )
        for method, path, handler in AdminApi(cloud).routes():
            app.router.add_route(method, path, handler)
        app.router.add_route("*", "/{tail:.*}", self._not_found)

    async def _endpoints(self, request: web.Request) -> web.Response:
        """The endpoints document, with URLs for the host the client used."""
        return json_response(endpoints_document(f"{request.scheme}://{request.host}"))

    @staticmethod
    def _schema(api: str) -> Handler:
        async def handler(_request: web.Request) -> web.StreamResponse:
            return web.Response(text=SDL[api], content_type="application/graphql")

        return handler

    def _unsimulated(self, api: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            self.cloud.authenticate(request.headers.get("Authorization"))
            raise SimError(
                400,
                "BadRequest",
                f"The {api} API is not simulated",
                error_type="UnsupportedOperation",
            )

        return handler

    @staticmethod
    async def _not_found(request: web.Request) -> web.StreamResponse:
        err = not_found(f"No route for {request.method} {request.path}")
        return json_response(err.body(), status=404)
