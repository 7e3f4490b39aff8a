"""GraphQL over HTTP for the device and data AppSync APIs (graphql-core).

The schemas come from `schema/*.graphql`. Resolvers are plain callables in a
root-value dict (graphql-core calls `root[field](info, **args)`), bound to the
caller's account per request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources
import inspect
import json
import logging
from typing import Any

from aiohttp import web
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    ValueNode,
    build_schema,
    execute,
    get_operation_ast,
    parse,
    validate,
)

from .accounts import Account
from .cloud import HarviaCloud
from .errors import SimError, bad_request
from .faults import RouteFault
from .httputil import answer_late, apply_fault, fault_response, json_response, read_json
from .shapes import device_item, graphql_measurement, graphql_state, ota_state

_LOGGER = logging.getLogger(__name__)

Resolvers = dict[str, Callable[..., Any]]


def _sdl(name: str) -> str:
    return (
        resources.files(__package__)
        .joinpath("schema", name)
        .read_text(encoding="utf-8")
    )


def _awsjson_value(value: Any) -> Any:
    """An AWSJSON input: a JSON *string* (an object where one is expected is
    refused, as AppSync does)."""
    if not isinstance(value, str):
        raise GraphQLError(f"Unable to parse {value!r} as valid JSON.")
    try:
        return json.loads(value)
    except ValueError as err:
        raise GraphQLError(f"Unable to parse {value!r} as valid JSON.") from err


def _awsjson_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    del variables  # a JSON string literal holds no variables
    if not isinstance(node, StringValueNode):
        raise GraphQLError("AWSJSON literals must be JSON strings.")
    return _awsjson_value(node.value)


def _awsjson_output(value: Any) -> str:
    """AWSJSON fields leave as JSON strings."""
    if not isinstance(value, str):
        raise TypeError("AWSJSON output must be a JSON string")
    return value


def _build(text: str) -> GraphQLSchema:
    schema = build_schema(text)
    scalar = schema.type_map.get("AWSJSON")
    if isinstance(scalar, GraphQLScalarType):
        scalar.parse_value = _awsjson_value  # type: ignore[method-assign]
        scalar.parse_literal = _awsjson_literal  # type: ignore[method-assign]
        scalar.serialize = _awsjson_output  # type: ignore[method-assign]
    return schema


SDL: dict[str, str] = {"device": _sdl("device.graphql"), "data": _sdl("data.graphql")}
SCHEMAS: dict[str, GraphQLSchema] = {api: _build(text) for api, text in SDL.items()}


@lru_cache(maxsize=256)
def checked_document(
    api: str, query: str
) -> tuple[DocumentNode, tuple[GraphQLError, ...]]:
    """A query parsed and validated against an API's schema (raises on a
    syntax error). Cached: clients send the same few documents again and
    again, and checking each anew made the simulator, not the client, the
    bottleneck with many devices."""
    document = parse(query)
    return document, tuple(validate(SCHEMAS[api], document))


def format_error(error: GraphQLError) -> dict[str, Any]:
    """One GraphQL error in AppSync's shape: message, errorType, path, extensions."""
    original = error.original_error
    entry: dict[str, Any] = {
        "message": error.message,
        "path": error.path,
        "locations": (
            [
                {"line": loc.line, "column": loc.column, "sourceName": None}
                for loc in error.locations
            ]
            if error.locations
            else None
        ),
    }
    if isinstance(original, SimError):
        entry["message"] = original.message
        entry["errorType"] = original.error_type
        entry["extensions"] = {"code": original.code, "statusCode": original.status}
    elif original is not None and not isinstance(original, GraphQLError):
        _LOGGER.error("Resolver failed", exc_info=original)
        entry["errorType"] = "InternalFailure"
        entry["extensions"] = {"code": "INTERNAL_ERROR", "statusCode": 500}
    else:
        entry["message"] = f"Validation error: {error.message}"
        entry["errorType"] = "ValidationError"
        entry["extensions"] = {"code": "VALIDATION_ERROR", "statusCode": 400}
    return entry


