"""The subprocess executor: each run executes in a worker process of its own.

Workers are the server's own program started again with the worker marker (see
`worker_process`). `warm_workers` of them are kept started and idle, blocked reading
stdin with the app already imported and storage open; `launch` records the worker on the
run (a heartbeat with its id), writes the run id on its stdin and closes it. With no idle
worker it starts one and hands over the same way. Workers run in their own session and
need nothing from the server once they have their run: they outlive a server restart.

A thread per worker waits for it: the worker says on a pipe of its own when it is ready
and when its run has ended, which frees the slot and wakes the coordinator through
`on_slot_free` while the worker still delivers events to plugins before it exits. A
worker that exits without saying so gets its run, if still active, failed at once (or
canceled, if it was being canceled), then frees its slot: as a lost worker's if it had
started the run, else as a start-up failure, with what the worker printed (its stderr
goes through the executor until it has its run, see `worker_stderr`). Workers that
keep failing to start make the pool report a `problem()`. `cancel` flags the run in
storage and sends SIGTERM; a worker still alive `cancel_grace_seconds` (plus a margin)
later is killed.

The executor keeps a row per worker in the worker registry (`worker_registry`): what
each one does (starting, idle, running a run), stored and heartbeated by the registry's
thread, removed when the worker exits. The workers are in the pool of the registry the
server gives (`ExecutorContext.registry`): while that pool is asked to drain, the
executor keeps no warm workers (idle ones are let go); an idle worker asked to drain by
itself is let go (and replaced, the pool not draining); a running one finishes its run,
as every worker does, and exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable

from daggo_core.errors import DaggoError
from daggo_core.execution.heartbeat import worker_id
from daggo_core.execution.local_workers import kill_group, killed_because
from daggo_core.execution.run_monitor import (
    end_canceled_run,
    settle_lost_run,
    settle_silent_run,
)
from daggo_core.execution.startup_failure import (
    COMMAND_HINT,
    fail_unstarted_run,
    is_command_error,
)
from daggo_core.execution.worker_process import (
    DONE_FD_ENV,
    RUN_DONE,
    WORKER_ENV,
    WORKER_READY,
    cancel_kill_delay,
    no_worker_command_error,
)
from daggo_core.execution.worker_registry import DrainOrders, WorkerRegistry
from daggo_core.execution.worker_starts import WorkerStarts
from daggo_core.execution.worker_stderr import (
    STDERR_FD_ENV,
    StartupOutput,
    copy_of_stderr,
    summary_line,
)
from daggo_core.extensions import ExecutorContext
from daggo_core.storage.records import ACTIVE_RUN_STATUSES, Run, RunStatus, WorkerState

__all__ = ["SubprocessExecutor", "describe_exit"]

logger = logging.getLogger("daggo.executor")


def describe_exit(pid: int, code: int, before: str = "finishing the run") -> str:
    """Why a worker's run did not finish, from its exit code."""
    how = f"exited with code {code}"
    if code < 0:
        with contextlib.suppress(ValueError):
            how += f" (killed by {signal.Signals(-code).name})"
    return f"worker process {pid} {how} before {before}"


class _Worker:
    """One worker process; `run_id` is set once a run was handed to it."""

    def __init__(self, popen: subprocess.Popen[bytes], done: int, stderr: int) -> None:
        self.popen = popen
        self.done = done  # the read end of the worker's done pipe
        self.pid = popen.pid
        self.id = worker_id(popen.pid)
        self.output = StartupOutput(stderr, popen.pid)  # its stderr until it has its run
        self.run_id: str | None = None
        self.attempt = 0  # of the run handed to it
        self.canceling = False
        self.ready = False  # it said it imported the app and opened storage
        self.run_done = False  # it said its run ended: it only delivers events now
        self.started = self.handed_at = time.monotonic()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def poll_ready(self) -> bool:
        """Whether the worker has said it is ready, reading its pipe without waiting."""
        with contextlib.suppress(OSError, ValueError):
            if not self.ready and select.select([self.done], [], [], 0)[0]:
                self.ready = os.read(self.done, 1) == WORKER_READY
        return self.ready

    def wait_run_done(self, on_ready: Callable[[], None]) -> bool:
        """Block until the worker says its run ended (True) or exits without saying so;
        `on_ready()` is called when it says it is ready meanwhile.

        The worker's exit is checked each second as well as the pipe: a child it forked
        may hold the pipe's write end open after the worker died."""
        said = False
        try:
            while True:
                readable, _, _ = select.select([self.done], [], [], 1.0)
                if readable:
                    message = os.read(self.done, 1)
                    if message == WORKER_READY:
                        self.ready = True
                        on_ready()
                        continue
                    said = message == RUN_DONE
                    break
                if not self.alive():
                    break
        except (OSError, ValueError):
            pass
        self.close_pipe()
        self.run_done = said
        return said

    def close_pipe(self) -> None:
        """Close the done pipe (once: its number may be reused after)."""
        done, self.done = self.done, -1
        if done >= 0:
            with contextlib.suppress(OSError):
                os.close(done)

    def hand_over(self, run_id: str) -> bool:
        """Write the run id to the worker's stdin and close it; False if it is gone."""
        stdin = self.popen.stdin
        assert stdin is not None
        try:
            stdin.write(f"{run_id}\n".encode())
            stdin.flush()
            stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True


