"""`daggo schedule list | enable | disable | reset | ticks`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from daggo_core.cli.common import (
    collect_pages,
    command_services,
    config_option,
    console,
    server_options,
)
from daggo_core.services.schedules import (
    SCHEDULES_PAGE_MAX,
    TICKS_PAGE_MAX,
    SchedulesGetManyRequest,
    SchedulesSetEnabledRequest,
    SchedulesTicksRequest,
    ScheduleSummary,
    TickInfo,
    TickStatus,
)

_TICK_STYLES = {TickStatus.LAUNCHED: "green", TickStatus.FAILED: "red",
                TickStatus.PAUSED: "red", TickStatus.BUFFERED: "yellow"}


@click.group("schedule")
def schedule() -> None:
    """List schedules, turn them on or off, and show their ticks."""


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def schedules_table(views: Sequence[ScheduleSummary]) -> Table:
    """Schedules as `schedule list` shows them."""
    table = Table(caption="times in UTC")
    for column in ("job", "key", "cron"):  # what `enable`/`disable` are given: never cut
        table.add_column(column, no_wrap=True)
    for column in ("timezone", "enabled", "overlap", "last tick", "next tick"):
        table.add_column(column)
    for view in views:
        enabled = "[green]on[/]" if view.enabled else "[red]off[/]"
        if view.enabled_override is not None and view.enabled_override != view.enabled_in_code:
            enabled += " (toggled)"
        table.add_row(view.job_name, view.key, view.cron, view.timezone, enabled, view.overlap,
                      _when(view.last_tick_at), _when(view.next_tick_at))
    return table


@schedule.command("list")
@click.option("--job", "job_name", help="Only this job's schedules.")
@config_option
@server_options
@click.pass_context
def list_command(ctx: click.Context, job_name: str | None, config_path: Path | None) -> None:
    """List the schedules of the active jobs: enabled or not, last and next tick."""
    with command_services(ctx, config_path) as services:
        def fetch(cursor: str | None, size: int) -> tuple[Sequence[ScheduleSummary], str | None]:
            page = services.schedules.get_many(
                SchedulesGetManyRequest(job=job_name, limit=size, cursor=cursor))
            return page.schedules, page.next_cursor

        views = collect_pages(fetch, page_max=SCHEDULES_PAGE_MAX)
    console().print(schedules_table(views))


def _toggle_command(name: str, enabled: bool | None, help_text: str) -> None:
    """Add `daggo schedule NAME JOB [KEY]`, setting the Enabled override to `enabled`."""

    @schedule.command(name, help=help_text)
    @click.argument("job_name", metavar="JOB")
    @click.argument("key", required=False)
    @config_option
    @server_options
    @click.pass_context
    def toggle(ctx: click.Context, job_name: str, key: str | None,
               config_path: Path | None) -> None:
        request = SchedulesSetEnabledRequest(job=job_name, key=key, enabled=enabled)
        with command_services(ctx, config_path) as services:
            views = services.schedules.set_enabled(request).schedules
        out = console()
        for view in views:
            state = "enabled" if view.enabled else "disabled"
            if enabled is None:
                state = f"back to its default in code ({state})"
            out.print(f"schedule {view.key} of {view.job_name} {state}")


_toggle_command("enable", True, "Turn on schedule KEY of JOB (every schedule of JOB without KEY).")
_toggle_command("disable", False,
                "Turn off schedule KEY of JOB (every schedule of JOB without KEY).")
_toggle_command("reset", None, "Drop the Enabled toggle of schedule KEY of JOB (of every "
                "schedule of JOB): the `enabled` declared in code applies again.")


@schedule.command("ticks")
@click.argument("job_name", metavar="JOB")
@click.argument("key", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@config_option
@server_options
@click.pass_context
def ticks(ctx: click.Context, job_name: str, key: str | None, limit: int,
          config_path: Path | None) -> None:
    """Show the latest ticks of JOB's schedules (of schedule KEY): what each one did."""
    with command_services(ctx, config_path) as services:
        def fetch(cursor: str | None, size: int) -> tuple[Sequence[TickInfo], str | None]:
            page = services.schedules.ticks(SchedulesTicksRequest(
                job=job_name, key=key, limit=size, cursor=cursor))
            return page.ticks, page.next_cursor

        found = collect_pages(fetch, page_max=TICKS_PAGE_MAX, limit=limit)
    table = Table(caption=f"{len(found)} tick(s), newest first; times in UTC")
    table.add_column("key")
    table.add_column("scheduled for", no_wrap=True)
    for column in ("status", "run", "reason"):
        table.add_column(column)
    for tick in found:
        style = _TICK_STYLES.get(tick.status, "dim")
        table.add_row(tick.schedule_key, _when(tick.scheduled_for),
                      f"[{style}]{tick.status}[/]", tick.run_id or "", Text(tick.reason or ""))
    console().print(table)