def format_result(result: ExecutionResult) -> dict[str, Any]:
    """`{"data", "errors"}`; data is null when every requested field failed."""
    data = result.data
    body: dict[str, Any] = {"data": data}
    if result.errors:
        body["errors"] = [format_error(err) for err in result.errors]
        if data is not None and all(value is None for value in data.values()):
            body["data"] = None
    return body


def validation_failure(errors: list[GraphQLError]) -> dict[str, Any]:
    """Body for a document that does not parse or validate."""
    return {"data": None, "errors": [format_error(err) for err in errors]}


def field_undefined(field: str, operation: OperationDefinitionNode) -> dict[str, Any]:
    """AppSync's answer to a field its schema does not have."""
    parent = "Mutation" if operation.operation == OperationType.MUTATION else "Query"
    return {
        "data": None,
        "errors": [
            {
                "path": None,
                "locations": [{"line": 1, "column": 1, "sourceName": None}],
                "message": (
                    f"Validation error of type FieldUndefined: Field '{field}' "
                    f"in type '{parent}' is undefined @ '{field}'"
                ),
                "errorType": "ValidationError",
            }
        ],
    }


def root_fields(operation: OperationDefinitionNode) -> list[str]:
    """Names of the top-level fields an operation selects."""
    return [
        sel.name.value
        for sel in operation.selection_set.selections
        if isinstance(sel, FieldNode) and not sel.name.value.startswith("__")
    ]


