"""Live step progress of a run, drawn with Rich while the run executes."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Console
from rich.live import Live
from rich.table import Table

from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run, RunStatus, StepRecord, StepStatus

__all__ = ["follow_run", "status_style", "steps_table"]

_STYLES = {
    "SUCCESS": "green", "FAILURE": "bold red", "CANCELED": "dim", "SKIPPED": "dim",
    "RUNNING": "cyan", "STARTED": "cyan", "STARTING": "cyan", "QUEUED": "yellow",
    "PENDING": "yellow",
}


def status_style(status: str) -> str:
    return _STYLES.get(str(status), "")


def steps_table(run: Run, order: Sequence[str], steps: dict[str, StepRecord]) -> Table:
    """A table of every step of the run, in job order, with status and duration."""
    title = f"{run.job_name} · [{status_style(run.status)}]{run.status}[/]"
    table = Table(title=title, title_justify="left", caption=f"run {run.id}",
                  caption_justify="left")
    table.add_column("step")
    table.add_column("status")
    table.add_column("duration", justify="right")
    table.add_column("error", overflow="fold")
    for key in [*order, *(k for k in steps if k not in order)]:
        step = steps.get(key)
        status = step.status if step else StepStatus.PENDING
        duration = step.duration_seconds if step else None
        error = f"{step.error.type}: {step.error.message}" if step and step.error else ""
        table.add_row(key, f"[{status_style(status)}]{status}[/]",
                      f"{duration * 1000:.1f} ms" if duration is not None else "", error)
    return table


def follow_run(storage: Storage, run_id: str, order: Sequence[str], console: Console,
               *, poll: float = 0.2, queued_hint_after: float = 5.0) -> Run:
    """Redraw the run's steps until it finishes; returns the final run.

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
            run = storage.get_run(run_id)
            steps = {s.step_key: s for s in storage.list_steps(run_id)}
            if live:
                live.update(steps_table(run, order, steps), refresh=True)
            else:
                for key, step in steps.items():
                    if seen.get(key) != step.status:
                        seen[key] = step.status
                        console.print(f"  {key}: [{status_style(step.status)}]{step.status}[/]")
            if run.is_finished:
                break
            if (not hinted and run.status is RunStatus.QUEUED
                    and time.monotonic() - started > queued_hint_after):
                hinted = True
                console.print("[yellow]still queued: is `daggo run` serving this database?[/]")
            time.sleep(poll)
    finally:
        if live:
            live.stop()
    if not live:
        console.print(steps_table(run, order, steps))
    return run
