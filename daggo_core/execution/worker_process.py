"""The worker process: one run, executed in a process of its own, from the app's own program.

The subprocess executor starts the server's own program again with `DAGGO_WORKER=1` in
its environment. Whatever path that program takes to `daggo_core.open()` or
`daggo_core.run()` (or the CLI `daggo run` / `daggo worker`), `open_app` sees the marker
and calls `serve_worker` instead of building a server, so an importing app never writes
a worker command. The worker then:

1. opens storage, says it is ready (`WORKER_READY` on the executor's done pipe,
   `DAGGO_WORKER_DONE_FD`) and gets its run id: from `DAGGO_WORKER_RUN_ID` (a worker
   started by something else, e.g. by hand) or as one line on stdin (how the executor
   hands a run to a pre-started "warm" worker; EOF before a line means "not needed":
   exit 0);
2. checks the run is still STARTING and, when handed over by an executor, recorded to
   this worker (`hostname:pid`), so a run re-queued and re-claimed meanwhile never runs
   twice; from then on it writes to the server's stderr itself (see `worker_stderr`);
3. executes it with a RunWorker, heartbeating from a daemon thread; a heartbeat showing
   `cancel_requested`, or SIGTERM, cancels it gracefully; a run still not finished
   `cancel_grace_seconds` (plus a margin) after that is ended CANCELED by the worker
   itself, which exits at once;
4. once the run has ended, writes `RUN_DONE` to the done pipe, freeing its slot, then
   delivers its remaining events to plugins and exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from daggo_core.errors import DaggoError
from daggo_core.execution.claimed_run import ClaimedRun
from daggo_core.execution.event_dispatch import open_listened_storage
from daggo_core.execution.heartbeat import worker_id
from daggo_core.execution.run_monitor import end_canceled_run
from daggo_core.execution.run_worker import RunWorker
from daggo_core.execution.worker_stderr import STDERR_FD_ENV, use_server_stderr
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run

if TYPE_CHECKING:
    from daggo_core.config import Config, ExecutionConfig
    from daggo_core.definitions.definitions import Definitions
    from daggo_core.plugins import Hooks

__all__ = [
    "DONE_FD_ENV",
    "RUN_DONE",
    "RUN_ID_ENV",
    "WORKER_ENV",
    "WORKER_READY",
    "cancel_kill_delay",
    "default_worker_command",
    "exit_worker",
    "is_worker_process",
    "no_worker_command_error",
    "serve_worker",
]

logger = logging.getLogger("daggo.worker")

#: Set to "1" in a worker's environment: `open_app` then runs the worker.
WORKER_ENV = "DAGGO_WORKER"
#: The run a worker executes, when not handed over on stdin.
RUN_ID_ENV = "DAGGO_WORKER_RUN_ID"
#: A pipe's write end, inherited from the executor: the worker writes `WORKER_READY` to
#: it once it has imported the app and opened storage (it started), and `RUN_DONE` once
#: its run has ended, so the executor frees the slot before the worker has finished
#: delivering events to plugins and exits.
DONE_FD_ENV = "DAGGO_WORKER_DONE_FD"
WORKER_READY, RUN_DONE = b"r", b"d"
#: Exit codes: the run reached a terminal status (or was not ours), or the worker failed.
EXIT_OK, EXIT_ERROR = 0, 1


def is_worker_process() -> bool:
    """True in a process started as a daggo worker."""
    return os.environ.get(WORKER_ENV) == "1"


def default_worker_command() -> list[str] | None:
    """The argv that runs this process's program again (and so reaches `open_app`, which
    becomes a worker): this interpreter with its options and the same arguments; None
    where that would not work (an interactive interpreter, pytest)."""
    argv = list(getattr(sys, "orig_argv", []) or [sys.executable, *sys.argv])
    script = sys.argv[0] if sys.argv else ""
    parts = Path(script).parts[-2:]
    if script in ("", "-") or any(p.startswith(("pytest", "_pytest")) for p in parts):
        return None
    return [sys.executable, *argv[1:]]


def no_worker_command_error() -> DaggoError:
    """Why workers cannot start from this process, and what to do."""
    argv = list(getattr(sys, "orig_argv", []) or [sys.executable, *sys.argv])
    return DaggoError(
        "the subprocess executor cannot start workers from this process "
        f"({' '.join(argv)}): it re-executes the program that opened the app. Start "
        "the app with `daggo run -m APP` or from a script that calls "
        "daggo_core.run()/open(), or set DaggoApp.worker_command (e.g. "
        "[sys.executable, '-m', 'daggo_core.cli.main', 'worker', '-m', 'APP'])"
    )


def cancel_kill_delay(execution: ExecutionConfig) -> float:
    """Seconds after a cancel request before a worker that has not stopped is killed."""
    return execution.cancel_grace_seconds + max(1.0, execution.heartbeat_interval_seconds)


def serve_worker(cfg: Config, definitions: Definitions, hooks: Hooks, *,
                 run_id: str | None = None) -> int:
    """Be a worker: get a run id, execute that run, return the process exit code.

    Run events reach this process's `daggo_run_event` listeners; they are delivered
    before the worker returns.
    """
    os.environ.pop(WORKER_ENV, None)  # processes the run starts are not workers
    done_fd = _take_fd(DONE_FD_ENV)
    stderr_fd = _take_fd(STDERR_FD_ENV)
    run_id = run_id or os.environ.pop(RUN_ID_ENV, None)
    handed_over = run_id is None
    with open_listened_storage(cfg, hooks) as storage:
        storage.warm_up()  # while a pooled worker waits, not once it has its run
        try:
            _tell(done_fd, WORKER_READY)
            if run_id is None:
                line = sys.stdin.readline()
                if not line.strip():
                    return EXIT_OK
                run_id = line.strip()
            _execute(cfg, definitions, storage, run_id, handed_over=handed_over,
                     stderr_fd=stderr_fd)
            _tell(done_fd, RUN_DONE)
            return EXIT_OK
        finally:
            if done_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(done_fd)


def _take_fd(variable: str) -> int | None:
    """A descriptor the executor passed in `variable`, kept from the processes the run's
    ops start."""
    value = os.environ.pop(variable, None)
    if not value:
        return None
    try:
        fd = int(value)
        os.set_inheritable(fd, False)
    except (ValueError, OSError):
        logger.warning("ignoring %s=%r: not an open file descriptor", variable, value)
        return None
    return fd


def _tell(done_fd: int | None, what: bytes) -> None:
    if done_fd is not None:
        with contextlib.suppress(OSError):
            os.write(done_fd, what)


def exit_worker(code: int) -> NoReturn:
    """End the worker process with `code`.

    Threads of sync steps that were abandoned (timed out, ignoring cancellation) would
    keep an ordinary exit waiting forever, so the process exits hard if any is left.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    deadline = time.monotonic() + 0.5
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logging.shutdown()
                os._exit(code)
    sys.exit(code)


