"""Records stored by daggo: jobs, runs, steps, events, scheduler bookkeeping and workers
(frozen attrs)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from daggo_core.definitions.snapshot import JobSnapshot

__all__ = [
    "ACTIVE_RUN_STATUSES",
    "REEXECUTE_TAG",
    "RETRY_TAG",
    "TERMINAL_RUN_STATUSES",
    "ErrorInfo",
    "ErrorSource",
    "Event",
    "EventKind",
    "JobRecord",
    "Run",
    "RunBar",
    "RunStatus",
    "RunTrigger",
    "ScheduleState",
    "ScheduleTick",
    "StepRecord",
    "StepStatus",
    "TickStatus",
    "WorkerRecord",
    "WorkerState",
    "new_run_id",
    "utcnow",
]


def utcnow() -> dt.datetime:
    """The current time as an aware UTC datetime (what every stored timestamp is)."""
    return dt.datetime.now(dt.UTC)


def new_run_id() -> str:
    """A new run id: 32 lowercase hex characters."""
    return uuid.uuid4().hex


class RunStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    STARTING = "STARTING"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELED = "CANCELED"


class RunTrigger(enum.StrEnum):
    """What launched a run."""

    #: A launch from the CLI, the UI, the API or `DaggoApp.launch`.
    MANUAL = "manual"
    #: A tick of one of the job's schedules.
    SCHEDULE = "schedule"
    #: The run monitor, re-queuing a run whose worker was lost (`run_retries`).
    RETRY = "retry"
    #: A re-execution of a finished run, from failure or from a step.
    REEXECUTION = "reexecution"


#: Tag on a run that re-runs a run whose worker was lost: how many times it was retried.
RETRY_TAG = "daggo/retry_number"
#: Tag on a re-execution run: "failure", or "step:<key>" to re-run from that step.
REEXECUTE_TAG = "daggo/reexecute"


TERMINAL_RUN_STATUSES = frozenset({RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED})
ACTIVE_RUN_STATUSES = frozenset({RunStatus.STARTING, RunStatus.STARTED})


class StepStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    SKIPPED = "SKIPPED"
    CANCELED = "CANCELED"


class EventKind(enum.StrEnum):
    RUN_QUEUED = "RUN_QUEUED"
    RUN_STARTING = "RUN_STARTING"
    RUN_STARTED = "RUN_STARTED"
    RUN_SUCCESS = "RUN_SUCCESS"
    RUN_FAILURE = "RUN_FAILURE"
    RUN_CANCELED = "RUN_CANCELED"
    RUN_CANCEL_REQUESTED = "RUN_CANCEL_REQUESTED"
    RUN_WORKER_LOST = "RUN_WORKER_LOST"
    STEP_STARTED = "STEP_STARTED"
    STEP_SUCCESS = "STEP_SUCCESS"
    STEP_FAILURE = "STEP_FAILURE"
    STEP_SKIPPED = "STEP_SKIPPED"
    STEP_RETRY = "STEP_RETRY"
    STEP_CANCELED = "STEP_CANCELED"
    STEP_OUTPUT_REUSED = "STEP_OUTPUT_REUSED"
    LOG = "LOG"
    LOG_LIMIT_REACHED = "LOG_LIMIT_REACHED"


class ErrorSource(enum.StrEnum):
    """Whose fault an error is, which decides what retries it (see OPERATIONS.md)."""

    #: The app's code: an op raised or returned an output its type does not allow. Only
    #: the op's RetryPolicy retries it, and only when the op raised.
    USER = "user"
    #: A worker could not start the app (an import error, a dependency missing from the
    #: worker's environment, a worker command that fails): never retried.
    STARTUP = "startup"
    #: A worker was lost (killed, crashed, its machine gone): the job's `run_retries`
    #: queue the run again.
    INFRASTRUCTURE = "infrastructure"


@frozen(kw_only=True)
class ErrorInfo:
    """An error that failed a step or a run: its type, message and formatted traceback;
    `source` says whose fault it is where daggo knows, `hint` what to do about it."""

    type: str
    message: str
    traceback: str = ""
    source: ErrorSource | None = None
    hint: str = ""


@frozen(kw_only=True)
class JobRecord:
    """A job's metadata as synced from code: `snapshot` describes its ops and schedules."""

    name: str
    description: str = ""
    snapshot: JobSnapshot = field(factory=JobSnapshot)
    active: bool = True
    updated_at: dt.datetime = field(factory=utcnow)


