"""Runs: history with filters and keyset pages, one run with its steps, its event log,
cancellation and re-execution."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from typing import Any

from attrs import field, frozen

from daggo_core.errors import FailedPreconditionError, InvalidArgumentError, RunNotFoundError
from daggo_core.execution.log_limits import dropped_notice
from daggo_core.execution.reexecution import FROM_FAILURE, plan_reexecution
from daggo_core.execution.stop_deadlines import cancel_bound
from daggo_core.services.context import ServiceContext
from daggo_core.services.cursors import cursor_moment, decode_cursor, encode_cursor
from daggo_core.services.paging import check_limit, page_limit
from daggo_core.services.step_details import (
    StepAttempt,
    output_preview,
    read_attempts,
    step_attempts,
)
from daggo_core.services.timeline import RunsTimelineRequest, RunsTimelineResponse, run_timeline
from daggo_core.storage.base import EventFilter, RunFilter, RunPosition
from daggo_core.storage.records import (
    REEXECUTE_TAG,
    TERMINAL_RUN_STATUSES,
    ErrorInfo,
    Event,
    EventKind,
    Run,
    RunStatus,
    RunTrigger,
    StepRecord,
    StepStatus,
    utcnow,
)

__all__ = [
    "TERMINAL_RUN_STATUSES",
    "CancelOutcome",
    "ErrorInfo",
    "EventInfo",
    "EventKind",
    "JobStatusCount",
    "RunDetail",
    "RunStatus",
    "RunSummary",
    "RunTrigger",
    "RunsCancelRequest",
    "RunsCancelResponse",
    "RunsCountByStatusRequest",
    "RunsCountByStatusResponse",
    "RunsCountRequest",
    "RunsCountResponse",
    "RunsEventsRequest",
    "RunsEventsResponse",
    "RunsGetManyRequest",
    "RunsGetManyResponse",
    "RunsGetRequest",
    "RunsReexecuteRequest",
    "RunsReexecuteResponse",
    "RunsService",
    "RunsTimelineRequest",
    "RunsTimelineResponse",
    "StepAttempt",
    "StepInfo",
    "StepStatus",
    "event_cursor",
    "event_position",
]

#: Page sizes of run lists: the default and the most one request may ask for.
RUNS_PAGE, RUNS_PAGE_MAX = 50, 500
#: Page sizes of event logs.
EVENTS_PAGE, EVENTS_PAGE_MAX = 1000, 10_000
#: A whole run id (`new_run_id()`): no other run's id starts with it.
_WHOLE_ID = re.compile(r"[0-9a-f]{32}")
#: The events that end a run's log.
FINAL_EVENTS = EventFilter(kinds=(EventKind.RUN_SUCCESS, EventKind.RUN_FAILURE,
                                  EventKind.RUN_CANCELED))


def events_filter(step_key: str | None, kinds: Sequence[EventKind], levels: Sequence[str],
                  search: str | None = None) -> EventFilter:
    """The filter of a request for a run's events (`Runs.Events`, `Runs.Stream`): empty
    lists mean any, levels in any case."""
    return EventFilter(step_key=step_key, kinds=tuple(kinds) or None,
                       levels=tuple(level.upper() for level in levels) or None,
                       search=search or None)


# ---------------------------------------------------------------------------- messages


@frozen(kw_only=True)
class RunSummary:
    """A run as lists show it: no params, outputs or tracebacks."""

    id: str
    job_name: str
    status: RunStatus
    trigger: RunTrigger
    tags: dict[str, str]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_seconds: float | None
    schedule_key: str | None
    scheduled_for: dt.datetime | None
    parent_run_id: str | None
    wait_reason: str | None
    cancel_requested: bool
    error_type: str | None
    error_message: str | None
    #: The queue item this run executes, and that item's partition key (if any).
    queue_item_id: str | None = None
    partition_key: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES

    @classmethod
    def of(cls, run: Run) -> RunSummary:
        return cls(
            id=run.id, job_name=run.job_name, status=run.status, trigger=run.trigger,
            tags=dict(run.tags), created_at=run.created_at, started_at=run.started_at,
            finished_at=run.finished_at, duration_seconds=run.duration_seconds,
            schedule_key=run.schedule_key, scheduled_for=run.scheduled_for,
            parent_run_id=run.parent_run_id,
            wait_reason=run.wait_reason if run.status is RunStatus.QUEUED else None,
            cancel_requested=run.cancel_requested,
            error_type=run.error.type if run.error else None,
            error_message=run.error.message if run.error else None,
            queue_item_id=run.queue_item_id, partition_key=run.partition_key,
        )


@frozen(kw_only=True)
class StepInfo:
    """One step of a run: PENDING with no times until it starts; its `attempts` oldest
    first, the `metadata` its op recorded, and `output_preview`, its stored output as JSON
    text cut to a bounded length (None without one)."""

    key: str
    status: StepStatus
    attempt: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_seconds: float | None
    error: ErrorInfo | None
    attempts: tuple[StepAttempt, ...] = ()
    metadata: dict[str, Any] = field(factory=dict)
    output_preview: str | None = None

    @classmethod
    def of(cls, key: str, record: StepRecord | None,
           attempts: list[StepAttempt] | None = None) -> StepInfo:
        if record is None:
            return cls(key=key, status=StepStatus.PENDING, attempt=1, started_at=None,
                       finished_at=None, duration_seconds=None, error=None)
        return cls(key=key, status=record.status, attempt=record.attempt,
                   started_at=record.started_at, finished_at=record.finished_at,
                   duration_seconds=record.duration_seconds, error=record.error,
                   attempts=step_attempts(record, attempts or []),
                   metadata=dict(record.metadata), output_preview=output_preview(record.output))


@frozen(kw_only=True)
class RunDetail:
    """One run: its summary, params, error with traceback, worker, every step of its job
    in the job's order (those not started yet as PENDING), and `log_notice`: how much of
    a finished run's captured output was dropped over its cap (else None)."""

    run: RunSummary
    params: dict[str, Any]
    error: ErrorInfo | None
    worker_id: str | None
    heartbeat_at: dt.datetime | None
    steps: tuple[StepInfo, ...]
    log_notice: str | None


