"""Which Celery queue a run goes to: by job, then by tag, then the default queue."""

from __future__ import annotations

from daggo_celery.config import CeleryConfig
from daggo_core.storage.records import Run

__all__ = ["queue_for"]


def queue_for(run: Run, config: CeleryConfig) -> str:
    """The queue of `run`'s job in `job_queues`, else that of the first of its tags
    (sorted by key) in `tag_queues`, else `default_queue`."""
    by_job = config.job_queues.get(run.job_name)
    if by_job is not None:
        return by_job
    for key in sorted(run.tags):
        by_tag = config.tag_queues.get(f"{key}={run.tags[key]}")
        if by_tag is not None:
            return by_tag
    return config.default_queue
