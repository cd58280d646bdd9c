"""The runs of a time window as a timeline: per job, bars on a time axis, runs too close
together to tell apart at the timeline's resolution merged into one bar; and the window's
counts by status. One indexed read whatever the history holds (`Storage.list_run_spans`).
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable

from attrs import frozen

from daggo_core.errors import InvalidArgumentError
from daggo_core.storage.base import RunStorage
from daggo_core.storage.records import RunSpan, RunStatus

__all__ = [
    "RunsTimelineRequest",
    "RunsTimelineResponse",
    "StatusCount",
    "TimelineBar",
    "TimelineLane",
    "run_timeline",
]

#: The most runs one timeline reads: beyond them the oldest of the window are left out.
TIMELINE_RUNS_MAX = 50_000
#: The timeline's resolution by default and at most, in slots across the window.
TIMELINE_SLOTS, TIMELINE_SLOTS_MAX = 300, 2000
#: How long before the window a run may have been created and still show in it (one
#: window, and at least this): runs running longer are left out unless still unfinished.
MIN_LOOKBACK = dt.timedelta(hours=1)
#: The least step of stored times: a bar's `created_before` is its last run's plus it.
_TICK = dt.timedelta(microseconds=1)
#: A merged bar takes the status that matters most among its runs: a failure first.
_PRECEDENCE = (RunStatus.FAILURE, RunStatus.STARTED, RunStatus.STARTING, RunStatus.QUEUED,
               RunStatus.CANCELED, RunStatus.SUCCESS)


@frozen(kw_only=True)
class RunsTimelineRequest:
    """The runs overlapping `start`..`end` (default: the 24 hours up to now), of job
    `job` or of every job, at a resolution of `slots` across the window."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    job: str | None = None
    slots: int = TIMELINE_SLOTS


@frozen(kw_only=True)
class StatusCount:
    status: RunStatus
    count: int


@frozen(kw_only=True)
class TimelineBar:
    """One bar: a run from its start (its creation while it waits) to its end (now while
    it goes), or `runs` runs merged; `run_id` is set for a bar of one run, `status` is
    the one that matters most among its runs, `counts` are theirs. Its runs were created
    from `created_after` on and before `created_before`: `Runs.GetMany` of the job with
    those lists them."""

    start: dt.datetime
    end: dt.datetime
    status: RunStatus
    runs: int
    run_id: str | None
    counts: tuple[StatusCount, ...]
    created_after: dt.datetime
    created_before: dt.datetime


@frozen(kw_only=True)
class TimelineLane:
    job: str
    bars: tuple[TimelineBar, ...]
    runs: int


@frozen(kw_only=True)
class RunsTimelineResponse:
    """The window, its lanes by job name (only jobs with runs in it), its runs by status,
    and `truncated` when it held more runs than one timeline reads (the oldest are left
    out; choose a shorter window)."""

    start: dt.datetime
    end: dt.datetime
    lanes: tuple[TimelineLane, ...]
    counts: tuple[StatusCount, ...]
    truncated: bool


def run_timeline(storage: RunStorage, request: RunsTimelineRequest,
                 now: dt.datetime) -> RunsTimelineResponse:
    """The timeline `request` asks for, with times up to `now` for what still runs."""
    start, end = _window(request, now)
    slots = request.slots
    if (isinstance(slots, bool) or not isinstance(slots, int)
            or not 1 <= slots <= TIMELINE_SLOTS_MAX):
        raise InvalidArgumentError(
            f"slots: must be an integer from 1 to {TIMELINE_SLOTS_MAX}, got {slots!r}")
    lookback = max(end - start, MIN_LOOKBACK)
    spans = storage.list_run_spans(start, end, created_after=start - lookback,
                                   limit=TIMELINE_RUNS_MAX + 1)
    truncated = len(spans) > TIMELINE_RUNS_MAX
    spans = spans[:TIMELINE_RUNS_MAX]
    by_job: dict[str, list[RunSpan]] = collections.defaultdict(list)
    for span in spans:
        if request.job is None or span.job_name == request.job:
            by_job[span.job_name].append(span)
    gap = (end - start) / slots
    lanes = tuple(
        TimelineLane(job=job, bars=tuple(_bars(runs, start, end, now, gap)), runs=len(runs))
        for job, runs in sorted(by_job.items()))
    return RunsTimelineResponse(
        start=start, end=end, lanes=lanes, truncated=truncated,
        counts=_counts(span.status for runs in by_job.values() for span in runs))


def _window(request: RunsTimelineRequest, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    for name in ("start", "end"):
        moment = getattr(request, name)
        if moment is not None and moment.tzinfo is None:
            raise InvalidArgumentError(f"{name}: give a time with its UTC offset, e.g. "
                                       f"{moment.isoformat()}+00:00")
    end = request.end or now
    start = request.start or end - dt.timedelta(days=1)
    if start >= end:
        raise InvalidArgumentError(
            f"start: must be before end ({start.isoformat()} is not before {end.isoformat()})")
    return start, end


def _bars(runs: list[RunSpan], start: dt.datetime, end: dt.datetime, now: dt.datetime,
          gap: dt.timedelta) -> list[TimelineBar]:
    """The bars of one job's runs: a run whose bar begins less than `gap` (one slot)
    after the bar before it ends joins that bar."""
    placed = sorted(((max(run.started_at or run.created_at, start),
                      min(run.finished_at or now, end), run) for run in runs),
                    key=lambda item: item[0])
    groups: list[tuple[dt.datetime, dt.datetime, list[RunSpan]]] = []
    for begin, finish, run in placed:
        finish = max(finish, begin)
        if groups and begin < groups[-1][1] + gap:
            first, last, members = groups[-1]
            members.append(run)
            groups[-1] = (first, max(last, finish), members)
        else:
            groups.append((begin, finish, [run]))
    bars = []
    for begin, finish, members in groups:
        counts = _counts(run.status for run in members)
        bars.append(TimelineBar(
            start=begin, end=finish, status=counts[0].status, runs=len(members),
            run_id=members[0].id if len(members) == 1 else None, counts=counts,
            created_after=min(run.created_at for run in members),
            created_before=max(run.created_at for run in members) + _TICK))
    return bars


def _counts(statuses: Iterable[RunStatus]) -> tuple[StatusCount, ...]:
    """How many of each status, the status that matters most first."""
    counted = collections.Counter(statuses)
    return tuple(StatusCount(status=status, count=counted[status])
                 for status in _PRECEDENCE if counted[status])
