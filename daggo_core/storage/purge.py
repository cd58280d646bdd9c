"""The purge of old runs: which runs are old enough, what a batch reads about them, what
a pure decider makes of it (`daggo_core.retention.purge_policy`), and what went.

A batch is one transaction: storage reads the next finished runs older than their job's
cutoff (oldest first, from a position), the other runs of their queue items and why any
of them must stay (`KeptBecause`), hands that to the decider, and deletes what it chose
with every row of it. A dry batch reads the same and deletes nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from typing import Protocol

from attrs import field, frozen

from daggo_core.storage.records import TERMINAL_RUN_STATUSES, QueueItemStatus, RunStatus

__all__ = [
    "KeptBecause",
    "PurgeBatch",
    "PurgeCounts",
    "PurgeDecider",
    "PurgeDecision",
    "PurgeFacts",
    "PurgeItem",
    "PurgePosition",
    "PurgeRun",
    "PurgeSummary",
    "RetentionCutoffs",
    "RetentionStorage",
]


@frozen(kw_only=True)
class RetentionCutoffs:
    """Which finished runs are old enough to purge: those finished before their job's
    cutoff. A job of `job_before` has its own (None: its runs are kept), every other job
    `before` (None: kept). With `only_jobs`, the runs of other jobs are kept."""

    before: dt.datetime | None = None
    job_before: Mapping[str, dt.datetime | None] = field(factory=dict)
    only_jobs: frozenset[str] | None = None

    @classmethod
    def from_days(cls, now: dt.datetime, run_days: int, job_days: Mapping[str, int], *,
                  only_jobs: Collection[str] | None = None) -> RetentionCutoffs:
        """The cutoffs `run_days` (and, by job, `job_days`) days before `now`; 0 days
        keeps the runs it applies to."""
        def before(days: int) -> dt.datetime | None:
            return now - dt.timedelta(days=days) if days else None

        return cls(before=before(run_days),
                   job_before={job: before(days) for job, days in job_days.items()},
                   only_jobs=None if only_jobs is None else frozenset(only_jobs))

    def of(self, job_name: str) -> dt.datetime | None:
        """The cutoff of `job_name`'s runs (None: they are kept)."""
        if self.only_jobs is not None and job_name not in self.only_jobs:
            return None
        return self.job_before.get(job_name, self.before)

    @property
    def keeps_everything(self) -> bool:
        """Whether no run of any job is ever old enough."""
        if self.only_jobs is not None:
            return all(self.of(job) is None for job in self.only_jobs)
        return self.before is None and all(c is None for c in self.job_before.values())

    def is_old(self, run: PurgeRun) -> bool:
        """Whether `run` is finished, before its job's cutoff."""
        cutoff = self.of(run.job_name)
        return (cutoff is not None and run.status in TERMINAL_RUN_STATUSES
                and run.finished_at is not None and run.finished_at < cutoff)


class KeptBecause(enum.StrEnum):
    """Why an old run is not purged."""

    #: A queued or running re-execution of it will read its stored outputs.
    REEXECUTION = "a re-execution of it has not finished"
    #: It belongs to a backfill still requested, running or canceling.
    BACKFILL = "its backfill has not finished"
    #: It made the latest materialization of an asset (partition), whose value runs of
    #: downstream assets load from its stored output.
    MATERIALIZATION = "it made an asset's latest materialization"
    #: An asset partition's state (failed, canceled …) was set by it.
    PARTITION = "an asset partition's state comes from it"
    #: Its queue item is not finished, is due a retry or dead-lettered, or has a run
    #: that is not old enough or is kept: an item goes with all its runs, or not at all.
    QUEUE_ITEM = "its queue item is kept"


@frozen(kw_only=True)
class PurgePosition:
    """Where a purge's scan (oldest first) got to: the last run looked at."""

    created_at: dt.datetime
    id: str


