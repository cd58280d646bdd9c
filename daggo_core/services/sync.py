"""Storing what the app's code defines: job, queue and asset snapshots and the
schedules' bookkeeping."""

from __future__ import annotations

from typing import Protocol

from daggo_core.definitions.definitions import Definitions
from daggo_core.scheduling.scheduler import code_schedules
from daggo_core.storage.asset_records import AssetRecord
from daggo_core.storage.asset_storage import AssetStorage
from daggo_core.storage.base import JobStorage, QueueStorage, ScheduleStorage
from daggo_core.storage.records import JobRecord, QueueRecord

__all__ = ["asset_records", "job_records", "sync_definitions"]


class _SyncTarget(JobStorage, ScheduleStorage, QueueStorage, AssetStorage, Protocol):
    """What syncing writes to."""


def asset_records(definitions: Definitions) -> list[AssetRecord]:
    """The metadata rows of every asset of `definitions`."""
    return [AssetRecord(key=node.key, description=node.spec.description,
                        group=node.spec.group, job_name=node.job_name,
                        op_name=node.op_name, snapshot=node.snapshot())
            for node in definitions.asset_graph.nodes.values()]


def job_records(definitions: Definitions) -> list[JobRecord]:
    """The metadata rows of every job in `definitions`."""
    return [JobRecord(name=job.name, description=job.description, snapshot=job.snapshot())
            for job in definitions.jobs]


def sync_definitions(storage: _SyncTarget, definitions: Definitions) -> None:
    """Store the jobs, queues and assets of `definitions` as the active set (others
    become inactive) and clear the bookkeeping of schedules no longer in code (their runs
    stay)."""
    storage.sync_jobs(job_records(definitions))
    storage.sync_assets(asset_records(definitions))
    storage.sync_queues([QueueRecord(name=queue.name, description=queue.description,
                                     snapshot=queue.snapshot())
                         for queue in definitions.queues])
    storage.delete_schedule_bookkeeping(code_schedules(definitions.jobs_by_name))
