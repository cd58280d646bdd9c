"""The Quart application serving the RPC API, the admin pages (`daggo_core.web.pages`),
`/metrics` and the health check, all through the app's services (`DaggoApp.services`)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from quart import Quart, jsonify
from werkzeug.datastructures import Headers

from daggo_core.metrics import DaggoMetrics
from daggo_core.rpc.answers import rpc_answer
from daggo_core.rpc.registry import RpcMethod, rpc_methods
from daggo_core.rpc.routes import rpc_blueprint
from daggo_core.services import Services
from daggo_core.web.auth import install_auth
from daggo_core.web.fast_path import FastRoute, install_fast_path
from daggo_core.web.lifespan import run_in_lifespan
from daggo_core.web.metrics import install_metrics
from daggo_core.web.pages import install_pages
from daggo_core.web.queue_routes import install_queue_routes, queue_fast_routes

if TYPE_CHECKING:
    from daggo_core.app import DaggoApp

__all__ = ["create_asgi"]


def create_asgi(app: DaggoApp) -> Quart:
    """Build the ASGI app for `app`: the RPC API (`/rpc/`), the queues' routes, UI pages
    (unless disable_ui),
    `/metrics` and `/healthz`, behind the configured authenticator (`daggo_core.web.auth`),
    with URLs under the ASGI `root_path` it is mounted at, running the app's runtime for
    its lifespan."""
    web = Quart("daggo_core.web")
    run_in_lifespan(web, app)
    services = app.services
    methods = rpc_methods(services)
    install_metrics(web, app.metrics, methods)
    authenticator = app.hooks.authenticator(app.config.admin.authenticator)
    authentication = authenticator.create(app.config)
    install_auth(web, authentication, pages=not app.config.disable_ui)
    web.register_blueprint(rpc_blueprint(services, methods))
    install_queue_routes(web, services, app.definitions.queues)
    install_fast_path(web, {**_rpc_fast_routes(services, methods, app.metrics),
                            **queue_fast_routes(services, app.definitions.queues)},
                      authentication)

    @web.get("/healthz")
    async def healthz() -> Any:
        health = await asyncio.to_thread(services.system.health)
        body = {"status": health.status, "database": health.database,
                "components": health.components, "problems": health.problems,
                "process": {"pid": health.process.pid, "role": health.process.role}}
        return jsonify(body), 200 if health.ok else 503

    if not app.config.disable_ui:
        install_pages(web, services, app.hooks.ui_panels())
    return web


def _rpc_fast_routes(services: Services, methods: Mapping[str, RpcMethod],
                     metrics: DaggoMetrics) -> dict[str, FastRoute]:
    """The calls of `methods` for the fast path, answered and counted as the RPC route
    does."""
    def route(name: str) -> FastRoute:
        async def answer(body: bytes, _: Headers) -> tuple[int, bytes]:
            return await rpc_answer(methods, services, name, body)

        return FastRoute(answer=answer, observe=functools.partial(metrics.observe_rpc, name))

    return {f"/rpc/{name}": route(name) for name in methods}
