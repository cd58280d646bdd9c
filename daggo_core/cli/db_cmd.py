"""`daggo db upgrade` and `daggo db purge`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from daggo_core.cli.common import config_option, console, load_cli_config, services_for
from daggo_core.services.retention import RetentionPurgeRequest, RetentionPurgeResponse


@click.group("db")
def db() -> None:
    """Manage the database."""


@db.command("upgrade")
@config_option
@click.pass_context
def upgrade(ctx: click.Context, config_path: Path | None) -> None:
    """Apply pending migrations (also done automatically at start-up)."""
    cfg = load_cli_config(ctx, config_path)
    with services_for(ctx, cfg):  # opening the storage migrates it
        pass
    click.echo(f"database ({cfg.database.driver}) is at the latest schema version")


@db.command("purge")
@click.option("--dry-run", is_flag=True, help="Show what would go; delete nothing.")
@click.option("--days", type=click.IntRange(min=1), metavar="N",
              help="Purge the runs finished more than N days ago (instead of "
              "retention.run_days; with --job, of that job's retention.job_days).")
@click.option("--job", "jobs", multiple=True, metavar="JOB",
              help="Purge only this job's runs (repeatable).")
@config_option
@click.pass_context
def purge(ctx: click.Context, dry_run: bool, days: int | None, jobs: tuple[str, ...],
          config_path: Path | None) -> None:
    """Purge the history of old finished runs: their steps, stored outputs, events and
    queue items, in batches of retention.batch_size runs (the server also does it every
    retention.purge_interval_minutes). Runs still going, finished recently, or still
    needed (an asset's latest value, a re-execution or backfill not finished) stay."""
    cfg = load_cli_config(ctx, config_path)
    with services_for(ctx, cfg) as services:
        response = services.retention.purge(
            RetentionPurgeRequest(dry_run=dry_run, days=days, jobs=jobs))
    _print_purge(response)


def _print_purge(response: RetentionPurgeResponse) -> None:
    out = console()
    verb = "would be purged (dry run: nothing was deleted)" if response.dry_run else "purged"
    if not response.runs:
        out.print(f"no old run {'would be ' if response.dry_run else ''}purged")
    else:
        table = Table(title=f"runs {verb}")
        for column in ("job", "finished before", "runs", "steps", "events"):
            table.add_column(column, justify="left" if column in ("job", "finished before")
                             else "right")
        for job in response.jobs:
            table.add_row(job.job, job.cutoff.strftime("%Y-%m-%d %H:%M UTC"), f"{job.runs:,}",
                          f"{job.steps:,}", f"{job.events:,}")
        table.add_section()
        table.add_row("total", "", f"{response.runs:,}", f"{response.steps:,}",
                      f"{response.events:,}")
        out.print(table)
        out.print(f"with them: {response.queue_items:,} queue item(s), "
                  f"{response.asset_events:,} asset event(s)")
    for kept in response.kept:
        out.print(f"kept: {kept.runs:,} old run(s): {kept.reason}")
