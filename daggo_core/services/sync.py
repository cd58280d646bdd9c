"""Storing what the app's code defines: job and queue snapshots and the schedules'
bookkeeping."""

from __future__ import annotations

from typing import Protocol

from daggo_core.definitions.definitions import Definitions
from daggo_core.scheduling.scheduler import code_schedules
from daggo_core.storage.base import JobStorage, QueueStorage, ScheduleStorage
from daggo_core.storage.records import JobRecord, QueueRecord

__all__ = ["job_records", "sync_definitions"]


class _SyncTarget(JobStorage, ScheduleStorage, QueueStorage, Protocol):
    """What syncing writes to."""


def job_records(definitions: Definitions) -> list[JobRecord]:
    """The metadata rows of every job in `definitions`."""
    return [JobRecord(name=job.name, description=job.description, snapshot=job.snapshot())
            for job in definitions.jobs]


def sync_definitions(storage: _SyncTarget, definitions: Definitions) -> None:
    """Store the jobs and queues of `definitions` as the active set (others become
    inactive) and clear the bookkeeping of schedules no longer in code (their runs stay)."""
    storage.sync_jobs(job_records(definitions))
    storage.sync_queues([QueueRecord(name=queue.name, description=queue.description,
                                     snapshot=queue.snapshot())
                         for queue in definitions.queues])
    storage.delete_schedule_bookkeeping(code_schedules(definitions.jobs_by_name))
