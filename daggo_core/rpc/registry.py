"""The RPC methods: each public method of a service, named `<Service>.<Method>`.

A method is a service method that takes one attrs request message (or nothing) and
returns an attrs response message: `RunsService.get_many(RunsGetManyRequest)` is
`Runs.GetMany`. The registry is read off `Services` and the methods' type hints, so a new
service method is an RPC method with no table to keep.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Any

import attrs
from attrs import frozen

from daggo_core.services import Services

__all__ = ["RpcMethod", "rpc_methods"]


@frozen
class RpcMethod:
    """One RPC method: its name, its request and response messages, how to call it, and
    the service method it is (`attribute` of `Services`, `function` of that service)."""

    name: str
    request: type | None
    response: type
    call: Callable[[Services, Any], Any]
    doc: str
    attribute: str
    function: str


def rpc_methods() -> dict[str, RpcMethod]:
    """Every RPC method, by name (`Runs.GetMany`), in a stable order."""
    return {method.name: method for method in _methods()}


def _methods() -> Iterator[RpcMethod]:
    hints = typing.get_type_hints(Services)
    for field in attrs.fields(Services):
        service_type = hints[field.name]
        if field.name == "context" or not inspect.isclass(service_type):
            continue
        service_name = _camel(field.name)
        for name, function in inspect.getmembers(service_type, inspect.isfunction):
            method = _method(service_name, field.name, name, function)
            if method is not None:
                yield method


def _method(service_name: str, attribute: str, name: str,
            function: Callable[..., Any]) -> RpcMethod | None:
    if name.startswith("_"):
        return None
    parameters = list(inspect.signature(function).parameters.values())[1:]
    hints = typing.get_type_hints(function)
    response = hints.get("return")
    if response is None or not attrs.has(response) or len(parameters) > 1:
        return None
    request = hints.get(parameters[0].name) if parameters else None
    if parameters and (request is None or not attrs.has(request)
                       or parameters[0].kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD):
        return None

    def call(services: Services, message: Any) -> Any:
        bound = getattr(getattr(services, attribute), name)
        return bound() if request is None else bound(message)

    return RpcMethod(name=f"{service_name}.{_camel(name)}", request=request,
                     response=response, call=call,
                     doc=inspect.getdoc(function) or "", attribute=attribute, function=name)


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))
