"""The admin's pages: each reads through the services, never storage, and renders a
template of `daggo_core/web/templates/` in the one layout (`base.html`, with the
stylesheet and script of `daggo_core/web/static/`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from attrs import frozen
from quart import Quart, abort, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException, NotFound

from daggo_core.errors import (
    DaggoError,
    FailedPreconditionError,
    InvalidArgumentError,
    JobNotFoundError,
    RunNotFoundError,
    ScheduleNotFoundError,
)
from daggo_core.extensions import PanelContext, UIPanel
from daggo_core.services import Services
from daggo_core.services.jobs import (
    JOBS_PAGE_MAX,
    JobDetail,
    JobsGetManyRequest,
    JobsGetManyResponse,
    JobsGetRequest,
    JobsLaunchRequest,
)
from daggo_core.services.runs import (
    EventKind,
    RunDetail,
    RunsCancelRequest,
    RunsEventsRequest,
    RunsEventsResponse,
    RunsGetManyRequest,
    RunsGetManyResponse,
    RunsGetRequest,
    RunsReexecuteRequest,
    RunStatus,
    RunsTimelineRequest,
    RunSummary,
    RunTrigger,
)
from daggo_core.services.schedules import (
    SchedulesGetManyRequest,
    SchedulesGetManyResponse,
    SchedulesSetEnabledRequest,
    SchedulesTicksRequest,
    SchedulesTicksResponse,
)
from daggo_core.web.asset_pages import install_asset_pages
from daggo_core.web.auth import SAFE_METHODS, is_api, safe_next, viewer
from daggo_core.web.backfill_pages import install_backfill_pages
from daggo_core.web.csrf import csrf_passes, csrf_token, install_csrf
from daggo_core.web.formatting import cron_words, duration_words, local_time, relative_time
from daggo_core.web.gantt import gantt
from daggo_core.web.graph_layout import lay_out
from daggo_core.web.launch_form import field_errors, form_fields, params_of
from daggo_core.web.page_queries import LogFilter, RunsQuery
from daggo_core.web.queue_pages import install_queue_pages
from daggo_core.web.timeline_chart import SLOTS as TIMELINE_SLOTS
from daggo_core.web.timeline_chart import TimelineWindow, bars_svg, chart
from daggo_core.web.worker_pages import install_worker_pages

__all__ = ["install_pages"]

STATUS_CLASS = {
    "SUCCESS": "ok", "FAILURE": "bad", "CANCELED": "muted", "SKIPPED": "muted",
    "STARTED": "live", "RUNNING": "live", "STARTING": "live", "QUEUED": "wait", "PENDING": "wait",
    "IDLE": "ok", "LOST": "bad", "SUCCEEDED": "ok", "FAILED": "bad", "PARTIALLY_FAILED": "bad",
    "DEDUPLICATED": "muted", "REQUESTED": "wait", "COMPLETED": "ok", "CANCELING": "wait",
    "DRAINING": "wait", "DRAINED": "muted", "ACTIVE": "ok",
}
#: Unfinished runs and next ticks on the overview, events on one page of a run's log,
#: runs on a job's health tiles.
OVERVIEW_RUNS, NEXT_TICKS, RUN_PAGE_EVENTS, JOB_TILES = 25, 10, 1000, 12
UNFINISHED = (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.STARTED)
#: The pages of the menu: (endpoint, title).
MENU = (("index", "Overview"), ("jobs_page", "Jobs"), ("runs_page", "Runs"),
        ("assets_page", "Assets"), ("backfills_page", "Backfills"),
        ("schedules_page", "Schedules"), ("queues_page", "Queues"), ("workers_page", "Workers"),
        ("settings_page", "Settings"))


def install_pages(web: Quart, services: Services, panels: Mapping[str, UIPanel]) -> None:
    """The pages (and the plugins' `panels`) on `web`, with the error page for URLs
    that are none."""
    web.jinja_env.globals.update(
        status_class=lambda s: STATUS_CLASS.get(str(s), ""),
        panels=sorted(panels.values(), key=lambda p: p.title),
        menu=MENU,
    )
    web.jinja_env.filters.update(when=local_time, ago=relative_time, duration=duration_words,
                                 cron=cron_words)
    install_csrf(web)

    @web.before_request
    async def check_csrf() -> Any:
        if (request.method in SAFE_METHODS or is_api(request.path, request.endpoint)
                or request.url_rule is None  # nothing is there: a 404 says so
                or await csrf_passes()):
            return None
        return await _error_page(
            403, "Form refused", "This form was not sent from daggo's own page: its CSRF "
            "token is missing or stale. Reload the page and send the form again.")

    @web.get("/")
    async def index() -> Any:
        try:
            window = TimelineWindow.of(request.args)
        except InvalidArgumentError as exc:
            return await _error_page(400, "Bad request", str(exc))
        now = dt.datetime.now(dt.UTC)
        start, end = window.bounds(now)
        timeline, active, schedules, jobs = await asyncio.gather(
            asyncio.to_thread(services.runs.timeline, RunsTimelineRequest(
                start=start, end=end, slots=TIMELINE_SLOTS)),
            asyncio.to_thread(services.runs.get_many, RunsGetManyRequest(
                statuses=UNFINISHED, limit=OVERVIEW_RUNS)),
            asyncio.to_thread(services.schedules.get_many, SchedulesGetManyRequest()),
            asyncio.to_thread(services.jobs.get_many, JobsGetManyRequest(limit=1)))
        upcoming = sorted((s for s in schedules.schedules if s.enabled and s.next_tick_at),
                          key=lambda s: (s.next_tick_at, s.job_name, s.key))
        later = window.later(now)
        drawn = chart(timeline, now)
        return await render_template(
            "index.html", window=window, timeline=timeline, chart=drawn,
            bars=bars_svg(drawn, runs_path=url_for("runs_page"), classes=STATUS_CLASS),
            active=active, upcoming=upcoming[:NEXT_TICKS],
            has_jobs=bool(jobs.jobs), earlier=window.args(start),
            later=None if window.end is None else window.args(later))

    @web.get("/runs/<run_id>")
    async def run_page(run_id: str) -> Any:
        # The newest events by default, so a run's end is never hidden; `cursor` pages
        # back and forth from there.
        cursor = request.args.get("cursor") or None
        log = LogFilter.of(request.args)

        def read() -> tuple[RunDetail, RunsEventsResponse]:
            detail = services.runs.get(RunsGetRequest(run_id=run_id))
            events = services.runs.events(RunsEventsRequest(
                run_id=detail.run.id, cursor=cursor, tail=cursor is None,
                limit=RUN_PAGE_EVENTS, **log.request()))
            return detail, events

        try:
            detail, events = await asyncio.to_thread(read)
        except RunNotFoundError:
            abort(404, f"There is no run {run_id}.")
        except InvalidArgumentError as exc:
            return await _error_page(400, "Bad request", str(exc))
        return await render_template(
            "run.html", detail=detail, page=events, at_tail=cursor is None, log=log,
            chart=gantt(detail, dt.datetime.now(dt.UTC)), kinds=list(EventKind),
            levels=("DEBUG", "INFO", "WARNING", "ERROR", "STDOUT", "STDERR"))

    @web.post("/runs/<run_id>/cancel")
    async def run_cancel(run_id: str) -> Any:
        try:
            await asyncio.to_thread(services.runs.cancel, RunsCancelRequest(run_id=run_id))
        except RunNotFoundError:
            abort(404, f"There is no run {run_id}.")
        return redirect(url_for("run_page", run_id=run_id), 303)

    @web.post("/runs/<run_id>/reexecute")
    async def run_reexecute(run_id: str) -> Any:
        step = (await request.form).get("from_step") or None
        try:
            again = await asyncio.to_thread(services.runs.reexecute, RunsReexecuteRequest(
                run_id=run_id, from_step=step))
        except RunNotFoundError:
            abort(404, f"There is no run {run_id}.")
        except (InvalidArgumentError, FailedPreconditionError) as exc:
            return await _error_page(409, "Not re-executed", str(exc))
        return redirect(url_for("run_page", run_id=again.run.id), 303)

    @web.get("/jobs")
    async def jobs_page() -> Any:
        search = request.args.get("q", "").strip()
        cursor = request.args.get("cursor") or None

        def read() -> tuple[JobsGetManyResponse, dict[str, tuple[RunSummary, ...]]]:
            page = services.jobs.get_many(JobsGetManyRequest(search=search or None,
                                                             cursor=cursor))
            recent = {job.name: services.runs.get_many(RunsGetManyRequest(
                job=job.name, limit=JOB_TILES)).runs for job in page.jobs}
            return page, recent

        try:
            page, recent = await asyncio.to_thread(read)
        except InvalidArgumentError as exc:
            return await _error_page(400, "Bad request", str(exc))
        next_due = {job.name: min((s.next_tick_at for s in job.schedules
                                   if s.enabled and s.next_tick_at is not None), default=None)
                    for job in page.jobs}
        return await render_template("jobs.html", page=page, recent=recent, search=search,
                                     next_due=next_due, paged=cursor is not None)

    @web.get("/jobs/<name>")
    async def job_page(name: str) -> Any:
        return await _job_overview(services, name)

    @web.post("/jobs/<name>/launch")
    async def job_launch(name: str) -> Any:
        form = await request.form
        submitted = {key: form.get(key, "") for key in form}

        def launch() -> RunSummary:
            detail = services.jobs.get(JobsGetRequest(name=name))
            params = params_of(detail.graph.params_schema, submitted)
            return services.jobs.launch(JobsLaunchRequest(job=name, params=params)).run

        try:
            run = await asyncio.to_thread(launch)
        except JobNotFoundError:
            abort(404, f"There is no job {name}.")
        except InvalidArgumentError as exc:
            return await _job_overview(services, name, submitted=submitted, refused=exc)
        return redirect(url_for("run_page", run_id=run.id), 303)

    @web.post("/jobs/<name>/schedules/<key>")
    async def schedule_toggle(name: str, key: str) -> Any:
        enabled = (await request.form).get("enabled") == "on"
        try:
            await asyncio.to_thread(services.schedules.set_enabled, SchedulesSetEnabledRequest(
                job=name, key=key, enabled=enabled))
        except (JobNotFoundError, ScheduleNotFoundError) as exc:
            abort(404, str(exc))
        back = (await request.form).get("back")
        return redirect(safe_next(back) if back else
                        url_for("job_page", name=name) + "#schedules", 303)

    @web.get("/schedules")
    async def schedules_page() -> Any:
        cursor = request.args.get("cursor") or None
        try:
            page = await asyncio.to_thread(services.schedules.get_many,
                                           SchedulesGetManyRequest(cursor=cursor))
        except InvalidArgumentError as exc:
            return await _error_page(400, "Bad request", str(exc))
        return await render_template("schedules.html", page=page, paged=cursor is not None,
                                     here=request.full_path.rstrip("?"))

    @web.get("/schedules/<name>/<key>")
    async def schedule_page(name: str, key: str) -> Any:
        cursor = request.args.get("cursor") or None

        def read() -> tuple[SchedulesGetManyResponse, SchedulesTicksResponse]:
            schedules = services.schedules.get_many(SchedulesGetManyRequest(job=name))
            ticks = services.schedules.ticks(SchedulesTicksRequest(job=name, key=key,
                                                                   cursor=cursor))
            return schedules, ticks

        try:
            schedules, ticks = await asyncio.to_thread(read)
        except (JobNotFoundError, ScheduleNotFoundError) as exc:
            abort(404, str(exc))
        except InvalidArgumentError as exc:
            return await _error_page(400, "Bad request", str(exc))
        schedule = next((s for s in schedules.schedules if s.key == key), None)
        if schedule is None:
            abort(404, f"Job {name} has no schedule {key}.")
        return await render_template("schedule.html", schedule=schedule, ticks=ticks,
                                     paged=cursor is not None,
                                     here=request.full_path.rstrip("?"))

    @web.get("/jobs/<name>/runs")
    async def job_runs_page(name: str) -> Any:
        cursor = request.args.get("cursor") or None

        def read() -> tuple[JobDetail, RunsGetManyResponse]:
            return (services.jobs.get(JobsGetRequest(name=name)),
                    services.runs.get_many(RunsGetManyRequest(job=name, cursor=cursor)))

        try:
            detail, runs = await asyncio.to_thread(read)
        except JobNotFoundError:
            abort(404, f"There is no job {name}.")
        except InvalidArgumentError as exc:
            return await _error_page(400, "Bad request", str(exc))
        return await render_template("job_runs.html", job=detail, runs=runs,
                                     paged=cursor is not None, tab="runs")

    @web.get("/runs")
    async def runs_page() -> Any:
        try:
            query = RunsQuery.of(request.args)
            request_ = query.request(cursor=request.args.get("cursor") or None)
        except InvalidArgumentError as exc:
            return await _error_page(400, "Bad request", str(exc))

        def read() -> tuple[RunsGetManyResponse, JobsGetManyResponse]:
            return (services.runs.get_many(request_),
                    services.jobs.get_many(JobsGetManyRequest(limit=JOBS_PAGE_MAX)))

        try:
            runs, jobs = await asyncio.to_thread(read)
        except InvalidArgumentError as exc:
            return await _error_page(400, "Bad request", str(exc))
        return await render_template(
            "runs.html", runs=runs, query=query, jobs=[j.name for j in jobs.jobs],
            statuses=list(RunStatus), triggers=list(RunTrigger),
            paged=request_.cursor is not None, here=request.full_path.rstrip("?"))

    @web.post("/runs/bulk")
    async def runs_bulk() -> Any:
        form = await request.form
        action = form.get("action", "")
        run_ids = form.getlist("run")
        if action not in ("cancel", "reexecute") or not run_ids:
            return await _error_page(400, "Bad request",
                                     "Choose runs with their boxes, then Cancel or Re-execute.")

        def apply() -> list[BulkOutcome]:
            return [_bulk_one(services, action, run_id) for run_id in run_ids]

        outcomes = await asyncio.to_thread(apply)
        return await render_template("runs_bulk.html", action=action, outcomes=outcomes,
                                     back=safe_next(form.get("back")))

    @web.get("/settings")
    async def settings_page() -> Any:
        config, plugins = await asyncio.gather(
            asyncio.to_thread(services.system.config),
            asyncio.to_thread(services.plugins.get_many))
        return await render_template("settings.html", sections=_sections(config.config),
                                     plugins=plugins.plugins, failures=plugins.failures)

    @web.errorhandler(NotFound)
    async def not_found(error: HTTPException) -> Any:
        if request.path.startswith("/rpc/"):  # the API's callers get its JSON errors
            return error
        message = (error.description if error.description
                   and error.description != NotFound.description
                   else f"Nothing is at {request.path}.")
        return await _error_page(404, "Not found", message)

    install_queue_pages(web, services)
    install_asset_pages(web, services)
    install_backfill_pages(web, services)
    install_worker_pages(web, services)
    for panel in panels.values():
        web.add_url_rule(panel.path, f"panel_{panel.name}", _panel_view(services, panel))


async def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    """The error page (with the menu's pages to go to) and its status."""
    return await render_template("error.html", status=status, title=title,
                                 message=message), status


async def _job_overview(services: Services, name: str, *,
                        submitted: Mapping[str, str] | None = None,
                        refused: InvalidArgumentError | None = None) -> Any:
    """The job page's Overview tab; after a refused launch, its form as it was sent with
    each error next to its field (400)."""
    try:
        detail = await asyncio.to_thread(services.jobs.get, JobsGetRequest(name=name))
    except JobNotFoundError:
        abort(404, f"There is no job {name}.")
    schema = detail.graph.params_schema
    errors, general = field_errors(refused, [f.name for f in schema.fields]) if refused \
        else ({}, [])
    layout = lay_out(detail.graph)
    page = await render_template(
        "job.html", job=detail, layout=layout, graph_height=min(560, max(80, layout.height)),
        fields=form_fields(schema, submitted), errors=errors, general_errors=general,
        tab="overview")
    return (page, 400) if refused else page


@frozen
class BulkOutcome:
    run_id: str
    done: bool
    message: str
    new_run_id: str | None = None


def _bulk_one(services: Services, action: str, run_id: str) -> BulkOutcome:
    """Cancel or re-execute (from failure) one run; what came of it."""
    try:
        if action == "cancel":
            cancel = services.runs.cancel(RunsCancelRequest(run_id=run_id))
            return BulkOutcome(run_id=run_id, done=True, message=cancel.message)
        again = services.runs.reexecute(RunsReexecuteRequest(run_id=run_id))
        return BulkOutcome(run_id=run_id, done=True, new_run_id=again.run.id,
                           message=f"re-executed from failure as run {again.run.id}")
    except DaggoError as exc:
        return BulkOutcome(run_id=run_id, done=False, message=str(exc))


def _sections(config: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The settings by table (`admin`, `database.sqlite`, ...), top-level ones first,
    each as (dotted key, value)."""
    tables: dict[str, list[tuple[str, Any]]] = {"": []}

    def walk(prefix: str, node: Mapping[str, Any]) -> None:
        for key, value in node.items():
            dotted = f"{prefix}.{key}" if prefix else key
            if isinstance(value, Mapping) and value:
                walk(dotted, value)
            else:
                tables.setdefault(prefix, []).append((dotted, value))

    walk("", config)
    return [(name or "top level", rows) for name, rows in tables.items() if rows]


def _panel_view(services: Services, panel: UIPanel) -> Callable[[], Awaitable[Any]]:
    async def view() -> Any:
        ctx = PanelContext(services=services, path=request.path,
                           args=request.args.to_dict(), root_path=request.root_path,
                           csrf_token=csrf_token(), principal=viewer())
        if inspect.iscoroutinefunction(panel.render):
            body = await panel.render(ctx)
        else:  # it may block: off the event loop
            body = await asyncio.to_thread(panel.render, ctx)
            if inspect.isawaitable(body):
                body = await body
        return await render_template("panel.html", panel=panel, body=body)

    return view
