"""The Celery application both sides use: the server publishes runs with it, workers
consume them.

A message carries a run's id, the attempt it was claimed in and the process that
claimed it; its task id is `<run id>-<attempt>`, so a duplicate publish is visibly the
same message. Acknowledged late, after the run: a worker lost before it takes the run
over hands the message back to the broker, and another worker takes the run. Whatever
the broker delivers, daggo's claim decides whether anything executes
(`ClaimedRun.take`: the run must still be STARTING, in that attempt, recorded to the
claimer; then only one `start_run` of the attempt succeeds).
"""

from __future__ import annotations

from celery import Celery

from daggo_celery.config import CeleryConfig

__all__ = ["TASK", "make_celery", "task_id"]

#: The name of the task that executes a run.
TASK = "daggo.execute_run"


def task_id(run_id: str, attempt: int) -> str:
    """The Celery task id of the message for attempt `attempt` of `run_id`."""
    return f"{run_id}-{attempt}"


def make_celery(config: CeleryConfig) -> Celery:
    """A Celery app on the configured broker, set up for daggo's runs."""
    app = Celery("daggo", broker=config.broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a busy worker holds no run another could start
        task_default_queue=config.default_queue,
        broker_transport_options={"visibility_timeout": config.visibility_timeout_seconds},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app
