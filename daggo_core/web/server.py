"""The Quart application serving the admin pages and the health check.

Every page reads through the app's services (`DaggoApp.services`), never storage.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from quart import Quart, abort, jsonify, render_template, request

from daggo_core.errors import InvalidArgumentError, RunNotFoundError
from daggo_core.extensions import UIPanel
from daggo_core.rpc.registry import rpc_methods
from daggo_core.rpc.routes import rpc_blueprint
from daggo_core.services import Services
from daggo_core.services.jobs import JobsGetManyRequest
from daggo_core.services.runs import (
    RunDetail,
    RunsEventsRequest,
    RunsEventsResponse,
    RunsGetManyRequest,
    RunsGetRequest,
)
from daggo_core.web.auth import install_auth
from daggo_core.web.lifespan import run_in_lifespan
from daggo_core.web.metrics import install_metrics
from daggo_core.web.rpc_fast_path import install_rpc_fast_path

if TYPE_CHECKING:
    from daggo_core.app import DaggoApp

__all__ = ["create_asgi"]

STATUS_CLASS = {
    "SUCCESS": "ok", "FAILURE": "bad", "CANCELED": "muted", "SKIPPED": "muted",
    "STARTED": "live", "RUNNING": "live", "STARTING": "live", "QUEUED": "wait", "PENDING": "wait",
}
#: Runs on the overview, and events on one page of a run's log.
OVERVIEW_RUNS, RUN_PAGE_EVENTS = 25, 1000


def create_asgi(app: DaggoApp) -> Quart:
    """Build the ASGI app for `app`: the RPC API (`/rpc/`), UI pages (unless disable_ui),
    `/metrics` and `/healthz`, behind the configured authenticator (`daggo_core.web.auth`),
    with URLs under the ASGI `root_path` it is mounted at, running the app's runtime for
    its lifespan."""
    web = Quart("daggo_core.web")
    run_in_lifespan(web, app)
    services = app.services
    panels = app.hooks.ui_panels()
    web.jinja_env.globals.update(
        status_class=lambda s: STATUS_CLASS.get(str(s), ""),
        panels=sorted(panels.values(), key=lambda p: p.title),
    )

    methods = rpc_methods(services)
    install_metrics(web, app.metrics, methods)
    authenticator = app.hooks.authenticator(app.config.admin.authenticator)
    authentication = authenticator.create(app.config)
    install_auth(web, authentication, pages=not app.config.disable_ui)
    web.register_blueprint(rpc_blueprint(services, methods))
    install_rpc_fast_path(web, services, methods, app.metrics, authentication)

    @web.get("/healthz")
    async def healthz() -> Any:
        health = await asyncio.to_thread(services.system.health)
        body = {"status": health.status, "database": health.database,
                "components": health.components, "problems": health.problems,
                "process": {"pid": health.process.pid, "role": health.process.role}}
        return jsonify(body), 200 if health.ok else 503

    if app.config.disable_ui:
        return web

    @web.get("/")
    async def index() -> Any:
        jobs, runs = await asyncio.gather(
            asyncio.to_thread(services.jobs.get_many, JobsGetManyRequest()),
            asyncio.to_thread(services.runs.get_many, RunsGetManyRequest(limit=OVERVIEW_RUNS)))
        return await render_template("index.html", jobs=jobs.jobs, runs=runs.runs)

    @web.get("/runs/<run_id>")
    async def run_page(run_id: str) -> Any:
        # The newest events by default, so a run's end is never hidden; `cursor` pages
        # back and forth from there.
        cursor = request.args.get("cursor") or None

        def read() -> tuple[RunDetail, RunsEventsResponse]:
            detail = services.runs.get(RunsGetRequest(run_id=run_id))
            events = services.runs.events(RunsEventsRequest(
                run_id=detail.run.id, cursor=cursor, tail=cursor is None,
                limit=RUN_PAGE_EVENTS))
            return detail, events

        try:
            detail, events = await asyncio.to_thread(read)
        except RunNotFoundError:
            abort(404)
        except InvalidArgumentError as exc:
            return await render_template("error.html", message=str(exc)), 400
        return await render_template("run.html", detail=detail, page=events,
                                     at_tail=cursor is None)

    for panel in panels.values():
        web.add_url_rule(panel.path, f"panel_{panel.name}", _panel_view(services, panel))
    return web


def _panel_view(services: Services, panel: UIPanel) -> Callable[[], Awaitable[Any]]:
    async def view() -> Any:
        if inspect.iscoroutinefunction(panel.render):
            body = await panel.render(services)
        else:  # it may block: off the event loop
            body = await asyncio.to_thread(panel.render, services)
            if inspect.isawaitable(body):
                body = await body
        return await render_template("panel.html", panel=panel, body=body)

    return view
