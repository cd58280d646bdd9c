"""`daggo runs list | show | logs | cancel | reexecute`."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from daggo_core.cli.common import (
    app_options,
    collect_pages,
    command_services,
    config_option,
    console,
    moment_option,
    server_options,
)
from daggo_core.cli.job_cmd import parse_tags
from daggo_core.cli.progress import (
    IDLE_REDRAW_SECONDS,
    RunChanges,
    run_changes,
    status_style,
    steps_table,
)
from daggo_core.services.runs import (
    RUNS_PAGE_MAX,
    TERMINAL_RUN_STATUSES,
    ErrorInfo,
    EventInfo,
    RunsCancelRequest,
    RunsCountRequest,
    RunsEventsRequest,
    RunsGetManyRequest,
    RunsGetRequest,
    RunsReexecuteRequest,
    RunStatus,
    RunSummary,
    RunTrigger,
)

STATUS_CHOICES = click.Choice([s.value for s in RunStatus], case_sensitive=False)
TRIGGER_CHOICES = click.Choice([t.value for t in RunTrigger], case_sensitive=False)
#: Events asked for per page by `runs logs`.
LOG_PAGE = 5000
#: How often `runs logs --follow` looks for new lines in local storage (a server's event
#: stream tells instead).
FOLLOW_POLL_SECONDS = 0.25


@click.group("runs")
def runs() -> None:
    """Inspect run history; cancel and re-execute runs.

    RUN is a run id or any unique prefix of one (such as the 8 characters `runs list` and
    the admin show).
    """


def _page_of(query: RunsCountRequest, *, limit: int, cursor: str | None) -> RunsGetManyRequest:
    """The request for a page of the runs that `query` counts."""
    return RunsGetManyRequest(
        job=query.job, statuses=query.statuses, triggers=query.triggers, tags=query.tags,
        created_after=query.created_after, created_before=query.created_before,
        limit=limit, cursor=cursor,
    )


@runs.command("list")
@click.option("--job", "job_name", help="Only runs of this job.")
@click.option("--status", "statuses", multiple=True, type=STATUS_CHOICES,
              help="Only runs with this status (repeatable).")
@click.option("--trigger", "triggers", multiple=True, type=TRIGGER_CHOICES,
              help="Only runs launched this way (repeatable).")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE",
              help="Only runs with this tag (repeatable: all must match).")
@click.option("--since", metavar="TIME", help="Only runs created at or after TIME (UTC if no "
              "offset is given).")
@click.option("--before", metavar="TIME", help="Only runs created before TIME.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@config_option
@server_options
@click.pass_context
def list_runs(ctx: click.Context, job_name: str | None, statuses: tuple[str, ...],
              triggers: tuple[str, ...], tags: tuple[str, ...], since: str | None,
              before: str | None, limit: int, config_path: Path | None) -> None:
    """List runs, newest first."""
    query = RunsCountRequest(
        job=job_name, statuses=tuple(RunStatus(s.upper()) for s in statuses),
        triggers=tuple(RunTrigger(t.lower()) for t in triggers), tags=parse_tags(tags),
        created_after=moment_option(since, "--since"),
        created_before=moment_option(before, "--before"),
    )
    with command_services(ctx, config_path) as services:
        def fetch(cursor: str | None, size: int) -> tuple[Sequence[RunSummary], str | None]:
            page = services.runs.get_many(_page_of(query, limit=size, cursor=cursor))
            return page.runs, page.next_cursor

        found = collect_pages(fetch, page_max=RUNS_PAGE_MAX, limit=limit)
        total = services.runs.count(query).count
    table = Table(caption=f"{len(found)} of {total} runs")
    for column in ("run", "job", "status", "trigger", "created (UTC)", "duration"):
        table.add_column(column)
    for run in found:
        duration = run.duration_seconds
        table.add_row(run.id, run.job_name, f"[{status_style(run.status)}]{run.status}[/]",
                      run.trigger, run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                      f"{duration:.2f} s" if duration is not None else "")
    console().print(table)


@runs.command("show")
@click.argument("run_id", metavar="RUN")
@config_option
@server_options
@click.pass_context
def show(ctx: click.Context, run_id: str, config_path: Path | None) -> None:
    """Show a run's status, params and steps."""
    with command_services(ctx, config_path) as services:
        detail = services.runs.get(RunsGetRequest(run_id=run_id))
    out = console()
    run = detail.run
    out.print(f"params: {detail.params}" if detail.params else "params: none", markup=False)
    if run.status is RunStatus.QUEUED and run.wait_reason:
        out.print(f"waiting: {run.wait_reason}")
    if run.parent_run_id:
        out.print(f"parent run: {run.parent_run_id}")
    if run.schedule_key and run.scheduled_for:
        out.print(f"launched by schedule {run.schedule_key} for "
                  f"{run.scheduled_for.isoformat()}")
    if detail.error:
        kind = f" ({detail.error.source} error)" if detail.error.source else ""
        out.print(f"error{kind}: {detail.error.type}: {detail.error.message}", markup=False)
        _print_error_detail(out, "run", detail.error)
    if detail.log_notice:
        out.print(f"log: {detail.log_notice}", markup=False, soft_wrap=True)
    out.print(steps_table(detail))
    for step in detail.steps:
        if step.error:
            _print_error_detail(out, step.key, step.error)


