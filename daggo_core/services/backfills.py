"""Backfills: runs of a partitioned job (or of the job making an asset) over a set or
range of its partitions, previewed before they start, created by the server in batches
(resumed after a restart), throttled by the coordinator's limits like any run, and
cancelable, with their progress per partition."""

from __future__ import annotations

import datetime as dt
from typing import Any

from attrs import field, frozen

from daggo_core.errors import (
    AssetNotFoundError,
    FailedPreconditionError,
    InvalidArgumentError,
)
from daggo_core.services.backfill_plan import BackfillPlan, plan_backfill
from daggo_core.services.context import ServiceContext, unknown_job
from daggo_core.services.cursors import cursor_moment, decode_cursor, encode_cursor
from daggo_core.services.jobs import checked_launch_params, checked_tags
from daggo_core.services.paging import check_limit, page_limit
from daggo_core.storage.asset_records import Backfill, BackfillPartition, BackfillStatus
from daggo_core.storage.asset_storage import BackfillPosition
from daggo_core.storage.records import JobRecord, RunStatus

__all__ = [
    "BackfillDetail",
    "BackfillInfo",
    "BackfillPreview",
    "BackfillRunInfo",
    "BackfillsCancelRequest",
    "BackfillsGetManyRequest",
    "BackfillsGetManyResponse",
    "BackfillsGetPartitionsRequest",
    "BackfillsGetPartitionsResponse",
    "BackfillsGetRequest",
    "BackfillsLaunchRequest",
    "BackfillsService",
]

#: Page sizes of backfill lists and of a backfill's runs.
BACKFILLS_PAGE, BACKFILLS_PAGE_MAX = 50, 500
PLAN_PAGE, PLAN_PAGE_MAX = 100, 1000
#: Runs a preview lists from the start of the plan.
_PREVIEWED = 20


@frozen(kw_only=True)
class BackfillsLaunchRequest:
    """A backfill of `job` (or of the job that makes `asset`) over `partition_keys`, or
    the range `first` to `last`, or every partition; `only_missing` keeps the partitions
    not materialized or failed. `chunk_size` keys per run at most (default: what the
    job's ops allow). `params` and `tags` go to every run."""

    job: str | None = None
    asset: str | None = None
    partition_keys: tuple[str, ...] = ()
    first: str | None = None
    last: str | None = None
    only_missing: bool = False
    chunk_size: int | None = None
    params: dict[str, Any] = field(factory=dict)
    tags: dict[str, str] = field(factory=dict)


@frozen(kw_only=True)
class BackfillPreview:
    """What a backfill would run: `partitions` keys in `runs` runs (`first_runs` are the
    first of them), `skipped` keys left out as materialized or in progress."""

    job_name: str
    asset_key: str | None
    partitions: int
    runs: int
    skipped: int
    chunk_size: int
    first_runs: tuple[str, ...]


@frozen(kw_only=True)
class BackfillInfo:
    """A backfill and its runs by status (`unsubmitted`: planned, not created yet)."""

    id: str
    job_name: str
    asset_key: str | None
    status: BackfillStatus
    description: str
    partitions: int
    planned: int
    submitted: int
    chunk_size: int
    only_missing: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    error: str | None
    run_counts: dict[RunStatus, int]
    unsubmitted: int

    @classmethod
    def of(cls, backfill: Backfill, counts: dict[RunStatus, int]) -> BackfillInfo:
        return cls(id=backfill.id, job_name=backfill.job_name, asset_key=backfill.asset_key,
                   status=backfill.status, description=backfill.description,
                   partitions=backfill.partitions, planned=backfill.planned,
                   submitted=backfill.submitted, chunk_size=backfill.chunk_size,
                   only_missing=backfill.only_missing, created_at=backfill.created_at,
                   updated_at=backfill.updated_at, error=backfill.error, run_counts=counts,
                   unsubmitted=backfill.planned - backfill.submitted)


@frozen(kw_only=True)
class BackfillDetail:
    backfill: BackfillInfo