class SubprocessExecutor:
    """Runs each run in a worker process, from a pool of `warm_workers` pre-started ones.

    Workers run `context.worker_command` in this process's working directory and
    environment; each time one exits, `context.on_slot_free()` is called, so the next
    queued run starts without waiting for a poll.
    """

    def __init__(self, context: ExecutorContext) -> None:
        if context.worker_command is None:
            raise no_worker_command_error()
        self.context = context
        self.execution = context.config.execution
        self.command = list(context.worker_command)
        self.cwd = os.getcwd()
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._running: dict[str, _Worker] = {}
        self._closed = False
        self._starts = WorkerStarts()
        self._stop = threading.Event()
        self._draining = False  # the pool is asked to drain: no warm workers
        self._own_registry = context.registry is None
        self._registry = context.registry or WorkerRegistry(
            context.storage, executor=self.execution.executor,
            heartbeat_interval=self.execution.heartbeat_interval_seconds)
        self._registry.on_drain(self._drain)
        if self._own_registry:
            self._registry.start()
        self._fill_pool()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True,
                                            name="daggo-worker-pool")
        self._supervisor.start()

    # -- the Executor protocol -------------------------------------------------

    def launch(self, run: Run) -> None:
        storage = self.context.storage
        worker = self._take_idle()
        if worker is not None:
            try:
                storage.heartbeat(run.id, worker.id, attempt=run.attempt)
            except BaseException:
                self._release(worker)  # nobody will hand it a run: let it exit
                raise
            if not worker.hand_over(run.id):
                logger.warning("warm worker %s exited before it got run %s; starting another",
                               worker.pid, run.id)
                self._retire_dead(worker)
                worker = None
        if worker is None:
            try:
                worker = self._spawn()
            except OSError as exc:
                reason = self._spawn_failed(exc)
                logger.error("run %s: %s", run.id, reason)
                if is_command_error(exc):
                    fail_unstarted_run(storage, run, reason, hint=COMMAND_HINT)
                else:  # the machine's fault (out of processes, memory): a lost worker's
                    settle_lost_run(storage, run, reason, self.context.definitions.jobs_by_name)
                return
            storage.heartbeat(run.id, worker.id, attempt=run.attempt)
            if not worker.hand_over(run.id):
                self._retire_dead(worker)
                worker.attempt = run.attempt
                self._settle(worker, run.id, worker.popen.wait())
                return
        worker.run_id, worker.attempt = run.id, run.attempt
        worker.handed_at = time.monotonic()
        self._report(worker)
        with self._lock:
            self._running[run.id] = worker
        threading.Thread(target=self._watch, args=(worker,), daemon=True,
                         name=f"daggo-watch-{worker.pid}").start()
        logger.info("run %s handed to worker process %s", run.id, worker.pid)
        self._fill_pool()

    def cancel(self, run_id: str) -> None:
        """Flag the run, SIGTERM its worker, and SIGKILL it if it has not stopped in time."""
        run = self.context.storage.request_cancel(run_id)
        with self._lock:
            worker = self._running.get(run_id)
        if worker is None or run.is_finished:
            return
        worker.canceling = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGTERM)
        timer = threading.Timer(cancel_kill_delay(self.execution), self._kill, args=(worker,))
        timer.daemon = True
        timer.start()

    def problem(self) -> str | None:
        """Why workers cannot be started (they keep exiting before they are ready), or
        None while they start."""
        return self._starts.problem()

    def active_run_ids(self) -> set[str]:
        with self._lock:
            return set(self._running)

    def worker_pids(self) -> dict[str, int]:
        """The pid of each run's worker, by run id."""
        with self._lock:
            return {run_id: w.pid for run_id, w in self._running.items()}

    def idle_worker_pids(self) -> list[int]:
        """Pids of the warm workers waiting for a run."""
        with self._lock:
            return [w.pid for w in self._idle]

    def close(self) -> None:
        """Stop the idle warm workers; running workers carry on and finish their runs."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        self._stop.set()
        for worker in idle:
            with contextlib.suppress(OSError, ValueError):
                assert worker.popen.stdin is not None
                worker.popen.stdin.close()
        deadline = time.monotonic() + 5.0
        for worker in idle:
            try:
                worker.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.popen.kill()
                worker.popen.wait()
            worker.close_pipe()
            self._registry.gone(worker.pid)
        # Running workers keep their rows: they carry on, heartbeating their runs.
        if self._own_registry:
            self._registry.close()
        else:
            self._registry.flush()

    # -- workers ---------------------------------------------------------------

    def _spawn(self) -> _Worker:
        done, done_w = os.pipe()
        stderr, stderr_w = os.pipe()
        server_stderr = copy_of_stderr()
        env = {**os.environ, WORKER_ENV: "1", DONE_FD_ENV: str(done_w),
               STDERR_FD_ENV: str(server_stderr)}
        try:
            popen = subprocess.Popen(self.command, cwd=self.cwd, env=env,
                                     stdin=subprocess.PIPE, stderr=stderr_w,
                                     start_new_session=True, close_fds=True,
                                     pass_fds=(done_w, server_stderr))
        except BaseException:
            os.close(done)
            os.close(stderr)
            raise
        finally:
            for fd in (done_w, stderr_w, server_stderr):
                os.close(fd)
        self._registry.update(popen.pid, WorkerState.STARTING)
        return _Worker(popen, done, stderr)

    def _report(self, worker: _Worker) -> None:
        """Tell the registry what `worker` does now (under the lock: a report read before
        a hand-over never lands after the hand-over's)."""
        with self._lock:
            state = (WorkerState.STARTING if not worker.ready
                     else WorkerState.RUNNING if worker.run_id else WorkerState.IDLE)
            self._registry.update(worker.pid, state, worker.run_id)

    def _on_ready(self, worker: _Worker) -> None:
        """`worker` said it is ready: it started."""
        self._starts.started()
        self._report(worker)

    def _release(self, worker: _Worker) -> None:
        """Close an idle worker's stdin (it exits on EOF) and its pipe."""
        with contextlib.suppress(OSError, ValueError):
            assert worker.popen.stdin is not None
            worker.popen.stdin.close()
        worker.close_pipe()
        self._registry.gone(worker.pid)

    def _take_idle(self) -> _Worker | None:
        dead: list[_Worker] = []
        taken: _Worker | None = None
        with self._lock:
            while self._idle and taken is None:
                worker = self._idle.pop(0)
                if worker.alive():
                    taken = worker
                else:
                    dead.append(worker)
        for worker in dead:
            self._retire_dead(worker)
        return taken

    def _fill_pool(self) -> None:
        """Start warm workers until `warm_workers` are idle (backing off after failures)."""
        while True:
            with self._lock:
                if not self._may_spawn():
                    return
            try:
                worker = self._spawn()
            except OSError as exc:
                logger.error("could not start a warm worker: %s", self._spawn_failed(exc))
                return
            with self._lock:
                if self._closed:
                    worker.popen.kill()
                    worker.close_pipe()
                    self._registry.gone(worker.pid)
                    return
                self._idle.append(worker)

    def _may_spawn(self) -> bool:
        """Whether the pool wants another warm worker now (called holding `_lock`)."""
        return not self._closed and not self._draining and \
            len(self._idle) < self.execution.warm_workers and self._starts.may_spawn()

    def _drain(self, orders: DrainOrders) -> None:
        """The registry's drain orders: let go of the idle workers they name (all of them
        while the pool drains); the pool refills once it no longer drains."""
        with self._lock:
            self._draining = orders.pool
            idle = [w for w in self._idle if orders.pool or w.pid in orders.pids]
            self._idle = [w for w in self._idle if w not in idle]
        for worker in idle:
            logger.info("warm worker %s let go: drained", worker.pid)
            self._release(worker)

    def _spawn_failed(self, exc: OSError) -> str:
        """Count a worker that could not be spawned; says why."""
        reason = f"could not start a worker process ({' '.join(self.command)}): {exc}"
        self._starts.failed(reason)
        return reason

    def _retire_dead(self, worker: _Worker) -> None:
        """Let go of a worker that exited before it was given a run (or as it got one):
        one that never said it was ready failed to start."""
        worker.close_pipe()
        if worker.alive():  # it closed its stdin: it cannot be given a run
            worker.popen.kill()
        code = worker.popen.wait()
        self._registry.gone(worker.pid)
        if worker.ready:
            return
        output = worker.output.tail()
        summary = summary_line(output)
        cause = describe_exit(worker.pid, code, "it was ready") + (
            f": {summary}" if summary else "")
        self._starts.failed(cause)
        logger.error("%s (its output is above)", cause)

    def _supervise(self) -> None:
        """Drop warm workers that died while idle, keep the pool filled, and heartbeat
        hand-overs."""
        tick = min(1.0, self.execution.heartbeat_interval_seconds)
        while not self._stop.wait(tick):
            with self._lock:
                dead = [w for w in self._idle if not w.alive()]
                self._idle = [w for w in self._idle if w not in dead]
                ready = [w for w in self._idle if not w.ready and w.poll_ready()]
            for worker in dead:
                self._retire_dead(worker)
            for worker in ready:
                self._on_ready(worker)
            self._fill_pool()
            self._heartbeat_handovers()

    def _heartbeat_handovers(self) -> None:
        """Heartbeat runs whose worker is alive but has not taken them over yet (slow
        imports), so the monitor does not re-queue them meanwhile; for up to
        `start_timeout_seconds` after the hand-over: a worker that has not taken its run
        over by then is hung, and the monitor is left to kill it and re-queue the run."""
        storage = self.context.storage
        patience = self.execution.start_timeout_seconds
        with self._lock:
            pending = [w for w in self._running.values() if w.run_id and w.alive()
                       and time.monotonic() - w.handed_at < patience]
        for worker in pending:
            assert worker.run_id is not None
            try:
                run = storage.get_run(worker.run_id)
                if run.status is RunStatus.STARTING and run.worker_id == worker.id:
                    storage.heartbeat(worker.run_id, worker.id, attempt=worker.attempt)
            except DaggoError:
                logger.exception("could not heartbeat run %s for its starting worker",
                                 worker.run_id)

    def _watch(self, worker: _Worker) -> None:
        run_id = worker.run_id
        assert run_id is not None
        if worker.wait_run_done(on_ready=lambda: self._on_ready(worker)):
            self._free_slot(run_id)
            worker.popen.wait()  # reaps it once its listeners are done
            self._registry.gone(worker.pid)
            return
        code = worker.popen.wait()
        kill_group(worker.pid)  # what its ops started must not run beside a retry
        try:
            self._retire_dead(worker)
            self._settle(worker, run_id, code)
        except Exception:
            logger.exception("could not settle run %s after its worker exited", run_id)
        finally:
            self._free_slot(run_id)

    def _free_slot(self, run_id: str) -> None:
        with self._lock:
            self._running.pop(run_id, None)
        self.context.on_slot_free()

    def _settle(self, worker: _Worker, run_id: str, code: int) -> None:
        storage = self.context.storage
        run = storage.get_run(run_id)
        if run.status not in ACTIVE_RUN_STATUSES or run.attempt != worker.attempt \
                or run.worker_id != worker.id:
            return  # ended, or queued and claimed again since: not this worker's any more
        killed = killed_because(worker.pid)  # by this process's run monitor: hung
        if killed is not None:
            logger.error("run %s: %s", run_id, killed)
            settle_silent_run(storage, run, killed, self.context.definitions.jobs_by_name)
            return
        if run.status is RunStatus.STARTING:  # it never took the run over
            reason = describe_exit(worker.pid, code, "taking its run over")
            logger.error("run %s: %s", run_id, reason)
            fail_unstarted_run(storage, run, reason, worker.output.tail())
            return
        reason = describe_exit(worker.pid, code)
        if worker.canceling:
            end_canceled_run(storage, run, f"run canceled: {reason}")
        else:
            logger.error("run %s: %s", run_id, reason)
            settle_lost_run(storage, run, reason, self.context.definitions.jobs_by_name)

    def _kill(self, worker: _Worker) -> None:
        # A worker whose run has ended is delivering its events: let it finish.
        if worker.alive() and not worker.run_done:
            logger.warning("worker %s of run %s ignored cancellation for %.1f s; killing it",
                           worker.pid, worker.run_id, cancel_kill_delay(self.execution))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(worker.pid, signal.SIGKILL)