def _execute(cfg: Config, definitions: Definitions, storage: Storage, run_id: str, *,
             handed_over: bool, stderr_fd: int | None) -> None:
    me = worker_id()
    claimed = ClaimedRun.take(run_id, config=cfg, storage=storage, definitions=definitions,
                              worker=me, handed_to=me if handed_over else None)
    if claimed is None:
        return
    use_server_stderr(stderr_fd)  # the worker has its run: it needs the server no more
    execution = cfg.execution
    # One interval later than the executor's kill: a worker with an executor watching it
    # is killed by that executor; this is the fallback for workers nobody watches.
    stopper = _Stopper(claimed.worker, storage,
                       cancel_kill_delay(execution) + execution.heartbeat_interval_seconds)
    claimed.heartbeat.on_stop = stopper.on_heartbeat
    previous = signal.signal(signal.SIGTERM, stopper.on_sigterm)
    if claimed.run.cancel_requested:
        stopper.request("cancellation requested before the run started")
    try:
        claimed.execute()
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Stopper:
    """Turns cancel requests (heartbeat, SIGTERM) into `worker.cancel()`, then a deadline."""

    def __init__(self, worker: RunWorker, storage: Storage, kill_delay: float) -> None:
        self.worker = worker
        self.storage = storage
        self.kill_delay = kill_delay
        self.since: float | None = None

    def request(self, why: str) -> None:
        if self.since is None:
            self.since = time.monotonic()
            logger.info("run %s: %s; stopping", self.worker.run.id, why)
        self.worker.cancel()

    def on_sigterm(self, signum: int, frame: object) -> None:
        if self.since is None:
            self.since = time.monotonic()
        self.worker.cancel()

    def on_heartbeat(self, run: Run) -> None:
        """Cancel on request; past the deadline, end the run CANCELED and exit hard."""
        self.request("cancellation requested" if run.cancel_requested
                     else f"run ended elsewhere as {run.status}")
        assert self.since is not None
        if time.monotonic() - self.since < self.kill_delay:
            return
        logger.error("run %s did not stop within %.1f s of its cancellation; exiting",
                     run.id, self.kill_delay)
        if run.cancel_requested:
            end_canceled_run(self.storage, run.id,
                             f"run canceled: its steps ignored the request for "
                             f"{self.kill_delay:g} s; worker exited")
        logging.shutdown()
        os._exit(EXIT_ERROR)