@frozen(kw_only=True)
class BackfillsGetManyRequest:
    """Backfills, newest first (of one job)."""

    job: str | None = None
    limit: int = page_limit(BACKFILLS_PAGE, BACKFILLS_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class BackfillsGetManyResponse:
    backfills: tuple[BackfillInfo, ...]
    next_cursor: str | None


@frozen(kw_only=True)
class BackfillsGetRequest:
    id: str


@frozen(kw_only=True)
class BackfillsCancelRequest:
    id: str


@frozen(kw_only=True)
class BackfillRunInfo:
    """One planned run of a backfill: its key (or range), and its run once created."""

    seq: int
    partition_key: str
    run_id: str | None
    run_status: RunStatus | None

    @classmethod
    def of(cls, entry: BackfillPartition) -> BackfillRunInfo:
        return cls(seq=entry.seq, partition_key=entry.partition_key, run_id=entry.run_id,
                   run_status=entry.run_status)


@frozen(kw_only=True)
class BackfillsGetPartitionsRequest:
    """The planned runs of a backfill, in order, with their progress."""

    id: str
    limit: int = page_limit(PLAN_PAGE, PLAN_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class BackfillsGetPartitionsResponse:
    runs: tuple[BackfillRunInfo, ...]
    next_cursor: str | None


class BackfillsService:
    """Backfills as stored; the server's backfill runner creates their runs."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.storage = context.storage

    def preview(self, request: BackfillsLaunchRequest) -> BackfillPreview:
        """What launching the backfill would run, without starting anything."""
        job, plan = self._plan(request)
        return BackfillPreview(job_name=job.name, asset_key=request.asset,
                               partitions=plan.partitions, runs=len(plan.runs),
                               skipped=plan.skipped, chunk_size=plan.chunk_size,
                               first_runs=plan.runs[:_PREVIEWED])

    def launch(self, request: BackfillsLaunchRequest) -> BackfillInfo:
        """Store the backfill and its plan; the server creates its runs in batches,
        queued for the coordinator. A plan with no runs is COMPLETED at once."""
        job, plan = self._plan(request)
        params = checked_launch_params(self.context, job.name, request.params)
        status = BackfillStatus.REQUESTED if plan.runs else BackfillStatus.COMPLETED
        backfill = Backfill(job_name=job.name, asset_key=request.asset, status=status,
                            description=_describe(request, plan), partitions=plan.partitions,
                            planned=len(plan.runs), chunk_size=plan.chunk_size,
                            only_missing=request.only_missing, params=params,
                            tags=checked_tags(request.tags))
        stored = self.storage.add_backfill(backfill, plan.runs)
        return BackfillInfo.of(stored, {})

    def get_many(self, request: BackfillsGetManyRequest) -> BackfillsGetManyResponse:
        """A page of backfills, newest first."""
        limit = check_limit(request)
        after = None
        if request.cursor is not None:
            moment, backfill_id = decode_cursor("backfills", request.cursor, 2)
            if not isinstance(backfill_id, str):
                raise InvalidArgumentError("cursor: not a cursor of this list")
            after = BackfillPosition(cursor_moment(moment), backfill_id)
        found = self.storage.list_backfills(job_name=request.job, limit=limit + 1,
                                            after=after)
        page = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor("backfills", page[-1].created_at.isoformat(),
                                        page[-1].id)
        return BackfillsGetManyResponse(
            backfills=tuple(BackfillInfo.of(b, self.storage.backfill_run_counts(b.id))
                            for b in page),
            next_cursor=next_cursor)

    def get(self, request: BackfillsGetRequest) -> BackfillDetail:
        """One backfill with its runs by status."""
        backfill = self.storage.get_backfill(request.id)
        return BackfillDetail(backfill=BackfillInfo.of(
            backfill, self.storage.backfill_run_counts(backfill.id)))

    def get_partitions(self, request: BackfillsGetPartitionsRequest
                       ) -> BackfillsGetPartitionsResponse:
        """A page of the backfill's planned runs, in order, with their runs' statuses."""
        limit = check_limit(request)
        self.storage.get_backfill(request.id)
        after = -1
        if request.cursor is not None:
            (after,) = decode_cursor("backfill_runs", request.cursor, 1)
            if type(after) is not int:
                raise InvalidArgumentError("cursor: not a cursor of this list")
        found = self.storage.list_backfill_partitions(request.id, limit=limit + 1,
                                                      after_seq=after)
        page = found[:limit]
        next_cursor = (encode_cursor("backfill_runs", page[-1].seq) if len(found) > limit
                       else None)
        return BackfillsGetPartitionsResponse(runs=tuple(map(BackfillRunInfo.of, page)),
                                              next_cursor=next_cursor)

    def cancel(self, request: BackfillsCancelRequest) -> BackfillInfo:
        """Cancel the backfill: no more of its runs are created, its queued runs are
        canceled and its running ones asked to stop (by the server's backfill runner)."""
        backfill = self.storage.get_backfill(request.id)
        changed = self.storage.set_backfill_status(
            backfill.id, BackfillStatus.CANCELING,
            expected=(BackfillStatus.REQUESTED, BackfillStatus.RUNNING))
        if changed is None:
            current = self.storage.get_backfill(backfill.id)
            if current.status in (BackfillStatus.CANCELING, BackfillStatus.CANCELED):
                changed = current
            else:
                raise FailedPreconditionError(f"backfill {backfill.id} is {current.status}: "
                                              "only a backfill still going can be canceled")
        return BackfillInfo.of(changed, self.storage.backfill_run_counts(backfill.id))

    def _plan(self, request: BackfillsLaunchRequest) -> tuple[JobRecord, BackfillPlan]:
        job = self._job(request)
        plan = plan_backfill(self.storage, job, partition_keys=request.partition_keys,
                             first=request.first, last=request.last,
                             only_missing=request.only_missing, chunk_size=request.chunk_size)
        return job, plan

    def _job(self, request: BackfillsLaunchRequest) -> JobRecord:
        if (request.job is None) == (request.asset is None):
            raise InvalidArgumentError("give the job to backfill or the asset, one of them")
        name = request.job
        if request.asset is not None:
            asset = self.storage.get_asset(request.asset)
            if asset is None or not asset.active:
                raise AssetNotFoundError(f"no asset {request.asset!r} is defined")
            if asset.job_name is None:
                raise InvalidArgumentError(f"asset {request.asset!r} is made outside daggo: "
                                           "no job of daggo materializes it")
            name = asset.job_name
        assert name is not None
        record = self.storage.get_job(name)
        if record is None or not record.active:
            raise unknown_job(self.storage, name)
        return record


def _describe(request: BackfillsLaunchRequest, plan: BackfillPlan) -> str:
    if request.partition_keys:
        what = f"{len(request.partition_keys)} chosen partitions"
    elif request.first is not None:
        what = f"partitions {request.first} to {request.last}"
    else:
        what = "every partition"
    missing = f", only missing and failed ({plan.skipped} skipped)" if request.only_missing \
        else ""
    return f"{what}{missing}: {plan.partitions} partitions in {len(plan.runs)} runs"
