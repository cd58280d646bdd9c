"""A run's steps as the run page's Gantt chart: one bar per attempt of each step on the
run's time axis, the waits between attempts and the run's wait in the queue before it,
drawn as SVG by the server."""

from __future__ import annotations

import datetime as dt

from attrs import frozen

from daggo_core.services.runs import RunDetail, StepAttempt, StepInfo, StepStatus

__all__ = ["Gantt", "GanttBar", "gantt"]

#: Chart width in SVG units; bars are placed in it by time.
WIDTH = 1000.0
ROW = 24
_WAITING = frozenset({StepStatus.PENDING})
_ENDED = {StepStatus.SUCCESS: "succeeded", StepStatus.FAILURE: "failed",
          StepStatus.CANCELED: "canceled", StepStatus.SKIPPED: "skipped"}


@frozen
class GanttBar:
    label: str
    #: A step status; "WAIT" for the run's time in the queue, "DELAY" for a step's wait
    #: between two attempts (its retry delay).
    status: str
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
        previous: StepAttempt | None = None
        for attempt in _attempts_of(step):
            if previous is not None and previous.finished_at is not None \
                    and attempt.started_at > previous.finished_at:
                delay = (attempt.started_at - previous.finished_at).total_seconds()
                bars.append(GanttBar(
                    label=step.key, status="DELAY", x=at(previous.finished_at),
                    width=max(at(attempt.started_at) - at(previous.finished_at), 1.0),
                    y=float(row * ROW),
                    title=f"{step.key}: waited {delay:.3g} s before attempt {attempt.attempt}"))
            finish = attempt.finished_at or now
            bars.append(GanttBar(
                label=step.key, status=str(attempt.status), x=at(attempt.started_at),
                width=max(at(finish) - at(attempt.started_at), 2.0), y=float(row * ROW),
                title=_title(step, attempt, finish, start)))
            previous = attempt
    return Gantt(bars=tuple(bars), height=float((len(detail.steps) + 1) * ROW),
                 span_seconds=span)


def _attempts_of(step: StepInfo) -> tuple[StepAttempt, ...]:
    """The step's attempts, or one from its state when it has none listed."""
    if step.attempts or step.started_at is None:
        return step.attempts
    return (StepAttempt(attempt=step.attempt, status=step.status, started_at=step.started_at,
                        finished_at=step.finished_at, error=None),)


def _title(step: StepInfo, attempt: StepAttempt, finish: dt.datetime,
           start: dt.datetime) -> str:
    """E.g. "load: attempt 2 of 3, failed after 0.4 s: ValueError: empty, started 1.2 s
    after the run was queued"."""
    seconds = (finish - attempt.started_at).total_seconds()
    which = f"attempt {attempt.attempt} of {step.attempt}, " if step.attempt > 1 else ""
    ended = _ENDED.get(attempt.status)
    how = f"{ended} after {seconds:.3g} s" if ended else f"{attempt.status}, {seconds:.3g} s"
    error = f": {attempt.error}" if attempt.error else ""
    return (f"{step.key}: {which}{how}{error}, started "
            f"{(attempt.started_at - start).total_seconds():.3f} s after the run was queued")
