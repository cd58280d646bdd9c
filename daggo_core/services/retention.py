"""Retention: purge the history of old finished runs now, or count what a purge would take.

The server purges by itself every `retention.purge_interval_minutes`
(`daggo_core.retention.purger`); this service runs the same purge on demand, for
`daggo db purge`, batch after batch in the calling thread. It works on the database, not
through the RPC API.
"""

from __future__ import annotations

import datetime as dt

from attrs import frozen

from daggo_core.errors import FailedPreconditionError, InvalidArgumentError
from daggo_core.retention.purger import Purger
from daggo_core.services.context import ServiceContext, unknown_job

__all__ = [
    "KeptRuns",
    "PurgedJob",
    "RetentionPurgeRequest",
    "RetentionPurgeResponse",
    "RetentionService",
]


@frozen(kw_only=True)
class RetentionPurgeRequest:
    """Purge the finished runs older than the `retention` settings say (`dry_run`: count
    what would go, delete nothing). `days`, when given, replaces `retention.run_days`
    (and, for the `jobs` given, their `retention.job_days`); `jobs`, when given, are the
    only jobs whose runs are purged."""

    dry_run: bool = False
    days: int | None = None
    jobs: tuple[str, ...] = ()


@frozen(kw_only=True)
class PurgedJob:
    """What went (or would go) of one job's runs, those finished before `cutoff`: runs,
    their steps (with the stored outputs) and events."""

    job: str
    cutoff: dt.datetime
    runs: int
    steps: int
    events: int


@frozen(kw_only=True)
class KeptRuns:
    """Old runs that stay, and why."""

    reason: str
    runs: int


@frozen(kw_only=True)
class RetentionPurgeResponse:
    """What the purge took (or, `dry_run`, would take): by job (in name order, those
    with runs purged), in all, the queue items (with the deliveries deduplicated against
    them) and asset events that went with the runs, and the old runs kept."""

    dry_run: bool
    jobs: tuple[PurgedJob, ...]
    runs: int
    steps: int
    events: int
    queue_items: int
    asset_events: int
    kept: tuple[KeptRuns, ...]


class RetentionService:
    """Purges old run history on the database."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def purge(self, request: RetentionPurgeRequest) -> RetentionPurgeResponse:
        """Purge (or count) the old runs, in batches of `retention.batch_size` runs.

        Raises InvalidArgumentError for `days` below 1, JobNotFoundError for a job the
        database does not know, and FailedPreconditionError when the settings and the
        request keep every run."""
        storage = self.context.storage
        if request.days is not None and request.days < 1:
            raise InvalidArgumentError(f"days: must be at least 1, got {request.days}")
        for job in request.jobs:
            if storage.get_job(job) is None:
                raise unknown_job(storage, job)
        purger = Purger.configured(storage, self.context.config.retention)
        cutoffs = purger.cutoffs(days=request.days, only_jobs=request.jobs or None)
        if cutoffs.keeps_everything:
            raise FailedPreconditionError(
                "every run is kept: retention.run_days is 0 and retention.job_days gives "
                "the jobs purged no days; purge the runs finished more than N days ago "
                "with days=N (daggo db purge --days N), or set retention.run_days "
                "(DAGGO_RETENTION_RUN_DAYS)")
        summary = purger.purge(cutoffs, dry_run=request.dry_run)
        total = summary.total
        jobs = []
        for job, counts in summary.by_job.items():
            cutoff = cutoffs.of(job)
            assert cutoff is not None  # a job's runs were purged: it has a cutoff
            jobs.append(PurgedJob(job=job, cutoff=cutoff, runs=counts.runs,
                                  steps=counts.steps, events=counts.events))
        return RetentionPurgeResponse(
            dry_run=request.dry_run, jobs=tuple(jobs), runs=total.runs, steps=total.steps,
            events=total.events, queue_items=summary.queue_items,
            asset_events=summary.asset_events,
            kept=tuple(KeptRuns(reason=reason.value, runs=count)
                       for reason, count in sorted(summary.kept.items())))
