"""`daggo backfill preview | launch | list | status | cancel` and `daggo asset list`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.table import Table

from daggo_core.cli.common import (
    collect_pages,
    command_services,
    config_option,
    console,
    server_options,
)
from daggo_core.cli.job_cmd import parse_params, parse_tags
from daggo_core.cli.progress import status_style
from daggo_core.services.assets import AssetsGetManyRequest
from daggo_core.services.backfills import (
    BACKFILLS_PAGE_MAX,
    BackfillInfo,
    BackfillPreview,
    BackfillsCancelRequest,
    BackfillsGetManyRequest,
    BackfillsGetRequest,
    BackfillsLaunchRequest,
)

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def backfill() -> None:
    """Backfills: runs of a partitioned job (or asset) over many partitions."""


def _selection(fn: F) -> F:
    """The options choosing what a backfill runs."""
    for option in reversed((
        click.option("--job", help="The partitioned job to backfill."),
        click.option("--asset", help="Or the asset whose job to backfill."),
        click.option("--from", "first", metavar="KEY", help="The first partition of a range."),
        click.option("--to", "last", metavar="KEY", help="The last partition of a range."),
        click.option("--key", "keys", multiple=True, metavar="KEY",
                     help="A partition to run (repeatable); default: every partition."),
        click.option("--missing", is_flag=True,
                     help="Only the partitions not materialized, or failed."),
        click.option("--chunk", type=int, metavar="N",
                     help="Partitions per run, for jobs whose ops take ranges."),
        click.option("--params", "params_json", metavar="JSON",
                     help="Params of every run, as a JSON object."),
        click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE",
                     help="Tag every run (repeatable)."),
    )):
        fn = option(fn)
    return fn


def _request(options: dict[str, Any]) -> BackfillsLaunchRequest:
    return BackfillsLaunchRequest(
        job=options["job"], asset=options["asset"], partition_keys=tuple(options["keys"]),
        first=options["first"], last=options["last"], only_missing=options["missing"],
        chunk_size=options["chunk"], params=parse_params(options["params_json"]),
        tags=parse_tags(options["tags"]))


def _print_preview(preview: BackfillPreview) -> None:
    out = console()
    what = f"asset {preview.asset_key} (job {preview.job_name})" if preview.asset_key \
        else f"job {preview.job_name}"
    skipped = f", {preview.skipped} skipped (materialized or in progress)" \
        if preview.skipped else ""
    out.print(f"{what}: {preview.partitions} partitions in {preview.runs} runs "
              f"(up to {preview.chunk_size} per run){skipped}")
    for key in preview.first_runs:
        out.print(f"  {key}")
    if preview.runs > len(preview.first_runs):
        out.print(f"  ... and {preview.runs - len(preview.first_runs)} more")


@backfill.command("preview")
@_selection
@config_option
@server_options
@click.pass_context
def preview(ctx: click.Context, /, config_path: Path | None, **options: Any) -> None:
    """Show what a backfill would run, without starting it."""
    with command_services(ctx, config_path) as services:
        _print_preview(services.backfills.preview(_request(options)))


@backfill.command("launch")
@_selection
@click.option("--yes", is_flag=True, help="Launch without asking.")
@config_option
@server_options
@click.pass_context
def launch(ctx: click.Context, /, yes: bool, config_path: Path | None, **options: Any) -> None:
    """Preview a backfill, then launch it: the server creates and runs its runs."""
    request = _request(options)
    with command_services(ctx, config_path) as services:
        _print_preview(services.backfills.preview(request))
        if not yes and not click.confirm("Launch it?", default=True):
            return
        info = services.backfills.launch(request)
    console().print(f"backfill {info.id} launched ({info.status})")


@backfill.command("list")
@click.option("--job", help="Only this job's backfills.")
@click.option("-n", "limit", type=int, default=20, show_default=True, help="How many.")
@config_option
@server_options
@click.pass_context
def list_backfills(ctx: click.Context, job: str | None, limit: int,
                   config_path: Path | None) -> None:
    """List backfills, newest first."""
    with command_services(ctx, config_path) as services:
        found = collect_pages(lambda cursor, size: _page(services.backfills.get_many(
            BackfillsGetManyRequest(job=job, limit=size, cursor=cursor))),
            page_max=BACKFILLS_PAGE_MAX, limit=limit)
    table = Table()
    for column in ("id", "job", "status", "runs", "created", "what"):
        table.add_column(column)
    for info in found:
        table.add_row(info.id[:12], info.job_name, f"[{_style(info)}]{info.status}[/]",
                      _progress(info), info.created_at.strftime("%Y-%m-%d %H:%M"),
                      info.description)
    console().print(table)


def _page(response: Any) -> tuple[tuple[BackfillInfo, ...], str | None]:
    return response.backfills, response.next_cursor


@backfill.command("status")
@click.argument("backfill_id")
@config_option
@server_options
@click.pass_context
def status(ctx: click.Context, backfill_id: str, config_path: Path | None) -> None:
    """Show a backfill's progress: its runs by status."""
    with command_services(ctx, config_path) as services:
        info = services.backfills.get(BackfillsGetRequest(id=backfill_id)).backfill
    out = console()
    out.print(f"backfill {info.id} of job {info.job_name}: [{_style(info)}]{info.status}[/]")
    out.print(f"  {info.description}")
    out.print(f"  {_progress(info)}")
    for run_status, count in sorted(info.run_counts.items()):
        out.print(f"  [{status_style(run_status)}]{run_status}[/]: {count}")
    if info.error:
        out.print(f"  error: {info.error}")


@backfill.command("cancel")
@click.argument("backfill_id")
@config_option
@server_options
@click.pass_context
def cancel(ctx: click.Context, backfill_id: str, config_path: Path | None) -> None:
    """Cancel a backfill: no more runs are created, queued ones are canceled."""
    with command_services(ctx, config_path) as services:
        info = services.backfills.cancel(BackfillsCancelRequest(id=backfill_id))
    console().print(f"backfill {info.id}: {info.status}")


def _progress(info: BackfillInfo) -> str:
    done = sum(info.run_counts.get(s, 0) for s in info.run_counts if s.value in
               ("SUCCESS", "FAILURE", "CANCELED"))
    return f"{done}/{info.planned} runs done, {info.unsubmitted} not created yet"


def _style(info: BackfillInfo) -> str:
    return {"COMPLETED": "green", "FAILED": "bold red", "CANCELED": "dim",
            "CANCELING": "yellow"}.get(info.status.value, "cyan")


@click.group()
def asset() -> None:
    """Assets: what the app's jobs materialize."""


@asset.command("list")
@click.option("--group", help="Only this group's assets.")
@click.option("--search", help="Only assets whose key contains this.")
@config_option
@server_options
@click.pass_context
def list_assets(ctx: click.Context, group: str | None, search: str | None,
                config_path: Path | None) -> None:
    """List the assets, with their latest materialization and staleness."""
    with command_services(ctx, config_path) as services:
        found = services.assets.get_many(AssetsGetManyRequest(group=group, search=search))
    table = Table()
    for column in ("asset", "group", "partitions", "materialized", "stale"):
        table.add_column(column)
    for summary in found.assets:
        counts = ", ".join(f"{n} {s}" for s, n in summary.partition_counts.items())
        when = (summary.last_materialized_at.strftime("%Y-%m-%d %H:%M")
                if summary.last_materialized_at else "never")
        table.add_row(summary.key, summary.group,
                      f"{summary.partitions_description} {counts}".strip(), when,
                      "; ".join(summary.stale_reasons))
    console().print(table)
