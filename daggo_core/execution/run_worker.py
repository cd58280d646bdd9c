"""Executes one run: starts it, sets up its resources, runs its graph, records its end.

The graph's scheduling is `run_graph.RunGraph`, one step's attempts
`step_attempt.StepRunner`; this module holds the run's lifecycle and its records: every
step transition and log line goes through one `StepRecorder`, and the run's final
status is stored with the last of them in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from daggo_core.config import ExecutionConfig
from daggo_core.context import RunPartition
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.errors import AttemptSupersededError, DaggoError, StorageError
from daggo_core.execution.capture import StepOutput, capturing
from daggo_core.execution.error_info import error_info
from daggo_core.execution.log_limits import LogLimits, RunLogBudget
from daggo_core.execution.recorder import StepRecorder
from daggo_core.execution.reexecution import ReexecutionPlan, plan_reexecution
from daggo_core.execution.run_assets import AssetRecording, resolve_partition, sourced_outputs
from daggo_core.execution.run_graph import RunGraph
from daggo_core.execution.run_monitor import RUN_TIMEOUT
from daggo_core.execution.step_attempt import RunStop, StepRunner
from daggo_core.queue_context import QueueMeta
from daggo_core.resources import ResourceSetupError, open_resources
from daggo_core.serde import structure, unstructure
from daggo_core.storage.asset_records import CheckResultRecord
from daggo_core.storage.base import Fence, StepWrites, Storage
from daggo_core.storage.records import (
    REEXECUTE_TAG,
    ErrorInfo,
    ErrorSource,
    Event,
    EventKind,
    QueueItem,
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

__all__ = ["DEFAULT_MAX_CONCURRENT_STEPS", "STORAGE_UNREACHABLE", "RunWorker"]

logger = logging.getLogger("daggo.worker")
DEFAULT_MAX_CONCURRENT_STEPS = 8
#: ErrorInfo.type of a run stopped because the database stayed unreachable.
STORAGE_UNREACHABLE = "StorageUnreachable"
_DEFAULTS = ExecutionConfig()


class RunWorker:
    """Runs the steps of `run` (a run of `job`) and records every transition.

    A step starts once all its upstream steps succeeded, up to `max_concurrent_steps` at
    a time; a step whose upstream failed is SKIPPED. Async ops run on the worker's event
    loop, sync ops on threads. Failed attempts are retried per the op's RetryPolicy; op
    and run timeouts fail what overruns, abandoning what still runs
    `timeout_grace_seconds` later. Captured output is kept within `log_limits`.
    `resources` that are `daggo_core.Resource`s are opened for the run and torn down
    after its last step. `cancel()` (from any thread)
    stops new steps, cancels running async steps and sets the cancel event sync steps can
    watch, and abandons steps still running `cancel_grace_seconds` later; the run then
    ends CANCELED and no step of it is recorded SUCCESS afterwards.
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
        cancel_grace_seconds: float = _DEFAULTS.cancel_grace_seconds,
        timeout_grace_seconds: float = _DEFAULTS.timeout_grace_seconds,
        log_limits: LogLimits | None = None,
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
        self.cancel_grace_seconds = cancel_grace_seconds
        self.timeout_grace_seconds = timeout_grace_seconds
        self.log_limits = log_limits or LogLimits.of(_DEFAULTS)
        self._log_budget = RunLogBudget(run.id, self.log_limits)
        self.outputs: dict[str, Any] = {}
        self.steps: dict[str, StepRecord] = {}
        self.stop = RunStop()
        #: The queue item the run executes (read when the run starts), if any.
        self.queue: QueueMeta | None = None
        #: The partitions the run covers (resolved when it starts), if any.
        self.partition: RunPartition | None = None
        self._assets: AssetRecording | None = None
        self.fence = Fence(run.id, run.attempt)
        #: Set once storage refused a write of this attempt: nothing more is recorded.
        self.superseded = False
        #: Set once the steps are done and the run's end is being stored.
        self.ending = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._graph = RunGraph(job, self.max_concurrent_steps)
        self._runner: StepRunner | None = None
        self._recorder: StepRecorder | None = None
        self._abandon_at: float | None = None  # loop time running steps are abandoned at
        self._abandoned_after = ""  # why, for their events: "2 s after the run timed out"

    # -- control ---------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the run to stop (thread-safe); it ends CANCELED once running steps return,
        or `cancel_grace_seconds` later, when those still running are abandoned."""
        self.stop.request_cancel()
        self._interrupt(self.cancel_grace_seconds)

    def _interrupt(self, grace: float) -> None:
        """Stop running steps now; abandon those still running `grace` seconds later."""
        runner, loop = self._runner, self._loop
        if runner is not None:
            runner.interrupt()
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._schedule_abandon, grace, self.stop.reason)

    def _schedule_abandon(self, grace: float, reason: str) -> None:
        """Abandon running steps in `grace` seconds, unless an earlier stop (a timeout
        before a cancel, say) already set a sooner deadline."""
        assert self._loop is not None
        deadline = self._loop.time() + grace
        if self._abandon_at is None or deadline < self._abandon_at:
            self._abandon_at = deadline
            self._abandoned_after = f"{grace:g} s after the {reason}"
            self._loop.call_at(deadline, self._abandon, deadline)

    def _abandon(self, deadline: float) -> None:
        if deadline == self._abandon_at:  # not superseded by a sooner deadline
            self._graph.abandon()

    def _on_run_timeout(self) -> None:
        self.stop.time_out()
        self._interrupt(self.timeout_grace_seconds)

    def supersede(self, why: str) -> None:
        """Stop at once and record nothing more (thread-safe): this attempt of the run is
        no longer the current one (claimed again, or ended elsewhere)."""
        if not self.superseded:
            logger.warning("run %s: %s; stopping its steps", self.run.id, why)
        self.superseded = True
        self.stop.request_cancel()
        self._interrupt(0.0)

    def flush_records(self) -> None:
        """Store what the run's recorder holds (from any thread; errors are logged): for
        a worker about to give up on a run its loop cannot end."""
        recorder = self._recorder
        if recorder is not None:
            try:
                recorder.flush()
            except DaggoError:
                logger.exception("run %s: storing its last steps and events failed",
                                 self.run.id)

    def _on_superseded(self, error: AttemptSupersededError) -> None:
        self.supersede(str(error))

    def _on_storage_lost(self, error: StorageError) -> None:
        """The database stayed unreachable for its retry window: stop, fail the run."""
        self.stop.lose_storage(str(error))
        self._interrupt(self.cancel_grace_seconds)

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
        started = self.storage.start_run(self.run.id, [event], attempt=self.fence.attempt)
        if started is None:  # not STARTING: started elsewhere, canceled, claimed again
            self.run = self.storage.get_run(self.run.id)
            return self.run
        self.run = started
        if started.queue_item_id is not None:
            self.queue = _queue_meta(self.storage.get_item(started.queue_item_id))
        if self.run.cancel_requested:
            self.stop.request_cancel()
        self._runner = StepRunner(self, loop, self.max_concurrent_steps)
        self._recorder = StepRecorder(self.storage, fence=self.fence,
                                      on_superseded=self._on_superseded,
                                      on_storage_lost=self._on_storage_lost)
        # The timeout counts from the run's start: setting up its resources is part of it.
        timer = (None if self.run_timeout is None
                 else loop.call_later(self.run_timeout, self._on_run_timeout))
        try:
            with contextlib.ExitStack() as resources:
                failure = self._prepare()
                if failure is None:
                    failure = await self._run_graph_with(resources)
            return self._finish(failure)
        except AttemptSupersededError:
            self.run = self.storage.get_run(self.run.id)
            return self.run
        finally:
            if timer is not None:
                timer.cancel()
            # Sync steps still running (timed out, ignoring cancellation) are abandoned.
            self._runner.close()
            with contextlib.suppress(AttemptSupersededError):
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

    def _prepare(self) -> ErrorInfo | None:
        """Resolve the run's partitions, then reuse a parent run's outputs (a
        re-execution) or load the values of the assets the job reads; the failure that
        ends the run before any step, if any."""
        try:
            self.partition = resolve_partition(self.job, self.run, self.storage)
            self._assets = AssetRecording(self.job, self.run, self.partition)
            mode = self.run.tags.get(REEXECUTE_TAG)
            if mode and self.run.parent_run_id:
                self._reuse(plan_reexecution(
                    self.job, self.run.parent_run_id,
                    self.storage.list_steps(self.run.parent_run_id), mode))
            self._load_sourced()
        except Exception as exc:
            return error_info(exc)
        return None

    def _load_sourced(self) -> None:
        """Load the values of the assets the job reads (those a re-execution did not
        reuse from its parent)."""
        for name, (output, from_run) in sourced_outputs(self.job, self.run, self.storage,
                                                        skip=self.outputs).items():
            self.outputs[name] = structure(output, self.job.ops[name].output_type)
            self.record(StepRecord(run_id=self.run.id, step_key=name,
                                   status=StepStatus.SUCCESS, output=output),
                        EventKind.STEP_OUTPUT_REUSED,
                        f"step {name}: value of asset {self.job.sourced[name]} loaded from "
                        f"run {from_run}")

    def _reuse(self, plan: ReexecutionPlan) -> None:
        for name in self.job.order:
            if name in plan.reuse:
                op = self.job.ops[name]
                self.outputs[name] = structure(plan.reuse[name], op.output_type)
                self.record(StepRecord(run_id=self.run.id, step_key=name,
                                       status=StepStatus.SUCCESS, output=plan.reuse[name]),
                            EventKind.STEP_OUTPUT_REUSED,
                            f"step {name}: output reused from run {plan.parent_run_id}")
            elif name not in plan.execute and name not in self.job.sourced:
                self.record(StepRecord(run_id=self.run.id, step_key=name,
                                       status=StepStatus.SKIPPED, finished_at=utcnow()),
                            EventKind.STEP_SKIPPED, f"step {name}: not selected for re-execution")

    async def _run_graph(self) -> None:
        runner = self._runner
        assert runner is not None
        await self._graph.execute(runner.run, settled=self.steps, succeeded=self.outputs,
                                  stopping=lambda: self.stop.stopping,
                                  on_abandoned=self._record_abandoned)
        for name in self.job.order:
            if name not in self.steps:
                self._record_not_run(name)

    def _finish(self, failure: ErrorInfo | None) -> Run:
        self.ending.set()
        if self.superseded:
            raise AttemptSupersededError(f"run {self.run.id}: attempt {self.fence.attempt} "
                                         "was superseded")
        all_succeeded = all(
            self.steps.get(n) and self.steps[n].status is StepStatus.SUCCESS
            for n in self.job.order
        )
        if self.stop.storage_lost is not None and not all_succeeded:
            failure = ErrorInfo(
                type=STORAGE_UNREACHABLE,
                message=f"the database was unreachable for longer than database."
                        f"retry_seconds, so the run was stopped: {self.stop.storage_lost}")
        elif self.stop.cancel_requested.is_set() and not all_succeeded:
            return self._set_status(RunStatus.CANCELED, EventKind.RUN_CANCELED, "run canceled")
        if failure is None and self.stop.timed_out:
            failure = ErrorInfo(type=RUN_TIMEOUT,
                                message=f"run exceeded its timeout of {self.run_timeout:g} s")
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
                    f"step {name} abandoned: still running {self._abandoned_after}")

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

    def publish_item_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Merge a step output's metadata into the run's queue item."""
        if self.queue is not None and not self.superseded:
            self.storage.merge_item_metadata(self.queue.item_id, metadata)

    def step_output(self, step_key: str) -> StepOutput:
        """Where step `step_key`'s output and log lines go: its events, within the run's
        log limits, through the recorder."""
        budget = self._log_budget

        def emit(level: str, message: str, data: dict[str, Any] | None = None) -> None:
            event = budget.event(step_key, level, message, data)
            if event is not None:
                assert self._recorder is not None
                self._recorder.add_events([event])

        return StepOutput(emit, self.log_limits.max_line_bytes)

    def record(self, step: StepRecord, kind: EventKind, message: str,
               data: dict[str, Any] | None = None,
               checks: Sequence[CheckResultRecord] = ()) -> None:
        """Queue a step transition and its event for storage, with what it does to the
        assets its op materializes and the results of their `checks`."""
        level = "ERROR" if kind is EventKind.STEP_FAILURE else "INFO"
        event = Event(run_id=self.run.id, kind=kind, step_key=step.step_key, level=level,
                      message=message, data=data or {},
                      timestamp=step.finished_at or step.started_at or utcnow())
        assert self._recorder is not None
        assets = None
        if self._assets is not None and kind is not EventKind.STEP_OUTPUT_REUSED:
            assets = self._assets.writes(step, final=kind is not EventKind.STEP_RETRY,
                                         checks=checks)
        self._recorder.record_step(step, [event], assets)
        self.steps[step.step_key] = step

    def _set_status(self, status: RunStatus, kind: EventKind, message: str,
                    error: ErrorInfo | None = None,
                    expected: tuple[RunStatus, ...] = (RunStatus.STARTED,)) -> Run:
        level = "ERROR" if status is RunStatus.FAILURE else "INFO"
        dropped, tally = self._log_budget.tally()
        event = Event(run_id=self.run.id, kind=kind, level=level, message=message + dropped,
                      data=tally)

        def store(steps: StepWrites | None = None) -> Run:
            return self.storage.set_run_status(self.run.id, status, error=error,
                                               events=[event], expected=expected, steps=steps,
                                               attempt=self.fence.attempt)

        # The last steps and events go in the status change's transaction; while the
        # database is unreachable, they wait for it (nothing of a run that ran is lost).
        while True:
            try:
                self.run = (store() if self._recorder is None
                            else self._recorder.store_with(store))
                return self.run
            except StorageError as exc:
                if not exc.transient:
                    raise
                logger.error("run %s: storing its end (%s) failed: %s; retrying until the "
                             "database is back", self.run.id, status, exc)
                time.sleep(1.0)


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


def _queue_meta(item: QueueItem) -> QueueMeta:
    return QueueMeta(queue=item.queue_name, item_id=item.id, item_key=item.item_key,
                     partition_key=item.partition_key, accepted_at=item.created_at,
                     attempt=item.attempt, payload=item.payload)
