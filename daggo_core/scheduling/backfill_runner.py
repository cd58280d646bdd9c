"""The backfill runner: creates the runs of requested backfills, in batches, and settles
backfills whose runs all finished or that were canceled.

Each batch of runs is stored with the plan rows it fulfils, in one transaction, so a
server killed mid-backfill resumes at the next batch when it starts again, and two
servers never create a planned run twice. The runs are QUEUED like any other: the
coordinator's limits (per job, per tag, overall) throttle them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from daggo_core.errors import StorageError
from daggo_core.storage.asset_records import Backfill, BackfillStatus
from daggo_core.storage.base import Storage
from daggo_core.storage.records import TERMINAL_RUN_STATUSES, Event, EventKind, Run, RunStatus

__all__ = ["BackfillRunner"]


logger = logging.getLogger("daggo.backfills")


class BackfillRunner:
    """Moves every active backfill on, a pass every `poll_interval` seconds."""

    def __init__(self, storage: Storage, *, batch_size: int = 500,
                 poll_interval: float = 1.0,
                 on_queued: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.on_queued = on_queued

    def pass_once(self) -> int:
        """One pass over the active backfills; returns how many runs it created or
        canceled."""
        changed = 0
        for backfill in self.storage.active_backfills():
            try:
                changed += self._advance(backfill)
            except StorageError:  # e.g. the database is unreachable: the next pass retries
                logger.exception("backfill %s: its pass failed; retrying", backfill.id)
            except Exception as exc:  # retrying cannot fix it
                logger.exception("backfill %s failed", backfill.id)
                self.storage.set_backfill_status(
                    backfill.id, BackfillStatus.FAILED, expected=(backfill.status,),
                    error=f"{type(exc).__name__}: {exc}")
        return changed

    async def run_forever(self) -> None:
        """Pass after pass until cancelled; a busy pass is followed at once by the next."""
        while True:
            try:
                changed = await asyncio.to_thread(self.pass_once)
            except Exception:  # e.g. the database is unreachable: retry at the normal pace
                logger.exception("backfill pass failed; retrying")
                changed = 0
            await asyncio.sleep(0 if changed else self.poll_interval)

    def _advance(self, backfill: Backfill) -> int:
        if backfill.status is BackfillStatus.REQUESTED:
            return self._submit(backfill)
        if backfill.status is BackfillStatus.CANCELING:
            canceled = self.storage.cancel_backfill_runs(backfill.id)
            if not canceled and not _going(self.storage.backfill_run_counts(backfill.id)):
                # CANCELED once the runs asked to stop have stopped.
                self.storage.set_backfill_status(backfill.id, BackfillStatus.CANCELED,
                                                 expected=(BackfillStatus.CANCELING,))
            return canceled
        # Its runs all created: COMPLETED once none (retries included) is left going.
        if not _going(self.storage.backfill_run_counts(backfill.id)):
            self.storage.set_backfill_status(backfill.id, BackfillStatus.COMPLETED,
                                             expected=(BackfillStatus.RUNNING,))
        return 0

    def _submit(self, backfill: Backfill) -> int:
        """Create the next batch of the backfill's runs."""
        plan = self.storage.unsubmitted_plan(backfill.id, limit=self.batch_size)
        if not plan:  # every run created: it only has to finish
            self.storage.set_backfill_status(backfill.id, BackfillStatus.RUNNING,
                                             expected=(BackfillStatus.REQUESTED,))
            return 0
        runs, events = [], []
        for entry in plan:
            run = Run(job_name=backfill.job_name, params=dict(backfill.params),
                      tags=dict(backfill.tags), partition_key=entry.partition_key,
                      backfill_id=backfill.id)
            runs.append(run)
            events.append(Event(run_id=run.id, kind=EventKind.RUN_QUEUED, level="INFO",
                                message=f"run queued by backfill {backfill.id} for "
                                        f"{entry.partition_key}"))
        stored = self.storage.submit_backfill_runs(backfill.id, plan, runs, events)
        if stored is None:  # canceled meanwhile, or another server submitted them
            return 0
        if self.on_queued is not None:
            self.on_queued()
        return len(runs)


def _going(counts: Mapping[RunStatus, int]) -> bool:
    """Whether any of these runs is queued or running."""
    return any(n for status, n in counts.items() if status not in TERMINAL_RUN_STATUSES)
