"""Jobs: the synced jobs with their graphs and schedules, and launching their runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from attrs import field, frozen

from daggo_core.definitions.params_check import check_params
from daggo_core.definitions.partitions import partitions_from_snapshot
from daggo_core.definitions.snapshot import JobSnapshot
from daggo_core.errors import InvalidArgumentError
from daggo_core.execution.claimed_run import ClaimedRun
from daggo_core.services.backfill_plan import checked_run_partition
from daggo_core.services.context import ServiceContext, unknown_job
from daggo_core.services.cursors import decode_cursor, encode_cursor
from daggo_core.services.paging import check_limit, page_limit
from daggo_core.services.runs import RunSummary
from daggo_core.services.schedules import ScheduleSummary, schedule_summaries
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import RunFilter
from daggo_core.storage.records import Event, EventKind, JobRecord, Run, RunStatus

__all__ = [
    "JobDetail",
    "JobSnapshot",
    "JobSummary",
    "JobsGetManyRequest",
    "JobsGetManyResponse",
    "JobsGetRequest",
    "JobsLaunchRequest",
    "JobsLaunchResponse",
    "JobsService",
]

JOBS_PAGE, JOBS_PAGE_MAX = 100, 1000


@frozen(kw_only=True)
class JobSummary:
    """A job as lists show it: its ops by layer (an op comes after everything it reads),
    its schedules with their Enabled state, and its latest run."""

    name: str
    description: str
    op_count: int
    layers: tuple[tuple[str, ...], ...]
    schedules: tuple[ScheduleSummary, ...]
    latest_run: RunSummary | None


@frozen(kw_only=True)
class JobDetail:
    """A job with its whole graph (ops, their inputs and producers), params and tags."""

    name: str
    description: str
    active: bool
    graph: JobSnapshot
    schedules: tuple[ScheduleSummary, ...]
    latest_run: RunSummary | None


@frozen(kw_only=True)
class JobsGetManyRequest:
    """A page of the active jobs, by name; `cursor` is the previous page's `next_cursor`;
    `search`: only jobs whose name contains it (in any case)."""

    limit: int = page_limit(JOBS_PAGE, JOBS_PAGE_MAX)
    cursor: str | None = None
    search: str | None = None


@frozen(kw_only=True)
class JobsGetManyResponse:
    jobs: tuple[JobSummary, ...]
    next_cursor: str | None


@frozen(kw_only=True)
class JobsGetRequest:
    name: str


@frozen(kw_only=True)
class JobsLaunchRequest:
    """Queue a run of `job` with `params` (validated against the job's Params) and `tags`;
    a partitioned job's run is for `partition_key` (or a "first...last" range, where the
    job's ops take ranges)."""

    job: str
    params: dict[str, Any] = field(factory=dict)
    tags: dict[str, str] = field(factory=dict)
    partition_key: str | None = None


@frozen(kw_only=True)
class JobsLaunchResponse:
    run: RunSummary


class JobsService:
    """The jobs synced from the app's code, and their launches."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.storage = context.storage

    def get_many(self, request: JobsGetManyRequest) -> JobsGetManyResponse:
        """Active jobs ordered by name (keyset pages: a job gone inactive since the
        previous page does not shift the next one)."""
        limit = check_limit(request)
        after = None
        if request.cursor is not None:
            (name,) = decode_cursor("jobs", request.cursor, 1)
            if not isinstance(name, str):
                raise InvalidArgumentError("cursor: not a cursor of this list")
            after = name
        records = self.storage.list_jobs(after=after, limit=limit + 1,
                                         name_contains=request.search or None)
        page = records[:limit]
        schedules = schedule_summaries(self.storage, page)
        jobs = tuple(
            JobSummary(name=r.name, description=r.description, op_count=len(r.snapshot.ops),
                       layers=r.snapshot.layers(),
                       schedules=tuple(s for s in schedules if s.job_name == r.name),
                       latest_run=self._latest_run(r.name))
            for r in page
        )
        next_cursor = encode_cursor("jobs", page[-1].name) if len(records) > limit else None
        return JobsGetManyResponse(jobs=jobs, next_cursor=next_cursor)

    def get(self, request: JobsGetRequest) -> JobDetail:
        """One job (also one no longer defined in code) with its graph."""
        record = self.storage.get_job(request.name)
        if record is None:
            raise unknown_job(self.storage, request.name)
        return JobDetail(name=record.name, description=record.description,
                         active=record.active, graph=record.snapshot,
                         schedules=schedule_summaries(self.storage, [record]),
                         latest_run=self._latest_run(record.name))

    def launch(self, request: JobsLaunchRequest) -> JobsLaunchResponse:
        """Queue a run (status QUEUED) for the coordinator, waking it when it runs in this
        process (other processes on the database are woken by the storage).

        Params are validated against the job's Params class when the app's code is at
        hand, else against the params schema stored with the job, in the same way: a
        value of the wrong type raises ParamsError (an InvalidArgumentError) naming it.
        """
        tags = checked_tags(request.tags)
        params = checked_launch_params(self.context, request.job, request.params)
        partition_key = self._partition_key(request.job, request.partition_key)
        run = Run(job_name=request.job, status=RunStatus.QUEUED, params=params, tags=tags,
                  partition_key=partition_key)
        self.storage.add_run(run, [Event(run_id=run.id, kind=EventKind.RUN_QUEUED,
                                         level="INFO", message="run queued")])
        if self.context.runtime is not None:
            self.context.runtime.wake_coordinator()
        return JobsLaunchResponse(run=RunSummary.of(run))

    def execute_here(self, request: JobsLaunchRequest, *,
                     on_started: Callable[[RunSummary], None] | None = None) -> RunSummary:
        """Execute a run of the job in this process, to its end, and return it.

        The job's metadata is synced first, so the run shows with its job everywhere;
        `on_started` gets the run once it is stored, before its steps execute.
        """
        definitions = self.context.require_definitions("executing a run in this process")
        definitions.job(request.job)  # an unknown job fails before anything is synced
        sync_definitions(self.storage, definitions)
        partition_key = self._partition_key(request.job, request.partition_key)
        claimed = ClaimedRun.new(request.job, request.params, config=self.context.config,
                                 storage=self.storage, definitions=definitions,
                                 tags=checked_tags(request.tags), partition_key=partition_key)
        if on_started is not None:
            on_started(RunSummary.of(claimed.run))
        return RunSummary.of(claimed.execute())

    def _partition_key(self, job_name: str, key: str | None) -> str | None:
        """The checked partition key of a launch: against the job's partitions in the
        app's code when at hand, else as stored with the job."""
        definitions = self.context.definitions
        if definitions is not None and job_name in definitions.jobs_by_name:
            job = definitions.jobs_by_name[job_name]
            return checked_run_partition(self.storage, job_name, job.partitions,
                                         job.max_partitions_per_run, key)
        record = self.storage.get_job(job_name)
        if record is None or not record.active:
            raise unknown_job(self.storage, job_name)
        stored = record.snapshot.partitions
        return checked_run_partition(
            self.storage, job_name, None if stored is None else partitions_from_snapshot(stored),
            record.snapshot.max_partitions_per_run, key)

    def _latest_run(self, job_name: str) -> RunSummary | None:
        runs = self.storage.list_runs(RunFilter(job_name=job_name), limit=1)
        return RunSummary.of(runs[0]) if runs else None



def checked_launch_params(context: ServiceContext, job_name: str,
                          params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` validated for a run of `job_name`: against its Params class when the
    app's code is at hand, else against the schema stored with the job (the same rules);
    raises ParamsError naming each bad field, JobNotFoundError for an unknown job."""
    definitions = context.definitions
    if definitions is not None and job_name in definitions.jobs_by_name:
        return definitions.jobs_by_name[job_name].params_dict(params)
    record = context.storage.get_job(job_name)
    if record is None or not record.active:
        raise unknown_job(context.storage, job_name)
    return _checked_against_snapshot(record, params)


def checked_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    """The tags of a launch, or InvalidArgumentError naming the bad ones."""
    bad = [key for key, value in tags.items()
           if not isinstance(key, str) or not key or not isinstance(value, str)]
    if bad:
        raise InvalidArgumentError(f"tags: keys must be non-empty strings and values "
                                   f"strings; check {', '.join(map(repr, bad))}")
    return dict(tags)


def _checked_against_snapshot(record: JobRecord, params: Mapping[str, Any]) -> dict[str, Any]:
    check_params(record.name, record.snapshot.params_schema, params)
    return dict(params)
