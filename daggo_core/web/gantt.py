"""A run's steps as the run page's Gantt chart: one bar per step on the run's time axis,
the run's wait in the queue before it, drawn as SVG by the server."""

from __future__ import annotations

import datetime as dt

from attrs import frozen

from daggo_core.services.runs import RunDetail, StepStatus

__all__ = ["Gantt", "GanttBar", "gantt"]

#: Chart width in SVG units; bars are placed in it by time.
WIDTH = 1000.0
ROW = 24
_WAITING = frozenset({StepStatus.PENDING})


@frozen
class GanttBar:
    label: str
    status: str  # a step status, or "WAIT" for the run's time in the queue
    x: float
    width: float
    y: float
    title: str


@frozen
class Gantt:
    bars: tuple[GanttBar, ...]
    height: float
    span_seconds: float  # what WIDTH stands for


def gantt(detail: RunDetail, now: dt.datetime) -> Gantt | None:
    """The chart of `detail` (times up to `now` for what still runs), or None before the
    run started."""
    run = detail.run
    if run.started_at is None:
        return None
    start = run.created_at
    end = run.finished_at or now
    for step in detail.steps:
        end = max(end, step.finished_at or step.started_at or end)
    span = max((end - start).total_seconds(), 0.001)
    scale = WIDTH / span

    def at(moment: dt.datetime) -> float:
        return (moment - start).total_seconds() * scale

    waited = (run.started_at - start).total_seconds()
    bars = [GanttBar(label="queued", status="WAIT", x=0.0, width=max(at(run.started_at), 1.0),
                     y=0.0, title=f"waited {waited:.3f} s in the queue")]
    for row, step in enumerate(detail.steps, start=1):
        if step.started_at is None or step.status in _WAITING:
            continue
        finish = step.finished_at or now
        seconds = (finish - step.started_at).total_seconds()
        attempt = f", attempt {step.attempt}" if step.attempt > 1 else ""
        bars.append(GanttBar(
            label=step.key, status=str(step.status), x=at(step.started_at),
            width=max(at(finish) - at(step.started_at), 2.0), y=float(row * ROW),
            title=f"{step.key}: {step.status}, {seconds:.3f} s{attempt}, started "
                  f"{(step.started_at - start).total_seconds():.3f} s after the run was "
                  "queued"))
    return Gantt(bars=tuple(bars), height=float((len(detail.steps) + 1) * ROW),
                 span_seconds=span)
