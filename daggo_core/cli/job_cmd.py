"""`daggo job list | show | launch`."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from daggo_core.cli.common import (
    app_options,
    collect_pages,
    command_services,
    config_option,
    console,
    server_options,
    server_url,
)
from daggo_core.cli.progress import follow_run, run_changes, status_style
from daggo_core.cli.schedule_cmd import schedules_table
from daggo_core.definitions.params_check import describe_fields
from daggo_core.services.api import ServicesApi
from daggo_core.services.jobs import (
    JOBS_PAGE_MAX,
    JobDetail,
    JobsGetManyRequest,
    JobsGetRequest,
    JobsLaunchRequest,
    JobSummary,
)
from daggo_core.services.runs import RunStatus, RunSummary


@click.group("job")
def job() -> None:
    """List, show and launch jobs."""


def all_jobs(services: ServicesApi) -> list[JobSummary]:
    """Every active job, page after page."""
    def fetch(cursor: str | None, size: int) -> tuple[Sequence[JobSummary], str | None]:
        page = services.jobs.get_many(JobsGetManyRequest(cursor=cursor, limit=size))
        return page.jobs, page.next_cursor

    return collect_pages(fetch, page_max=JOBS_PAGE_MAX)


@job.command("list")
@config_option
@server_options
@click.pass_context
def list_jobs(ctx: click.Context, config_path: Path | None) -> None:
    """List the jobs synced to the database, with their latest run."""
    with command_services(ctx, config_path) as services:
        jobs = all_jobs(services)
    table = Table()
    for column in ("job", "ops", "schedules", "last run"):
        table.add_column(column)
    for summary in jobs:
        last = summary.latest_run
        last_text = f"[{status_style(last.status)}]{last.status}[/] {last.id[:8]}" if last else ""
        schedules = ", ".join(f"{s.cron} ({s.key})" for s in summary.schedules)
        table.add_row(summary.name, str(summary.op_count), schedules, last_text)
    console().print(table)


@job.command("show")
@click.argument("name")
@config_option
@server_options
@click.pass_context
def show(ctx: click.Context, name: str, config_path: Path | None) -> None:
    """Show job NAME: its params, its ops with what each reads, its schedules and its
    latest run (also of a job no longer in the app's code)."""
    with command_services(ctx, config_path) as services:
        detail = services.jobs.get(JobsGetRequest(name=name))
    out = console()
    active = "" if detail.active else " (inactive: no longer in the app's code)"
    out.print(f"job {detail.name}{active}", markup=False)
    if detail.description:
        out.print(detail.description, markup=False)
    out.print(f"params: {describe_fields(detail.graph.params_schema)}", markup=False)
    out.print(_ops_table(detail))
    if detail.schedules:
        out.print(schedules_table(detail.schedules))
    last = detail.latest_run
    out.print(f"latest run: [{status_style(last.status)}]{last.status}[/] {last.id}" if last
              else "latest run: none")


def _ops_table(detail: JobDetail) -> Table:
    """The job's ops in execution order, each with its inputs and their producers."""
    table = Table(title="ops, in execution order", title_justify="left")
    for column in ("op", "reads", "returns"):
        table.add_column(column)
    for op in detail.graph.ops:
        reads = "\n".join(f"{i.field} <- {', '.join(i.producers) or '(none)'}"
                          for i in op.inputs)
        table.add_row(op.name, reads, op.output_type)
    return table


def parse_params(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--params") from exc
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object, e.g. '{\"limit\": 10}'",
                                 param_hint="--params")
    return value


def parse_tags(tags: tuple[str, ...], option: str = "--tag") -> dict[str, str]:
    """`KEY=VALUE` arguments as a dict."""
    parsed = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{tag!r} is not KEY=VALUE", param_hint=option)
        parsed[key] = value
    return parsed


@job.command("launch")
@click.argument("name")
@click.option("--params", "params_json", metavar="JSON", help="Run params as a JSON object.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag the run (repeatable).")
@click.option("--partition", metavar="KEY",
              help="The partition of a partitioned job to run (or FIRST...LAST).")
@click.option("--wait", is_flag=True, help="Follow the run to its end; exit 1 if it fails.")
@click.option("--local", is_flag=True, help="Execute the run in this process.")
@app_options
@server_options
@click.pass_context
def launch(ctx: click.Context, name: str, params_json: str | None, tags: tuple[str, ...],
           partition: str | None, wait: bool, local: bool, config_path: Path | None,
           app_module: str | None, app_file: str | None) -> None:
    """Queue a run of job NAME for the running server (or run it here with --local).

    With --url (or DAGGO_URL) the server at that URL queues it, checking the params
    against its code, and --wait follows the run through the server's event stream. A
    partitioned job runs for --partition.
    """
    if local and server_url(ctx):
        raise click.UsageError("--local executes the run in this process: it cannot be "
                               "combined with --url (or DAGGO_URL)")
    request = JobsLaunchRequest(job=name, params=parse_params(params_json),
                                tags=parse_tags(tags), partition_key=partition)
    out = console()
    with command_services(ctx, config_path, app=(app_module, app_file),
                          app_required=local) as services:
        if local:
            run, thread = _execute_here(services, request)
            out.print(f"run {run.id} of {name} executing in this process")
            final = follow_run(services, run.id, out).run
            thread.join()
        else:
            run = services.jobs.launch(request).run
            out.print(f"run {run.id} of {name} queued")
            if not wait:
                return
            final = follow_run(services, run.id, out, changes=run_changes(services, run.id)).run
    out.print(f"run {final.id} finished: [{status_style(final.status)}]{final.status}[/]")
    if final.status is not RunStatus.SUCCESS:
        ctx.exit(1)


def _execute_here(services: ServicesApi,
                  request: JobsLaunchRequest) -> tuple[RunSummary, threading.Thread]:
    """Start executing the run on a thread of this process; returns it once stored, with
    the thread executing it."""
    started: queue.Queue[RunSummary | BaseException] = queue.Queue()

    def execute() -> None:
        try:
            services.jobs.execute_here(request, on_started=started.put)
        except BaseException as exc:
            started.put(exc)

    thread = threading.Thread(target=execute, name="daggo-local-run")
    thread.start()
    first = started.get()
    if isinstance(first, BaseException):
        thread.join()
        raise first
    return first, thread