@frozen(kw_only=True)
class EventInfo:
    """One entry of a run's event log."""

    id: int
    kind: EventKind
    step_key: str | None
    timestamp: dt.datetime
    level: str | None
    message: str
    data: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> EventInfo:
        return cls(id=event.id or 0, kind=event.kind, step_key=event.step_key,
                   timestamp=event.timestamp, level=event.level, message=event.message,
                   data=event.data)


@frozen(kw_only=True)
class _RunQuery:
    """Which runs: every given condition must hold (empty tuples and maps: any)."""

    job: str | None = None
    statuses: tuple[RunStatus, ...] = ()
    triggers: tuple[RunTrigger, ...] = ()
    tags: dict[str, str] = field(factory=dict)
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None

    def run_filter(self) -> RunFilter:
        for name in ("created_after", "created_before"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise InvalidArgumentError(f"{name}: give a time with its UTC offset, "
                                           f"e.g. {moment.isoformat()}+00:00")
        return RunFilter(job_name=self.job, statuses=self.statuses or None,
                         triggers=self.triggers or None, tags=self.tags,
                         created_after=self.created_after, created_before=self.created_before)


@frozen(kw_only=True)
class RunsGetManyRequest(_RunQuery):
    """A page of runs, newest first; `cursor` is the previous page's `next_cursor`."""

    limit: int = page_limit(RUNS_PAGE, RUNS_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class RunsGetManyResponse:
    """A page of runs; `next_cursor` is None on the last page."""

    runs: tuple[RunSummary, ...]
    next_cursor: str | None


@frozen(kw_only=True)
class RunsCountRequest(_RunQuery):
    """How many runs match the conditions."""


@frozen(kw_only=True)
class RunsCountResponse:
    count: int


@frozen(kw_only=True)
class RunsCountByStatusRequest(_RunQuery):
    """How many runs match the conditions, by job and status."""


@frozen(kw_only=True)
class JobStatusCount:
    job: str
    status: RunStatus
    count: int


@frozen(kw_only=True)
class RunsCountByStatusResponse:
    """The counts by job, then status; a job and status with no run is left out."""

    counts: tuple[JobStatusCount, ...]


@frozen(kw_only=True)
class RunsGetRequest:
    """One run, by id or by any unique prefix of its id."""

    run_id: str


@frozen(kw_only=True)
class RunsEventsRequest:
    """A page of a run's event log, oldest first: from the log's start, from `cursor` (a
    page's `next_cursor` or `previous_cursor`), or with `tail` the newest `limit` events;
    optionally one step's, some kinds, some levels, or lines containing `search`
    (ignoring case)."""

    run_id: str
    cursor: str | None = None
    tail: bool = False
    limit: int = page_limit(EVENTS_PAGE, EVENTS_PAGE_MAX)
    step_key: str | None = None
    kinds: tuple[EventKind, ...] = ()
    levels: tuple[str, ...] = ()
    search: str | None = None


@frozen(kw_only=True)
class RunsEventsResponse:
    """A page of events, oldest first. `next_cursor` continues after it (also once the log
    has no more lines yet, to follow a running run); `has_later` says whether later
    events are stored already. `previous_cursor` pages back to the events before it, None
    when there are none. `run_status` is the run's status when read."""

    events: tuple[EventInfo, ...]
    next_cursor: str
    previous_cursor: str | None
    has_later: bool
    run_status: RunStatus


@frozen(kw_only=True)
class RunsCancelRequest:
    run_id: str


class CancelOutcome(enum.StrEnum):
    """What a cancel request did."""

    CANCELED = "canceled"
    REQUESTED = "requested"
    ALREADY_FINISHED = "already_finished"


@frozen(kw_only=True)
class RunsCancelResponse:
    """The run after the request; `outcome` is "canceled" (it had not started),
    "requested" (its worker stops it) or "already_finished". For a requested cancel,
    `ends_within_seconds` is how long the run may take to end, from the settings;
    `message` says what happened and what happens next, for people."""

    run: RunSummary
    outcome: CancelOutcome
    ends_within_seconds: float | None
    message: str


@frozen(kw_only=True)
class RunsReexecuteRequest:
    """Re-execute a finished run: from its failed steps, or from step `from_step` (that
    step and everything downstream run again; the rest reuse stored outputs)."""

    run_id: str
    from_step: str | None = None


@frozen(kw_only=True)
class RunsReexecuteResponse:
    run: RunSummary


# ---------------------------------------------------------------------------- service


class RunsService:
    """Run history and control."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.storage = context.storage

    def resolve_id(self, run_id: str) -> str:
        """The full id of the run `run_id` names: an id or any unique prefix of one. A
        whole id is returned without a look-up (reading the run tells whether it exists)."""
        ref = run_id.strip().lower()
        if not ref:
            raise InvalidArgumentError("run_id: give a run id or a prefix of one")
        if _WHOLE_ID.fullmatch(ref):
            return ref
        found = self.storage.find_run_ids(ref, limit=6)
        if ref in found:
            return ref
        if not found:
            raise RunNotFoundError(f"no run with id {run_id!r} (nor one starting with it)")
        if len(found) > 1:
            shown = ", ".join(f[: max(12, len(ref) + 4)] for f in found[:5])
            more = " and more" if len(found) > 5 else ""
            raise InvalidArgumentError(
                f"run id prefix {run_id!r} is ambiguous: it matches {shown}{more}; give more "
                "characters")
        return found[0]

    def get_many(self, request: RunsGetManyRequest) -> RunsGetManyResponse:
        """A page of runs matching the request, newest first."""
        return self.storage.reading(lambda: self._get_many(request))

    def _get_many(self, request: RunsGetManyRequest) -> RunsGetManyResponse:
        limit = check_limit(request)
        after = None
        if request.cursor is not None:
            created_at, run_id = decode_cursor("runs", request.cursor, 2)
            after = RunPosition(cursor_moment(created_at), str(run_id))
        runs = self.storage.list_runs(request.run_filter(), limit=limit + 1, after=after)
        page = runs[:limit]
        next_cursor = None
        if len(runs) > limit:
            last = page[-1]
            next_cursor = encode_cursor("runs", last.created_at.isoformat(), last.id)
        return RunsGetManyResponse(runs=tuple(map(RunSummary.of, page)),
                                   next_cursor=next_cursor)

    def count(self, request: RunsCountRequest) -> RunsCountResponse:
        """How many runs match the request."""
        return RunsCountResponse(count=self.storage.count_runs(request.run_filter()))

    def count_by_status(self, request: RunsCountByStatusRequest) -> RunsCountByStatusResponse:
        """How many runs match the request, by job and status (one grouped query)."""
        counts = self.storage.count_runs_by_job_status(request.run_filter())
        return RunsCountByStatusResponse(counts=tuple(
            JobStatusCount(job=job, status=status, count=count)
            for (job, status), count in sorted(counts.items())))

    def timeline(self, request: RunsTimelineRequest) -> RunsTimelineResponse:
        """The runs of a time window per job, as bars for a timeline (runs closer together
        than one of the request's `slots` merged into one bar), and their counts by
        status."""
        return run_timeline(self.storage, request, utcnow())

    def get(self, request: RunsGetRequest) -> RunDetail:
        """The run with its steps in the job's order."""
        return self.storage.reading(lambda: self._get(request))

    def _get(self, request: RunsGetRequest) -> RunDetail:
        run = self.storage.get_run(self.resolve_id(request.run_id))
        recorded = {s.step_key: s for s in self.storage.list_steps(run.id)}
        order = self._job_order(run.job_name)
        order += [key for key in recorded if key not in order]
        # The final event (among the log's last: a short read from its end) tells what
        # the log dropped; a running run's log shows its LOG_LIMIT_REACHED event.
        final = (self.storage.list_events(run.id, FINAL_EVENTS, newest_first=True, limit=1)
                 if run.is_finished else [])
        attempts = read_attempts(self.storage.list_events, run.id)
        return RunDetail(
            run=RunSummary.of(run), params=dict(run.params), error=run.error,
            worker_id=run.worker_id, heartbeat_at=run.heartbeat_at,
            steps=tuple(StepInfo.of(key, recorded.get(key), attempts.get(key))
                        for key in order),
            log_notice=dropped_notice(final[0].data) if final else None,
        )

    def _job_order(self, job_name: str) -> list[str]:
        """The job's steps in execution order: from the definitions this process serves
        (they are what it synced), else from the stored job (a job of other code)."""
        definitions = self.context.definitions
        job = definitions.jobs_by_name.get(job_name) if definitions is not None else None
        if job is not None:
            return list(job.order)
        stored = self.storage.get_job(job_name)
        return list(stored.snapshot.order) if stored else []

    def events(self, request: RunsEventsRequest) -> RunsEventsResponse:
        """A page of the run's event log, oldest first (keyset pages by event id)."""
        return self.storage.reading(lambda: self._events(request))

    def _events(self, request: RunsEventsRequest) -> RunsEventsResponse:
        limit = check_limit(request)
        if request.tail and request.cursor is not None:
            raise InvalidArgumentError("tail: ask for the log's tail or give a cursor, not both")
        run = self.storage.get_run(self.resolve_id(request.run_id))
        where = events_filter(request.step_key, request.kinds, request.levels, request.search)
        if request.tail:
            page = self._events_before(run.id, where, None, limit)
        elif request.cursor is None:
            page = self._events_after(run.id, where, 0, limit)
        else:
            direction, event_id = event_position(request.cursor)
            read = self._events_before if direction == "before" else self._events_after
            page = read(run.id, where, event_id, limit)
        previous = (None if page.earlier_than is None
                    else encode_cursor("events", "before", page.earlier_than))
        return RunsEventsResponse(events=tuple(map(EventInfo.of, page.events)),
                                  next_cursor=event_cursor(page.last_id),
                                  previous_cursor=previous, has_later=page.has_later,
                                  run_status=run.status)

    def _events_after(self, run_id: str, where: EventFilter, after: int,
                      limit: int) -> _EventsPage:
        found = self.storage.list_events(run_id, where, after_id=after, limit=limit + 1)
        events = found[:limit]
        start = _event_id(events[0]) if events else after + 1
        earlier = after > 0 and bool(self.storage.list_events(
            run_id, where, before_id=start, newest_first=True, limit=1))
        return _EventsPage(events=events,
                           last_id=_event_id(events[-1]) if events else after,
                           earlier_than=start if earlier else None,
                           has_later=len(found) > limit)

    def _events_before(self, run_id: str, where: EventFilter, before: int | None,
                       limit: int) -> _EventsPage:
        """The `limit` events before id `before` (the log's tail if None)."""
        found = self.storage.list_events(run_id, where, before_id=before, newest_first=True,
                                         limit=limit + 1)
        events = found[:limit][::-1]
        last = _event_id(events[-1]) if events else max(0, (before or 1) - 1)
        later = before is not None and bool(self.storage.list_events(
            run_id, where, after_id=last, limit=1))
        return _EventsPage(events=events, last_id=last,
                           earlier_than=_event_id(events[0]) if len(found) > limit else None,
                           has_later=later)

    def cancel(self, request: RunsCancelRequest) -> RunsCancelResponse:
        """Cancel a run: a queued one ends at once; a running one is stopped by its
        worker, at once when this process's executor runs it, else at its next
        heartbeat, and ends within the response's `ends_within_seconds`."""
        run_id = self.resolve_id(request.run_id)
        before = self.storage.get_run(run_id)
        run = self.storage.request_cancel(run_id)
        runtime = self.context.runtime
        signalled = not run.is_finished and runtime is not None and runtime.stop_run(run_id)
        if signalled:
            run = self.storage.get_run(run_id)
        if before.is_finished:
            return RunsCancelResponse(
                run=RunSummary.of(run), outcome=CancelOutcome.ALREADY_FINISHED,
                ends_within_seconds=None,
                message=f"run {run.id} already finished: {run.status}; nothing to cancel")
        if before.status is RunStatus.QUEUED and run.status is RunStatus.CANCELED:
            return RunsCancelResponse(
                run=RunSummary.of(run), outcome=CancelOutcome.CANCELED,
                ends_within_seconds=None,
                message=f"run {run.id} canceled: {run.status} (it had not started)")
        execution = self.context.config.execution
        bound = cancel_bound(execution, signalled=signalled)
        grace = f"{execution.cancel_grace_seconds:g} s"
        if signalled:
            how = (f"its worker was told at once. Steps still running {grace} later are "
                   f"abandoned; the run ends CANCELED within {bound:g} s (its worker is "
                   "killed if it has not stopped by then).")
        else:
            how = (f"its worker sees it at its next heartbeat (within "
                   f"{execution.heartbeat_interval_seconds:g} s). Steps still running {grace} "
                   f"after that are abandoned; the run ends CANCELED within {bound:g} s (a "
                   "worker that has not stopped by then ends the run and exits).")
        return RunsCancelResponse(
            run=RunSummary.of(run), outcome=CancelOutcome.REQUESTED, ends_within_seconds=bound,
            message=f"run {run.id} is {run.status}: cancellation requested; {how}")

    def reexecute(self, request: RunsReexecuteRequest) -> RunsReexecuteResponse:
        """Queue a new run of a finished run's job with the same params and tags, linked
        through `parent_run_id`, reusing the parent's stored outputs for the steps it does
        not run again. The plan is checked now when the job's code is at hand (else by the
        worker)."""
        parent = self.storage.get_run(self.resolve_id(request.run_id))
        if not parent.is_finished:
            raise FailedPreconditionError(
                f"run {parent.id} is {parent.status}; only finished runs can be re-executed")
        step = request.from_step
        mode = FROM_FAILURE if step is None else f"step:{step}"
        definitions = self.context.definitions
        if definitions is not None and parent.job_name in definitions.jobs_by_name:
            plan_reexecution(definitions.jobs_by_name[parent.job_name], parent.id,
                             self.storage.list_steps(parent.id), mode)
        tags = {k: v for k, v in parent.tags.items() if not k.startswith("daggo/")}
        tags.update(parent.link_tags, **{REEXECUTE_TAG: mode})
        run = Run(job_name=parent.job_name, params=parent.params, tags=tags,
                  parent_run_id=parent.id, queue_item_id=parent.queue_item_id,
                  partition_key=parent.partition_key)
        message = f"re-execution of run {parent.id} " + (
            "from failure" if step is None else f"from step {step}")
        self.storage.add_run(run, [Event(run_id=run.id, kind=EventKind.RUN_QUEUED,
                                         level="INFO", message=message)])
        if self.context.runtime is not None:
            self.context.runtime.wake_coordinator()
        return RunsReexecuteResponse(run=RunSummary.of(run))


@frozen(kw_only=True)
class _EventsPage:
    """Events read for a page: `earlier_than` is the id earlier pages end before (None:
    nothing matches earlier), `last_id` the id the next page starts after."""

    events: list[Event]
    last_id: int
    earlier_than: int | None
    has_later: bool


def _event_id(event: Event) -> int:
    assert event.id is not None  # every stored event has its id
    return event.id


def event_cursor(event_id: int) -> str:
    """The events cursor continuing after event `event_id` (a page's `next_cursor`)."""
    return encode_cursor("events", "after", event_id)


def event_position(cursor: str) -> tuple[str, int]:
    """("after" | "before", event id) of an events cursor."""
    direction, event_id = decode_cursor("events", cursor, 2)
    if direction not in ("after", "before") or isinstance(event_id, bool) or \
            not isinstance(event_id, int) or event_id < 0:
        raise InvalidArgumentError("cursor: not a cursor of this list")
    return direction, event_id
