"""The daggo runtime: `open()` an app over storage and definitions, `run()` to serve it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from daggo_core.config import Config, load_config
from daggo_core.definitions.definitions import Definitions
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.execution.coordinator import RunCoordinator
from daggo_core.execution.run_monitor import RunMonitor
from daggo_core.execution.worker_process import (
    exit_worker,
    is_worker_process,
    serve_worker,
    set_worker_command,
)
from daggo_core.extensions import Executor, ExecutorContext
from daggo_core.plugins import Hooks, make_plugin_manager
from daggo_core.scheduling.scheduler import Scheduler
from daggo_core.services.runs import cancel_run, launch_run, sync_jobs
from daggo_core.services.schedules import sync_schedules
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run, utcnow

if TYPE_CHECKING:
    from quart import Quart

__all__ = ["DaggoApp", "open", "open_app", "run"]

logger = logging.getLogger("daggo")


class DaggoApp:
    """An opened daggo runtime: config, plugins, migrated storage and the definitions.

    `asgi` is the admin/RPC application, mountable in a larger ASGI server;
    `serve()` runs it together with the run coordinator, the run monitor and (unless
    `scheduler.enabled` is false) the scheduler.
    `worker_command`, when set before execution starts, is the argv the subprocess
    executor starts workers with (e.g. `daggo worker -m APP`, see
    `daggo_core.cli.worker_cmd.worker_command_for`); by default it re-executes this
    process's own command line with the worker marker.
    """

    def __init__(self, config: Config, definitions: Definitions, hooks: Hooks,
                 storage: Storage) -> None:
        self.config = config
        self.definitions = definitions
        self.hooks = hooks
        self.storage = storage
        self.executor_spec = hooks.executor(config.execution.executor)
        self._asgi: Quart | None = None
        self.coordinator: RunCoordinator | None = None
        self.executor: Executor | None = None
        self.monitor: RunMonitor | None = None
        self.scheduler: Scheduler | None = None
        self.worker_command: list[str] | None = None

    @property
    def asgi(self) -> Quart:
        if self._asgi is None:
            from daggo_core.web.server import create_asgi

            self._asgi = create_asgi(self)
        return self._asgi

    @property
    def url(self) -> str:
        return f"http://{self.config.admin.host}:{self.config.admin.port}/"

    def launch(self, job_name: str, params: Mapping[str, Any] | None = None, *,
               tags: Mapping[str, str] | None = None) -> Run:
        """Queue a run of `job_name`; the coordinator of this process picks it up at once."""
        run = launch_run(self.storage, job_name, params, tags=tags, definitions=self.definitions)
        if self.coordinator is not None:
            self.coordinator.wake()
        return run

    def cancel(self, run_id: str) -> Run:
        """Cancel a run: a queued one at once; a running one is stopped by its worker.

        The flag is stored (every worker sees it on its next heartbeat); an executor of
        this process executing the run is also told at once (the subprocess executor
        signals its worker, and kills it if it has not stopped after the grace period).
        """
        run = cancel_run(self.storage, run_id)
        if self.executor is not None and run_id in self.executor.active_run_ids():
            self.executor.cancel(run_id)
            run = self.storage.get_run(run_id)
        return run

    def start_execution(self) -> RunCoordinator:
        """Create the executor and the coordinator that feeds it (idempotent)."""
        if self.coordinator is None:
            set_worker_command(self.worker_command)
            self.executor = self.executor_spec.create(ExecutorContext(
                config=self.config, storage=self.storage,
                jobs=self.definitions.jobs_by_name, on_event=self.hooks.run_event,
            ))
            self.coordinator = RunCoordinator(
                self.storage, self.executor,
                max_concurrent_runs=self.config.execution.max_concurrent_runs,
                poll_interval=self.config.execution.poll_interval_seconds,
                job_limits={job.name: job.max_concurrent_runs for job in self.definitions.jobs
                            if job.max_concurrent_runs is not None},
                tag_limits=self.config.execution.tag_limits,
                fair_share_tag=self.config.execution.fair_share_tag,
            )
            if hasattr(self.executor, "on_slot_free"):
                self.executor.on_slot_free = self.coordinator.wake
            execution = self.config.execution
            self.monitor = RunMonitor(
                self.storage, self.definitions.jobs_by_name,
                heartbeat_interval=execution.heartbeat_interval_seconds,
                heartbeat_timeout=execution.heartbeat_timeout_seconds,
                on_requeue=self.coordinator.wake,
            )
        return self.coordinator

    def start_scheduler(self, clock: Callable[[], dt.datetime] = utcnow) -> Scheduler:
        """Create the scheduler (idempotent), waking this process's coordinator when it
        launches runs; `clock` (aware UTC) is for tests and simulations."""
        if self.scheduler is None:
            history = self.config.scheduler.tick_history_days
            self.scheduler = Scheduler(
                self.storage, self.definitions.jobs_by_name,
                tick_interval=self.config.scheduler.tick_interval_seconds, clock=clock,
                on_launch=self.coordinator.wake if self.coordinator else None,
                tick_history=dt.timedelta(days=history) if history else None,
            )
        return self.scheduler

    async def serve(self, shutdown: asyncio.Event | None = None) -> None:
        """Serve the admin and execute queued runs until `shutdown` is set (or a signal)."""
        from hypercorn.asyncio import serve
        from hypercorn.config import Config as HypercornConfig

        stop = shutdown or asyncio.Event()
        loop = asyncio.get_running_loop()
        if shutdown is None:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
        coordinator = self.start_execution()
        assert self.monitor is not None
        # The monitor's first pass recovers runs a previous server left QUEUED/STARTING/
        # STARTED: stale ones are re-queued or failed before new work is dispatched.
        try:
            await asyncio.to_thread(self.monitor.check_once)
        except Exception:
            logger.exception("start-up recovery of left-over runs failed; the monitor retries")
        hconfig = HypercornConfig()
        hconfig.bind = [f"{self.config.admin.host}:{self.config.admin.port}"]
        hconfig.accesslog = None
        hconfig.errorlog = logging.getLogger("daggo.web")
        hconfig.graceful_timeout = 2.0
        tasks = [
            asyncio.create_task(coordinator.run_forever(), name="daggo-coordinator"),
            asyncio.create_task(self.monitor.run_forever(), name="daggo-run-monitor"),
        ]
        if self.config.scheduler.enabled:
            tasks.append(asyncio.create_task(self.start_scheduler().run_forever(),
                                             name="daggo-scheduler"))
        try:
            await serve(self.asgi, hconfig, shutdown_trigger=stop.wait)  # type: ignore[arg-type]
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Close the executor (the in-process one waits for its runs; subprocess workers
        carry on by themselves), then release storage."""
        if self.executor is not None:
            self.executor.close()
            self.executor = None
        self.storage.close()


