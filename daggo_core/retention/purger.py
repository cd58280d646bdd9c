"""The purger: deletes the history of finished runs older than the retention settings.

A purge is a scan of the old runs, oldest first, in batches: each is one storage
transaction of at most `batch_size` runs (see `RetentionStorage.purge_runs`). The
server's purger runs each batch on a thread and pauses between two, so neither the event
loop nor the database's writers wait on a whole purge; it purges at start-up and then
every `purge_interval_minutes`. `daggo db purge` runs the same batches in its process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator, Mapping

from daggo_core.config import RetentionConfig
from daggo_core.retention.purge_policy import decide_purge
from daggo_core.storage.purge import (
    PurgeBatch,
    PurgePosition,
    PurgeSummary,
    RetentionCutoffs,
    RetentionStorage,
)
from daggo_core.storage.records import utcnow

__all__ = ["Purger"]

logger = logging.getLogger("daggo.retention")

#: The pause between two batches of the server's purger, in seconds.
_PAUSE_SECONDS = 0.05


class Purger:
    """Purges the runs finished more than `run_days` days ago (by job, `job_days`; 0
    keeps them), `batch_size` runs per transaction; `clock` returns aware UTC times."""

    def __init__(self, storage: RetentionStorage, *, run_days: int,
                 job_days: Mapping[str, int], batch_size: int = 100,
                 interval_seconds: float = 3600.0,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.storage = storage
        self.run_days = run_days
        self.job_days = dict(job_days)
        self.batch_size = batch_size
        self.interval_seconds = interval_seconds
        self.clock = clock

    @classmethod
    def configured(cls, storage: RetentionStorage, config: RetentionConfig, *,
                   clock: Callable[[], dt.datetime] = utcnow) -> Purger:
        """The purger the `retention` settings describe."""
        return cls(storage, run_days=config.run_days, job_days=config.job_days,
                   batch_size=config.batch_size,
                   interval_seconds=config.purge_interval_minutes * 60, clock=clock)

    @property
    def purges_anything(self) -> bool:
        """Whether the settings let any run be purged (otherwise every run is kept)."""
        return not self.cutoffs().keeps_everything

    def cutoffs(self, *, days: int | None = None,
                only_jobs: Collection[str] | None = None) -> RetentionCutoffs:
        """The cutoffs now: `days`, when given, instead of `run_days` (and of the
        `job_days` of `only_jobs`, the only jobs purged when given)."""
        job_days = dict(self.job_days)
        if days is not None and only_jobs is not None:
            job_days.update(dict.fromkeys(only_jobs, days))
        return RetentionCutoffs.from_days(self.clock(), self.run_days if days is None else days,
                                          job_days, only_jobs=only_jobs)

    def batches(self, cutoffs: RetentionCutoffs, *,
                dry_run: bool = False) -> Iterator[PurgeBatch]:
        """The purge's batches, each stored (with `dry_run`, read) as it is reached."""
        after: PurgePosition | None = None
        while True:
            batch = self.storage.purge_runs(cutoffs, decide_purge, limit=self.batch_size,
                                            after=after, dry_run=dry_run)
            yield batch
            if batch.next is None:
                return
            after = batch.next

    def purge(self, cutoffs: RetentionCutoffs, *, dry_run: bool = False) -> PurgeSummary:
        """Every batch of the purge, one after the other; what went (or would go)."""
        return sum((batch.summary for batch in self.batches(cutoffs, dry_run=dry_run)),
                   PurgeSummary())

    async def pass_once(self) -> PurgeSummary:
        """One purge with the settings' cutoffs, each batch on a thread, pausing between
        two; logs what went."""
        cutoffs = self.cutoffs()
        batches = self.batches(cutoffs)
        summary = PurgeSummary()
        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            summary += batch.summary
            if batch.next is not None:
                await asyncio.sleep(_PAUSE_SECONDS)
        total = summary.total
        if total.runs:
            logger.info("purged %d old run(s) with %d step(s), %d event(s), %d queue item(s) "
                        "and %d asset event(s)", total.runs, total.steps, total.events,
                        summary.queue_items, summary.asset_events)
        for reason, count in sorted(summary.kept.items()):
            logger.debug("kept %d old run(s): %s", count, reason.value)
        return summary

    async def run_forever(self) -> None:
        """A purge at once, then one every `interval_seconds`, until cancelled; a failed
        one (e.g. the database unreachable) is logged and the next goes on."""
        while True:
            try:
                await self.pass_once()
            except Exception:
                logger.exception("purging old runs failed; the next purge retries")
            await asyncio.sleep(self.interval_seconds)
