"""The OpenAPI 3.1 description of the RPC API, generated from the message classes."""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import enum
import inspect
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from daggo_core.errors import PluginError
from daggo_core.rpc.errors import ERROR_CODES
from daggo_core.rpc.registry import CORE_PROVIDER, RpcMethod
from daggo_core.rpc.streams import STREAM_PATHS
from daggo_core.serde import unstructure
from daggo_core.services.paging import page_size

__all__ = ["ERROR_RESPONSES", "openapi_spec"]

#: The error answers every method may give, by status: the codes of each (see
#: daggo_core/rpc/errors.py and docs/RPC.md).
ERROR_RESPONSES = {
    str(status): "; ".join(f"{e.code}: {e.when}" for e in ERROR_CODES.values()
                           if e.status == status)
    for status in sorted({e.status for e in ERROR_CODES.values()})
}
_ERROR_SCHEMA = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "description": "What a failed call answers, with the status of its code.",
    "properties": {"error": {
        "type": "object", "required": ["code", "message"], "additionalProperties": False,
        "properties": {"code": {"enum": list(ERROR_CODES)},
                       "message": {"type": "string"}}}},
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


def openapi_spec(methods: Mapping[str, RpcMethod], version: str) -> dict[str, Any]:
    """The whole spec of `methods`: a path per method with its example call, a schema per
    message class (fields with their defaults, page sizes on `limit`)."""
    schemas = _Schemas()
    paths: dict[str, Any] = {}
    for name, method in methods.items():
        example = method.example
        operation: dict[str, Any] = {
            "operationId": name.replace(".", "_"),
            "summary": method.doc.split("\n\n")[0].replace("\n", " ") or name,
            "description": method.doc,
            "tags": [name.split(".")[0]],
            "responses": {
                "200": {"description": "the response message",
                        "content": _json(schemas.of(method.response),
                                         example.response if example else None)},
                **{status: {"description": text,
                            "content": _json({"$ref": "#/components/schemas/Error"})}
                   for status, text in ERROR_RESPONSES.items()},
            },
        }
        if method.provider != CORE_PROVIDER:
            operation["x-daggo-plugin"] = method.provider
        if method.request is not None:
            # An empty body is the message with every default: required only when the
            # message has a field without one.
            operation["requestBody"] = {
                "required": any(f.default is attrs.NOTHING for f in attrs.fields(method.request)),
                "content": _json(schemas.of(method.request),
                                 _given_fields(example.request) if example else None)}
        paths[f"/rpc/{name}"] = {"post": operation}
    paths.update(STREAM_PATHS)
    return {
        "openapi": "3.1.0",
        "info": {"title": "daggo RPC API", "version": version,
                 "description": "Every daggo service method as POST /rpc/<Service>.<Method>."},
        "paths": paths,
        "components": {"schemas": {"Error": _ERROR_SCHEMA, **schemas.found},
                       "securitySchemes": {
                           "bearerAuth": {"type": "http", "scheme": "bearer",
                                          "description": "admin.secret_key, when it is set"}}},
        # The bearer token, or none while the server leaves the API open.
        "security": [{"bearerAuth": []}, {}],
    }


def _json(schema: dict[str, Any], example: object | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["examples"] = {"example": {"value": unstructure(example)}}
    return {"application/json": media}


def _enum(cls: type[enum.Enum]) -> dict[str, Any]:
    """An enum's schema: its values, typed when they all are strings (or integers)."""
    values = [member.value for member in cls]
    schema: dict[str, Any] = {"enum": values}
    for kind, name in ((str, "string"), (int, "integer")):
        if all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
            schema = {"type": name, **schema}
            break
    doc = inspect.getdoc(cls)
    if doc and doc != inspect.getdoc(enum.Enum) and not doc.startswith(cls.__name__):
        schema["description"] = doc
    return schema


def _given_fields(message: Any) -> dict[str, Any]:
    """A request message as a caller writes it: the fields that differ from their
    defaults."""
    data: dict[str, Any] = unstructure(message)
    for field in attrs.fields(type(message)):
        default = _default(field)
        if default is not attrs.NOTHING and data[field.name] == unstructure(default):
            del data[field.name]
    return data


def _default(field: attrs.Attribute[Any]) -> Any:
    """The field's default value (a factory's product), or attrs.NOTHING for none (or
    one computed from the instance)."""
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return attrs.NOTHING if default.takes_self else default.factory()
    return default


class _Schemas:
    """The schemas of the message classes met so far, by class name."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}
        self._classes: dict[str, type] = {}

    def of(self, kind: Any) -> dict[str, Any]:
        """The JSON Schema of `kind`; attrs classes are put in `found` and referred to."""
        if kind in _SCALARS:
            return dict(_SCALARS[kind])
        if kind is Any:
            return {}
        if (inspect.isclass(kind) and issubclass(kind, enum.Enum)) or attrs.has(kind):
            return self._ref(kind)
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.of(arg) for arg in args]}
        if origin in _ARRAYS:
            items = [a for a in args if a is not Ellipsis]
            return {"type": "array", **({"items": self.of(items[0])} if items else {})}
        if origin in _MAPPINGS:
            schema: dict[str, Any] = {"type": "object"}
            if args:
                schema["additionalProperties"] = self.of(args[1])
                if inspect.isclass(args[0]) and issubclass(args[0], enum.Enum):
                    schema["propertyNames"] = self.of(args[0])  # keyed by an enum's values
            return schema
        return {}

    def _ref(self, cls: type) -> dict[str, Any]:
        name = cls.__name__
        known = self._classes.get(name)
        if known is None:
            self._classes[name] = cls
            self.found[name] = {}  # reserved first: a class may refer to itself
            self.found[name] = _enum(cls) if issubclass(cls, enum.Enum) else self._object(cls)
        elif known is not cls:
            # Only a plugin's service can bring a second class of a name: daggo's are unique.
            raise PluginError(
                f"daggo_services: two message classes of the RPC API are named {name}: "
                f"{known.__module__}.{name} and {cls.__module__}.{name}; rename the "
                "plugin's class (its schema would be the other's)")
        return {"$ref": f"#/components/schemas/{name}"}

    def _object(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        properties = {field.name: self._field(field, hints[field.name])
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

    def _field(self, field: attrs.Attribute[Any], kind: Any) -> dict[str, Any]:
        schema = self.of(kind)
        default = _default(field)
        if default is not attrs.NOTHING:
            schema["default"] = unstructure(default)
        size = page_size(field)
        if size is not None:
            schema.update(minimum=1, maximum=size.maximum)
        return schema
