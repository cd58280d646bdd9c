"""The daggo runtime: `open()` an app over storage and definitions, `run()` to serve it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from daggo_core.config import Config, load_config
from daggo_core.definitions.definitions import Definitions
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.errors import DaggoError
from daggo_core.execution.coordinator import RunCoordinator
from daggo_core.execution.deploy_drain import DeployDrain
from daggo_core.execution.event_dispatch import EventDispatcher, attach_dispatcher
from daggo_core.execution.event_feed import EventFeed
from daggo_core.execution.heartbeat import worker_id
from daggo_core.execution.run_monitor import RunMonitor
from daggo_core.execution.worker_process import (
    default_worker_command,
    exit_worker,
    is_worker_process,
    serve_worker,
)
from daggo_core.execution.worker_registry import DrainOrders, WorkerRegistry
from daggo_core.extensions import Executor, ExecutorContext
from daggo_core.metrics import DaggoMetrics
from daggo_core.plugins import Hooks, make_plugin_manager
from daggo_core.queues.runtime import QueueRuntime
from daggo_core.retention.purger import Purger
from daggo_core.scheduling.asset_automation import AssetAutomation
from daggo_core.scheduling.backfill_runner import BackfillRunner
from daggo_core.scheduling.scheduler import Scheduler
from daggo_core.services import ServiceContext, Services
from daggo_core.services.jobs import JobsLaunchRequest
from daggo_core.services.queues import QueuesPushRequest, QueuesPushResponse
from daggo_core.services.runs import RunsCancelRequest, RunSummary
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import Storage
from daggo_core.storage.records import PARTITION_TAG, utcnow
from daggo_core.web.processes import WebProcessLink, listen, web_process_link

if TYPE_CHECKING:
    from quart import Quart

    from daggo_core.web.primary_link import PrimaryLink

__all__ = ["DaggoApp", "open", "open_app", "run"]

logger = logging.getLogger("daggo")


class DaggoApp:
    """An opened daggo runtime: config, plugins, migrated storage and the definitions.

    `services` is the service layer over this app (what the admin pages call); `asgi`
    is the admin and RPC application, mountable under a prefix (the ASGI `root_path`)
    in a larger ASGI application: its own lifespan, when forwarded to it, runs the
    runtime, or the host's lifespan does with `lifespan` (Starlette, FastAPI),
    `start()`/`stop()` or `async with app.running()`; `serve()` serves it together with
    the runtime: the run coordinator, the run monitor, (unless `scheduler.enabled` is
    false) the scheduler, the queues' loaders and item retrier, and (with `retention`
    settings that purge anything) the purger of old runs.
    `worker_command`, when set before execution starts, is the argv the subprocess
    executor starts workers with (e.g. `daggo worker -m APP`, see
    `daggo_core.cli.worker_cmd.worker_command_for`); by default it re-executes this
    process's own command line with the worker marker. `metrics` are the app's
    Prometheus metrics, served at `/metrics`.
    """

    def __init__(self, config: Config, definitions: Definitions, hooks: Hooks,
                 storage: Storage, events: EventDispatcher | None = None) -> None:
        self.config = config
        self.definitions = definitions
        self.hooks = hooks
        self.storage = storage
        self.events = events
        self.executor_spec = hooks.executor(config.execution.executor)
        self._asgi: Quart | None = None
        self.coordinator: RunCoordinator | None = None
        self.executor: Executor | None = None
        self.monitor: RunMonitor | None = None
        #: The worker registry of this server's pool (its coordinator and executor).
        self.registry: WorkerRegistry | None = None
        #: This server's part in deploy drain (with `deploy.drain_enabled`).
        self.deploy_drain: DeployDrain | None = None
        self.scheduler: Scheduler | None = None
        #: The queues' loaders and item retrier (with `queues` defined, once started).
        self.queues: QueueRuntime | None = None
        self.worker_command: list[str] | None = None
        #: In a web process (`admin.processes`): the link to the primary, whose runtime
        #: this process uses instead of one of its own.
        self.primary: PrimaryLink | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False
        #: Set when the runtime starts stopping: its components are "stopped" from then.
        self._stopping = False
        self._starting = asyncio.Lock()
        #: The stored events the streams (`/rpc/Runs.Stream`) read, shared by every client.
        self.feed = EventFeed(storage)
        self.services = Services.over(ServiceContext(
            storage=storage, config=config, hooks=hooks, definitions=definitions, runtime=self,
            feed=self.feed))
        self.metrics = DaggoMetrics(self)

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
               tags: Mapping[str, str] | None = None) -> RunSummary:
        """Queue a run of `job_name`; the coordinator of this process picks it up at once."""
        request = JobsLaunchRequest(job=job_name, params=dict(params or {}),
                                    tags=dict(tags or {}))
        return self.services.jobs.launch(request).run

    def push(self, queue: str, *items: Any, key: str | None = None) -> QueuesPushResponse:
        """Deliver items (payload instances or JSON mappings) to `queue`: each accepted
        one starts a run of each of the queue's jobs (see `Queues.Push`)."""
        return self.services.queues.push(QueuesPushRequest(queue=queue, items=items, key=key))

    def cancel(self, run_id: str) -> RunSummary:
        """Cancel a run: a queued one at once; a running one is stopped by its worker.

        The flag is stored (every worker sees it on its next heartbeat); an executor of
        this process executing the run is also told at once (the subprocess executor
        signals its worker, and kills it if it has not stopped after the grace period).
        """
        return self.services.runs.cancel(RunsCancelRequest(run_id=run_id)).run

    # -- RuntimeControls, for the services ---------------------------------------

    def wake_coordinator(self) -> None:
        """Dispatch queued runs now (a no-op before execution starts); in a web process,
        the primary's coordinator does."""
        if self.coordinator is not None:
            self.coordinator.wake()
        elif self.primary is not None:
            self.primary.wake_coordinator()

    def stop_run(self, run_id: str) -> bool:
        """Tell this process's executor (in a web process, the primary's) to stop
        `run_id` now; False if it does not run it."""
        if self.primary is not None:
            return self.primary.stop_run(run_id)
        if self.executor is None or run_id not in self.executor.active_run_ids():
            return False
        self.executor.cancel(run_id)
        return True


    def start_execution(self) -> RunCoordinator:
        """Create the executor, the coordinator that feeds it and the registry of their
        pool (idempotent)."""
        if self.coordinator is None:
            command = self.worker_command or default_worker_command()
            execution, deploy = self.config.execution, self.config.deploy
            self.registry = WorkerRegistry(
                self.storage, executor=execution.executor,
                heartbeat_interval=execution.heartbeat_interval_seconds,
                pool=f"{execution.executor}@{worker_id()}", version=deploy.effective_version,
                active_runs=lambda: len(self.executor.active_run_ids()) if self.executor else 0)
            self.executor = self.executor_spec.create(ExecutorContext(
                config=self.config, storage=self.storage, definitions=self.definitions,
                worker_command=tuple(command) if command else None,
                on_slot_free=self.wake_coordinator, registry=self.registry,
            ))
            self.coordinator = RunCoordinator(
                self.storage, self.executor,
                max_concurrent_runs=self.config.execution.max_concurrent_runs,
                poll_interval=self.config.execution.poll_interval_seconds,
                job_limits={job.name: job.max_concurrent_runs for job in self.definitions.jobs
                            if job.max_concurrent_runs is not None},
                tag_limits=self.config.execution.tag_limits,
                fair_share_tag=self.config.execution.fair_share_tag or (
                    PARTITION_TAG if any(q.partition_key_fn for q in self.definitions.queues)
                    else None),
                partition_limits={q.name: q.per_partition_limit
                                  for q in self.definitions.queues
                                  if q.per_partition_limit is not None},
                on_launch=self.metrics.run_launched,
                version=deploy.effective_version,
                deploy_lock=deploy.lock_name if deploy.drain_enabled else None,
            )
            self.registry.on_drain(self._drain_pool)
            self.registry.start()
            if deploy.drain_enabled:
                self.deploy_drain = DeployDrain(
                    self.storage, self.coordinator, lock_name=deploy.lock_name,
                    version=deploy.effective_version, timeout=deploy.drain_timeout_seconds,
                    interval=execution.heartbeat_interval_seconds,
                    heartbeat_timeout=execution.heartbeat_timeout_seconds)
            self.monitor = RunMonitor(
                self.storage, self.definitions.jobs_by_name,
                heartbeat_interval=execution.heartbeat_interval_seconds,
                heartbeat_timeout=execution.heartbeat_timeout_seconds,
                on_requeue=self.coordinator.wake,
            )
        return self.coordinator

    def _drain_pool(self, orders: DrainOrders) -> None:
        """This server's pool was asked to drain (or to resume): its coordinator claims
        no more runs (or claims again); the executor lets its idle workers go itself."""
        coordinator = self.coordinator
        assert coordinator is not None
        if orders.pool:
            coordinator.pause("pool", "this server's pool is drained: it claims no runs "
                                      "until it is resumed")
        else:
            coordinator.resume("pool")

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
                on_fired=self.metrics.tick_fired,
            )
        return self.scheduler

    def bind(self) -> socket.socket:
        """Listen on `admin.host:admin.port` now: a port in use fails here, with a message
        saying which setting to change, before anything else starts. With
        `admin.processes` above 1, the socket is one the server's web processes share."""
        admin = self.config.admin
        return listen(admin.host, admin.port, shared=admin.processes > 1,
                      first=web_process_link() is None)

    async def start(self) -> None:
        """Start the runtime on the running event loop: recover runs a previous server
        left behind, then run the coordinator, the run monitor and (unless
        `scheduler.enabled` is false) the scheduler as tasks. An app that mounts `asgi` in
        its own ASGI server calls this in its lifespan (or uses `running()`); `serve()`
        does it itself."""
        async with self._starting:
            if self._closed:
                raise DaggoError("this app is closed: open a new one with daggo_core.open()")
            if not self._tasks and self.primary is None:  # a web process has none
                await self._start_tasks()

    async def _start_tasks(self) -> None:
        coordinator = self.start_execution()
        monitor = self.monitor
        assert monitor is not None
        # The monitor's first pass recovers runs a previous server left QUEUED/STARTING/
        # STARTED: stale ones are re-queued or failed before new work is dispatched.
        try:
            await asyncio.to_thread(monitor.check_once)
        except Exception:
            logger.exception("start-up recovery of left-over runs failed; the monitor retries")
        if self.deploy_drain is not None:
            # Announced before the coordinator claims: a new version claims nothing while
            # other versions' runs are active (the claims themselves refuse).
            try:
                await asyncio.to_thread(self.deploy_drain.announce)
            except Exception:
                logger.exception("announcing this deploy failed; the drain check retries")
        if self._closed:  # closed from another thread meanwhile: start nothing over it
            return
        self._tasks = {
            "coordinator": asyncio.create_task(coordinator.run_forever(),
                                               name="daggo-coordinator"),
            "monitor": asyncio.create_task(monitor.run_forever(), name="daggo-run-monitor"),
        }
        if self.deploy_drain is not None:
            self._tasks["deploy"] = asyncio.create_task(self.deploy_drain.run_forever(),
                                                        name="daggo-deploy-drain")
        if self.config.scheduler.enabled:
            self._tasks["scheduler"] = asyncio.create_task(
                self.start_scheduler().run_forever(), name="daggo-scheduler")
        scheduling = self.config.scheduler
        self._tasks["backfills"] = asyncio.create_task(
            BackfillRunner(self.storage, batch_size=scheduling.backfill_batch_size,
                           poll_interval=scheduling.backfill_interval_seconds,
                           on_queued=coordinator.wake).run_forever(),
            name="daggo-backfills")
        if any(node.spec.automation for node in self.definitions.asset_graph.nodes.values()):
            self._tasks["automation"] = asyncio.create_task(
                AssetAutomation(self.storage, interval=scheduling.automation_interval_seconds,
                                on_launch=coordinator.wake).run_forever(),
                name="daggo-automation")
        purger = Purger.configured(self.storage, self.config.retention)
        if purger.purges_anything:
            self._tasks["retention"] = asyncio.create_task(purger.run_forever(),
                                                           name="daggo-retention")
        if self.definitions.queues:
            self.queues = QueueRuntime(self.storage, self.definitions,
                                       ingestor=self.services.queues.ingestor,
                                       on_accepted=coordinator.wake)
            self._tasks["queues"] = asyncio.create_task(self.queues.run_forever(),
                                                        name="daggo-queues")

    async def stop(self) -> None:
        """Stop the runtime's tasks, then close the app (see `close`)."""
        self._stopping = True
        async with self._starting:  # a start in progress finishes first
            tasks, self._tasks = list(self._tasks.values()), {}
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await asyncio.to_thread(self.close)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[DaggoApp]:
        """`start()` on entry, `stop()` on exit: the runtime for the block's lifetime."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    def lifespan(self, host: object = None) -> contextlib.AbstractAsyncContextManager[DaggoApp]:
        """The runtime for a host ASGI application's lifespan, as Starlette and FastAPI
        take one: `Starlette(routes=[Mount("/daggo", app.asgi)], lifespan=app.lifespan)`
        (they call it with the host application, which it does not need)."""
        return self.running()

    async def serve(self, shutdown: asyncio.Event | None = None, *,
                    listening: socket.socket | None = None) -> None:
        """Serve the admin and run the runtime until `shutdown` is set (or a signal),
        with the web processes of `admin.processes` beside this one
        (`daggo_core.web.processes`); in a web process, serve without a runtime.

        `listening` is a socket from `bind()`; without one the app binds now.
        """
        from hypercorn.asyncio import serve
        from hypercorn.config import Config as HypercornConfig

        link = web_process_link()
        web_command = self._web_command() if link is None else None
        sock = listening or self.bind()
        stop = shutdown or asyncio.Event()
        loop = asyncio.get_running_loop()
        if shutdown is None:
            for sig in (signal.SIGINT, signal.SIGTERM):
                # Not on Windows' loops, nor off the main thread: stop through `shutdown`.
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
        hconfig = HypercornConfig()
        hconfig.bind = [f"fd://{sock.detach()}"]  # Hypercorn owns the socket from here
        hconfig.accesslog = None
        hconfig.errorlog = logging.getLogger("daggo.web")
        hconfig.graceful_timeout = 2.0
        async def stopping() -> None:
            await stop.wait()
            self.feed.close()  # open streams end now: they do not hold the shutdown up

        if link is not None:
            await self._serve_web_process(hconfig, stopping, stop, link)
            return
        async with self.running(), self._web_processes(stop, web_command):
            await serve(self.asgi, hconfig, shutdown_trigger=stopping)

    def _web_command(self) -> list[str] | None:
        """The command of the web processes of `admin.processes` (this program again),
        None when it is 1; fails, before anything starts, when there is none."""
        if self.config.admin.processes == 1:
            return None
        command = default_worker_command()
        if command is None:
            raise DaggoError("admin.processes above 1 needs a program to start again for "
                             "each web process (daggo run, or a script calling "
                             "daggo_core.run); set admin.processes to 1 here")
        return command

    @contextlib.asynccontextmanager
    async def _web_processes(self, stop: asyncio.Event,
                             command: list[str] | None) -> AsyncIterator[None]:
        """The web processes running `command` (none without one), for the block: told
        to stop as soon as `stop` is set (while this process's runtime still stops),
        waited for when the block ends."""
        from daggo_core.web.primary_link import PrimaryLinkServer
        from daggo_core.web.processes import WebProcesses

        if command is None:
            yield
            return
        link = PrimaryLinkServer(self)
        processes = WebProcesses(command, self.config.admin.processes - 1, link.name,
                                 link.key)
        watching = asyncio.create_task(processes.run(stop), name="daggo-web-processes")
        try:
            yield
        finally:
            stop.set()  # however serving ended, the web processes end with it
            await watching
            await asyncio.to_thread(link.close)

    async def _serve_web_process(self, hconfig: Any, stopping: Callable[[], Any],
                                 stop: asyncio.Event, link: WebProcessLink) -> None:
        """Serve requests without a runtime, asking the primary of `link` for its."""
        from hypercorn.asyncio import serve

        from daggo_core.web.primary_link import PrimaryLink
        from daggo_core.web.processes import watch_primary

        self.primary = self.metrics.primary = PrimaryLink(link.name, link.key)
        watching = asyncio.create_task(watch_primary(link.primary_pid, stop),
                                       name="daggo-primary-watch")
        try:
            await serve(self.asgi, hconfig, shutdown_trigger=stopping)
        finally:
            watching.cancel()
            await asyncio.to_thread(self.close)

    def component_states(self) -> dict[str, str]:
        """The coordinator, monitor, scheduler, backfill runner, asset automation,
        purger of old runs, queue runtime and executor of this process (in a web
        process, of the primary), and their states."""
        if self.primary is not None:
            return self.primary.components()[0]
        states: dict[str, str] = {}
        automated = any(n.spec.automation for n in self.definitions.asset_graph.nodes.values())
        purging = Purger.configured(self.storage, self.config.retention).purges_anything
        names = ("coordinator", "monitor", "scheduler", "backfills",
                 *(("automation",) if automated else ()),
                 *(("retention",) if purging else ()),
                 *(("queues",) if self.definitions.queues else ()))
        for name in names:
            task = self._tasks.get(name)
            if name == "scheduler" and not self.config.scheduler.enabled:
                states[name] = "disabled"
            elif self._stopping:
                states[name] = "stopped"
            elif task is None:
                states[name] = "not started"
            elif task.done():
                states[name] = "stopped"
            else:
                states[name] = "running"
        executor = self.executor
        states["executor"] = ("not started" if executor is None
                              else "failing" if executor.problem() else "running")
        return states

    def process_role(self) -> str:
        """"web" in a web process of `admin.processes`, else "primary"."""
        return "primary" if self.primary is None else "web"

    def component_problems(self) -> dict[str, str]:
        """Why the executor fails (its workers keep failing to start), if it does."""
        if self.primary is not None:
            return self.primary.components()[1]
        executor = self.executor
        problem = executor.problem() if executor is not None else None
        return {"executor": problem} if problem else {}

    def close(self) -> None:
        """End the open streams, close the executor (the in-process one waits for its
        runs; subprocess workers carry on by themselves), deliver the run events still
        queued for plugins, store the queue pushes under way, then release storage.
        Closing again does nothing."""
        if self._closed:
            return
        self._closed = True
        with contextlib.ExitStack() as closing:  # each step runs, whatever one raises
            closing.callback(self.storage.close)
            if self.primary is not None:  # what it still has to report goes first
                closing.callback(self.primary.close)
            if self.events is not None:
                closing.callback(self.events.close)
            closing.callback(self._close_execution)
            # First (callbacks run last to first): the pushes under way are stored, and
            # their events delivered, before anything else closes.
            closing.callback(self.services.queues.close)
            self.feed.close()

    def _close_execution(self) -> None:
        if self.coordinator is not None:
            self.coordinator.close()
        if self.executor is not None:
            self.executor.close()
            self.executor = None
        if self.registry is not None:
            registry, self.registry = self.registry, None
            registry.close()
            if registry.pool is not None:
                with contextlib.suppress(DaggoError):  # else pruned once silent
                    self.storage.remove_pool(registry.pool)


def open_app(
    config: Config | None = None,
    *definitions: Definitions | JobDefinition,
    hooks: Hooks | None = None,
) -> DaggoApp:
    """Open storage (applying migrations), sync job metadata and return the app.

    Scheduler bookkeeping of schedules no longer in code is cleared (their runs stay).

    Fails at once, naming the setting, if the configured storage backend, executor or
    authenticator is not installed or its plugin failed to import.

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
    hooks.authenticator(cfg.admin.authenticator)
    storage = backend.open(cfg.database)
    events = attach_dispatcher(storage, hooks)
    try:
        if web_process_link() is None:  # a web process's primary has synced them
            sync_definitions(storage, defs)
    except BaseException:
        storage.close()
        raise
    return DaggoApp(cfg, defs, hooks, storage, events)


open = open_app


def run(config: Config | None = None, *definitions: Definitions | JobDefinition) -> None:
    """Open the app and serve it (admin UI, RPC, run execution) until interrupted."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = open_app(config, *definitions)
    try:
        listening = app.bind()
    except BaseException:
        app.close()
        raise
    if web_process_link() is None:
        print(f"daggo: serving {app.url} (storage: {app.config.database.driver})", flush=True)
    asyncio.run(app.serve(listening=listening))
