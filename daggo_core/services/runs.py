"""Launching, listing and inspecting runs; jobs' metadata sync."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from daggo_core.definitions.definitions import Definitions
from daggo_core.errors import DaggoError, JobNotFoundError, ParamsError
from daggo_core.execution.reexecution import FROM_FAILURE, REEXECUTE_TAG, plan_reexecution
from daggo_core.storage.base import Storage
from daggo_core.storage.records import (
    Event,
    EventKind,
    JobRecord,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
)

__all__ = [
    "RunDetail",
    "StepView",
    "cancel_run",
    "get_run_detail",
    "job_records",
    "launch_run",
    "reexecute_run",
    "sync_jobs",
]


def job_records(definitions: Definitions) -> list[JobRecord]:
    """The metadata rows of every job in `definitions`."""
    return [
        JobRecord(name=job.name, description=job.description, snapshot=job.snapshot())
        for job in definitions.jobs
    ]


def sync_jobs(storage: Storage, definitions: Definitions) -> None:
    """Store the jobs defined in code as the active set (others become inactive)."""
    storage.sync_jobs(job_records(definitions))


def launch_run(
    storage: Storage,
    job_name: str,
    params: Mapping[str, Any] | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    definitions: Definitions | None = None,
) -> Run:
    """Queue a run of `job_name` for the coordinator and return it (status QUEUED).

    Params are validated against the job's Params class when the definitions are at
    hand, else against the field list stored with the job's metadata.
    """
    if definitions is not None and job_name in definitions.jobs_by_name:
        job = definitions.jobs_by_name[job_name]
        stored_params = job.params_dict(params)
    else:
        record = storage.get_job(job_name)
        if record is None or not record.active:
            known = ", ".join(j.name for j in storage.list_jobs()) or "none"
            raise JobNotFoundError(f"no job named {job_name!r} (known jobs: {known})")
        stored_params = _check_params_against_snapshot(record, dict(params or {}))
    run = Run(job_name=job_name, status=RunStatus.QUEUED, params=stored_params,
              tags=dict(tags or {}))
    return storage.add_run(run, [Event(run_id=run.id, kind=EventKind.RUN_QUEUED, level="INFO",
                                       message="run queued")])


def cancel_run(storage: Storage, run_id: str) -> Run:
    """Cancel a run: a QUEUED one ends CANCELED now; an active one is flagged for its worker.

    The worker sees the flag on its next heartbeat and stops the run; a finished run is
    returned unchanged.
    """
    return storage.request_cancel(run_id)


def reexecute_run(
    storage: Storage,
    run_id: str,
    *,
    step: str | None = None,
    definitions: Definitions | None = None,
) -> Run:
    """Queue a re-execution of a finished run: from its failed steps, or from `step`.

    The new run has the same params and tags, links to the parent through
    `parent_run_id`, and reuses the parent's stored outputs for the steps it does not run
    again. The plan is checked now when the job's code is at hand (else by the worker).
    """
    parent = storage.get_run(run_id)
    if not parent.is_finished:
        raise DaggoError(f"run {run_id} is {parent.status}; only finished runs can be "
                         "re-executed")
    mode = FROM_FAILURE if step is None else f"step:{step}"
    if definitions is not None and parent.job_name in definitions.jobs_by_name:
        plan_reexecution(definitions.jobs_by_name[parent.job_name], parent.id,
                         storage.list_steps(parent.id), mode)
    tags = {k: v for k, v in parent.tags.items() if not k.startswith("daggo/")}
    tags[REEXECUTE_TAG] = mode
    run = Run(job_name=parent.job_name, params=parent.params, tags=tags,
              parent_run_id=parent.id)
    message = f"re-execution of run {parent.id} " + (
        "from failure" if step is None else f"from step {step}")
    return storage.add_run(run, [Event(run_id=run.id, kind=EventKind.RUN_QUEUED, level="INFO",
                                       message=message)])


def _check_params_against_snapshot(record: JobRecord, params: dict[str, Any]) -> dict[str, Any]:
    fields = {f["name"]: f for f in record.snapshot.get("params", [])}
    problems = [f"unknown param {name!r}" for name in params if name not in fields]
    problems += [f"missing required param {name!r}" for name, f in fields.items()
                 if f["required"] and name not in params]
    if problems:
        raise ParamsError(f"invalid params for job {record.name!r}: {'; '.join(problems)}")
    return params


@frozen(kw_only=True)
class StepView:
    """A step as shown to users: the stored record, or PENDING when not started yet."""

    key: str
    status: StepStatus
    record: StepRecord | None


@frozen(kw_only=True)
class RunDetail:
    """A run with its steps in the job's order and its event log."""

    run: Run
    steps: Sequence[StepView]
    events: Sequence[Event]


def get_run_detail(storage: Storage, run_id: str, *, event_limit: int = 1000) -> RunDetail:
    """The run, every step of its job (pending ones included) and its first events."""
    run = storage.get_run(run_id)
    recorded = {s.step_key: s for s in storage.list_steps(run_id)}
    record = storage.get_job(run.job_name)
    order = [op["name"] for op in record.snapshot.get("ops", [])] if record else []
    order += [key for key in recorded if key not in order]
    steps = [
        StepView(key=key, status=recorded[key].status if key in recorded else StepStatus.PENDING,
                 record=recorded.get(key))
        for key in order
    ]
    return RunDetail(run=run, steps=steps,
                     events=storage.list_events(run_id, limit=event_limit))
