"""Runs whose worker could not start: failed with what the worker said, never retried.

A worker that exits before taking its run over (the app failed to import, a dependency
is missing from the worker's environment, the worker command does not start daggo)
would fail the same way again: its run is not re-queued by the monitor nor retried by
`run_retries` as a lost worker's is. It ends FAILURE with an error of source STARTUP
whose message is the line of the worker's output that says why, and whose traceback is
the end of that output.
"""

from __future__ import annotations

import errno

from daggo_core.execution.run_monitor import end_canceled_run
from daggo_core.execution.worker_stderr import summary_line
from daggo_core.serde import unstructure
from daggo_core.storage.base import Storage
from daggo_core.storage.records import ErrorInfo, ErrorSource, Event, EventKind, Run, RunStatus

__all__ = [
    "COMMAND_HINT",
    "STARTUP_HINT",
    "WORKER_START_FAILED",
    "fail_unstarted_run",
    "is_command_error",
]

#: ErrorInfo.type of a run whose worker could not start.
WORKER_START_FAILED = "WorkerStartFailed"
STARTUP_HINT = (
    "the worker could not start the app; the end of its output (the traceback) says "
    "why: an exception while importing the app, a module missing from the workers' "
    "environment, a worker command that does not reach daggo. Fix it, then launch the "
    "job again"
)
COMMAND_HINT = (
    "the worker command could not be executed: start the app with `daggo run`, or set "
    "DaggoApp.worker_command to a command that runs the app's worker"
)


def is_command_error(exc: OSError) -> bool:
    """Whether spawning a worker failed because of its command (missing, not executable),
    which would fail again, rather than the machine (out of processes or memory)."""
    return exc.errno in (errno.ENOENT, errno.EACCES, errno.ENOEXEC, errno.ENOTDIR)


def fail_unstarted_run(storage: Storage, run: Run, reason: str, output: str = "", *,
                       hint: str = STARTUP_HINT) -> Run:
    """End the attempt of the STARTING `run` (as the caller saw it), whose worker exited
    or could not be started before taking it over, FAILURE: the message is `reason` and
    the line of the worker's `output` that says why, the traceback that output. A run
    whose cancellation was requested ends CANCELED; one that is no longer STARTING in
    that attempt is left as it is."""
    current = storage.get_run(run.id)
    if current.status is not RunStatus.STARTING or current.attempt != run.attempt:
        return current
    if current.cancel_requested:
        return end_canceled_run(storage, current, f"run canceled: {reason}")
    summary = summary_line(output)
    message = f"{reason}: {summary}" if summary else f"{reason}, printing nothing"
    error = ErrorInfo(type=WORKER_START_FAILED, message=message, traceback=output,
                      source=ErrorSource.STARTUP, hint=hint)
    return storage.set_run_status(run.id, RunStatus.FAILURE, error=error, events=[
        Event(run_id=run.id, kind=EventKind.RUN_FAILURE, level="ERROR",
              message=f"run failed: {message}", data={"error": unstructure(error)}),
    ], expected=[RunStatus.STARTING], attempt=run.attempt)