def _print_error_detail(out: Console, owner: str, error: ErrorInfo) -> None:
    """The traceback and the hint of `owner`'s (the run's or a step's) error."""
    if error.traceback:
        out.print(f"[bold red]{owner}[/] traceback:")
        out.print(error.traceback, markup=False, highlight=False)
    if error.hint:
        out.print(f"{owner} hint: {error.hint}", markup=False, highlight=False)


def _log_lines(events: Iterable[EventInfo]) -> str:
    return "".join(
        f"{e.timestamp.isoformat(timespec='milliseconds')[11:23]} {e.level or '':7} "
        f"{e.step_key or '-':20} {e.kind:13} {e.message}\n"
        for e in events
    )


@runs.command("logs")
@click.argument("run_id", metavar="RUN")
@click.option("--step", "step_key", metavar="KEY", help="Only this step's lines.")
@click.option("--level", "levels", multiple=True, metavar="LEVEL",
              help="Only lines of this level, e.g. ERROR or STDOUT (repeatable).")
@click.option("--grep", "search", metavar="TEXT", help="Only lines containing TEXT (any case).")
@click.option("--follow", "-f", is_flag=True,
              help="Keep printing new lines until the run ends.")
@config_option
@server_options
@click.pass_context
def logs(ctx: click.Context, run_id: str, step_key: str | None, levels: tuple[str, ...],
         search: str | None, follow: bool, config_path: Path | None) -> None:
    """Print a run's event log (transitions and log lines), oldest first.

    Lines are read page by page and written as they arrive, so a long log starts at once
    and can be piped into a pager or `head`. With --follow against a server, its event
    stream tells when new lines are there.
    """
    out = sys.stdout
    with command_services(ctx, config_path) as services:
        full_id = services.runs.get(RunsGetRequest(run_id=run_id)).run.id
        changes: RunChanges | None = None
        request = RunsEventsRequest(run_id=full_id, limit=LOG_PAGE,
                                    step_key=step_key, levels=levels, search=search)
        try:
            while True:
                page = services.runs.events(request)
                if page.events:
                    out.write(_log_lines(page.events))
                request = RunsEventsRequest(
                    run_id=request.run_id, cursor=page.next_cursor, limit=LOG_PAGE,
                    step_key=step_key, levels=levels, search=search)
                if page.has_later:
                    continue
                # The run's status is read before its events: once it is finished, the
                # page holds its last lines.
                if not follow or page.run_status in TERMINAL_RUN_STATUSES:
                    break
                out.flush()
                if changes is None:  # from after the lines printed
                    changes = run_changes(services, full_id, every_event=True,
                                          after=request.cursor)
                if changes is None:
                    time.sleep(FOLLOW_POLL_SECONDS)
                else:
                    changes.wait(IDLE_REDRAW_SECONDS)
            out.flush()
        except BrokenPipeError:  # `daggo runs logs RUN | head` stopped reading
            # Python's recipe: point stdout at devnull so the flush at exit cannot fail.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)


@runs.command("cancel")
@click.argument("run_id", metavar="RUN")
@config_option
@server_options
@click.pass_context
def cancel(ctx: click.Context, run_id: str, config_path: Path | None) -> None:
    """Cancel a run: a queued one at once, a running one from its worker's next heartbeat.

    Says how long a running run may take to end, from the settings (heartbeat interval,
    execution.cancel_grace_seconds and the margins after it).
    """
    with command_services(ctx, config_path) as services:
        response = services.runs.cancel(RunsCancelRequest(run_id=run_id))
    console().print(response.message, markup=False, soft_wrap=True)


@runs.command("reexecute")
@click.argument("run_id", metavar="RUN")
@click.option("--from-failure", "from_failure", is_flag=True,
              help="Re-run the steps that did not succeed (the default).")
@click.option("--step", "step_key", metavar="KEY",
              help="Re-run this step and everything downstream of it.")
@app_options
@server_options
@click.pass_context
def reexecute(ctx: click.Context, run_id: str, from_failure: bool, step_key: str | None,
              config_path: Path | None, app_module: str | None, app_file: str | None) -> None:
    """Queue a new run of RUN's job that reuses RUN's stored outputs."""
    if from_failure and step_key:
        raise click.UsageError("give --from-failure or --step, not both")
    with command_services(ctx, config_path, app=(app_module, app_file)) as services:
        response = services.runs.reexecute(RunsReexecuteRequest(run_id=run_id,
                                                                from_step=step_key))
    origin = f"from step {step_key}" if step_key else "from failure"
    console().print(f"run {response.run.id} queued: re-execution of "
                    f"{response.run.parent_run_id} {origin}")
