"""The daggo runtime: `open()` an app over storage and definitions, `run()` to serve it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from daggo_core.config import Config, load_config
from daggo_core.definitions.definitions import Definitions
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.execution.coordinator import RunCoordinator
from daggo_core.extensions import Executor, ExecutorContext
from daggo_core.plugins import Hooks, make_plugin_manager
from daggo_core.services.runs import launch_run, sync_jobs
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run

if TYPE_CHECKING:
    from quart import Quart

__all__ = ["DaggoApp", "open", "open_app", "run"]

logger = logging.getLogger("daggo")


class DaggoApp:
    """An opened daggo runtime: config, plugins, migrated storage and the definitions.

    `asgi` is the admin/RPC application, mountable in a larger ASGI server;
    `serve()` runs it together with the run coordinator.
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

    def start_execution(self) -> RunCoordinator:
        """Create the executor and the coordinator that feeds it (idempotent)."""
        if self.coordinator is None:
            self.executor = self.executor_spec.create(ExecutorContext(
                config=self.config, storage=self.storage,
                jobs=self.definitions.jobs_by_name, on_event=self.hooks.run_event,
            ))
            self.coordinator = RunCoordinator(
                self.storage, self.executor,
                max_concurrent_runs=self.config.execution.max_concurrent_runs,
                poll_interval=self.config.execution.poll_interval_seconds,
            )
        return self.coordinator

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
        hconfig = HypercornConfig()
        hconfig.bind = [f"{self.config.admin.host}:{self.config.admin.port}"]
        hconfig.accesslog = None
        hconfig.errorlog = logging.getLogger("daggo.web")
        hconfig.graceful_timeout = 2.0
        dispatch = asyncio.create_task(coordinator.run_forever(), name="daggo-coordinator")
        try:
            await serve(self.asgi, hconfig, shutdown_trigger=stop.wait)  # type: ignore[arg-type]
        finally:
            dispatch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatch
            await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Wait for in-flight runs, then release storage."""
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

    Fails at once, naming the setting, if the configured storage backend or executor is
    not installed or its plugin failed to import.
    """
    cfg = config or load_config()
    hooks = hooks or make_plugin_manager()
    defs = Definitions.merge(*definitions)
    backend = hooks.storage_backend(cfg.database.driver)
    hooks.executor(cfg.execution.executor)
    storage = backend.open(cfg.database)
    sync_jobs(storage, defs)
    return DaggoApp(cfg, defs, hooks, storage)


open = open_app


def run(config: Config | None = None, *definitions: Definitions | JobDefinition) -> None:
    """Open the app and serve it (admin UI, RPC, run execution) until interrupted."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = open_app(config, *definitions)
    print(f"daggo: serving {app.url} (storage: {app.config.database.driver})", flush=True)
    asyncio.run(app.serve())
