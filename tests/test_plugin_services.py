"""RPC services added by plugins (`daggo_services`): served, described and documented
like daggo's own, with clashing or malformed services refused naming the plugins."""

from __future__ import annotations

import asyncio
import re
import types
from collections.abc import Callable
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core.config import default_config
from daggo_core.errors import PluginError
from daggo_core.extensions import MethodExample, ServiceSpec
from daggo_core.hookspecs import hookimpl
from daggo_core.plugins import Hooks, make_plugin_manager
from daggo_core.rpc.registry import rpc_methods
from daggo_core.services.context import ServiceContext
from daggo_core.storage.base import RunFilter
from tests.conftest import BackendUnderTest
from tests.test_rpc import JOB


@frozen(kw_only=True)
class GreetingsSayHelloRequest:
    """Whom to greet."""

    name: str
    shout: bool = False


@frozen(kw_only=True)
class GreetingsSayHelloResponse:
    greeting: str


@frozen(kw_only=True)
class GreetingsCountRunsResponse:
    runs: int


class GreetingsService:
    """A plugin's service: one method without storage, one reading it."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def say_hello(self, request: GreetingsSayHelloRequest) -> GreetingsSayHelloResponse:
        """Greet someone."""
        greeting = f"hello, {request.name}"
        return GreetingsSayHelloResponse(greeting=greeting.upper() if request.shout
                                         else greeting)

    def count_runs(self) -> GreetingsCountRunsResponse:
        """How many runs the database holds."""
        return GreetingsCountRunsResponse(runs=self.context.storage.count_runs(RunFilter()))

    def greeting_for(self, name: str) -> str:  # not a message: not an RPC method
        return name


GREETINGS = ServiceSpec(
    name="Greetings", factory=GreetingsService,
    examples={"SayHello": MethodExample(
        request=GreetingsSayHelloRequest(name="Ada"),
        response=GreetingsSayHelloResponse(greeting="hello, Ada"))})


def plugin(name: str, *specs: ServiceSpec) -> types.ModuleType:
    module = types.ModuleType(name)
    module.daggo_services = hookimpl(lambda: list(specs))  # type: ignore[attr-defined]
    return module


def hooks(*plugins: types.ModuleType) -> Hooks:
    """The installed plugins (storage backends, executors) and `plugins`."""
    return make_plugin_manager(extra_plugins=plugins)


def open_app(backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp],
             with_hooks: Hooks) -> daggo_core.DaggoApp:
    cfg = default_config()
    cfg.database = backend.database
    cfg.scheduler.enabled = False
    return apps(cfg, JOB, hooks=with_hooks)


def post(app: daggo_core.DaggoApp, method: str, body: Any = None) -> tuple[int, Any]:
    async def call() -> tuple[int, Any]:
        response = await app.asgi.test_client().post(f"/rpc/{method}", json=body or {})
        return response.status_code, await response.get_json()

    return asyncio.run(call())


def get(app: daggo_core.DaggoApp, path: str) -> tuple[int, str]:
    async def fetch() -> tuple[int, str]:
        response = await app.asgi.test_client().get(path)
        return response.status_code, await response.get_data(as_text=True)

    return asyncio.run(fetch())


class AwaitedGreetingsService(GreetingsService):
    """Greetings whose `say_hello` has an `async` twin, which the API awaits."""

    async def say_hello_async(self, request: GreetingsSayHelloRequest
                              ) -> GreetingsSayHelloResponse:
        """Greet someone, from the event loop."""
        await asyncio.sleep(0)
        return GreetingsSayHelloResponse(greeting=f"hello from the loop, {request.name}")

    async def count_runs_async(self, request: GreetingsSayHelloRequest
                               ) -> GreetingsCountRunsResponse:  # other messages: no twin
        return GreetingsCountRunsResponse(runs=-1)


def test_a_method_with_an_async_twin_is_answered_by_awaiting_it(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    spec = ServiceSpec(name="Greetings", factory=AwaitedGreetingsService)
    app = open_app(storage_backend, apps, hooks(plugin("awaited_plugin", spec)))
    methods = rpc_methods(app.services)
    assert methods["Greetings.SayHello"].awaitable == "say_hello_async"
    assert methods["Greetings.CountRuns"].awaitable is None
    assert "Greetings.SayHelloAsync" not in methods  # a coroutine is no method of its own
    assert post(app, "Greetings.SayHello", {"name": "Ada"}) == (
        200, {"greeting": "hello from the loop, Ada"})
    assert post(app, "Greetings.CountRuns") == (200, {"runs": 0})
    assert rpc_methods(app.services)["Queues.Push"].awaitable == "push_async"


def test_hook_daggo_services(storage_backend: BackendUnderTest,
                             apps: Callable[..., daggo_core.DaggoApp]) -> None:
    with_hooks = hooks(plugin("greetings_plugin", GREETINGS))
    assert with_hooks.services() == {"Greetings": GREETINGS}
    app = open_app(storage_backend, apps, with_hooks)
    methods = rpc_methods(app.services)
    assert {"Greetings.SayHello", "Greetings.CountRuns", "Runs.GetMany"} <= set(methods)
    assert "Greetings.GreetingFor" not in methods
    assert methods["Greetings.SayHello"].provider == "greetings_plugin"

    assert post(app, "Greetings.SayHello", {"name": "Ada", "shout": True}) == (
        200, {"greeting": "HELLO, ADA"})
    app.launch("job")
    assert post(app, "Greetings.CountRuns") == (200, {"runs": 1})
    status, error = post(app, "Greetings.SayHello", {"nam": "Ada"})
    assert (status, error["error"]["code"]) == (400, "invalid_argument")

    status, spec = asyncio.run(_spec(app))
    operation = spec["paths"]["/rpc/Greetings.SayHello"]["post"]
    assert operation["x-daggo-plugin"] == "greetings_plugin"
    assert operation["requestBody"]["content"]["application/json"] == {
        "schema": {"$ref": "#/components/schemas/GreetingsSayHelloRequest"},
        "examples": {"example": {"value": {"name": "Ada"}}}}
    assert spec["components"]["schemas"]["GreetingsSayHelloRequest"]["required"] == ["name"]
    assert "requestBody" not in spec["paths"]["/rpc/Greetings.CountRuns"]["post"]

    status, page = get(app, "/rpc/docs/")
    assert status == 200
    assert ('<section class="method" id="Greetings.SayHello">\n<h2>Greetings.SayHello'
            '<span class="tag">plugin greetings_plugin</span>') in page
    assert "<td><code>shout</code></td><td>boolean</td><td>optional</td>" in page


async def _spec(app: daggo_core.DaggoApp) -> tuple[int, Any]:
    response = await app.asgi.test_client().get("/rpc/openapi.json")
    return response.status_code, await response.get_json()


def _services_of(tmp_path: Any, *plugins: types.ModuleType) -> None:
    """Open an app with `plugins` and build its RPC methods and description."""
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    app = daggo_core.open(cfg, JOB, hooks=hooks(*plugins))
    try:
        app.asgi  # noqa: B018 - building it builds the registry and the description
    finally:
        app.close()


def test_two_plugins_with_one_service_name_are_refused_naming_both(tmp_path: Any) -> None:
    with pytest.raises(PluginError, match="'Greetings' is registered by both plugin 'one' "
                                          "and plugin 'two'"):
        _services_of(tmp_path, plugin("one", GREETINGS), plugin("two", GREETINGS))


def test_a_plugin_service_named_like_a_core_one_is_refused(tmp_path: Any) -> None:
    runs = ServiceSpec(name="Runs", factory=GreetingsService)
    with pytest.raises(PluginError, match=r"plugin 'shadow' registers service 'Runs', which "
                                          r"is daggo's own service 'Runs'.*"
                                          r"DAGGO_PLUGINS_BLOCK=shadow"):
        _services_of(tmp_path, plugin("shadow", runs))


@pytest.mark.parametrize(("spec", "message"), [
    (ServiceSpec(name="greetings", factory=GreetingsService),
     "plugin 'bad' names a service 'greetings'; a service name is CamelCase"),
    (ServiceSpec(name="Empty", factory=lambda context: object()),
     "service 'Empty' of plugin 'bad' has no RPC methods"),
    (ServiceSpec(name="Greetings", factory=GreetingsService, examples={"Hello": MethodExample(
        request=None, response=GreetingsCountRunsResponse(runs=1))}),
     "has an example of 'Hello', which is not one of its methods"),
    (ServiceSpec(name="Greetings", factory=GreetingsService, examples={"CountRuns":
        MethodExample(request=None, response=GreetingsSayHelloResponse(greeting="hi"))}),
     "the example of Greetings.CountRuns must be a NoneType request and a "
     "GreetingsCountRunsResponse response"),
    (ServiceSpec(name="Broken", factory=lambda context: 1 / 0),
     "plugin 'bad' failed to open service 'Broken': ZeroDivisionError"),
])
def test_a_malformed_plugin_service_is_refused_naming_the_plugin(
        tmp_path: Any, spec: ServiceSpec, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        _services_of(tmp_path, plugin("bad", spec))


@frozen(kw_only=True)
class RunSummary:  # the name of one of daggo's messages
    ok: bool


class ShadowingService:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def check(self) -> RunSummary:
        return RunSummary(ok=True)


def test_a_plugin_message_named_like_a_core_one_is_refused(tmp_path: Any) -> None:
    spec = ServiceSpec(name="Shadow", factory=ShadowingService)
    with pytest.raises(PluginError, match=re.escape(
            "two message classes of the RPC API are named RunSummary: "
            "daggo_core.services.runs.RunSummary and tests.test_plugin_services.RunSummary")):
        _services_of(tmp_path, plugin("shadow", spec))