@frozen(kw_only=True)
class Run:
    """One execution of a job."""

    id: str = field(factory=new_run_id)
    job_name: str
    status: RunStatus = RunStatus.QUEUED
    params: dict[str, Any] = field(factory=dict)
    tags: dict[str, str] = field(factory=dict)
    created_at: dt.datetime = field(factory=utcnow)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    parent_run_id: str | None = None
    error: ErrorInfo | None = None
    worker_id: str | None = None
    heartbeat_at: dt.datetime | None = None
    wait_reason: str | None = None
    cancel_requested: bool = False
    schedule_key: str | None = None
    scheduled_for: dt.datetime | None = None
    #: The execution attempt: each claim bumps it, and storage refuses the writes of a
    #: worker holding an older one (see `Fence`).
    attempt: int = 0

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES

    @property
    def trigger(self) -> RunTrigger:
        """What launched the run, from its schedule key and daggo's own tags."""
        if self.schedule_key is not None:
            return RunTrigger.SCHEDULE
        if RETRY_TAG in self.tags:
            return RunTrigger.RETRY
        if REEXECUTE_TAG in self.tags:
            return RunTrigger.REEXECUTION
        return RunTrigger.MANUAL

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return (end - self.started_at).total_seconds()


@frozen(kw_only=True)
class RunBar:
    """Runs of one job drawn as one bar of a timeline: a run spans its start
    (`started_at`, or `created_at` while it waits) to its end (`finished_at`, or the time
    asked about while it goes), cut to the window. `counts` has their number by status,
    `first_created` and `last_created` bound their creation times, and `run_id` is the
    run's id when the bar holds one run."""

    job_name: str
    begin: dt.datetime
    finish: dt.datetime
    counts: Mapping[RunStatus, int]
    first_created: dt.datetime
    last_created: dt.datetime
    run_id: str | None


@frozen(kw_only=True)
class StepRecord:
    """The state of one step (one op) of a run; `output` is the unstructured JSON value,
    `metadata` what its latest attempt recorded with `Context.add_metadata`."""

    run_id: str
    step_key: str
    status: StepStatus = StepStatus.PENDING
    attempt: int = 1
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: ErrorInfo | None = None
    output: Any = None
    metadata: dict[str, Any] = field(factory=dict)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@frozen(kw_only=True)
class Event:
    """One entry of a run's event log: a status transition or a log line.

    `id` is assigned by storage and orders events within a run.
    """

    run_id: str
    kind: EventKind
    step_key: str | None = None
    timestamp: dt.datetime = field(factory=utcnow)
    level: str | None = None
    message: str = ""
    data: dict[str, Any] = field(factory=dict)
    id: int | None = None


class TickStatus(enum.StrEnum):
    """What became of one tick of a schedule."""

    LAUNCHED = "LAUNCHED"
    SKIPPED = "SKIPPED"
    BUFFERED = "BUFFERED"
    FAILED = "FAILED"
    PAUSED = "PAUSED"


@frozen(kw_only=True)
class ScheduleTick:
    """One claimed tick: (job, schedule key, scheduled time) is unique across replicas.

    `reason` says why a tick was skipped, buffered, failed or paused its schedule.
    """

    job_name: str
    schedule_key: str
    scheduled_for: dt.datetime
    status: TickStatus
    run_id: str | None = None
    reason: str | None = None
    created_at: dt.datetime = field(factory=utcnow)
    id: int | None = None


@frozen(kw_only=True)
class ScheduleState:
    """A schedule's bookkeeping: the Enabled override and the last tick processed.

    `enabled_override` is None while the code's `enabled` applies; `enabled_changed_at`
    is when it was last set (failures before it do not count towards a pause).
    """

    job_name: str
    schedule_key: str
    enabled_override: bool | None = None
    enabled_changed_at: dt.datetime | None = None
    last_tick_at: dt.datetime | None = None
    updated_at: dt.datetime = field(factory=utcnow)


class WorkerState(enum.StrEnum):
    """What a worker process is doing, as its executor last stored it."""

    #: Spawned, importing the app and opening storage (it may have been handed a run).
    STARTING = "STARTING"
    #: Warm: ready, waiting for a run.
    IDLE = "IDLE"
    #: Executing `WorkerRecord.run_id`.
    RUNNING = "RUNNING"


@frozen(kw_only=True)
class WorkerRecord:
    """A worker process of an executor, as the executor registers it.

    `id` is the `host:pid` the worker records on its runs (`Run.worker_id`); `executor`
    names the executor that started it; `version` is daggo's version in it. The
    executor refreshes `heartbeat_at` while the process lives, and so does the worker's
    own heartbeat of its run.
    """

    id: str
    host: str
    pid: int
    executor: str
    state: WorkerState
    run_id: str | None = None
    started_at: dt.datetime = field(factory=utcnow)
    heartbeat_at: dt.datetime = field(factory=utcnow)
    version: str