def _json_arg(value: Any, what: str) -> dict[str, Any]:
    """An AWSJSON argument (already decoded from its JSON string): an object."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be a JSON object")
    return value


def device_resolvers(cloud: HarviaCloud, account: Account) -> Resolvers:
    """Root resolvers of the device API for one caller."""

    def devices_get(_info: Any, **args: Any) -> dict[str, Any]:
        return device_item(cloud.owned_device(account, args["deviceId"]))

    def users_devices_list(_info: Any, **args: Any) -> dict[str, Any]:
        devices, token = cloud.list_devices(account, None, args.get("nextToken"))
        return {"devices": [device_item(d) for d in devices], "nextToken": token}

    def devices_states_get(_info: Any, **args: Any) -> dict[str, Any]:
        device, shadow = cloud.state(account, args["deviceId"], args.get("shadowName"))
        return graphql_state(device, shadow)

    def devices_metadata_get(_info: Any, **args: Any) -> dict[str, Any]:
        device = cloud.owned_device(account, args["deviceId"])
        return {
            "deviceId": device.device_id,
            "owner": account.username,
            "roles": ["owner"],
            "contactName": None,
            "phoneCountryCode": None,
            "phoneNumber": None,
        }

    def ota_updates_list(_info: Any, **args: Any) -> dict[str, Any]:
        items, token = cloud.ota_updates(
            account,
            args.get("deviceType"),
            args.get("hwVersion"),
            args.get("nextToken"),
        )
        return {"otaUpdates": [item.as_graphql() for item in items], "nextToken": token}

    def ota_updates_states_list(_info: Any, **args: Any) -> dict[str, Any]:
        rows, token = cloud.ota_states(
            account, args.get("onlyActive"), args.get("nextToken")
        )
        return {
            "otaUpdateStates": [
                ota_state(device, progress) for device, progress in rows
            ],
            "nextToken": token,
        }

    async def devices_commands_send(_info: Any, **args: Any) -> dict[str, Any]:
        params = _json_arg(args.get("params"), "params")
        reason = cloud.faults.not_handled_reason(args["deviceId"])
        if reason is not None:
            cloud.owned_device(account, args["deviceId"])
            return {"response": False, "failureReason": reason}
        await cloud.send_command(
            account,
            args["deviceId"],
            args["command"]["type"],
            params=params,
            cabin_id=args.get("subId"),
        )
        return {"response": True, "failureReason": None}

    def devices_states_update(_info: Any, **args: Any) -> str:
        state = _json_arg(args["state"], "state")
        _device, shadow = cloud.update_desired(
            account, args["deviceId"], state, args.get("shadowName")
        )
        return json.dumps(
            {
                "state": {"desired": shadow.desired},
                "version": shadow.version,
                "timestamp": shadow.timestamp,
                "clientToken": args.get("clientToken"),
            }
        )

    def devices_ota_updates_start(_info: Any, **args: Any) -> bool:
        return cloud.start_ota(account, args["deviceId"], args["otaId"])

    def devices_ota_updates_cancel(_info: Any, **args: Any) -> bool:
        return cloud.cancel_ota(account, args["deviceId"])

    return {
        "devicesGet": devices_get,
        "usersDevicesList": users_devices_list,
        "devicesStatesGet": devices_states_get,
        "devicesMetadataGet": devices_metadata_get,
        "otaUpdatesList": ota_updates_list,
        "otaUpdatesStatesList": ota_updates_states_list,
        "devicesCommandsSend": devices_commands_send,
        "devicesStatesUpdate": devices_states_update,
        "devicesOtaUpdatesStart": devices_ota_updates_start,
        "devicesOtaUpdatesCancel": devices_ota_updates_cancel,
    }


def data_resolvers(cloud: HarviaCloud, account: Account) -> Resolvers:
    """Root resolvers of the data API for one caller."""

    def measurements_latest(_info: Any, **args: Any) -> list[dict[str, Any]]:
        return [
            graphql_measurement(i)
            for i in cloud.measurements_latest(account, args["deviceId"])
        ]

    return {"devicesMeasurementsLatest": measurements_latest}


RESOLVERS: dict[str, Callable[[HarviaCloud, Account], Resolvers]] = {
    "device": device_resolvers,
    "data": data_resolvers,
}


class GraphQLApi:
    """`POST /graphql/<api>` for one AppSync API."""

    def __init__(self, cloud: HarviaCloud, api: str) -> None:
        self.cloud = cloud
        self.api = api
        self.schema = SCHEMAS[api]

    async def handle(self, request: web.Request) -> web.Response:
        """Authorize, parse, validate, count per field, execute."""
        # AppSync authorizes before it looks at the document.
        account = self.cloud.authenticate(request.headers.get("Authorization"))
        try:
            body = await read_json(request)
        except SimError as err:
            return json_response(
                {
                    "data": None,
                    "errors": [
                        {
                            "errorType": "MalformedHttpRequestException",
                            "message": err.message,
                        }
                    ],
                },
                status=400,
            )
        query, variables = body.get("query"), body.get("variables") or {}
        operation_name = body.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, dict):
            return json_response(
                {
                    "data": None,
                    "errors": [
                        {
                            "errorType": "MalformedHttpRequestException",
                            "message": "query must be a string and variables an object",
                        }
                    ],
                },
                status=400,
            )
        try:
            document, errors = checked_document(self.api, query)
        except GraphQLError as err:
            return json_response(validation_failure([err]))
        if errors:
            return json_response(validation_failure(list(errors)))
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return json_response(
                validation_failure(
                    [GraphQLError("Unknown or ambiguous operation name")]
                )
            )
        if operation.operation == OperationType.SUBSCRIPTION:
            return json_response(
                {
                    "data": None,
                    "errors": [
                        {
                            "errorType": "UnsupportedOperation",
                            "message": "Subscriptions are served on the realtime endpoint",
                        }
                    ],
                }
            )
        undefined = self.cloud.faults.undefined_fields(self.api)
        late: RouteFault | None = None
        for field in root_fields(operation):
            route = f"graphql:{self.api}:{field}"
            self.cloud.request_counts[route] += 1
            if field in undefined:
                return json_response(field_undefined(field, operation), status=400)
            fault = self.cloud.faults.take_route(route)
            if await apply_fault(fault):
                assert fault is not None
                return fault_response(fault, route, "graphql")
            if fault is not None and fault.late:
                late = fault
        response = json_response(
            await self.execute(document, account, variables, operation_name)
        )
        return await answer_late(late, response)

    async def execute(
        self,
        document: DocumentNode,
        account: Account,
        variables: dict[str, Any],
        operation_name: str | None,
    ) -> dict[str, Any]:
        """Run a validated query/mutation for `account`."""
        result = execute(
            self.schema,
            document,
            root_value=RESOLVERS[self.api](self.cloud, account),
            variable_values=variables,
            operation_name=operation_name,
        )
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        return format_result(result)
