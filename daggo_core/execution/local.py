"""`execute()`: run a job in this process, for unit tests and quick local runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from daggo_core.definitions.jobs import JobDefinition
from daggo_core.errors import DaggoError
from daggo_core.execution.run_worker import RunWorker
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus, StepRecord, StepStatus

__all__ = ["ExecuteResult", "ephemeral_storage", "execute", "start_run"]


@frozen(kw_only=True)
class ExecuteResult:
    """The outcome of `execute()`: the final run, its steps and the ops' outputs."""

    run: Run
    steps: Mapping[str, StepRecord]
    outputs: Mapping[str, Any]
    storage: Storage

    @property
    def success(self) -> bool:
        return self.run.status is RunStatus.SUCCESS

    @property
    def run_id(self) -> str:
        return self.run.id

    def step_status(self, op_name: str) -> StepStatus:
        """Status of the op's step (KeyError naming the known steps if there is none)."""
        if op_name not in self.steps:
            raise KeyError(f"no step {op_name!r} in this run (steps: {', '.join(self.steps)})")
        return self.steps[op_name].status

    def output_for(self, op_name: str) -> Any:
        """The value op `op_name` returned; KeyError if it did not succeed."""
        if op_name not in self.outputs:
            status = self.steps[op_name].status if op_name in self.steps else "not run"
            raise KeyError(f"op {op_name!r} has no output (step status: {status})")
        return self.outputs[op_name]

    def events(self) -> list[Event]:
        """The run's event log, oldest first."""
        return self.storage.list_events(self.run.id, limit=1_000_000)


def execute(
    job: JobDefinition,
    params: Any = None,
    storage: Storage | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    resources: Mapping[str, Any] | None = None,
    raise_on_error: bool = False,
    partition_key: str | None = None,
) -> ExecuteResult:
    """Run `job` once in this process and return its result.

    Uses a private in-memory SQLite storage unless `storage` is given. With
    `raise_on_error`, a failed run raises DaggoError carrying the first step error.
    A partitioned job runs for `partition_key` (or a "first...last" range).
    """
    if storage is None:
        storage = ephemeral_storage()
    _, worker = start_run(job, params, storage, tags=tags, resources=resources,
                          partition_key=partition_key)
    final = worker.execute()
    result = ExecuteResult(run=final, steps=dict(worker.steps), outputs=dict(worker.outputs),
                           storage=storage)
    if raise_on_error and not result.success:
        failed = next((s for s in worker.steps.values() if s.error), None)
        detail = f"{failed.step_key}: {failed.error.type}: {failed.error.message}" if failed and \
            failed.error else final.status.value
        raise DaggoError(f"run {final.id} of job {job.name!r} failed: {detail}")
    return result


def start_run(
    job: JobDefinition,
    params: Any,
    storage: Storage,
    *,
    tags: Mapping[str, str] | None = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
) -> tuple[Run, RunWorker]:
    """Validate params, store a new STARTING run and return it with its (unstarted) worker."""
    params_value = job.make_params(params)
    run = Run(job_name=job.name, status=RunStatus.STARTING,
              params=job.params_dict(params_value), tags=dict(tags or {}),
              partition_key=partition_key)
    storage.add_run(run, [Event(run_id=run.id, kind=EventKind.RUN_STARTING, level="INFO",
                                message="run started in process")])
    return run, RunWorker(job, run, storage, params=params_value, resources=resources)


def ephemeral_storage() -> Storage:
    """A fresh private storage from the default storage backend (in-memory SQLite)."""
    from daggo_core.config import DatabaseConfig
    from daggo_core.plugins import make_plugin_manager

    driver = DatabaseConfig().driver
    backend = make_plugin_manager().storage_backend(driver)
    if backend.ephemeral is None:
        raise DaggoError(f"storage backend {driver!r} has no ephemeral mode; pass storage=")
    storage = backend.ephemeral()
    storage.warm_up()
    return storage
