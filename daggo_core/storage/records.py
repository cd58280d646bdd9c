"""Records stored by daggo: jobs, runs, steps, events, scheduler bookkeeping, workers and
queues (frozen attrs)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from daggo_core.definitions.snapshot import JobSnapshot, QueueSnapshot

__all__ = [
    "ACTIVE_RUN_STATUSES",
    "AUTOMATION_TAG",
    "PARTITION_TAG",
    "QUEUE_TAG",
    "REEXECUTE_TAG",
    "RETRY_TAG",
    "TERMINAL_RUN_STATUSES",
    "ErrorInfo",
    "ErrorSource",
    "Event",
    "EventKind",
    "ItemSource",
    "JobRecord",
    "LoaderState",
    "PartitionSummary",
    "QueueError",
    "QueueItem",
    "QueueItemStatus",
    "QueueRecord",
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
    #: An item accepted by a queue (one run per job the queue attaches).
    QUEUE = "queue"
    #: A backfill over partitions of the job.
    BACKFILL = "backfill"
    #: An asset's automation: an asset it depends on was materialized.
    AUTOMATION = "automation"


#: Tag on a run that re-runs a run whose worker was lost: how many times it was retried.
RETRY_TAG = "daggo/retry_number"
#: Tag on a re-execution run: "failure", or "step:<key>" to re-run from that step.
REEXECUTE_TAG = "daggo/reexecute"
#: Tag on a queue item's runs: the queue's name (kept by their retries and re-executions).
QUEUE_TAG = "daggo/queue"
#: Tag on a queue item's runs whose queue has a partition key: the item's key.
PARTITION_TAG = "daggo/partition"
#: Tag on a run launched by an asset's automation: why (which upstream materialized).
AUTOMATION_TAG = "daggo/automation"


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
    #: The queue item this run executes (its retries and re-executions keep it).
    queue_item_id: str | None = None
    #: The partition key of the run: its queue item's, or the partition (or
    #: "first...last" range) of a partitioned job it was launched for.
    partition_key: str | None = None
    #: The backfill that created the run (its retries keep it).
    backfill_id: str | None = None
    #: The execution attempt: each claim bumps it, and storage refuses the writes of a
    #: worker holding an older one (see `Fence`).
    attempt: int = 0
    #: The deploy version (`deploy.version`) of the server whose coordinator claimed the
    #: run's current attempt; None until claimed (and for runs claimed before it was
    #: recorded). Deploy drain waits for the active runs of other versions.
    claimed_version: str | None = None

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
        if self.queue_item_id is not None:
            return RunTrigger.QUEUE
        if self.backfill_id is not None:
            return RunTrigger.BACKFILL
        if AUTOMATION_TAG in self.tags:
            return RunTrigger.AUTOMATION
        return RunTrigger.MANUAL

    @property
    def link_tags(self) -> dict[str, str]:
        """daggo's tags a run's retries and re-executions keep (its queue's)."""
        return {key: value for key, value in self.tags.items()
                if key in (QUEUE_TAG, PARTITION_TAG)}

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
    """What a worker process is doing, as its registrant last stored it."""

    #: Spawned, importing the app and opening storage (it may have been handed a run).
    STARTING = "STARTING"
    #: Warm: ready, waiting for a run.
    IDLE = "IDLE"
    #: Executing `WorkerRecord.run_id`.
    RUNNING = "RUNNING"


@frozen(kw_only=True)
class WorkerRecord:
    """A worker process, as the process that keeps its row registers it (its executor,
    or the worker itself; see `daggo_core.execution.worker_registry`).

    `id` is the `host:pid` the worker records on its runs (`Run.worker_id`); `executor`
    names the executor it belongs to; `pool` the pool it is drained with (see
    `PoolRecord`; "" for none); `queues` the queues it takes runs from (an executor's
    own: a Celery worker's Celery queues; none for the subprocess executor); `version`
    the deploy version of the code it runs (`deploy.version`). Its registrant refreshes
    `heartbeat_at` while the process lives, and so does the worker's own heartbeat of
    its run. `drain_requested_at` is set by an admin asking it to drain (finish its run,
    take no more) and `drain_accepted_at` by its registrant once it takes no more:
    `save_worker` never changes either.
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
    pool: str = ""
    queues: tuple[str, ...] = ()
    drain_requested_at: dt.datetime | None = None
    drain_accepted_at: dt.datetime | None = None


class QueueItemStatus(enum.StrEnum):
    """Where a queue item is, rolled up from the latest run of each of its jobs (see
    `daggo_core.storage.item_rollup`), or DEDUPLICATED: a delivery of an item already
    accepted, which started nothing."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PARTIALLY_FAILED = "PARTIALLY_FAILED"
    CANCELED = "CANCELED"
    DEDUPLICATED = "DEDUPLICATED"


class ItemSource(enum.StrEnum):
    """How an item reached its queue."""

    #: A request to one of the queue's routes.
    ROUTE = "route"
    #: The queue's loader (poll or push).
    LOADER = "loader"
    #: `Queues.Push` of the RPC API (and `daggo queue push`), or `DaggoApp.push`.
    API = "api"


@frozen(kw_only=True)
class QueueRecord:
    """A queue's metadata as synced from code."""

    name: str
    description: str = ""
    snapshot: QueueSnapshot
    active: bool = True
    updated_at: dt.datetime = field(factory=utcnow)


@frozen(kw_only=True)
class QueueItem:
    """One delivery to a queue: accepted (it started one run per job of the queue) or
    DEDUPLICATED against the accepted item of the same key (`duplicate_of`).

    `attempt` counts the times its failed jobs were run (1 at first); `max_retries` and
    `retry_backoff` are its queue's retry policy when it was accepted. A failed item with
    retries left has `retry_at` set; one without is dead-lettered (`dead_lettered_at`).
    `metadata` is what its steps' outputs published.
    """

    id: str = field(factory=new_run_id)
    queue_name: str
    item_key: str
    payload: dict[str, Any]
    partition_key: str | None = None
    status: QueueItemStatus = QueueItemStatus.QUEUED
    source: ItemSource = ItemSource.API
    duplicate_of: str | None = None
    metadata: dict[str, Any] = field(factory=dict)
    attempt: int = 1
    max_retries: int = 0
    retry_backoff: float = 60.0
    retry_at: dt.datetime | None = None
    dead_lettered_at: dt.datetime | None = None
    created_at: dt.datetime = field(factory=utcnow)
    updated_at: dt.datetime = field(factory=utcnow)
    finished_at: dt.datetime | None = None

    @property
    def is_dead_lettered(self) -> bool:
        return self.dead_lettered_at is not None


@frozen(kw_only=True)
class LoaderState:
    """A queue loader's cursor and health. `version` grows with each cursor advance (an
    advance names the version it read, so two servers never both store one batch);
    `failures` counts failed polls since the last good one; `lag` is what the loader
    last said its source still holds; `loaded` counts the items it delivered."""

    queue_name: str
    cursor: str | None = None
    version: int = 0
    last_poll_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    failures: int = 0
    lag: int | None = None
    loaded: int = 0
    updated_at: dt.datetime = field(factory=utcnow)


@frozen(kw_only=True)
class QueueError:
    """A problem ingesting into a queue: a bad item a loader or route delivered, or a
    loader that raised; `detail` holds what was delivered (or the traceback)."""

    queue_name: str
    source: ItemSource
    message: str
    detail: str = ""
    created_at: dt.datetime = field(factory=utcnow)
    id: int | None = None


@frozen(kw_only=True)
class PartitionSummary:
    """One partition key of a queue: its accepted items by status (and how many of them
    are dead-lettered), and its latest item."""

    queue_name: str
    partition_key: str
    items: int
    counts: Mapping[QueueItemStatus, int]
    dead_lettered: int
    latest_item_id: str
    latest_status: QueueItemStatus
    latest_at: dt.datetime