@frozen(kw_only=True)
class PurgeRun:
    """A run a batch looks at (a candidate, or another run of a candidate's queue item),
    with its rows counted and why storage found it must stay (None: no reason)."""

    id: str
    job_name: str
    status: RunStatus
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    queue_item_id: str | None = None
    steps: int = 0
    events: int = 0
    asset_events: int = 0
    kept: KeptBecause | None = None


@frozen(kw_only=True)
class PurgeItem:
    """A queue item of a candidate: its status, every run of it, and how many deliveries
    were deduplicated against it (they go with it)."""

    id: str
    status: QueueItemStatus
    retry_at: dt.datetime | None = None
    dead_lettered: bool = False
    run_ids: tuple[str, ...] = ()
    duplicates: int = 0


@frozen(kw_only=True)
class PurgeFacts:
    """What a batch read: its candidates (ids, in scan order), every run it looked at by
    id (the candidates and their items' runs) and their items by id."""

    candidates: tuple[str, ...]
    runs: Mapping[str, PurgeRun]
    items: Mapping[str, PurgeItem] = field(factory=dict)


@frozen(kw_only=True)
class PurgeDecision:
    """The runs and queue items to purge, how many candidates were looked at (the next
    batch starts after the last of them) and how many old runs stay, by why."""

    runs: tuple[str, ...]
    items: tuple[str, ...]
    examined: int
    kept: Mapping[KeptBecause, int] = field(factory=dict)


#: `decide(facts, cutoffs) -> decision`: a pure function, called inside the transaction.
PurgeDecider = Callable[[PurgeFacts, RetentionCutoffs], PurgeDecision]


@frozen(kw_only=True)
class PurgeCounts:
    """Rows of one job's runs purged: runs, steps (with their stored outputs), events."""

    runs: int = 0
    steps: int = 0
    events: int = 0

    def __add__(self, other: PurgeCounts) -> PurgeCounts:
        return PurgeCounts(runs=self.runs + other.runs, steps=self.steps + other.steps,
                           events=self.events + other.events)


@frozen(kw_only=True)
class PurgeSummary:
    """What was purged (or, dry, would be): rows by job, queue items (deduplicated
    deliveries included), asset events; and the old runs kept, by why."""

    by_job: Mapping[str, PurgeCounts] = field(factory=dict)
    queue_items: int = 0
    asset_events: int = 0
    kept: Mapping[KeptBecause, int] = field(factory=dict)

    @property
    def total(self) -> PurgeCounts:
        return sum(self.by_job.values(), PurgeCounts())

    def __add__(self, other: PurgeSummary) -> PurgeSummary:
        jobs = dict(self.by_job)
        for job, counts in other.by_job.items():
            jobs[job] = jobs.get(job, PurgeCounts()) + counts
        return PurgeSummary(by_job=dict(sorted(jobs.items())),
                            queue_items=self.queue_items + other.queue_items,
                            asset_events=self.asset_events + other.asset_events,
                            kept=dict(Counter(self.kept) + Counter(other.kept)))


@frozen(kw_only=True)
class PurgeBatch:
    """What one batch purged, and where the next starts (None: the scan is done)."""

    summary: PurgeSummary = field(factory=PurgeSummary)
    next: PurgePosition | None = None


class RetentionStorage(Protocol):
    def purge_runs(self, cutoffs: RetentionCutoffs, decide: PurgeDecider, *, limit: int,
                   after: PurgePosition | None = None, dry_run: bool = False) -> PurgeBatch:
        """One batch of the purge, in one transaction: up to `limit` finished runs older
        than their job's cutoff, oldest first from just after `after`, and the other runs
        of their queue items, are read with why any must stay; the runs and items
        `decide` picks go with their tags, steps (stored outputs), events, asset events
        and deduplicated deliveries, and the items' partition counts follow. Asset
        partition states and check results, backfills and schedule ticks stay. With
        `dry_run`, nothing is deleted (a read transaction). Returns what went."""
