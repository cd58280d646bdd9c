"""Live step progress of a run, drawn with Rich while the run executes."""

from __future__ import annotations

import time
from typing import Protocol

from rich.console import Console
from rich.live import Live
from rich.table import Table

from daggo_core.errors import ServerUnreachableError
from daggo_core.services.api import ServicesApi
from daggo_core.services.runs import RunDetail, RunsGetRequest, RunStatus, StepStatus

__all__ = ["RunChanges", "follow_run", "run_changes", "status_style", "steps_table"]

#: Seconds between redraws of a run when nothing tells of a change.
IDLE_REDRAW_SECONDS = 10.0
#: How long a server that dropped the connection is asked again for the followed run.
RECONNECT_SECONDS = 30.0

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


class RunChanges(Protocol):
    """What tells `follow_run` that the run may have changed (a server's event stream)."""

    def wait(self, timeout: float) -> bool:
        """Return once the run may have changed (True), or after `timeout` s (False)."""


def run_changes(services: ServicesApi, run_id: str, *, every_event: bool = False,
                after: str | None = None) -> RunChanges | None:
    """A server's event stream of the run (each of its events a change with
    `every_event`, else its transitions), from after the `Runs.Events` cursor `after`;
    None for local services (they are polled)."""
    from daggo_core.client import RemoteServices, RunStream

    if isinstance(services, RemoteServices):
        return RunStream(services.client, run_id, every_event=every_event,
                         after=after).start()
    return None


def follow_run(services: ServicesApi, run_id: str, console: Console, *, poll: float = 0.2,
               changes: RunChanges | None = None,
               queued_hint_after: float = 5.0) -> RunDetail:
    """Redraw the run's steps until it finishes; returns the run as it ended.

    The run is read again every `poll` seconds, or, given `changes`, whenever they say it
    may have changed. On a terminal the table updates in place; otherwise each step
    transition is printed once as a line, so logs and CI output stay readable.
    """
    started = time.monotonic()
    hinted = False
    seen: dict[str, StepStatus] = {}
    live = Live(console=console, auto_refresh=False) if console.is_terminal else None
    if live:
        live.start()
    try:
        while True:
            detail = _read_run(services, run_id)
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
            queued = detail.run.status is RunStatus.QUEUED
            if not hinted and queued and time.monotonic() - started > queued_hint_after:
                hinted = True
                console.print(f"[yellow]{queued_hint(detail.run.wait_reason)}[/]")
            if changes is None:
                time.sleep(poll)
            elif not hinted and queued:  # look again when the hint is due
                changes.wait(max(queued_hint_after - (time.monotonic() - started), 0) + 0.01)
            else:
                changes.wait(IDLE_REDRAW_SECONDS)
    finally:
        if live:
            live.stop()
    if not live:
        console.print(steps_table(detail))
    return detail


def _read_run(services: ServicesApi, run_id: str) -> RunDetail:
    """The run as it is now; a server that dropped the connection is asked again (a read
    is safe to repeat) for up to RECONNECT_SECONDS."""
    failing_since: float | None = None
    while True:
        try:
            return services.runs.get(RunsGetRequest(run_id=run_id))
        except ServerUnreachableError:
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since >= RECONNECT_SECONDS:
                raise
            time.sleep(0.2)


def queued_hint(wait_reason: str | None) -> str:
    """What to tell someone whose run has stayed queued a while."""
    if wait_reason:  # a coordinator saw it, and says why it waits
        return f"still queued: {wait_reason}"
    return "still queued: is `daggo run` serving this database?"
