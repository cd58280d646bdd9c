"""`daggo runs list | show | logs`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from daggo_core.cli.common import (
    app_options,
    config_option,
    console,
    load_app,
    load_cli_config,
    open_storage,
)
from daggo_core.cli.progress import status_style, steps_table
from daggo_core.services.runs import cancel_run, get_run_detail, reexecute_run
from daggo_core.storage.records import RunStatus

STATUS_CHOICES = click.Choice([s.value for s in RunStatus], case_sensitive=False)


@click.group("runs")
def runs() -> None:
    """Inspect run history; cancel and re-execute runs."""


@runs.command("list")
@click.option("--job", "job_name", help="Only runs of this job.")
@click.option("--status", "statuses", multiple=True, type=STATUS_CHOICES,
              help="Only runs with this status (repeatable).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@config_option
@click.pass_context
def list_runs(ctx: click.Context, job_name: str | None, statuses: tuple[str, ...], limit: int,
              config_path: Path | None) -> None:
    """List runs, newest first."""
    storage = open_storage(ctx, load_cli_config(config_path))
    wanted = [RunStatus(s.upper()) for s in statuses] or None
    found = storage.list_runs(job_name=job_name, statuses=wanted, limit=limit)
    total = storage.count_runs(job_name=job_name, statuses=wanted)
    storage.close()
    table = Table(caption=f"{len(found)} of {total} runs")
    for column in ("run", "job", "status", "created (UTC)", "duration"):
        table.add_column(column)
    for run in found:
        duration = run.duration_seconds
        table.add_row(run.id, run.job_name, f"[{status_style(run.status)}]{run.status}[/]",
                      run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                      f"{duration:.2f} s" if duration is not None else "")
    console().print(table)


@runs.command("show")
@click.argument("run_id")
@config_option
@click.pass_context
def show(ctx: click.Context, run_id: str, config_path: Path | None) -> None:
    """Show a run's status, params and steps."""
    storage = open_storage(ctx, load_cli_config(config_path))
    detail = get_run_detail(storage, run_id, event_limit=0)
    storage.close()
    out = console()
    run = detail.run
    out.print(f"params: {run.params}" if run.params else "params: none")
    if run.status is RunStatus.QUEUED and run.wait_reason:
        out.print(f"waiting: {run.wait_reason}")
    if run.parent_run_id:
        out.print(f"parent run: {run.parent_run_id}")
    if run.schedule_key and run.scheduled_for:
        out.print(f"launched by schedule {run.schedule_key} for "
                  f"{run.scheduled_for.isoformat()}")
    if run.error:
        out.print(f"error: {run.error.type}: {run.error.message}", markup=False)
    order = [s.key for s in detail.steps]
    out.print(steps_table(run, order, {s.key: s.record for s in detail.steps if s.record}))
    for step in detail.steps:
        if step.record and step.record.error and step.record.error.traceback:
            out.print(f"[bold red]{step.key}[/] traceback:")
            out.print(step.record.error.traceback, markup=False, highlight=False)


@runs.command("logs")
@click.argument("run_id")
@click.option("--step", "step_key", help="Only this step's events.")
@config_option
@click.pass_context
def logs(ctx: click.Context, run_id: str, step_key: str | None, config_path: Path | None) -> None:
    """Print a run's event log (transitions and log lines), oldest first."""
    storage = open_storage(ctx, load_cli_config(config_path))
    storage.get_run(run_id)
    out = console()
    after = 0
    while True:
        events = storage.list_events(run_id, after_id=after, limit=1000, step_key=step_key)
        for event in events:
            stamp = event.timestamp.strftime("%H:%M:%S.%f")[:-3]
            out.print(f"{stamp} {event.level or '':7} {event.step_key or '-':20} "
                      f"{event.kind:13} {event.message}", markup=False, highlight=False)
        if len(events) < 1000:
            break
        after = events[-1].id or after
    storage.close()


@runs.command("cancel")
@click.argument("run_id")
@config_option
@click.pass_context
def cancel(ctx: click.Context, run_id: str, config_path: Path | None) -> None:
    """Cancel a run: a queued one at once, a running one at its worker's next heartbeat."""
    cfg = load_cli_config(config_path)
    storage = open_storage(ctx, cfg)
    before = storage.get_run(run_id)
    run = cancel_run(storage, run_id)
    storage.close()
    out = console()
    status = f"[{status_style(run.status)}]{run.status}[/]"
    if before.status is RunStatus.QUEUED and run.status is RunStatus.CANCELED:
        out.print(f"run {run_id} canceled: {status} (it had not started)")
    elif run.is_finished:
        out.print(f"run {run_id} already finished: {status}; nothing to cancel")
    else:
        interval = cfg.execution.heartbeat_interval_seconds
        out.print(f"run {run_id} is {status}: cancellation requested. Its worker stops it "
                  f"at its next heartbeat (within {interval:g} s); the run then ends CANCELED.")


@runs.command("reexecute")
@click.argument("run_id")
@click.option("--from-failure", "from_failure", is_flag=True,
              help="Re-run the steps that did not succeed (the default).")
@click.option("--step", "step_key", metavar="KEY",
              help="Re-run this step and everything downstream of it.")
@app_options
@click.pass_context
def reexecute(ctx: click.Context, run_id: str, from_failure: bool, step_key: str | None,
              config_path: Path | None, app_module: str | None, app_file: str | None) -> None:
    """Queue a new run of RUN's job that reuses RUN's stored outputs."""
    if from_failure and step_key:
        raise click.UsageError("give --from-failure or --step, not both")
    cfg = load_cli_config(config_path)
    definitions = load_app(cfg, app_module, app_file, required=False)
    storage = open_storage(ctx, cfg)
    try:
        run = reexecute_run(storage, run_id, step=step_key, definitions=definitions)
    finally:
        storage.close()
    origin = f"from step {step_key}" if step_key else "from failure"
    console().print(f"run {run.id} queued: re-execution of {run_id} {origin}")
