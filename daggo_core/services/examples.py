"""Example calls of daggo's RPC methods, for the API's description and reference page.

Every example is a real message instance (the graph is the snapshot of a real job, the
configuration the real defaults), so it cannot drift from the message classes; a test
checks each one round-trips through JSON into its class and matches its schema. The asset,
backfill and dynamic partition methods' are in asset_examples.py.
"""

from __future__ import annotations

import datetime as dt

from attrs import evolve, frozen

from daggo_core import dag
from daggo_core.config import default_config, redacted
from daggo_core.context import Context
from daggo_core.definitions.ops import NoInput
from daggo_core.definitions.queues import Batch, Queue
from daggo_core.definitions.schedules import CatchUp, Overlap
from daggo_core.extensions import MethodExample
from daggo_core.plugins import PluginInfo
from daggo_core.services.asset_examples import ASSET_EXAMPLES
from daggo_core.services.cursors import encode_cursor
from daggo_core.services.jobs import (
    JobDetail,
    JobsGetManyRequest,
    JobsGetManyResponse,
    JobsGetRequest,
    JobsLaunchRequest,
    JobsLaunchResponse,
    JobSummary,
)
from daggo_core.services.plugins import PluginFailureInfo, PluginsGetManyResponse
from daggo_core.services.queues import (
    ItemSummary,
    LoaderHealth,
    PartitionInfo,
    PartitionsGetManyRequest,
    PartitionsGetManyResponse,
    QueueDetail,
    QueueErrorInfo,
    QueueItemsGetManyRequest,
    QueueItemsGetManyResponse,
    QueueItemsGetRequest,
    QueueItemsGetResponse,
    QueueItemsReplayRequest,
    QueueItemsReplayResponse,
    QueueItemsRetryRequest,
    QueueItemsRetryResponse,
    QueuesGetManyResponse,
    QueuesGetRequest,
    QueuesGetResponse,
    QueuesPushRequest,
    QueuesPushResponse,
    QueueSummary,
)
from daggo_core.services.runs import (
    CancelOutcome,
    ErrorInfo,
    EventInfo,
    EventKind,
    JobStatusCount,
    RunDetail,
    RunsCancelRequest,
    RunsCancelResponse,
    RunsCountByStatusRequest,
    RunsCountByStatusResponse,
    RunsCountRequest,
    RunsCountResponse,
    RunsEventsRequest,
    RunsEventsResponse,
    RunsGetManyRequest,
    RunsGetManyResponse,
    RunsGetRequest,
    RunsReexecuteRequest,
    RunsReexecuteResponse,
    RunStatus,
    RunSummary,
    RunTrigger,
    StepAttempt,
    StepInfo,
    StepStatus,
)
from daggo_core.services.schedules import (
    SchedulesGetManyRequest,
    SchedulesGetManyResponse,
    SchedulesSetEnabledRequest,
    SchedulesSetEnabledResponse,
    SchedulesTicksRequest,
    SchedulesTicksResponse,
    ScheduleSummary,
    TickInfo,
    TickStatus,
)
from daggo_core.services.system import (
    ServingProcess,
    SystemConfigResponse,
    SystemHealthResponse,
    SystemVersionResponse,
)
from daggo_core.services.timeline import (
    RunsTimelineRequest,
    RunsTimelineResponse,
    StatusCount,
    TimelineBar,
    TimelineLane,
)
from daggo_core.services.workers import (
    DeployState,
    DeployStatus,
    PoolStatus,
    PoolSummary,
    WorkersDrainRequest,
    WorkersDrainResponse,
    WorkersGetDeployRequest,
    WorkersGetDeployResponse,
    WorkersGetManyRequest,
    WorkersGetManyResponse,
    WorkersGetPoolsResponse,
    WorkersResumeRequest,
    WorkersResumeResponse,
    WorkerStatus,
    WorkerSummary,
)
from daggo_core.storage.records import (
    PARTITION_TAG,
    QUEUE_TAG,
    REEXECUTE_TAG,
    ItemSource,
    QueueItemStatus,
)

__all__ = ["CORE_EXAMPLES"]


@frozen
class Numbers:
    values: list[int]


@frozen
class TotalIn:
    numbers: Numbers


@frozen
class Total:
    value: int


def load(ctx: Context, inp: NoInput) -> Numbers:
    """Read the numbers."""
    return Numbers([1, 2, 3])


def add_up(ctx: Context, inp: TotalIn) -> Total:
    """Add them up."""
    return Total(sum(inp.numbers.values))


