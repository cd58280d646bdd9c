"""Executes one run: its steps in dependency order, in parallel where the graph allows."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import heapq
import json
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from daggo_core.context import Context, StepLog
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.definitions.ops import OpDefinition
from daggo_core.definitions.snapshot import Wiring
from daggo_core.execution.capture import StepOutput, capturing, current_step
from daggo_core.execution.recorder import StepRecorder
from daggo_core.execution.reexecution import ReexecutionPlan, plan_reexecution
from daggo_core.execution.step_threads import StepThreads

try:  # imported with the engine, not on the first run
    import uvloop
except ImportError:  # Windows
    uvloop = None
from daggo_core.serde import structure, unstructure
from daggo_core.storage.base import StepWrites, Storage
from daggo_core.storage.records import (
    REEXECUTE_TAG,
    ErrorInfo,
    Event,
    EventKind,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
    utcnow,
)

__all__ = ["DEFAULT_MAX_CONCURRENT_STEPS", "RunWorker", "error_info"]

EventCallback = Callable[[Run, Event], None]
logger = logging.getLogger("daggo.worker")
DEFAULT_MAX_CONCURRENT_STEPS = 8


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


class _Outcome:
    """How an attempt ended, when it did not return an output."""

    def __init__(self, error: ErrorInfo | None = None, exc: BaseException | None = None,
                 canceled: bool = False) -> None:
        self.error = error
        self.exc = exc
        self.canceled = canceled


class RunWorker:
    """Runs the steps of `run` (a run of `job`) and records every transition.

    A step starts once all its upstream steps succeeded, up to `max_concurrent_steps` at
    a time; a step whose upstream failed is SKIPPED. Async ops run on the worker's event
    loop, sync ops on threads. Failed attempts are retried per the op's RetryPolicy; op
    and run timeouts fail what overruns. `cancel()` (from any thread) stops new steps,
    cancels running async steps and sets the cancel event sync steps can watch; the run
    then ends CANCELED and no step of it is recorded SUCCESS afterwards.
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
        max_concurrent_steps: int | None = None,
        run_timeout: float | None = None,
        stop_grace_seconds: float = 10.0,
    ) -> None:
        self.job = job
        self.run = run
        self.storage = storage
        self.params = params
        self.resources = dict(resources or {})
        self.on_event = on_event
        self.max_concurrent_steps = (
            job.max_concurrent_steps or max_concurrent_steps or DEFAULT_MAX_CONCURRENT_STEPS
        )
        self.run_timeout = job.timeout or run_timeout
        self.stop_grace_seconds = stop_grace_seconds
        self.outputs: dict[str, Any] = {}
        self.steps: dict[str, StepRecord] = {}
        self.cancel_requested = threading.Event()
        self._timed_out = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._contexts: dict[str, Context] = {}
        self._async_tasks: set[asyncio.Future[Any]] = set()
        self._running: dict[asyncio.Task[bool], str] = {}
        self._ready: list[tuple[int, str]] = []
        self._waiting: dict[str, set[str]] = {}
        self._graph_done: asyncio.Future[None] | None = None
        self._stop_scheduled = False
        self._threads: StepThreads | None = None
        self._recorder: StepRecorder | None = None
        self._order_index = {name: i for i, name in enumerate(job.order)}
        self._downstream: dict[str, list[str]] = {}
        for name in job.order:
            for upstream in job.upstream(name):
                self._downstream.setdefault(upstream, []).append(name)

    # -- control ---------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the run to stop (thread-safe); it ends CANCELED once running steps return."""
        self.cancel_requested.set()
        self._interrupt()

    def _interrupt(self) -> None:
        for ctx in list(self._contexts.values()):
            ctx.cancel_event.set()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._stop_running_steps)

    def _stop_running_steps(self) -> None:
        """On the loop: cancel async steps now, and abandon sync ones after the grace."""
        for task in list(self._async_tasks):
            task.cancel()
        if not self._stop_scheduled:
            self._stop_scheduled = True
            assert self._loop is not None
            self._loop.call_later(self.stop_grace_seconds, self._abandon_running_steps)

    def _abandon_running_steps(self) -> None:
        for task in list(self._running):
            task.cancel()

    def _on_run_timeout(self) -> None:
        self._timed_out = True
        for ctx in list(self._contexts.values()):
            ctx.cancel_event.set()
        self._stop_running_steps()

    def execute(self) -> Run:
        """Execute the run to a terminal status and return the final Run."""
        try:
            asyncio.get_running_loop()
            in_loop_thread = True
        except RuntimeError:
            in_loop_thread = False
        if not in_loop_thread:
            with capturing():
                return _run_loop(self._execute())
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
        return outcome["run"]

    # -- the run ---------------------------------------------------------------

    async def _execute(self) -> Run:
        self._loop = asyncio.get_running_loop()
        event = Event(run_id=self.run.id, kind=EventKind.RUN_STARTED, level="INFO",
                      message="run started")
        started = self.storage.start_run(self.run.id, [event])
        if started is None:  # not STARTING: started elsewhere, canceled or re-queued
            self.run = self.storage.get_run(self.run.id)
            return self.run
        self.run = started
        self._notify_all([event])
        if self.cancel_requested.is_set() or self.run.cancel_requested:
            self.cancel_requested.set()
        self._threads = self._step_threads()
        self._recorder = StepRecorder(self.storage, on_stored=self._notify_all)
        try:
            failure = self._prepare_reexecution()
            if failure is None:
                try:
                    await self._run_graph()
                except Exception as exc:
                    failure = error_info(exc)
            return self._finish(failure)
        finally:
            # Sync steps still running (timed out, ignoring cancellation) are abandoned.
            self._threads.close()
            self._recorder.close()

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
                self._record(StepRecord(run_id=self.run.id, step_key=name,
                                        status=StepStatus.SUCCESS, output=plan.reuse[name]),
                             EventKind.STEP_OUTPUT_REUSED,
                             f"step {name}: output reused from run {plan.parent_run_id}")
            elif name not in plan.execute:
                self._record(StepRecord(run_id=self.run.id, step_key=name,
                                        status=StepStatus.SKIPPED, finished_at=utcnow()),
                             EventKind.STEP_SKIPPED, f"step {name}: not selected for re-execution")

    async def _run_graph(self) -> None:
        waiting = self._waiting
        waiting.update((name, set(self.job.upstream(name))) for name in self.job.order
                       if name not in self.steps)
        ready = self._ready
        for name, deps in waiting.items():
            deps.intersection_update(n for n in deps if n not in self.outputs)
            if not deps:
                heapq.heappush(ready, (self._order_index[name], name))
        for _, name in ready:
            del waiting[name]
        loop = self._loop
        assert loop is not None
        timer = (None if self.run_timeout is None
                 else loop.call_later(self.run_timeout, self._on_run_timeout))
        self._graph_done = loop.create_future()
        self._start_ready()
        try:
            await self._graph_done
        finally:
            if timer is not None:
                timer.cancel()
        for name in self.job.order:
            if name not in self.steps:
                self._record_not_run(name)

    def _start_ready(self) -> None:
        """Start ready steps while slots are free; resolve the graph once nothing runs."""
        assert self._loop is not None and self._graph_done is not None
        ready, running = self._ready, self._running
        while ready and len(running) < self.max_concurrent_steps and not self._stopping:
            _, name = heapq.heappop(ready)
            task = self._loop.create_task(self._run_step(name))
            running[task] = name
            task.add_done_callback(self._on_step_done)
        if not running:
            self._graph_done.set_result(None)

    def _on_step_done(self, task: asyncio.Task[bool]) -> None:
        """A step task ended: release its downstream steps if it succeeded, start more.

        An unexpected error (of the step task or here) ends the graph with that error.
        """
        name = self._running.pop(task)
        graph_done = self._graph_done
        if graph_done is None or graph_done.done():
            return
        try:
            if task.cancelled():
                self._record_abandoned(name)
            elif task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
            elif task.result():
                self._release_downstream(name)
            self._start_ready()
        except Exception as exc:
            graph_done.set_exception(exc)

    def _release_downstream(self, name: str) -> None:
        """Step `name` succeeded: its downstream steps waiting only for it become ready."""
        waiting, ready = self._waiting, self._ready
        for downstream in self._downstream.get(name, ()):
            deps = waiting.get(downstream)
            if deps is None:
                continue
            deps.discard(name)
            if not deps:
                del waiting[downstream]
                heapq.heappush(ready, (self._order_index[downstream], downstream))

    @property
    def _stopping(self) -> bool:
        return self.cancel_requested.is_set() or self._timed_out

    def _finish(self, failure: ErrorInfo | None) -> Run:
        all_succeeded = all(
            self.steps.get(n) and self.steps[n].status is StepStatus.SUCCESS
            for n in self.job.order
        )
        if self.cancel_requested.is_set() and not all_succeeded:
            return self._set_status(RunStatus.CANCELED, EventKind.RUN_CANCELED, "run canceled")
        if failure is None and self._timed_out:
            failure = ErrorInfo(type="RunTimeout",
                                message=f"run exceeded its timeout of {self.run_timeout} s")
        failed = [k for k, s in self.steps.items() if s.status is StepStatus.FAILURE]
        if failure is None and failed:
            failure = ErrorInfo(type="StepFailure", message=f"steps failed: {', '.join(failed)}")
        if failure is not None:
            return self._set_status(RunStatus.FAILURE, EventKind.RUN_FAILURE,
                                    f"run failed: {failure.message}", error=failure)
        return self._set_status(RunStatus.SUCCESS, EventKind.RUN_SUCCESS, "run succeeded")

    def _record_abandoned(self, name: str) -> None:
        why = "run canceled" if self.cancel_requested.is_set() else "run timed out"
        step = self.steps.get(name)
        self._record(StepRecord(run_id=self.run.id, step_key=name, status=StepStatus.CANCELED,
                                attempt=step.attempt if step else 1,
                                started_at=step.started_at if step else None,
                                finished_at=utcnow()),
                     EventKind.STEP_CANCELED,
                     f"step {name} abandoned: still running {self.stop_grace_seconds} s "
                     f"after the {why}")

    def _record_not_run(self, name: str) -> None:
        step = StepRecord(run_id=self.run.id, step_key=name, finished_at=utcnow(),
                          status=StepStatus.CANCELED if self._stopping else StepStatus.SKIPPED)
        if self.cancel_requested.is_set():
            self._record(step, EventKind.STEP_CANCELED, f"step {name} not started: run canceled")
        elif self._timed_out:
            self._record(step, EventKind.STEP_CANCELED,
                         f"step {name} not started: run timed out")
        else:
            blocked = [u for u in self.job.upstream(name) if u not in self.outputs]
            self._record(step, EventKind.STEP_SKIPPED,
                         f"step {name} skipped: upstream {', '.join(blocked)} did not succeed")

    # -- one step --------------------------------------------------------------

    async def _run_step(self, name: str) -> bool:
        """Run one step through its attempts; True when it succeeded."""
        op = self.job.ops[name]
        inp = self._build_input(name)
        emit = self._log_emitter(name)
        sink = StepOutput(emit)
        current_step.set(sink)
        attempt = 1
        while True:
            started = utcnow()
            self._record(StepRecord(run_id=self.run.id, step_key=name, attempt=attempt,
                                    status=StepStatus.RUNNING, started_at=started),
                         EventKind.STEP_STARTED,
                         f"step {name} started" + (f" (attempt {attempt})" if attempt > 1 else ""))
            ctx = Context(run_id=self.run.id, job_name=self.job.name, op_name=name,
                          attempt=attempt, params=self.params, resources=self.resources,
                          tags=self.run.tags, log=StepLog(name, emit))
            self._contexts[name] = ctx
            if self._stopping:
                ctx.cancel_event.set()
            try:
                result = await self._attempt(op, ctx, inp)
            finally:
                self._contexts.pop(name, None)
                sink.flush()
            finished = utcnow()
            base = StepRecord(run_id=self.run.id, step_key=name, attempt=attempt,
                              started_at=started, finished_at=finished)
            if isinstance(result, _Outcome) and (result.canceled or self._stopping):
                why = "run canceled" if self.cancel_requested.is_set() else "run timed out"
                self._record(_with(base, status=StepStatus.CANCELED), EventKind.STEP_CANCELED,
                             f"step {name} interrupted: {why}")
                return False
            if not isinstance(result, _Outcome):
                if self._stopping:
                    why = "run canceled" if self.cancel_requested.is_set() else "run timed out"
                    self._record(_with(base, status=StepStatus.CANCELED),
                                 EventKind.STEP_CANCELED,
                                 f"step {name} finished after the {why}; output discarded")
                    return False
                self.outputs[name] = result[0]
                self._record(_with(base, status=StepStatus.SUCCESS, output=result[1]),
                             EventKind.STEP_SUCCESS, f"step {name} succeeded",
                             data={"duration_ms": _ms(started, finished)})
                return True
            error = result.error
            assert error is not None
            policy = op.retry
            if policy is not None and result.exc is not None and \
                    policy.should_retry(attempt, result.exc) and not self._stopping:
                delay = policy.delay_for(attempt)
                self._record(_with(base, status=StepStatus.FAILURE, error=error),
                             EventKind.STEP_RETRY,
                             f"step {name} attempt {attempt} failed: {error.type}: "
                             f"{error.message}; retrying in {delay:.2f} s",
                             data={"error": unstructure(error), "delay_s": round(delay, 3)})
                if await self._sleep_unless_stopped(delay):
                    attempt += 1
                    continue
                self._record(_with(base, status=StepStatus.CANCELED), EventKind.STEP_CANCELED,
                             f"step {name}: retry abandoned, run stopping")
                return False
            self._record(_with(base, status=StepStatus.FAILURE, error=error),
                         EventKind.STEP_FAILURE,
                         f"step {name} failed: {error.type}: {error.message}",
                         data={"error": unstructure(error)})
            return False

    async def _attempt(
        self, op: OpDefinition, ctx: Context, inp: Any
    ) -> tuple[Any, Any] | _Outcome:
        """One call of the op: (output, stored JSON), or how it failed.

        The call is waited for, never awaited directly: an op that ignores cancellation
        or overruns its timeout is left behind instead of holding the run.
        """
        call: asyncio.Future[Any] | None = None
        try:
            if op.is_async:
                call = asyncio.ensure_future(op.fn(ctx, inp))
                self._async_tasks.add(call)
            else:
                assert self._threads is not None
                call = self._threads.run(
                    functools.partial(contextvars.copy_context().run, op.fn, ctx, inp))
            if not op.is_async and op.timeout is None:
                # Cancelling this await abandons the thread's future without waiting.
                output = await call
                return self._checked(op, output)
            try:
                done, _ = await asyncio.wait({call}, timeout=op.timeout)
            finally:
                self._async_tasks.discard(call)
            if not done:
                self._leave_behind(op, call, ctx)
                message = f"op {op.name!r} exceeded its timeout of {op.timeout} s"
                return _Outcome(ErrorInfo(type="StepTimeout", message=message),
                                TimeoutError(message))
            if call.cancelled():
                if self._stopping:
                    return _Outcome(canceled=True)
                message = f"op {op.name!r} was cancelled by something other than daggo"
                return _Outcome(ErrorInfo(type="CancelledError", message=message),
                                asyncio.CancelledError(message))
            return self._checked(op, call.result())
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            if call is not None:
                self._leave_behind(op, call, ctx)
            return _Outcome(canceled=True)
        except BaseException as exc:  # an op's SystemExit fails its step, not the worker
            return _Outcome(_user_error(exc), exc)

    @staticmethod
    def _checked(op: OpDefinition, output: Any) -> tuple[Any, Any]:
        if not isinstance(output, op.output_type):
            raise TypeError(f"op {op.name!r} returned {type(output).__name__}, "
                            f"expected {op.output_type.__name__}")
        return output, unstructure(output)

    def _leave_behind(self, op: OpDefinition, call: asyncio.Future[Any], ctx: Context) -> None:
        """Stop waiting for a call: cancel it and, for a sync op, retire its thread pool."""
        ctx.cancel_event.set()
        call.cancel()
        if not op.is_async and self._threads is not None:
            # The thread may never return; later steps get fresh threads.
            self._threads.close()
            self._threads = self._step_threads()

    def _step_threads(self) -> StepThreads:
        assert self._loop is not None
        return StepThreads(self._loop, self.max_concurrent_steps,
                           f"daggo-step-{self.run.id[:8]}")

    async def _sleep_unless_stopped(self, delay: float) -> bool:
        end = time.monotonic() + delay
        while time.monotonic() < end:
            if self._stopping:
                return False
            await asyncio.sleep(min(0.05, end - time.monotonic()))
        return not self._stopping

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

    # -- recording -------------------------------------------------------------

    def _log_emitter(self, step_key: str) -> Callable[..., None]:
        def emit(level: str, message: str, data: dict[str, Any] | None = None) -> None:
            event = Event(run_id=self.run.id, kind=EventKind.LOG, step_key=step_key,
                          level=level, message=message, data=_jsonable(data or {}))
            assert self._recorder is not None
            self._recorder.add_events([event])

        return emit

    def _record(self, step: StepRecord, kind: EventKind, message: str,
                data: dict[str, Any] | None = None) -> None:
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
        run = store() if self._recorder is None else self._recorder.store_with(store)
        self.run = run
        if run.status is status:
            self._notify_all([event])
        return run

    def _notify_all(self, events: list[Event]) -> None:
        if self.on_event is None:
            return
        for event in events:
            try:
                self.on_event(self.run, event)
            except Exception:
                logger.exception("an event callback failed on %s; the run goes on", event.kind)


_INTERNAL_FRAMES = (os.sep + "asyncio" + os.sep, os.sep + "concurrent" + os.sep,
                    os.sep + "daggo_core" + os.sep + "execution" + os.sep)


def _user_error(exc: BaseException) -> ErrorInfo:
    """ErrorInfo of an exception raised by an op, its traceback starting in the op's code."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and any(
        part in tb.tb_frame.f_code.co_filename for part in _INTERNAL_FRAMES
    ):
        tb = tb.tb_next
    return ErrorInfo(
        type=f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
        message=str(exc),
        traceback="".join(traceback.format_exception(type(exc), exc, tb)),
    )


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
    return asyncio.new_event_loop() if uvloop is None else uvloop.new_event_loop()


def _with(step: StepRecord, **changes: Any) -> StepRecord:
    return attrs.evolve(step, **changes)


def _ms(start: Any, end: Any) -> float:
    return round((end - start).total_seconds() * 1000, 3)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    try:
        value = unstructure(data)
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {key: repr(value) for key, value in data.items()}
