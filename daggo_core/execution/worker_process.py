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
   itself, and one still running past its timeout plus `timeout_grace_seconds` (plus a
   margin) is failed with RunTimeout; the worker then exits at once;
4. once the run has ended, writes to the executor's done pipe (`DAGGO_WORKER_DONE_FD`),
   freeing its slot, then delivers its remaining events to plugins and exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from daggo_core.errors import DaggoError
from daggo_core.execution.claimed_run import ClaimedRun
from daggo_core.execution.event_dispatch import open_listened_storage
from daggo_core.execution.heartbeat import worker_id
from daggo_core.execution.local_workers import clear_beat
from daggo_core.execution.run_monitor import end_canceled_run, end_timed_out_run
from daggo_core.execution.stop_deadlines import (
    cancel_kill_delay,
    timeout_give_up_delay,
    worker_give_up_delay,
)
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
            clear_beat()
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
    stopper = _Stopper(claimed, storage, cfg.execution)
    claimed.heartbeat.on_stop = stopper.on_heartbeat
    previous = signal.signal(signal.SIGTERM, stopper.on_sigterm)
    if claimed.run.cancel_requested:
        stopper.request("cancellation requested before the run started")
    try:
        with stopper.watching():
            claimed.execute()
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Stopper:
    """Turns cancel requests (heartbeat, SIGTERM) into `worker.cancel()`, and ends the run
    itself, then the process, when the run has not ended by its deadline.

    The deadlines (see `stop_deadlines`) are for runs the worker's own loop cannot stop,
    such as a step blocking the loop: `worker_give_up_delay` after the first cancel
    request (the run ends CANCELED), and, for a run with a timeout,
    `timeout_give_up_delay` after it started (the run fails with RunTimeout). A heartbeat
    showing the attempt superseded stops the run's steps, and the process exits, writing
    nothing, if they still run one heartbeat interval later.
    """

    def __init__(self, claimed: ClaimedRun, storage: Storage,
                 execution: ExecutionConfig) -> None:
        self.heartbeat = claimed.heartbeat
        self.worker = worker = claimed.worker
        self.storage = storage
        self.superseded_exit_after = execution.heartbeat_interval_seconds
        self.give_up_after = worker_give_up_delay(execution)
        self.timeout_give_up = (None if worker.run_timeout is None
                                else timeout_give_up_delay(execution, worker.run_timeout))
        self.since: float | None = None
        self._deadline: tuple[float, str] | None = None  # (monotonic time, why)
        self._wake = threading.Event()
        self._ended = threading.Event()

    def request(self, why: str) -> None:
        if self.since is None:
            logger.info("run %s: %s; stopping", self.worker.run.id, why)
        self._requested()

    def on_sigterm(self, signum: int, frame: object) -> None:
        self._requested()  # no logging in a signal handler: it may hold logging's lock

    def on_heartbeat(self, run: Run) -> None:
        """Cancel on a stored request; stop when the attempt was superseded (the run
        ended, or was queued or claimed again, elsewhere)."""
        if self.heartbeat.superseded(run):
            self.worker.supersede(f"the run is {run.status} in attempt {run.attempt}")
            self._set_deadline(time.monotonic() + self.superseded_exit_after, "superseded")
            return
        self.request("cancellation requested")

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Enforce the deadlines from a daemon thread while the run executes."""
        if self.timeout_give_up is not None:
            self._set_deadline(time.monotonic() + self.timeout_give_up, "timeout")
        thread = threading.Thread(target=self._watch, daemon=True,
                                  name=f"daggo-stopper-{self.worker.run.id[:8]}")
        thread.start()
        try:
            yield
        finally:
            self._ended.set()
            self._wake.set()
            thread.join()

    def _requested(self) -> None:
        if self.since is None:
            self.since = time.monotonic()
            self._set_deadline(self.since + self.give_up_after, "cancel")
        self.worker.cancel()

    def _set_deadline(self, at: float, why: str) -> None:
        if self._deadline is None or at < self._deadline[0]:
            self._deadline = (at, why)
            self._wake.set()

    def _watch(self) -> None:
        while not self._ended.is_set():
            deadline = self._deadline
            self._wake.wait(None if deadline is None
                            else max(0.0, deadline[0] - time.monotonic()))
            self._wake.clear()
            if self._ended.is_set():
                return
            if deadline is not None and deadline is self._deadline and \
                    time.monotonic() >= deadline[0]:
                if self.worker.ending.is_set() and deadline[1] != "superseded":
                    # Its steps are done: it only waits for storage to take its end
                    # (an outage); giving up would lose what it buffered.
                    self._deadline = (time.monotonic() + 1.0, deadline[1])
                    continue
                self._give_up(deadline[1])

    def _give_up(self, why: str) -> NoReturn:
        """End the run as the deadline says (unless it ended meanwhile), then the process:
        whatever holds the run past its deadline would hold the worker too."""
        run, timeout = self.worker.run, self.worker.run_timeout
        run_id = run.id
        code = EXIT_ERROR
        try:
            if why == "superseded":
                logger.error("run %s: attempt %d was superseded and its steps still run; "
                             "exiting", run_id, run.attempt)
                code = EXIT_OK  # not this worker's run any more: nothing to record
            elif why == "cancel":
                logger.error("run %s did not stop within %.1f s of its cancellation; "
                             "exiting", run_id, self.give_up_after)
                self.worker.flush_records()
                if self.storage.get_run(run_id).cancel_requested:
                    end_canceled_run(self.storage, run,
                                     f"run canceled: its steps ignored the request for "
                                     f"{self.give_up_after:g} s; worker exited")
            else:
                logger.error("run %s still running %.1f s after it started (timeout %g s); "
                             "exiting", run_id, self.timeout_give_up, timeout)
                self.worker.flush_records()
                end_timed_out_run(self.storage, run,
                                  f"run exceeded its timeout of {timeout:g} s and a step "
                                  f"kept its worker busy past the grace; worker exited")
        except Exception:
            logger.exception("could not end run %s before exiting", run_id)
        finally:
            logging.shutdown()
            os._exit(code)
