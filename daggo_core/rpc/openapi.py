"""The OpenAPI 3.1 description of the RPC API, generated from the message classes."""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import enum
import functools
import inspect
import types
import typing
from typing import Any

import attrs

from daggo_core.rpc.registry import rpc_methods
from daggo_core.rpc.streams import STREAM_PATHS

__all__ = ["ERROR_RESPONSES", "openapi_spec"]

#: The error answers every method may give, by status (see docs/RPC.md).
ERROR_RESPONSES = {
    "400": "malformed_json or invalid_argument: the body is not the request message",
    "401": "unauthenticated: the server asks for credentials (the bearer token "
           "admin.secret_key) and the request has no valid ones",
    "404": "unknown_method, or not_found: what the request names does not exist",
    "409": "failed_precondition: the request cannot apply now",
    "500": "internal: an unexpected error, with an id the server log has",
    "503": "unavailable: the database could not be reached",
}
_ERROR_SCHEMA = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message"], "additionalProperties": False,
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
}
_SCALARS: dict[type, dict[str, Any]] = {
    str: {"type": "string"}, bool: {"type": "boolean"}, int: {"type": "integer"},
    float: {"type": "number"}, type(None): {"type": "null"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
}
_ARRAYS = (list, tuple, set, frozenset, cabc.Sequence, cabc.MutableSequence, cabc.Set,
           cabc.MutableSet)
_MAPPINGS = (dict, cabc.Mapping, cabc.MutableMapping)


@functools.cache
def openapi_spec(version: str = "0") -> dict[str, Any]:
    """The whole spec: a path per method, a schema per message class."""
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for name, method in rpc_methods().items():
        operation: dict[str, Any] = {
            "operationId": name.replace(".", "_"),
            "summary": method.doc.split("\n\n")[0].replace("\n", " ") or name,
            "tags": [name.split(".")[0]],
            "responses": {
                "200": {"description": "the response message",
                        "content": _json(_schema(method.response, schemas))},
                **{status: {"description": text,
                            "content": _json({"$ref": "#/components/schemas/Error"})}
                   for status, text in ERROR_RESPONSES.items()},
            },
        }
        if method.request is not None:
            operation["requestBody"] = {"required": False,
                                        "content": _json(_schema(method.request, schemas))}
        paths[f"/rpc/{name}"] = {"post": operation}
    paths.update(STREAM_PATHS)
    return {
        "openapi": "3.1.0",
        "info": {"title": "daggo RPC API", "version": version,
                 "description": "Every daggo service method as POST /rpc/<Service>.<Method>."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "admin.secret_key, when it is set"}}},
        # The bearer token, or none while the server leaves the API open.
        "security": [{"bearerAuth": []}, {}],
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _schema(kind: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of `kind`; attrs classes are put in `schemas` and referred to."""
    if kind in _SCALARS:
        return dict(_SCALARS[kind])
    if kind is Any:
        return {}
    if inspect.isclass(kind) and issubclass(kind, enum.Enum):
        return {"enum": [member.value for member in kind]}
    if attrs.has(kind):
        name = kind.__name__
        if name not in schemas:
            schemas[name] = {}  # reserved first: a class may refer to itself
            schemas[name] = _object(kind, schemas)
        return {"$ref": f"#/components/schemas/{name}"}
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(arg, schemas) for arg in args]}
    if origin in _ARRAYS:
        items = [a for a in args if a is not Ellipsis]
        return {"type": "array", **({"items": _schema(items[0], schemas)} if items else {})}
    if origin in _MAPPINGS:
        return {"type": "object",
                **({"additionalProperties": _schema(args[1], schemas)} if args else {})}
    return {}


def _object(cls: type, schemas: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties = {field.name: _schema(hints[field.name], schemas)
                  for field in attrs.fields(cls)}
    required = [field.name for field in attrs.fields(cls)
                if field.default is attrs.NOTHING]
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    if required:
        schema["required"] = required
    doc = inspect.getdoc(cls)
    if doc and not doc.startswith(f"{cls.__name__}("):
        schema["description"] = doc
    return schema
