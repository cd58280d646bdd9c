"""The Quart application serving the admin pages and the health check."""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING

from quart import Quart, abort, jsonify, render_template

from daggo_core.errors import RunNotFoundError, StorageError
from daggo_core.services.runs import get_run_detail

if TYPE_CHECKING:
    from daggo_core.app import DaggoApp

__all__ = ["create_asgi"]

STATUS_CLASS = {
    "SUCCESS": "ok", "FAILURE": "bad", "CANCELED": "muted", "SKIPPED": "muted",
    "STARTED": "live", "RUNNING": "live", "STARTING": "live", "QUEUED": "wait", "PENDING": "wait",
}


def create_asgi(app: DaggoApp) -> Quart:
    """Build the ASGI app for `app`: UI pages (unless disable_ui) and `/healthz`."""
    web = Quart("daggo_core.web")
    storage = app.storage
    panels = app.hooks.ui_panels()
    web.jinja_env.globals.update(
        status_class=lambda s: STATUS_CLASS.get(str(s), ""),
        panels=sorted(panels.values(), key=lambda p: p.title),
    )

    @web.get("/healthz")
    async def healthz():  # type: ignore[no-untyped-def]
        try:
            await asyncio.to_thread(storage.count_runs)
        except StorageError as exc:
            return jsonify({"status": "error", "database": str(exc)}), 503
        return jsonify({"status": "ok", "database": "ok"})

    if app.config.disable_ui:
        return web

    @web.get("/")
    async def index():  # type: ignore[no-untyped-def]
        jobs, runs = await asyncio.to_thread(
            lambda: (storage.list_jobs(), storage.list_runs(limit=25))
        )
        return await render_template("index.html", jobs=jobs, runs=runs)

    @web.get("/runs/<run_id>")
    async def run_page(run_id: str):  # type: ignore[no-untyped-def]
        try:
            detail = await asyncio.to_thread(get_run_detail, storage, run_id)
        except RunNotFoundError:
            abort(404)
        return await render_template("run.html", detail=detail)

    for panel in panels.values():
        web.add_url_rule(panel.path, f"panel_{panel.name}", _panel_view(app, panel))
    return web


def _panel_view(app: DaggoApp, panel):  # type: ignore[no-untyped-def]
    async def view():  # type: ignore[no-untyped-def]
        body = panel.render(app)
        if inspect.isawaitable(body):
            body = await body
        return await render_template("panel.html", panel=panel, body=body)

    return view
