"""Executes one run's steps in dependency order, recording every transition in storage."""

from __future__ import annotations

import asyncio
import json
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from daggo_core.context import Context, StepLog
from daggo_core.definitions.jobs import JobDefinition, Wiring
from daggo_core.serde import unstructure
from daggo_core.storage.base import Storage
from daggo_core.storage.records import (
    ErrorInfo,
    Event,
    EventKind,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
    utcnow,
)

__all__ = ["RunWorker", "error_info"]

EventCallback = Callable[[Run, Event], None]


def error_info(exc: BaseException, *, skip_frames: int = 0) -> ErrorInfo:
    """Capture an exception as ErrorInfo, dropping the first `skip_frames` frames (ours)."""
    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    return ErrorInfo(
        type=f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
        message=str(exc),
        traceback="".join(traceback.format_exception(type(exc), exc, tb)),
    )


class RunWorker:
    """Runs the steps of `run` (a run of `job`) one after another in topological order.

    A step runs once all its upstream steps succeeded; otherwise it is SKIPPED. Async ops
    run on an event loop owned by the worker; sync ops are called directly.
    """

    def __init__(
        self,
        job: JobDefinition,
        run: Run,
        storage: Storage,
        *,
        params: Any = None,
        resources: Mapping[str, Any] | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self.job = job
        self.run = run
        self.storage = storage
        self.params = params
        self.resources = dict(resources or {})
        self.on_event = on_event
        self.outputs: dict[str, Any] = {}
        self.steps: dict[str, StepRecord] = {}
        self.cancel_requested = threading.Event()
        self._runner: asyncio.Runner | None = None

    def cancel(self) -> None:
        """Ask the run to stop: no new step starts; the run ends CANCELED."""
        self.cancel_requested.set()

    def execute(self) -> Run:
        """Execute the run to a terminal status and return the final Run."""
        self._set_status(RunStatus.STARTED, EventKind.RUN_STARTED, "run started")
        try:
            for name in self.job.order:
                self._run_step(name)
        finally:
            if self._runner is not None:
                self._runner.close()
        failed = [k for k, s in self.steps.items() if s.status is StepStatus.FAILURE]
        if self.cancel_requested.is_set():
            return self._set_status(RunStatus.CANCELED, EventKind.RUN_CANCELED, "run canceled")
        if failed:
            error = ErrorInfo(type="StepFailure", message=f"steps failed: {', '.join(failed)}")
            return self._set_status(RunStatus.FAILURE, EventKind.RUN_FAILURE,
                                    f"run failed: {', '.join(failed)} failed", error=error)
        return self._set_status(RunStatus.SUCCESS, EventKind.RUN_SUCCESS, "run succeeded")

    # -- steps ---------------------------------------------------------------

    def _run_step(self, name: str) -> None:
        if self.cancel_requested.is_set():
            self._record(StepRecord(run_id=self.run.id, step_key=name,
                                    status=StepStatus.CANCELED, finished_at=utcnow()),
                         EventKind.STEP_SKIPPED, f"step {name} not started: run canceled")
            return
        upstream = self.job.upstream(name)
        blocked = [u for u in upstream if u not in self.outputs]
        if blocked:
            self._record(StepRecord(run_id=self.run.id, step_key=name,
                                    status=StepStatus.SKIPPED, finished_at=utcnow()),
                         EventKind.STEP_SKIPPED,
                         f"step {name} skipped: upstream {', '.join(blocked)} did not succeed")
            return
        op = self.job.ops[name]
        inp = self._build_input(name)
        started = utcnow()
        self._record(StepRecord(run_id=self.run.id, step_key=name,
                                status=StepStatus.RUNNING, started_at=started),
                     EventKind.STEP_STARTED, f"step {name} started")
        ctx = Context(
            run_id=self.run.id, job_name=self.job.name, op_name=name, params=self.params,
            resources=self.resources, tags=self.run.tags,
            log=StepLog(name, self._log_emitter(name)),
        )
        try:
            output = self._loop().run(op.fn(ctx, inp)) if op.is_async else op.fn(ctx, inp)
            if not isinstance(output, op.output_type):
                raise TypeError(
                    f"op {name!r} returned {type(output).__name__}, "
                    f"expected {op.output_type.__name__}"
                )
            stored = unstructure(output)
        except Exception as exc:
            error = error_info(exc, skip_frames=1)
            self._record(StepRecord(run_id=self.run.id, step_key=name, status=StepStatus.FAILURE,
                                    started_at=started, finished_at=utcnow(), error=error),
                         EventKind.STEP_FAILURE,
                         f"step {name} failed: {error.type}: {error.message}",
                         data={"error": unstructure(error)})
            return
        self.outputs[name] = output
        finished = utcnow()
        self._record(StepRecord(run_id=self.run.id, step_key=name, status=StepStatus.SUCCESS,
                                started_at=started, finished_at=finished, output=stored),
                     EventKind.STEP_SUCCESS, f"step {name} succeeded",
                     data={"duration_ms": round((finished - started).total_seconds() * 1000, 3)})

    def _build_input(self, name: str) -> Any:
        op = self.job.ops[name]
        if op.is_root:
            return op.input_type()
        values: dict[str, Any] = {}
        for binding in self.job.inputs[name]:
            if binding.wiring is Wiring.MANY:
                values[binding.field] = [self.outputs[p] for p in binding.producers]
            elif binding.wiring is Wiring.OPTIONAL:
                values[binding.field] = (
                    self.outputs[binding.producers[0]] if binding.producers else None
                )
            else:
                values[binding.field] = self.outputs[binding.producers[0]]
        return op.input_type(**values)

    def _loop(self) -> asyncio.Runner:
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner

    # -- recording -------------------------------------------------------------

    def _log_emitter(self, step_key: str) -> Callable[[str, str, dict[str, Any]], None]:
        def emit(level: str, message: str, data: dict[str, Any]) -> None:
            event = Event(run_id=self.run.id, kind=EventKind.LOG, step_key=step_key,
                          level=level, message=message, data=_jsonable(data))
            self.storage.add_events([event])
            self._notify([event])

        return emit

    def _record(self, step: StepRecord, kind: EventKind, message: str,
                data: dict[str, Any] | None = None) -> None:
        level = "ERROR" if kind is EventKind.STEP_FAILURE else "INFO"
        event = Event(run_id=self.run.id, kind=kind, step_key=step.step_key, level=level,
                      message=message, data=data or {}, timestamp=step.finished_at
                      or step.started_at or utcnow())
        self.storage.record_step(step, [event])
        self.steps[step.step_key] = step
        self._notify([event])

    def _set_status(self, status: RunStatus, kind: EventKind, message: str,
                    error: ErrorInfo | None = None) -> Run:
        level = "ERROR" if status is RunStatus.FAILURE else "INFO"
        event = Event(run_id=self.run.id, kind=kind, level=level, message=message)
        self.run = self.storage.set_run_status(self.run.id, status, error=error, events=[event])
        self._notify([event])
        return self.run

    def _notify(self, events: Sequence[Event]) -> None:
        if self.on_event is None:
            return
        for event in events:
            self.on_event(self.run, event)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    try:
        value = unstructure(data)
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {key: repr(value) for key, value in data.items()}