@frozen
class NumberBatch:
    """A file of numbers a customer exported, to add up."""

    customer: str
    batch: int
    path: str


def load_batches(cursor: str | None) -> Batch[NumberBatch]:
    """The batches exported after `cursor`."""
    return Batch(items=[], cursor=cursor)


_JOB = (dag.job("totals", description="Adds up the numbers every hour.")
        .add(dag.op("load", load), dag.op("add_up", add_up))
        .schedule("0 * * * *", key="hourly").build())
_GRAPH = _JOB.snapshot()
_QUEUE = (Queue[NumberBatch]("number_batches", description="Customers' files of numbers.")
          .route("/queues/number-batches").loader(load_batches, poll_every=30.0)
          .partition_key(lambda batch: batch.customer)
          .item_key(lambda batch: f"{batch.customer}/{batch.batch}")
          .jobs(_JOB).retries(2, backoff=30.0).concurrency(per_partition=1).build())
_QUEUE_SNAPSHOT = _QUEUE.snapshot()
_AT = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
_RUN_ID = "3f2a9c0e5b7d4e21a8c6d9f01b2e3c4d"
_RETRY_ID = "8b1d47e2c9a04f6b9e3a5c7d2f1e0a9b"


def _seconds(n: float) -> dt.datetime:
    return _AT + dt.timedelta(seconds=n)


_POOL = PoolSummary(name="subprocess@web-1:4100", executor="subprocess", host="web-1",
                    version="0.1.0", queues=(), state=PoolStatus.ACTIVE, active_runs=1,
                    workers=2, started_at=_seconds(-600), heartbeat_at=_seconds(2.5))
_WORKER = WorkerSummary(id="web-1:4127", host="web-1", pid=4127, executor="subprocess",
                        state=WorkerStatus.RUNNING, run_id=_RUN_ID, job_name="totals",
                        started_at=_seconds(-5), heartbeat_at=_seconds(2.0), version="0.1.0",
                        pool=_POOL.name)


_SCHEDULE = ScheduleSummary(
    job_name="totals", key="hourly", cron="0 * * * *", timezone="UTC", enabled=True,
    enabled_in_code=True, enabled_override=None, overlap=Overlap.SKIP,
    catch_up=CatchUp.LATEST, pause_after_failures=None, last_tick_at=_AT,
    next_tick_at=_AT + dt.timedelta(hours=1))
_FAILED = RunSummary(
    id=_RUN_ID, job_name="totals", status=RunStatus.FAILURE, trigger=RunTrigger.SCHEDULE,
    tags={"team": "data"}, created_at=_AT, started_at=_seconds(0.4),
    finished_at=_seconds(2.1), duration_seconds=1.7, schedule_key="hourly",
    scheduled_for=_AT, parent_run_id=None, wait_reason=None, cancel_requested=False,
    error_type="ValueError", error_message="add_up: the numbers are empty")
_QUEUED = RunSummary(
    id=_RETRY_ID, job_name="totals", status=RunStatus.QUEUED, trigger=RunTrigger.MANUAL,
    tags={"team": "data"}, created_at=_seconds(60), started_at=None, finished_at=None,
    duration_seconds=None, schedule_key=None, scheduled_for=None, parent_run_id=None,
    wait_reason="waiting for a free slot (max_concurrent_runs = 4)", cancel_requested=False,
    error_type=None, error_message=None)
_ERROR = ErrorInfo(type="ValueError", message="add_up: the numbers are empty",
                   traceback='Traceback (most recent call last):\n  File "pipeline.py", '
                             "line 12, in add_up\nValueError: the numbers are empty\n")
_EVENTS = (
    EventInfo(id=41, kind=EventKind.STEP_STARTED, step_key="add_up", timestamp=_seconds(1.2),
              level="DEBUG", message="step add_up started", data={}),
    EventInfo(id=42, kind=EventKind.LOG, step_key="add_up", timestamp=_seconds(1.3),
              level="INFO", message="adding 0 numbers", data={}),
)
_TICK = TickInfo(id=7, job_name="totals", schedule_key="hourly", scheduled_for=_AT,
                 status=TickStatus.LAUNCHED, run_id=_RUN_ID, reason=None)
_JOB_SUMMARY = JobSummary(name="totals", description=_JOB.description,
                          op_count=len(_GRAPH.ops), layers=_GRAPH.layers(),
                          schedules=(_SCHEDULE,), latest_run=_FAILED)

