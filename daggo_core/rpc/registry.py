"""The RPC methods: each public method of a service, named `<Service>.<Method>`.

A method is a service method that takes one attrs request message (or nothing) and
returns an attrs response message: `RunsService.get_many(RunsGetManyRequest)` is
`Runs.GetMany`. The registry is read off the service classes, daggo's own and the ones
plugins add (`daggo_services`), and the methods' type hints, with the same rule for
both: a new service method is an RPC method with no table to keep. A method with an
`async` twin on its service (`push` and `push_async`, same parameters, request and
response types) is answered by awaiting the twin, holding none of the loop's threads
while it waits; coroutine functions are never methods of their own.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from attrs import frozen

from daggo_core.errors import PluginError
from daggo_core.extensions import MethodExample
from daggo_core.services import CORE_SERVICES, Services
from daggo_core.services.examples import CORE_EXAMPLES

__all__ = ["CORE_PROVIDER", "RpcMethod", "core_rpc_methods", "rpc_methods"]

#: The provider of daggo's own methods (a plugin's are provided by the plugin's name).
CORE_PROVIDER = "daggo"


@frozen
class RpcMethod:
    """One RPC method: its name, its request and response messages, the service method
    that answers it (`function` of the service; for daggo's, the service is `attribute` of
    `Services`), who provides it (daggo or a plugin) and its example call."""

    name: str
    service: str
    attribute: str | None
    function: str
    request: type | None
    response: type
    doc: str
    provider: str
    example: MethodExample | None

    #: The name of the service's `async` twin of `function`, if it has one.
    awaitable: str | None = None

    def call(self, services: Services, message: Any) -> Any:
        """Answer `message` (None for a method without a request) with `services`."""
        bound = getattr(self._target(services), self.function)
        return bound() if self.request is None else bound(message)

    async def answer(self, services: Services, message: Any) -> Any:
        """`call`, from an event loop: the `async` twin awaited, else `call` in a worker
        thread."""
        if self.awaitable is None:
            return await asyncio.to_thread(self.call, services, message)
        bound = getattr(self._target(services), self.awaitable)
        return await (bound() if self.request is None else bound(message))

    def _target(self, services: Services) -> Any:
        if self.attribute is not None:
            return getattr(services, self.attribute)
        return services.plugin_services[self.service].service


@frozen
class _Service:
    name: str
    attribute: str | None
    kind: type
    provider: str
    examples: Mapping[str, MethodExample]


def core_rpc_methods() -> dict[str, RpcMethod]:
    """daggo's own RPC methods, by name, read off the service classes (what every server
    serves, and what the generated clients call)."""
    hints = typing.get_type_hints(Services)
    methods: dict[str, RpcMethod] = {}
    for name, attribute in CORE_SERVICES.items():
        entry = _Service(name=name, attribute=attribute, kind=hints[attribute],
                         provider=CORE_PROVIDER,
                         examples=CORE_EXAMPLES.get(name, {}))
        methods.update((method.name, method) for method in _methods(entry))
    return methods


def rpc_methods(services: Services) -> dict[str, RpcMethod]:
    """Every RPC method of `services`, by name (`Runs.GetMany`): daggo's, then the
    plugins' services by name. PluginError for a plugin service without methods, or
    with an example of a method it does not have or of other messages."""
    methods = core_rpc_methods()
    for name, opened in sorted(services.plugin_services.items()):
        entry = _Service(name=name, attribute=None, kind=type(opened.service),
                         provider=opened.plugin,
                         examples=opened.spec.examples)
        found = {method.name: method for method in _methods(entry)}
        _check_plugin_service(entry, found)
        methods.update(found)
    return methods


def _methods(entry: _Service) -> Iterator[RpcMethod]:
    for name, function in inspect.getmembers(entry.kind, inspect.isfunction):
        method = _method(entry, name, function)
        if method is not None:
            yield method


def _method(entry: _Service, name: str, function: Callable[..., Any]) -> RpcMethod | None:
    if name.startswith("_") or inspect.iscoroutinefunction(function):
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
    method_name = _camel(name)
    twin = getattr(entry.kind, f"{name}_async", None)
    if twin is not None and (not inspect.iscoroutinefunction(twin)
                             or typing.get_type_hints(twin) != hints):
        twin = None  # only a coroutine taking and returning the same messages is a twin
    return RpcMethod(name=f"{entry.name}.{method_name}", service=entry.name,
                     attribute=entry.attribute, function=name, request=request,
                     response=response, doc=inspect.getdoc(function) or "",
                     provider=entry.provider, example=entry.examples.get(method_name),
                     awaitable=None if twin is None else f"{name}_async")


def _check_plugin_service(entry: _Service, found: Mapping[str, RpcMethod]) -> None:
    where = f"daggo_services: service {entry.name!r} of plugin {entry.provider!r}"
    if not found:
        raise PluginError(
            f"{where} has no RPC methods: give it a public method that takes one attrs "
            "request message (or nothing) and returns an attrs response message")
    for method_name, example in entry.examples.items():
        method = found.get(f"{entry.name}.{method_name}")
        if method is None:
            known = ", ".join(name.split(".")[1] for name in found)
            raise PluginError(f"{where} has an example of {method_name!r}, which is not one "
                              f"of its methods ({known})")
        wanted_request = type(None) if method.request is None else method.request
        if not (isinstance(example.request, wanted_request)
                and isinstance(example.response, method.response)):
            raise PluginError(
                f"{where}: the example of {method.name} must be a "
                f"{wanted_request.__name__} request and a {method.response.__name__} "
                f"response, got {type(example.request).__name__} and "
                f"{type(example.response).__name__}")


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))
