"""aiohttp plumbing shared by the REST, GraphQL and realtime handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import json
from typing import Any

from aiohttp import web

from .errors import SimError, bad_request, graphql_names, status_name
from .faults import RouteFault

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CountSink = Callable[[str], None]


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.json_response(body, status=status)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object (400 otherwise)."""
    try:
        body = await request.json(loads=json.loads)
    except ValueError as err:
        raise bad_request("Request body must be valid JSON") from err
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def graphql_error(
    status: int, error_type: str | None, message: str, **extensions: Any
) -> dict[str, Any]:
    """One entry of a GraphQL `errors` array in AppSync's style."""
    default_type, code = graphql_names(status)
    return {
        "errorType": error_type or default_type,
        "message": message,
        "extensions": {"code": code, **extensions},
    }


def error_response(err: SimError, style: str) -> web.Response:
    """Render a refusal as REST `{error, message}` or GraphQL `{errors}`."""
    if style == "graphql":
        entry = graphql_error(err.status, err.error_type, err.message)
        entry["extensions"]["code"] = err.code
        return json_response({"data": None, "errors": [entry]}, status=err.status)
    return json_response(err.body(), status=err.status)


def fault_response(fault: RouteFault, route: str, style: str) -> web.Response:
    """The response an injected route fault produces."""
    status = fault.status or 500
    if fault.body is not None:
        return json_response(fault.body, status=status)
    message = f"Simulated {status} on {route}"
    if style == "graphql":
        return json_response(
            {"data": None, "errors": [graphql_error(status, None, message)]},
            status=status,
        )
    body: dict[str, Any] = {"error": status_name(status), "message": message}
    if status == 504:
        body.update(handled=False, failureReason="Device unavailable")
    return json_response(body, status=status)


async def apply_fault(fault: RouteFault | None) -> bool:
    """Sleep an injected latency; True when the request must fail.

    A late hold is not waited here: the answer is (see `answer_late`).
    """
    if fault is None:
        return False
    if not fault.late:
        await fault.wait()
    if fault.latency > 0:
        await asyncio.sleep(fault.latency)
    return fault.status is not None


async def answer_late[R](fault: RouteFault | None, response: R) -> R:
    """Hold an answer already made while a late-held route is held."""
    if fault is not None and fault.late:
        await fault.wait()
    return response


def routed(
    count: CountSink,
    take_fault: Callable[[str], RouteFault | None],
    name: str,
    handler: Handler,
    style: str = "rest",
) -> Handler:
    """Wrap a handler: count the route, apply its faults, render SimErrors."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        count(name)
        fault = take_fault(name)
        if await apply_fault(fault):
            assert fault is not None
            return fault_response(fault, name, style)
        try:
            response = await handler(request)
        except SimError as err:
            response = error_response(err, style)
        return await answer_late(fault, response)

    return wrapped