def open_app(
    config: Config | None = None,
    *definitions: Definitions | JobDefinition,
    hooks: Hooks | None = None,
) -> DaggoApp:
    """Open storage (applying migrations), sync job metadata and return the app.

    Scheduler bookkeeping of schedules no longer in code is cleared (their runs stay).

    Fails at once, naming the setting, if the configured storage backend or executor is
    not installed or its plugin failed to import.

    In a worker process (the `DAGGO_WORKER=1` marker, set by the subprocess executor when
    it re-executes the app's program) this never returns: it executes the run handed to
    the worker and exits the process with the worker's exit code.
    """
    cfg = config or load_config()
    hooks = hooks or make_plugin_manager()
    defs = Definitions.merge(*definitions)
    if is_worker_process():
        exit_worker(serve_worker(cfg, defs, hooks))
    backend = hooks.storage_backend(cfg.database.driver)
    hooks.executor(cfg.execution.executor)
    storage = backend.open(cfg.database)
    sync_jobs(storage, defs)
    sync_schedules(storage, defs)
    return DaggoApp(cfg, defs, hooks, storage)


open = open_app


def run(config: Config | None = None, *definitions: Definitions | JobDefinition) -> None:
    """Open the app and serve it (admin UI, RPC, run execution) until interrupted."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = open_app(config, *definitions)
    print(f"daggo: serving {app.url} (storage: {app.config.database.driver})", flush=True)
    asyncio.run(app.serve())
