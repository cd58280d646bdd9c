"""Retrying queue items: only the jobs whose latest run did not succeed run again, each
as a re-execution from failure of that run (its succeeded steps' outputs are reused),
linked to the item. The background `ItemRetrier` retries failed items whose automatic
retry is due; people retry or replay items through the Queues service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Protocol

from attrs import frozen

from daggo_core.definitions.jobs import JobDefinition
from daggo_core.errors import DaggoError
from daggo_core.execution.reexecution import FROM_FAILURE, plan_reexecution
from daggo_core.storage.base import QueueStorage, RunStorage, StepStorage
from daggo_core.storage.records import (
    REEXECUTE_TAG,
    Event,
    EventKind,
    QueueItem,
    Run,
    RunStatus,
    utcnow,
)

__all__ = ["ItemRetrier", "Retried", "RetryStorage", "retry_item"]

logger = logging.getLogger("daggo.queues")


class RetryStorage(QueueStorage, RunStorage, StepStorage, Protocol):
    """What retrying reads and writes."""


@frozen(kw_only=True)
class Retried:
    """An item retried, and the runs its retry queued."""

    item: QueueItem
    runs: tuple[Run, ...]


def retry_item(storage: RetryStorage, jobs: Mapping[str, JobDefinition], item: QueueItem,
               *, reason: str) -> Retried | None:
    """Run the item's jobs whose latest run did not succeed again; returns the item and
    its new runs, or None when it had nothing to run again or was retried (or ran
    again) meanwhile.
    `reason` is logged on each new run ("automatic retry 2 of 3", "replayed" ...)."""
    latest: dict[str, Run] = {}
    for run in storage.list_item_runs(item.id):
        latest[run.job_name] = run
    failed = [run for run in latest.values() if run.status is not RunStatus.SUCCESS]
    if not failed or any(not run.is_finished for run in failed):
        return None
    runs = [_rerun(storage, jobs, run) for run in failed]
    events = [Event(run_id=run.id, kind=EventKind.RUN_QUEUED, level="INFO",
                    message=f"{reason}: item {item.id} of queue {item.queue_name!r}, "
                            f"re-running run {run.parent_run_id}",
                    data={"queue": item.queue_name, "item_id": item.id})
              for run in runs]
    retried = storage.add_item_runs(item.id, runs, events, attempt=item.attempt)
    return None if retried is None else Retried(item=retried, runs=tuple(runs))


def _rerun(storage: RetryStorage, jobs: Mapping[str, JobDefinition], parent: Run) -> Run:
    """A re-execution from failure of `parent`, or a fresh run where there is nothing to
    resume from (every step succeeded, or the job's code is not at hand)."""
    tags = dict(parent.link_tags)
    job = jobs.get(parent.job_name)
    if job is not None:
        try:
            plan_reexecution(job, parent.id, storage.list_steps(parent.id), FROM_FAILURE)
            tags[REEXECUTE_TAG] = FROM_FAILURE
        except DaggoError:
            pass  # nothing failed to resume from: the job runs again whole
    return Run(job_name=parent.job_name, params=dict(parent.params), tags=tags,
               parent_run_id=parent.id, queue_item_id=parent.queue_item_id,
               partition_key=parent.partition_key)


class ItemRetrier:
    """Retries failed items whose automatic retry is due, every `interval` seconds;
    `on_queued` is called after it queued runs."""

    def __init__(self, storage: RetryStorage, jobs: Mapping[str, JobDefinition], *,
                 interval: float = 1.0, on_queued: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self.jobs = jobs
        self.interval = interval
        self.on_queued = on_queued

    def retry_due(self) -> list[Retried]:
        """One pass: retry every item due now; returns the items retried."""
        retried = []
        for item in self.storage.due_item_retries(utcnow()):
            try:
                outcome = retry_item(self.storage, self.jobs, item,
                                     reason=f"automatic retry {item.attempt} of "
                                            f"{item.max_retries}")
            except Exception:  # the others are retried all the same
                logger.exception("retrying item %s of queue %r failed; trying again",
                                 item.id, item.queue_name)
                continue
            if outcome is not None:
                retried.append(outcome)
        if retried and self.on_queued is not None:
            self.on_queued()
        return retried

    async def run_forever(self) -> None:
        """Retry due items until canceled; a failing pass is logged and tried again."""
        while True:
            try:
                await asyncio.to_thread(self.retry_due)
            except Exception:
                logger.exception("retrying due queue items failed; trying again")
            await asyncio.sleep(self.interval)