_ITEM_ID = "5c0e8a3f9b2d4c71a6e4f8b1d3a97e20"  # acme/42: failed once, retrying
_DEAD_ID = "d83f1b6e0a9c4e52b7d4a1f9c6e03b85"  # acme/17: failed 3 times, dead-lettered
_NEXT_ID = "9d4b2e7a1c6f4a03b8e5d9c2f7a14e6b"  # acme/43: running
_QUEUE_TAGS = {QUEUE_TAG: "number_batches", PARTITION_TAG: "acme"}
_ITEM = ItemSummary(
    id=_ITEM_ID, queue_name="number_batches", item_key="acme/42", partition_key="acme",
    status=QueueItemStatus.QUEUED, source=ItemSource.ROUTE, duplicate_of=None,
    dead_lettered=False, attempt=2, max_retries=2, retry_at=None, created_at=_AT,
    updated_at=_seconds(32), finished_at=None)
_DUPLICATE = evolve(_ITEM, id="e1a7c3b95d2f4e86b0c9a4f7d2e15b38",
                    status=QueueItemStatus.DEDUPLICATED, duplicate_of=_ITEM_ID, attempt=1,
                    created_at=_seconds(45), updated_at=_seconds(45))
_DEAD = evolve(_ITEM, id=_DEAD_ID, item_key="acme/17", status=QueueItemStatus.FAILED,
               source=ItemSource.LOADER, dead_lettered=True, attempt=3,
               created_at=_AT - dt.timedelta(hours=3),
               updated_at=_AT - dt.timedelta(hours=2, minutes=58),
               finished_at=_AT - dt.timedelta(hours=2, minutes=58))
_ITEM_RUN = evolve(
    _FAILED, id="a4c81e6f2b9d4f37c0e5a8b3d6f92c14", trigger=RunTrigger.QUEUE,
    tags=_QUEUE_TAGS, started_at=_seconds(0.3), finished_at=_seconds(1.9),
    duration_seconds=1.6, schedule_key=None, scheduled_for=None, queue_item_id=_ITEM_ID,
    partition_key="acme")
_ITEM_RERUN = evolve(
    _ITEM_RUN, id="f27b9d3e6a1c4b85d0e4c7a2b9f36e51", status=RunStatus.QUEUED,
    trigger=RunTrigger.REEXECUTION, tags={**_QUEUE_TAGS, REEXECUTE_TAG: "failure"},
    created_at=_seconds(32), started_at=None, finished_at=None, duration_seconds=None,
    parent_run_id=_ITEM_RUN.id, error_type=None, error_message=None,
    wait_reason="partition 'acme' of queue 'number_batches' limit reached (1 of 1 running)")
_QUEUE_SUMMARY = QueueSummary(
    name=_QUEUE.name, description=_QUEUE.description, active=True,
    jobs=_QUEUE_SNAPSHOT.jobs, routes=_QUEUE_SNAPSHOT.routes,
    payload_type=_QUEUE_SNAPSHOT.payload_type,
    counts={QueueItemStatus.QUEUED: 1, QueueItemStatus.RUNNING: 1,
            QueueItemStatus.SUCCEEDED: 120, QueueItemStatus.FAILED: 1,
            QueueItemStatus.DEDUPLICATED: 5},
    dead_lettered=1,
    loader=LoaderHealth(mode="poll", poll_every_seconds=30.0, healthy=True,
                        last_poll_at=_seconds(30), last_success_at=_seconds(30),
                        last_error=None, last_error_at=None, failures=0, lag=12, loaded=96,
                        cursor="exports/acme/2026-01-05T08:59:41Z"))
_BAD_BATCH = ("payload of queue 'number_batches': batch: expected int, got str '7'. "
              "Expected fields: customer: str, batch: int, path: str")

