"""Executes one run: starts it, sets up its resources, runs its graph, records its end.

The graph's scheduling is `run_graph.RunGraph`, one step's attempts
`step_attempt.StepRunner`; this module holds the run's lifecycle and its records: every
step transition and log line goes through one `StepRecorder`, and the run's final
status is stored with the last of them in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from daggo_core.definitions.jobs import JobDefinition
from daggo_core.execution.capture import capturing
from daggo_core.execution.error_info import error_info
from daggo_core.execution.recorder import StepRecorder
from daggo_core.execution.reexecution import ReexecutionPlan, plan_reexecution
from daggo_core.execution.run_graph import RunGraph
from daggo_core.execution.step_attempt import LogEmitter, RunStop, StepRunner
from daggo_core.resources import ResourceSetupError, open_resources
from daggo_core.serde import structure, unstructure
from daggo_core.storage.base import StepWrites, Storage
from daggo_core.storage.records import (
    REEXECUTE_TAG,
    ErrorInfo,
    ErrorSource,
    Event,
    EventKind,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
    utcnow,
)

uvloop: ModuleType | None
try:  # imported with the engine, not on the first run
    import uvloop
except ImportError:  # Windows
    uvloop = None

__all__ = ["DEFAULT_MAX_CONCURRENT_STEPS", "RunWorker"]

logger = logging.getLogger("daggo.worker")
DEFAULT_MAX_CONCURRENT_STEPS = 8


class RunWorker:
    """Runs the steps of `run` (a run of `job`) and records every transition.

    A step starts once all its upstream steps succeeded, up to `max_concurrent_steps` at
    a time; a step whose upstream failed is SKIPPED. Async ops run on the worker's event
    loop, sync ops on threads. Failed attempts are retried per the op's RetryPolicy; op
    and run timeouts fail what overruns. `resources` that are `daggo_core.Resource`s are
    opened for the run and torn down after its last step. `cancel()` (from any thread)
    stops new steps, cancels running async steps and sets the cancel event sync steps can
    watch; the run then ends CANCELED and no step of it is recorded SUCCESS afterwards.
    """

    def __init__(
        self,
        job: JobDefinition,
        run: Run,
        storage: Storage,
        *,
        params: Any = None,
        resources: Mapping[str, Any] | None = None,
        max_concurrent_steps: int | None = None,
        run_timeout: float | None = None,
        stop_grace_seconds: float = 10.0,
    ) -> None:
        self.job = job
        self.run = run
        self.storage = storage
        self.params = params
        self.resources: Mapping[str, Any] = dict(resources or {})
        self.max_concurrent_steps = (
            job.max_concurrent_steps or max_concurrent_steps or DEFAULT_MAX_CONCURRENT_STEPS
        )
        self.run_timeout = job.timeout or run_timeout
        self.stop_grace_seconds = stop_grace_seconds
        self.outputs: dict[str, Any] = {}
        self.steps: dict[str, StepRecord] = {}
        self.stop = RunStop()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._graph = RunGraph(job, self.max_concurrent_steps)
        self._runner: StepRunner | None = None
        self._recorder: StepRecorder | None = None
        self._abandon_scheduled = False

    # -- control ---------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the run to stop (thread-safe); it ends CANCELED once running steps return."""
        self.stop.request_cancel()
        self._interrupt()

    def _interrupt(self) -> None:
        """Stop running steps now; abandon those still running after the grace period."""
        runner, loop = self._runner, self._loop
        if runner is not None:
            runner.interrupt()
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._schedule_abandon)

    def _schedule_abandon(self) -> None:
        if not self._abandon_scheduled and self._loop is not None:
            self._abandon_scheduled = True
            self._loop.call_later(self.stop_grace_seconds, self._graph.abandon)

    def _on_run_timeout(self) -> None:
        self.stop.time_out()
        self._interrupt()

    def execute(self) -> Run:
        """Execute the run to a terminal status and return the final Run."""
        try:
            asyncio.get_running_loop()
            in_loop_thread = True
        except RuntimeError:
            in_loop_thread = False
        if not in_loop_thread:
            with capturing():
                final: Run = _run_loop(self._execute())
                return final
        # Called from a thread that runs an event loop: execute on a thread of our own.
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["run"] = self.execute()
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=target, name=f"daggo-run-{self.run.id[:8]}")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        run: Run = outcome["run"]
        return run

    # -- the run ---------------------------------------------------------------

    async def _execute(self) -> Run:
        loop = self._loop = asyncio.get_running_loop()
        self.stop.bind(loop)
        event = Event(run_id=self.run.id, kind=EventKind.RUN_STARTED, level="INFO",
                      message="run started")
        started = self.storage.start_run(self.run.id, [event])
        if started is None:  # not STARTING: started elsewhere, canceled or re-queued
            self.run = self.storage.get_run(self.run.id)
            return self.run
        self.run = started
        if self.run.cancel_requested:
            self.stop.request_cancel()
        self._runner = StepRunner(self, loop, self.max_concurrent_steps)
        self._recorder = StepRecorder(self.storage)
        try:
            with contextlib.ExitStack() as resources:
                failure = self._prepare_reexecution()
                if failure is None:
                    failure = await self._run_graph_with(resources)
            return self._finish(failure)
        finally:
            # Sync steps still running (timed out, ignoring cancellation) are abandoned.
            self._runner.close()
            self._recorder.close()

    async def _run_graph_with(self, resources: contextlib.ExitStack) -> ErrorInfo | None:
        """Open the run's resources on `resources`, then run the graph; the failure that
        ends the run, if any (resources are torn down when `resources` closes)."""
        try:
            self.resources = open_resources(self.resources, resources,
                                            self._record_teardown_error)
        except ResourceSetupError as exc:
            for name in self.job.order:
                if name not in self.steps:
                    self.record(StepRecord(run_id=self.run.id, step_key=name,
                                           status=StepStatus.SKIPPED, finished_at=utcnow()),
                                EventKind.STEP_SKIPPED, f"step {name} not started: {exc}")
            return error_info(exc)
        try:
            await self._run_graph()
        except Exception as exc:
            return error_info(exc)
        return None

    def _prepare_reexecution(self) -> ErrorInfo | None:
        mode = self.run.tags.get(REEXECUTE_TAG)
        if not mode or not self.run.parent_run_id:
            return None
        try:
            plan = plan_reexecution(self.job, self.run.parent_run_id,
                                    self.storage.list_steps(self.run.parent_run_id), mode)
            self._reuse(plan)
        except Exception as exc:
            return error_info(exc)
        return None

    def _reuse(self, plan: ReexecutionPlan) -> None:
        for name in self.job.order:
            if name in plan.reuse:
                op = self.job.ops[name]
                self.outputs[name] = structure(plan.reuse[name], op.output_type)
                self.record(StepRecord(run_id=self.run.id, step_key=name,
                                       status=StepStatus.SUCCESS, output=plan.reuse[name]),
                            EventKind.STEP_OUTPUT_REUSED,
                            f"step {name}: output reused from run {plan.parent_run_id}")
            elif name not in plan.execute:
                self.record(StepRecord(run_id=self.run.id, step_key=name,
                                       status=StepStatus.SKIPPED, finished_at=utcnow()),
                            EventKind.STEP_SKIPPED, f"step {name}: not selected for re-execution")

    async def _run_graph(self) -> None:
        loop, runner = self._loop, self._runner
        assert loop is not None and runner is not None
        timer = (None if self.run_timeout is None
                 else loop.call_later(self.run_timeout, self._on_run_timeout))
        try:
            await self._graph.execute(runner.run, settled=self.steps, succeeded=self.outputs,
                                      stopping=lambda: self.stop.stopping,
                                      on_abandoned=self._record_abandoned)
        finally:
            if timer is not None:
                timer.cancel()
        for name in self.job.order:
            if name not in self.steps:
                self._record_not_run(name)

    def _finish(self, failure: ErrorInfo | None) -> Run:
        all_succeeded = all(
            self.steps.get(n) and self.steps[n].status is StepStatus.SUCCESS
            for n in self.job.order
        )
        if self.stop.cancel_requested.is_set() and not all_succeeded:
            return self._set_status(RunStatus.CANCELED, EventKind.RUN_CANCELED, "run canceled")
        if failure is None and self.stop.timed_out:
            failure = ErrorInfo(type="RunTimeout",
                                message=f"run exceeded its timeout of {self.run_timeout} s")
        failed = [k for k, s in self.steps.items() if s.status is StepStatus.FAILURE]
        if failure is None and failed:
            failure = ErrorInfo(type="StepFailure", message=f"steps failed: {', '.join(failed)}",
                                source=ErrorSource.USER)
        if failure is not None:
            return self._set_status(RunStatus.FAILURE, EventKind.RUN_FAILURE,
                                    f"run failed: {failure.message}", error=failure)
        return self._set_status(RunStatus.SUCCESS, EventKind.RUN_SUCCESS, "run succeeded")

    def _record_abandoned(self, name: str) -> None:
        step = self.steps.get(name)
        self.record(StepRecord(run_id=self.run.id, step_key=name, status=StepStatus.CANCELED,
                               attempt=step.attempt if step else 1,
                               started_at=step.started_at if step else None,
                               finished_at=utcnow()),
                    EventKind.STEP_CANCELED,
                    f"step {name} abandoned: still running {self.stop_grace_seconds} s "
                    f"after the {self.stop.reason}")

    def _record_not_run(self, name: str) -> None:
        stop = self.stop
        step = StepRecord(run_id=self.run.id, step_key=name, finished_at=utcnow(),
                          status=StepStatus.CANCELED if stop.stopping else StepStatus.SKIPPED)
        if stop.stopping:
            self.record(step, EventKind.STEP_CANCELED,
                        f"step {name} not started: {stop.reason}")
        else:
            blocked = [u for u in self.job.upstream(name) if u not in self.outputs]
            self.record(step, EventKind.STEP_SKIPPED,
                        f"step {name} skipped: upstream {', '.join(blocked)} did not succeed")

    def _record_teardown_error(self, name: str, exc: BaseException) -> None:
        assert self._recorder is not None
        self._recorder.add_events([Event(
            run_id=self.run.id, kind=EventKind.LOG, level="ERROR",
            message=f"resource {name!r} failed to tear down: {type(exc).__name__}: {exc}",
            data={"error": unstructure(error_info(exc))})])

    # -- recording (the StepHost of the step runner) ----------------------------

    def log_emitter(self, step_key: str) -> LogEmitter:
        """Where step `step_key`'s log lines go: its events, through the recorder."""
        def emit(level: str, message: str, data: dict[str, Any] | None = None) -> None:
            event = Event(run_id=self.run.id, kind=EventKind.LOG, step_key=step_key,
                          level=level, message=message, data=_jsonable(data or {}))
            assert self._recorder is not None
            self._recorder.add_events([event])

        return emit

    def record(self, step: StepRecord, kind: EventKind, message: str,
               data: dict[str, Any] | None = None) -> None:
        """Queue a step transition and its event for storage."""
        level = "ERROR" if kind is EventKind.STEP_FAILURE else "INFO"
        event = Event(run_id=self.run.id, kind=kind, step_key=step.step_key, level=level,
                      message=message, data=data or {},
                      timestamp=step.finished_at or step.started_at or utcnow())
        assert self._recorder is not None
        self._recorder.record_step(step, [event])
        self.steps[step.step_key] = step

    def _set_status(self, status: RunStatus, kind: EventKind, message: str,
                    error: ErrorInfo | None = None,
                    expected: tuple[RunStatus, ...] = (RunStatus.STARTED,)) -> Run:
        level = "ERROR" if status is RunStatus.FAILURE else "INFO"
        event = Event(run_id=self.run.id, kind=kind, level=level, message=message)

        def store(steps: StepWrites | None = None) -> Run:
            return self.storage.set_run_status(self.run.id, status, error=error,
                                               events=[event], expected=expected, steps=steps)

        # The last steps and events go in the status change's transaction.
        self.run = store() if self._recorder is None else self._recorder.store_with(store)
        return self.run


def _run_loop(main: Any) -> Any:
    """Run `main` on a new event loop; tasks still pending at the end are not awaited.

    `asyncio.run` would cancel and then wait for every leftover task, so one op that
    swallows its cancellation would hold the run forever.
    """
    loop = _new_event_loop()
    try:
        return loop.run_until_complete(main)
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (every platform but Windows): a step
    costs its loop a fifth less than on asyncio's own loop, which is the fallback."""
    if uvloop is None:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    try:
        value = unstructure(data)
        json.dumps(value)
        return dict(value)
    except (TypeError, ValueError):
        return {key: repr(value) for key, value in data.items()}
