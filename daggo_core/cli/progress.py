"""Live step progress of a run, drawn with Rich while the run executes."""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.table import Table

from daggo_core.services import Services
from daggo_core.services.runs import RunDetail, RunsGetRequest, RunStatus, StepStatus

__all__ = ["follow_run", "status_style", "steps_table"]

_STYLES = {
    "SUCCESS": "green", "FAILURE": "bold red", "CANCELED": "dim", "SKIPPED": "dim",
    "RUNNING": "cyan", "STARTED": "cyan", "STARTING": "cyan", "QUEUED": "yellow",
    "PENDING": "yellow",
}


def status_style(status: str) -> str:
    return _STYLES.get(str(status), "")


def steps_table(detail: RunDetail) -> Table:
    """A table of every step of the run, in job order, with status and duration."""
    run = detail.run
    title = f"{run.job_name} · [{status_style(run.status)}]{run.status}[/]"
    table = Table(title=title, title_justify="left", caption=f"run {run.id}",
                  caption_justify="left")
    table.add_column("step")
    table.add_column("status")
    table.add_column("duration", justify="right")
    table.add_column("error", overflow="fold")
    for step in detail.steps:
        duration = step.duration_seconds
        error = f"{step.error.type}: {step.error.message}" if step.error else ""
        table.add_row(step.key, f"[{status_style(step.status)}]{step.status}[/]",
                      f"{duration * 1000:.1f} ms" if duration is not None else "", error)
    return table


def follow_run(services: Services, run_id: str, console: Console, *, poll: float = 0.2,
               queued_hint_after: float = 5.0) -> RunDetail:
    """Redraw the run's steps until it finishes; returns the run as it ended.

    On a terminal the table updates in place; otherwise each step transition is printed
    once as a line, so logs and CI output stay readable.
    """
    started = time.monotonic()
    hinted = False
    seen: dict[str, StepStatus] = {}
    live = Live(console=console, auto_refresh=False) if console.is_terminal else None
    if live:
        live.start()
    try:
        while True:
            detail = services.runs.get(RunsGetRequest(run_id=run_id))
            if live:
                live.update(steps_table(detail), refresh=True)
            else:
                for step in detail.steps:
                    if step.status is not StepStatus.PENDING and seen.get(step.key) != step.status:
                        seen[step.key] = step.status
                        console.print(f"  {step.key}: [{status_style(step.status)}]"
                                      f"{step.status}[/]")
            if detail.run.is_finished:
                break
            if (not hinted and detail.run.status is RunStatus.QUEUED
                    and time.monotonic() - started > queued_hint_after):
                hinted = True
                console.print(f"[yellow]{queued_hint(detail.run.wait_reason)}[/]")
            time.sleep(poll)
    finally:
        if live:
            live.stop()
    if not live:
        console.print(steps_table(detail))
    return detail


def queued_hint(wait_reason: str | None) -> str:
    """What to tell someone whose run has stayed queued a while."""
    if wait_reason:  # a coordinator saw it, and says why it waits
        return f"still queued: {wait_reason}"
    return "still queued: is `daggo run` serving this database?"