#: The example call of each of daggo's methods, by service and method name.
CORE_EXAMPLES: dict[str, dict[str, MethodExample]] = {
    "Jobs": {
        "GetMany": MethodExample(
            request=JobsGetManyRequest(limit=20),
            response=JobsGetManyResponse(jobs=(_JOB_SUMMARY,), next_cursor=None)),
        "Get": MethodExample(
            request=JobsGetRequest(name="totals"),
            response=JobDetail(name="totals", description=_JOB.description, active=True,
                               graph=_GRAPH, schedules=(_SCHEDULE,), latest_run=_FAILED)),
        "Launch": MethodExample(
            request=JobsLaunchRequest(job="totals", tags={"team": "data"}),
            response=JobsLaunchResponse(run=_QUEUED)),
    },
    "Runs": {
        "GetMany": MethodExample(
            request=RunsGetManyRequest(job="totals", statuses=(RunStatus.FAILURE,), limit=1),
            response=RunsGetManyResponse(runs=(_FAILED,),
                                         next_cursor=encode_cursor(
                                             "runs", _AT.isoformat(), _RUN_ID))),
        "Count": MethodExample(request=RunsCountRequest(job="totals", tags={"team": "data"}),
                               response=RunsCountResponse(count=128)),
        "CountByStatus": MethodExample(
            request=RunsCountByStatusRequest(tags={"team": "data"}),
            response=RunsCountByStatusResponse(counts=(
                JobStatusCount(job="totals", status=RunStatus.SUCCESS, count=120),
                JobStatusCount(job="totals", status=RunStatus.FAILURE, count=8)))),
        "Timeline": MethodExample(
            request=RunsTimelineRequest(start=_AT - dt.timedelta(hours=6), end=_AT,
                                        slots=300),
            response=RunsTimelineResponse(
                start=_AT - dt.timedelta(hours=6), end=_AT,
                counts=(StatusCount(status=RunStatus.FAILURE, count=1),
                        StatusCount(status=RunStatus.SUCCESS, count=6)),
                lanes=(TimelineLane(job="totals", runs=7, bars=(
                    TimelineBar(start=_AT - dt.timedelta(hours=5), end=_AT - dt.timedelta(
                        hours=5, seconds=-40), status=RunStatus.SUCCESS, runs=1,
                        run_id=_RETRY_ID, counts=(StatusCount(status=RunStatus.SUCCESS,
                                                              count=1),),
                        created_after=_AT - dt.timedelta(hours=5),
                        created_before=_AT - dt.timedelta(hours=5, microseconds=-1)),
                    TimelineBar(start=_AT - dt.timedelta(hours=2),
                                end=_AT - dt.timedelta(minutes=1),
                                status=RunStatus.FAILURE, runs=6, run_id=None,
                                counts=(StatusCount(status=RunStatus.FAILURE, count=1),
                                        StatusCount(status=RunStatus.SUCCESS, count=5)),
                                created_after=_AT - dt.timedelta(hours=2),
                                created_before=_AT - dt.timedelta(minutes=2)),
                )),))),
        "Get": MethodExample(
            request=RunsGetRequest(run_id="3f2a9c"),
            response=RunDetail(
                run=_FAILED, params={}, error=_ERROR, worker_id="worker-4127",
                heartbeat_at=_seconds(2.0), log_notice=None,
                steps=(StepInfo(key="load", status=StepStatus.SUCCESS, attempt=1,
                                started_at=_seconds(0.5), finished_at=_seconds(1.1),
                                duration_seconds=0.6, error=None,
                                attempts=(StepAttempt(attempt=1, status=StepStatus.SUCCESS,
                                                      started_at=_seconds(0.5),
                                                      finished_at=_seconds(1.1), error=None),),
                                metadata={"rows": 3, "source": "s3://bucket/numbers.csv"},
                                output_preview='{\n "numbers": [\n  1,\n  2,\n  3\n ]\n}'),
                       StepInfo(key="add_up", status=StepStatus.FAILURE, attempt=2,
                                started_at=_seconds(1.5), finished_at=_seconds(2.0),
                                duration_seconds=0.5, error=_ERROR,
                                attempts=(StepAttempt(attempt=1, status=StepStatus.FAILURE,
                                                      started_at=_seconds(1.2),
                                                      finished_at=_seconds(1.3),
                                                      error=f"ValueError: {_ERROR.message}"),
                                          StepAttempt(attempt=2, status=StepStatus.FAILURE,
                                                      started_at=_seconds(1.5),
                                                      finished_at=_seconds(2.0),
                                                      error=f"ValueError: {_ERROR.message}")))))),
        "Events": MethodExample(
            request=RunsEventsRequest(run_id="3f2a9c", step_key="add_up", limit=2),
            response=RunsEventsResponse(
                events=_EVENTS, next_cursor=encode_cursor("events", "after", 42),
                previous_cursor=None, has_later=True, run_status=RunStatus.FAILURE)),
        "Cancel": MethodExample(
            request=RunsCancelRequest(run_id=_RETRY_ID),
            response=RunsCancelResponse(
                run=evolve(_QUEUED, status=RunStatus.CANCELED, cancel_requested=True,
                           wait_reason=None, finished_at=_seconds(61)),
                outcome=CancelOutcome.CANCELED, ends_within_seconds=None,
                message=f"run {_RETRY_ID} canceled: CANCELED (it had not started)")),
        "Reexecute": MethodExample(
            request=RunsReexecuteRequest(run_id="3f2a9c", from_step="add_up"),
            response=RunsReexecuteResponse(run=evolve(
                _QUEUED, trigger=RunTrigger.REEXECUTION, parent_run_id=_RUN_ID,
                tags={"team": "data", "daggo/reexecute": "step:add_up"}))),
    },
    "Schedules": {
        "GetMany": MethodExample(
            request=SchedulesGetManyRequest(job="totals"),
            response=SchedulesGetManyResponse(schedules=(_SCHEDULE,), next_cursor=None)),
        "SetEnabled": MethodExample(
            request=SchedulesSetEnabledRequest(job="totals", key="hourly", enabled=False),
            response=SchedulesSetEnabledResponse(schedules=(evolve(
                _SCHEDULE, enabled=False, enabled_override=False, next_tick_at=None),))),
        "Ticks": MethodExample(
            request=SchedulesTicksRequest(job="totals", key="hourly", limit=1),
            response=SchedulesTicksResponse(ticks=(_TICK,),
                                            next_cursor=encode_cursor(
                                                "ticks", _AT.isoformat(), _TICK.id))),
    },
    "Queues": {
        "GetMany": MethodExample(request=None,
                                 response=QueuesGetManyResponse(queues=(_QUEUE_SUMMARY,))),
        "Get": MethodExample(
            request=QueuesGetRequest(queue="number_batches"),
            response=QueuesGetResponse(queue=QueueDetail(
                queue=_QUEUE_SUMMARY, has_partition_key=True, has_item_key=True,
                retries=_QUEUE.retries, retry_backoff_seconds=_QUEUE.retry_backoff,
                per_partition_limit=_QUEUE.per_partition_limit,
                payload_fields=tuple(f.name for f in _QUEUE_SNAPSHOT.payload_fields),
                errors=(QueueErrorInfo(
                    source=ItemSource.ROUTE, message=f"item 2: {_BAD_BATCH}",
                    detail='{"customer": "zen", "batch": "7", "path": '
                           '"s3://bucket/zen/7.csv"}',
                    created_at=_seconds(45)),)))),
        "Push": MethodExample(
            request=QueuesPushRequest(queue="number_batches", items=(
                {"customer": "acme", "batch": 43, "path": "s3://bucket/acme/43.csv"},
                {"customer": "acme", "batch": 42, "path": "s3://bucket/acme/42.csv"},
                {"customer": "zen", "batch": "7", "path": "s3://bucket/zen/7.csv"})),
            response=QueuesPushResponse(accepted=(_NEXT_ID,), deduplicated=(_DUPLICATE,),
                                        rejected=(f"item 2: {_BAD_BATCH}",))),
    },
    "QueueItems": {
        "GetMany": MethodExample(
            request=QueueItemsGetManyRequest(queue="number_batches",
                                             statuses=(QueueItemStatus.FAILED,),
                                             dead_lettered=True, limit=1),
            response=QueueItemsGetManyResponse(
                items=(_DEAD,), next_cursor=encode_cursor(
                    "items", _DEAD.created_at.isoformat(), _DEAD_ID))),
        "Get": MethodExample(
            request=QueueItemsGetRequest(item_id="5c0e8a"),
            response=QueueItemsGetResponse(
                item=_ITEM, payload={"customer": "acme", "batch": 42,
                                     "path": "s3://bucket/acme/42.csv"},
                metadata={"rows": 0}, runs=(_ITEM_RUN, _ITEM_RERUN),
                duplicates=(_DUPLICATE,), duplicate_count=1, original=None)),
        "Retry": MethodExample(
            request=QueueItemsRetryRequest(item_id="d83f1b"),
            response=QueueItemsRetryResponse(
                item=evolve(_DEAD, status=QueueItemStatus.QUEUED, dead_lettered=False,
                            attempt=4, updated_at=_seconds(90), finished_at=None),
                runs=(evolve(_ITEM_RERUN, id="b6e2d9f41a7c4e08d3f5b2a9c8e17d64",
                             created_at=_seconds(90), queue_item_id=_DEAD_ID,
                             parent_run_id="c5a9e3d72f1b4d68a0e6c4b8d2f95a17",
                             wait_reason=None),))),
        "Replay": MethodExample(
            request=QueueItemsReplayRequest(queue="number_batches", dead_lettered=True,
                                            created_after=_AT - dt.timedelta(days=1)),
            response=QueueItemsReplayResponse(replayed=(_DEAD_ID,), skipped=0)),
    },
    "Partitions": {
        "GetMany": MethodExample(
            request=PartitionsGetManyRequest(queue="number_batches", limit=2),
            response=PartitionsGetManyResponse(
                partitions=(
                    PartitionInfo(partition_key="acme", items=43,
                                  counts={QueueItemStatus.QUEUED: 1,
                                          QueueItemStatus.RUNNING: 1,
                                          QueueItemStatus.SUCCEEDED: 40,
                                          QueueItemStatus.FAILED: 1},
                                  dead_lettered=1, latest_item_id=_NEXT_ID,
                                  latest_status=QueueItemStatus.RUNNING,
                                  latest_at=_seconds(40)),
                    PartitionInfo(partition_key="zen", items=80,
                                  counts={QueueItemStatus.SUCCEEDED: 80}, dead_lettered=0,
                                  latest_item_id="7f3c1a9e5b2d4f60c8e4a2d6b9f17e35",
                                  latest_status=QueueItemStatus.SUCCEEDED,
                                  latest_at=_AT - dt.timedelta(minutes=12))),
                next_cursor=encode_cursor("partitions", "zen"))),
    },
    "Workers": {
        "GetMany": MethodExample(
            request=WorkersGetManyRequest(limit=2),
            response=WorkersGetManyResponse(
                workers=(
                    _WORKER,
                    WorkerSummary(id="web-1:4133", host="web-1", pid=4133,
                                  executor="subprocess", state=WorkerStatus.IDLE,
                                  run_id=None, job_name=None, started_at=_seconds(0.6),
                                  heartbeat_at=_seconds(3.0), version="0.1.0",
                                  pool=_POOL.name)),
                next_cursor=encode_cursor("workers", "web-1", 4133),
                lost_after_seconds=30.0)),
        "GetPools": MethodExample(request=None, response=WorkersGetPoolsResponse(
            pools=(_POOL, PoolSummary(
                name="celery:reports", executor="celery", host="batch-2", version="2026.01.2",
                queues=("reports",), state=PoolStatus.DRAINED, active_runs=0, workers=4,
                started_at=_seconds(-3600), heartbeat_at=_seconds(1.5),
                drain_requested_at=_seconds(-60), drain_accepted_at=_seconds(-59))),
            lost_after_seconds=30.0)),
        "Drain": MethodExample(
            request=WorkersDrainRequest(pool=_POOL.name),
            response=WorkersDrainResponse(pool=evolve(
                _POOL, state=PoolStatus.DRAINING, drain_requested_at=_seconds(4)))),
        "Resume": MethodExample(
            request=WorkersResumeRequest(worker=_WORKER.id),
            response=WorkersResumeResponse(worker=_WORKER)),
        "GetDeploy": MethodExample(
            request=WorkersGetDeployRequest(),
            response=WorkersGetDeployResponse(
                deploy=DeployStatus(
                    lock="daggo", version="2026.01.2", state=DeployState.DRAINING,
                    previous_version="2026.01.1", holder="web-2:5120",
                    draining_since=_seconds(-120), deadline=_seconds(1680),
                    active_since=None, handed_back=0, runs_left={"2026.01.1": 2}),
                drain_enabled=True, version="2026.01.2")),
    },
    "Plugins": {
        "GetMany": MethodExample(request=None, response=PluginsGetManyResponse(
            plugins=(PluginInfo(name="in_process", distribution="daggo", version="0.1.0",
                                hooks=("daggo_executors",)),),
            failures=(PluginFailureInfo(name="costs", distribution="daggo-costs",
                                        version="0.3.0",
                                        error="ModuleNotFoundError: No module named 'boto3'"),
                      ))),
    },
    "System": {
        "Version": MethodExample(request=None, response=SystemVersionResponse(
            version="0.1.0", python="3.11.9", storage="sqlite", executor="subprocess")),
        "Health": MethodExample(request=None, response=SystemHealthResponse(
            status="ok", database="ok",
            components={"coordinator": "running", "monitor": "running",
                        "scheduler": "running", "executor": "running"},
            process=ServingProcess(pid=4242, role="primary"))),
        "Config": MethodExample(request=None,
                                response=SystemConfigResponse(config=redacted(default_config()))),
    },
    **ASSET_EXAMPLES,
}
