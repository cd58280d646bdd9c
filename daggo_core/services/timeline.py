"""The runs of a time window as a timeline: per job, bars on a time axis, runs too close
together to tell apart at the timeline's resolution merged into one bar; and the window's
counts by status. The database merges the runs into bars (`Storage.list_run_bars`): what
it sends back grows with the bars, not with the runs.
"""

from __future__ import annotations

import collections
import datetime as dt

from attrs import frozen

from daggo_core.errors import InvalidArgumentError
from daggo_core.storage.base import RunStorage
from daggo_core.storage.records import RunBar, RunStatus

__all__ = [
    "RunsTimelineRequest",
    "RunsTimelineResponse",
    "StatusCount",
    "TimelineBar",
    "TimelineLane",
    "run_timeline",
]

#: The timeline's resolution by default and at most, in slots across the window.
TIMELINE_SLOTS, TIMELINE_SLOTS_MAX = 300, 2000
#: How long before the window a run may have been created and still show in it (one
#: window, and at least this): runs running longer are left out unless still unfinished.
MIN_LOOKBACK = dt.timedelta(hours=1)
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
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
    """The window, its lanes by job name (only jobs with runs in it) and its runs by
    status."""

    start: dt.datetime
    end: dt.datetime
    lanes: tuple[TimelineLane, ...]
    counts: tuple[StatusCount, ...]


def run_timeline(storage: RunStorage, request: RunsTimelineRequest,
                 now: dt.datetime) -> RunsTimelineResponse:
    """The timeline `request` asks for, with times up to `now` for what still runs."""
    start, end = _window(request, now)
    slots = request.slots
    if (isinstance(slots, bool) or not isinstance(slots, int)
            or not 1 <= slots <= TIMELINE_SLOTS_MAX):
        raise InvalidArgumentError(
            f"slots: must be an integer from 1 to {TIMELINE_SLOTS_MAX}, got {slots!r}")
    # Runs created up to a window (at least MIN_LOOKBACK) before it, or since time began.
    lookback = min(max(end - start, MIN_LOOKBACK), start - _EARLIEST)
    bars = storage.list_run_bars(start, end, created_after=start - lookback,
                                 gap=(end - start) / slots, now=now, job_name=request.job)
    by_job: dict[str, list[TimelineBar]] = collections.defaultdict(list)
    total: collections.Counter[RunStatus] = collections.Counter()
    runs_by_job: collections.Counter[str] = collections.Counter()
    for bar in bars:
        by_job[bar.job_name].append(_bar(bar))
        total.update(bar.counts)
        runs_by_job[bar.job_name] += sum(bar.counts.values())
    lanes = tuple(TimelineLane(job=job, bars=tuple(lane), runs=runs_by_job[job])
                  for job, lane in sorted(by_job.items()))
    return RunsTimelineResponse(start=start, end=end, lanes=lanes, counts=_counts(total))


def _window(request: RunsTimelineRequest, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    for name in ("start", "end"):
        moment = getattr(request, name)
        if moment is not None and moment.tzinfo is None:
            raise InvalidArgumentError(f"{name}: give a time with its UTC offset, e.g. "
                                       f"{moment.isoformat()}+00:00")
    try:
        end = (request.end or now).astimezone(dt.UTC)
        start = (request.start or end - dt.timedelta(days=1)).astimezone(dt.UTC)
    except OverflowError:
        raise InvalidArgumentError(
            "start, end: out of range; give times after 0001-01-02 in UTC") from None
    if start >= end:
        raise InvalidArgumentError(
            f"start: must be before end ({start.isoformat()} is not before {end.isoformat()})")
    return start, end


def _bar(bar: RunBar) -> TimelineBar:
    counts = _counts(collections.Counter(bar.counts))
    return TimelineBar(
        start=bar.begin, end=bar.finish, status=counts[0].status,
        runs=sum(bar.counts.values()), run_id=bar.run_id, counts=counts,
        created_after=bar.first_created, created_before=bar.last_created + _TICK)


def _counts(counted: collections.Counter[RunStatus]) -> tuple[StatusCount, ...]:
    """How many of each status, the status that matters most first."""
    return tuple(StatusCount(status=status, count=counted[status])
                 for status in _PRECEDENCE if counted[status])
