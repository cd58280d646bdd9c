"""One step of a run, through its attempts: retries with backoff, timeouts, cancellation.

Each attempt calls the op (an async op on the run's loop, a sync one on a step thread)
and waits for it without ever awaiting it directly: an op past its timeout is told to
stop and given a short grace to return; one that ignores that, or cancellation, is left
behind instead of holding the run. A step that finishes
after its run began to stop has its output discarded, so no step of a stopped run is
recorded SUCCESS afterwards.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

from daggo_core.context import Context, RunPartition, StepLog, check_json
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.definitions.ops import OpDefinition
from daggo_core.definitions.snapshot import Wiring
from daggo_core.errors import UserError
from daggo_core.execution.capture import StepOutput, current_step
from daggo_core.execution.error_info import error_info
from daggo_core.execution.loop_events import set_event, wait_event
from daggo_core.execution.run_assets import run_checks
from daggo_core.execution.step_output import serialize_output
from daggo_core.execution.step_threads import StepThreads
from daggo_core.queue_context import MetadataProvider, QueueMeta
from daggo_core.serde import unstructure
from daggo_core.storage.asset_records import CheckResultRecord
from daggo_core.storage.records import (
    ErrorInfo,
    ErrorSource,
    EventKind,
    Run,
    StepRecord,
    StepStatus,
    utcnow,
)

__all__ = ["RunStop", "StepHost", "StepRunner"]


class RunStop:
    """Whether a run is stopping, and why: a cancel request (from any thread) or its
    timeout. Steps await it instead of polling."""

    def __init__(self) -> None:
        self.cancel_requested = threading.Event()
        self.timed_out = False
        #: Why storage could not be written for its whole retry window, once it happened.
        self.storage_lost: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    @property
    def stopping(self) -> bool:
        return self.cancel_requested.is_set() or self.timed_out or self.storage_lost is not None

    @property
    def reason(self) -> str:
        if self.cancel_requested.is_set():
            return "run canceled"
        if self.storage_lost is not None:
            return "database unreachable"
        return "run timed out"

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the run's loop (called on it, before the first step)."""
        self._loop, self._event = loop, asyncio.Event()
        if self.stopping:
            self._event.set()

    def request_cancel(self) -> None:
        """Ask the run to stop; safe from any thread."""
        self.cancel_requested.set()
        self._wake()

    def time_out(self) -> None:
        """The run overran its timeout (on the run's loop)."""
        self.timed_out = True
        self._wake()

    def lose_storage(self, why: str) -> None:
        """Storage stayed unreachable for its retry window; safe from any thread."""
        if self.storage_lost is None:
            self.storage_lost = why
        self._wake()

    async def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the run to stop; True if it is stopping."""
        assert self._event is not None
        await wait_event(self._event, timeout)
        return self.stopping

    def _wake(self) -> None:
        set_event(self._loop, self._event)


class StepHost(Protocol):
    """What a step needs of the run it belongs to."""

    run: Run
    job: JobDefinition
    params: Any
    resources: Mapping[str, Any]
    outputs: dict[str, Any]
    stop: RunStop
    #: How long an op past its timeout may take to return once told to stop.
    timeout_grace_seconds: float
    #: The queue item the run executes, if a queue started it.
    queue: QueueMeta | None
    #: The partitions the run covers, if any.
    partition: RunPartition | None

    def record(self, step: StepRecord, kind: EventKind, message: str,
               data: dict[str, Any] | None = None,
               checks: Sequence[CheckResultRecord] = ()) -> None:
        """Store a step transition with its event (through the run's recorder), and the
        results of its assets' `checks`."""

    def step_output(self, step_key: str) -> StepOutput:
        """Where the step's captured output and log lines go."""

    def publish_item_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Merge `metadata` into the run's queue item (blocking: call off the loop)."""


class _Outcome:
    """How an attempt ended, when it did not return an output."""

    def __init__(self, error: ErrorInfo | None = None, exc: BaseException | None = None,
                 canceled: bool = False) -> None:
        self.error = error
        self.exc = exc
        self.canceled = canceled


class StepRunner:
    """Runs the steps of one run on its loop, and stops them when the run stops."""

    def __init__(self, host: StepHost, loop: asyncio.AbstractEventLoop,
                 max_concurrent: int) -> None:
        self.host = host
        self.loop = loop
        self.max_concurrent = max_concurrent
        self._contexts: dict[str, Context] = {}
        self._async_tasks: set[asyncio.Future[Any]] = set()
        self._threads = self._new_threads()

    def interrupt(self) -> None:
        """Tell running ops to stop (thread-safe): their cancel events are set, and async
        ops are cancelled on the loop."""
        for ctx in list(self._contexts.values()):
            ctx.cancel_event.set()
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._cancel_async_calls)

    def close(self) -> None:
        """Let go of the step threads; a sync op still running (it ignored its timeout or
        the stop request) is abandoned on its thread."""
        self._threads.close()

    async def run(self, name: str) -> bool:
        """Run step `name` through its attempts; True when it succeeded."""
        host = self.host
        run, stop = host.run, host.stop
        op = host.job.ops[name]
        inp = self._build_input(name)
        sink = host.step_output(name)
        current_step.set(sink)
        attempt = 1
        while True:
            started = utcnow()
            host.record(StepRecord(run_id=run.id, step_key=name, attempt=attempt,
                                   status=StepStatus.RUNNING, started_at=started),
                        EventKind.STEP_STARTED,
                        f"step {name} started" + (f" (attempt {attempt})" if attempt > 1 else ""),
                        data={"attempt": attempt})
            ctx = Context(run_id=run.id, job_name=host.job.name, op_name=name,
                          attempt=attempt, params=host.params, resources=host.resources,
                          tags=run.tags, log=StepLog(name, sink.log), queue=host.queue,
                          partition=host.partition)
            self._contexts[name] = ctx
            if stop.stopping:
                ctx.cancel_event.set()
            try:
                result = await self._attempt(op, ctx, inp)
            finally:
                self._contexts.pop(name, None)
                sink.flush()
            finished = utcnow()
            base = StepRecord(run_id=run.id, step_key=name, attempt=attempt,
                              started_at=started, finished_at=finished,
                              metadata=dict(ctx.metadata))
            # Every end of an attempt names it, so the run page can tell attempts apart.
            ended = {"attempt": attempt}
            if isinstance(result, _Outcome) and (result.canceled or stop.stopping):
                host.record(attrs.evolve(base, status=StepStatus.CANCELED),
                            EventKind.STEP_CANCELED, f"step {name} interrupted: {stop.reason}",
                            data=ended)
                return False
            if not isinstance(result, _Outcome):
                # Checks run unless the run is stopping, which it may begin meanwhile.
                checked = None if stop.stopping else await run_checks(
                    host.job, name, ctx, result[0], run)
                if stop.stopping:
                    host.record(attrs.evolve(base, status=StepStatus.CANCELED),
                                EventKind.STEP_CANCELED,
                                f"step {name} finished after the {stop.reason}; output "
                                "discarded", data=ended)
                    return False
                checks = checked.records if checked is not None else ()
                if checked is not None and checked.blocking_failures:
                    blocked = ErrorInfo(
                        type="AssetCheckFailure", source=ErrorSource.USER,
                        message="blocking checks failed: "
                                + "; ".join(checked.blocking_failures))
                    host.record(attrs.evolve(base, status=StepStatus.FAILURE, error=blocked),
                                EventKind.STEP_FAILURE,
                                f"step {name} failed: {blocked.message}",
                                data={**ended, "error": unstructure(blocked)}, checks=checks)
                    return False
                host.outputs[name] = result[0]
                host.record(attrs.evolve(base, status=StepStatus.SUCCESS, output=result[1]),
                            EventKind.STEP_SUCCESS, f"step {name} succeeded",
                            data={**ended, "duration_ms": _ms(started, finished)},
                            checks=checks)
                if host.queue is not None and isinstance(result[0], MetadataProvider):
                    await self._publish(name, result[0], ctx)
                return True
            error = result.error
            assert error is not None
            policy = op.retry
            # A UserError (a bad output) is the op's bug: another attempt cannot fix it.
            if policy is not None and result.exc is not None and \
                    not isinstance(result.exc, UserError) and \
                    policy.should_retry(attempt, result.exc) and not stop.stopping:
                delay = policy.delay_for(attempt)
                host.record(attrs.evolve(base, status=StepStatus.FAILURE, error=error),
                            EventKind.STEP_RETRY,
                            f"step {name} attempt {attempt} failed: {error.type}: "
                            f"{error.message}; retrying in {delay:.2f} s",
                            data={**ended, "error": unstructure(error),
                                  "delay_s": round(delay, 3)})
                if not await stop.wait(delay):
                    attempt += 1
                    continue
                host.record(attrs.evolve(base, status=StepStatus.CANCELED),
                            EventKind.STEP_CANCELED, f"step {name}: retry abandoned, run stopping",
                            data=ended)
                return False
            host.record(attrs.evolve(base, status=StepStatus.FAILURE, error=error),
                        EventKind.STEP_FAILURE,
                        f"step {name} failed: {error.type}: {error.message}",
                        data={**ended, "error": unstructure(error)})
            return False

    async def _publish(self, name: str, output: MetadataProvider, ctx: Context) -> None:
        """Publish a succeeded step's output metadata onto the run's queue item; what
        cannot be published is logged on the step (the step stays succeeded)."""
        try:
            metadata = dict(output.queue_metadata())
            for key, value in metadata.items():
                if not isinstance(key, str):
                    raise TypeError(f"metadata keys must be strings, got {key!r}")
                check_json(key, value)
            await asyncio.to_thread(self.host.publish_item_metadata, metadata)
        except Exception as exc:
            ctx.log.warning("step %s: its output's queue metadata was not published: %s: %s",
                            name, type(exc).__name__, exc)

    async def _attempt(self, op: OpDefinition, ctx: Context, inp: Any
                       ) -> tuple[Any, Any] | _Outcome:
        """One call of the op: (output, stored JSON), or how it failed."""
        stop = self.host.stop
        call: asyncio.Future[Any] | None = None
        try:
            if op.is_async:
                call = asyncio.ensure_future(op.fn(ctx, inp))
                self._async_tasks.add(call)
            else:
                call = self._threads.run(
                    functools.partial(contextvars.copy_context().run, op.fn, ctx, inp))
            if not op.is_async and op.timeout is None:
                # Cancelling this await abandons the thread's future without waiting.
                return self._checked(op, await call)
            try:
                done, _ = await asyncio.wait({call}, timeout=op.timeout)
                if not done:
                    return await self._stop_overrunning(op, call, ctx)
            finally:
                self._async_tasks.discard(call)
            if call.cancelled():
                if stop.stopping:
                    return _Outcome(canceled=True)
                message = f"op {op.name!r} was cancelled by something other than daggo"
                return _Outcome(ErrorInfo(type="CancelledError", message=message,
                                          source=ErrorSource.USER),
                                asyncio.CancelledError(message))
            return self._checked(op, call.result())
        except asyncio.CancelledError:
            # The step's own task is cancelled only when the run gives up on it (it
            # ignored the stop request past the grace): stop waiting for the call, and let
            # the cancellation through so the step is recorded as abandoned.
            if call is not None:
                self._leave_behind(op, call, ctx)
            raise
        except BaseException as exc:  # an op's SystemExit fails its step, not the worker
            return _Outcome(error_info(exc, from_user_code=True), exc)

    async def _stop_overrunning(self, op: OpDefinition, call: asyncio.Future[Any],
                                ctx: Context) -> _Outcome:
        """The attempt overran its timeout: tell the op to stop (its cancel event; an async
        op is cancelled), give it `timeout_grace_seconds` to return, then leave it behind.
        The attempt fails with StepTimeout either way."""
        grace = self.host.timeout_grace_seconds
        ctx.cancel_event.set()
        if op.is_async:
            call.cancel()
        done, _ = await asyncio.wait({call}, timeout=grace)
        message = f"op {op.name!r} exceeded its timeout of {op.timeout:g} s"
        if done:
            if not call.cancelled():
                call.exception()  # what it raised on being stopped is the timeout's doing
        else:
            self._leave_behind(op, call, ctx)
            message += f"; abandoned, still running {grace:g} s later"
        return _Outcome(ErrorInfo(type="StepTimeout", message=message, source=ErrorSource.USER),
                        TimeoutError(message))

    @staticmethod
    def _checked(op: OpDefinition, output: Any) -> tuple[Any, Any]:
        return output, serialize_output(op, output)

    def _leave_behind(self, op: OpDefinition, call: asyncio.Future[Any], ctx: Context) -> None:
        """Stop waiting for a call: cancel it and, for a sync op, retire its threads."""
        ctx.cancel_event.set()
        call.cancel()
        if not op.is_async:
            # The thread may never return; later steps get fresh threads.
            self._threads.close()
            self._threads = self._new_threads()

    def _cancel_async_calls(self) -> None:
        for task in list(self._async_tasks):
            task.cancel()

    def _new_threads(self) -> StepThreads:
        return StepThreads(self.loop, self.max_concurrent,
                           f"daggo-step-{self.host.run.id[:8]}")

    def _build_input(self, name: str) -> Any:
        job, outputs = self.host.job, self.host.outputs
        op = job.ops[name]
        if op.is_root:
            return op.input_type()
        values: dict[str, Any] = {}
        for binding in job.inputs[name]:
            if binding.wiring is Wiring.MANY:
                values[binding.field] = [outputs[p] for p in binding.producers]
            elif binding.wiring is Wiring.OPTIONAL:
                values[binding.field] = (
                    outputs[binding.producers[0]] if binding.producers else None)
            else:
                values[binding.field] = outputs[binding.producers[0]]
        return op.input_type(**values)


def _ms(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() * 1000, 3)
