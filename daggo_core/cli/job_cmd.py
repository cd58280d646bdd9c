"""`daggo job list | launch`."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from daggo_core.cli.common import app_options, console, load_app, load_cli_config, open_storage
from daggo_core.cli.progress import follow_run, status_style
from daggo_core.execution.local import start_run
from daggo_core.services.runs import launch_run, sync_jobs


@click.group("job")
def job() -> None:
    """List and launch jobs."""


@job.command("list")
@app_options
@click.pass_context
def list_jobs(ctx: click.Context, config_path: Path | None, app_module: str | None,
              app_file: str | None) -> None:
    """List the jobs synced to the database, with their latest run."""
    cfg = load_cli_config(config_path)
    storage = open_storage(ctx, cfg)
    table = Table()
    for column in ("job", "ops", "schedules", "last run"):
        table.add_column(column)
    for record in storage.list_jobs():
        last = storage.list_runs(job_name=record.name, limit=1)
        last_text = f"[{status_style(last[0].status)}]{last[0].status}[/] {last[0].id[:8]}" \
            if last else ""
        schedules = ", ".join(f"{s['cron']} ({s['key']})" for s in record.snapshot["schedules"])
        table.add_row(record.name, str(len(record.snapshot["ops"])), schedules, last_text)
    console().print(table)
    storage.close()


def _parse_params(raw: str | None) -> dict[str, Any]:
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


def _parse_tags(tags: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{tag!r} is not KEY=VALUE", param_hint="--tag")
        parsed[key] = value
    return parsed


@job.command("launch")
@click.argument("name")
@click.option("--params", "params_json", metavar="JSON", help="Run params as a JSON object.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag the run (repeatable).")
@click.option("--wait", is_flag=True, help="Follow the run to its end; exit 1 if it fails.")
@click.option("--local", is_flag=True, help="Execute the run in this process.")
@app_options
@click.pass_context
def launch(ctx: click.Context, name: str, params_json: str | None, tags: tuple[str, ...],
           wait: bool, local: bool, config_path: Path | None, app_module: str | None,
           app_file: str | None) -> None:
    """Queue a run of job NAME for the running server (or run it here with --local)."""
    cfg = load_cli_config(config_path)
    params = _parse_params(params_json)
    definitions = load_app(cfg, app_module, app_file, required=local)
    storage = open_storage(ctx, cfg)
    out = console()
    try:
        if local:
            assert definitions is not None
            job_def = definitions.job(name)
            sync_jobs(storage, definitions)
            run, worker = start_run(job_def, params, storage, tags=_parse_tags(tags))
            thread = threading.Thread(target=worker.execute, name="daggo-local-run")
            thread.start()
            out.print(f"run {run.id} of {name} executing in this process")
            final = follow_run(storage, run.id, job_def.order, out)
            thread.join()
        else:
            run = launch_run(storage, name, params, tags=_parse_tags(tags),
                             definitions=definitions)
            out.print(f"run {run.id} of {name} queued")
            if not wait:
                return
            record = storage.get_job(name)
            order = [op["name"] for op in record.snapshot["ops"]] if record else []
            final = follow_run(storage, run.id, order, out)
    finally:
        storage.close()
    out.print(f"run {final.id} finished: [{status_style(final.status)}]{final.status}[/]")
    if final.status.value != "SUCCESS":
        ctx.exit(1)
