"""The admin's Workers page (`/workers`): the deploy lock, the pools and the worker
processes of every server on the database, each pool and worker with a Drain (or
Resume) button. They read and drain through the services, as `daggo_core.web.pages`
does."""

from __future__ import annotations

import asyncio
from typing import Any

from quart import Quart, redirect, render_template, request, url_for

from daggo_core.errors import InvalidArgumentError, NotFoundError
from daggo_core.services import Services
from daggo_core.services.workers import (
    WorkersDrainRequest,
    WorkersGetDeployRequest,
    WorkersGetDeployResponse,
    WorkersGetManyRequest,
    WorkersGetManyResponse,
    WorkersGetPoolsResponse,
    WorkersResumeRequest,
)
from daggo_core.web.asset_pages import error_page

__all__ = ["install_worker_pages"]


def install_worker_pages(web: Quart, services: Services) -> None:
    """The Workers page and its drain forms on `web` (whose error page and filters
    `install_pages` set up)."""

    @web.get("/workers")
    async def workers_page() -> Any:
        cursor = request.args.get("cursor") or None

        def read() -> tuple[WorkersGetManyResponse, WorkersGetPoolsResponse,
                            WorkersGetDeployResponse]:
            return (services.workers.get_many(WorkersGetManyRequest(cursor=cursor)),
                    services.workers.get_pools(),
                    services.workers.get_deploy(WorkersGetDeployRequest()))

        try:
            page, pools, deploy = await asyncio.to_thread(read)
        except InvalidArgumentError as exc:
            return await error_page(400, "Bad request", str(exc))
        return await render_template("workers.html", page=page, pools=pools.pools,
                                     deploy=deploy, paged=cursor is not None)

    @web.post("/workers/drain")
    async def workers_drain() -> Any:
        return await _change(services, drain=True)

    @web.post("/workers/resume")
    async def workers_resume() -> Any:
        return await _change(services, drain=False)


async def _change(services: Services, *, drain: bool) -> Any:
    """Drain or resume the worker or pool the form names, then show the page again."""
    form = await request.form
    worker, pool = form.get("worker") or None, form.get("pool") or None
    try:
        if drain:
            await asyncio.to_thread(services.workers.drain,
                                    WorkersDrainRequest(worker=worker, pool=pool))
        else:
            await asyncio.to_thread(services.workers.resume,
                                    WorkersResumeRequest(worker=worker, pool=pool))
    except NotFoundError as exc:
        return await error_page(404, "Not found", str(exc))
    except InvalidArgumentError as exc:
        return await error_page(400, "Bad request", str(exc))
    anchor = "#pools" if pool is not None else "#workers"
    return redirect(url_for("workers_page") + anchor, 303)
