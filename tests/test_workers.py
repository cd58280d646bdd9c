"""The worker registry: the subprocess executor's rows of its workers, `Workers.GetMany`
(LOST computed when read), the run monitor's pruning, and the admin's Workers page."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
import socket
import sqlite3
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from attrs import evolve

import daggo_core
from daggo_core.config import default_config
from daggo_core.execution.heartbeat import worker_id
from daggo_core.execution.run_monitor import WORKER_PRUNE_TIMEOUTS, RunMonitor
from daggo_core.execution.worker_registry import WorkerRegistry
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run, RunStatus, WorkerRecord, WorkerState, utcnow
from daggo_core.testing.processes import pid_alive, wait_for
from tests.conftest import BackendUnderTest, serve_worker_app, started_pid
from tests.ui_support import shot

#: Heartbeats every 0.5 s: a silent worker is LOST after 1.5 s, pruned after 15 s.
INTERVAL = 0.5
HOST = socket.gethostname()


def registered(host: str = HOST, pid: int = 4127, *, state: WorkerState = WorkerState.IDLE,
               run_id: str | None = None, silent: float = 0.0) -> WorkerRecord:
    """A row of worker `host:pid` whose last heartbeat was `silent` seconds ago."""
    return WorkerRecord(id=f"{host}:{pid}", host=host, pid=pid, executor="subprocess",
                        state=state, run_id=run_id, version="0.1.0",
                        heartbeat_at=utcnow() - dt.timedelta(seconds=silent))


# -- a real server's workers, over the RPC ------------------------------------------


@pytest.fixture
def env(worker_env: SimpleNamespace) -> SimpleNamespace:
    return worker_env


def rpc(env: SimpleNamespace, method: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{env.port}/rpc/{method}", data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def workers(env: SimpleNamespace) -> dict[int, dict[str, Any]]:
    """The workers `Workers.GetMany` lists, by pid."""
    return {w["pid"]: w for w in rpc(env, "Workers.GetMany")["workers"]}


def shown(env: SimpleNamespace, state: str, run_id: str | None = None,
          *, pid: int | None = None) -> Callable[[], dict[str, Any] | None]:
    """A check for a worker listed in `state` (running `run_id`; of process `pid`)."""
    def check() -> dict[str, Any] | None:
        return next((w for w in workers(env).values() if w["state"] == state
                     and (run_id is None or w["run_id"] == run_id)
                     and (pid is None or w["pid"] == pid)), None)

    return check


def test_a_warm_worker_is_idle_a_running_one_runs_its_run_and_an_exited_one_goes(
        env: SimpleNamespace) -> None:
    serve_worker_app(env)
    idle = wait_for(shown(env, "IDLE"), 20, "the warm worker to be listed IDLE")
    assert pid_alive(idle["pid"]) and idle["id"] == worker_id(idle["pid"])
    assert (idle["host"], idle["executor"], idle["version"]) == (
        HOST, "subprocess", daggo_core.__version__)
    assert idle["run_id"] is None and idle["job_name"] is None
    run_id = rpc(env, "Jobs.Launch", {"job": "gate_job"})["run"]["id"]
    pid = started_pid(env, run_id)
    assert pid == idle["pid"]  # the warm worker took it
    running = wait_for(shown(env, "RUNNING", run_id), 10, "its worker listed RUNNING")
    assert (running["pid"], running["job_name"]) == (pid, "gate_job")
    assert running["started_at"] == idle["started_at"]  # the same process, since it started
    wait_for(lambda: [w for p, w in workers(env).items() if p != pid and w["state"] == "IDLE"],
             20, "a new warm worker")
    (env.gate / "open").touch()
    wait_for(lambda: not pid_alive(pid), 20, "the worker to exit")
    wait_for(lambda: pid not in workers(env), 10, "its row to go")


def test_a_killed_servers_idle_worker_is_lost_while_its_running_one_runs_on(
        env: SimpleNamespace) -> None:
    first = serve_worker_app(env)
    idle = wait_for(shown(env, "IDLE"), 20, "the warm worker")
    run_id = rpc(env, "Jobs.Launch", {"job": "gate_job"})["run"]["id"]
    runner = started_pid(env, run_id)
    wait_for(shown(env, "RUNNING", run_id), 10, "its worker listed RUNNING")
    warm = wait_for(shown(env, "IDLE"), 20, "the next warm worker")
    assert idle["pid"] == runner != warm["pid"]
    first.send_signal(signal.SIGKILL)  # nothing stores the end of its workers
    first.wait()
    wait_for(lambda: not pid_alive(warm["pid"]), 10, "the warm worker to exit on EOF")
    serve_worker_app(env)
    lost = wait_for(shown(env, "LOST", pid=warm["pid"]), 10, "the idle worker LOST")
    assert lost["run_id"] is None
    # The worker running its run outlived its server: its run's heartbeats keep its row.
    assert workers(env)[runner]["state"] == "RUNNING"
    assert pid_alive(runner)
    (env.gate / "open").touch()
    wait_for(shown(env, "LOST", run_id, pid=runner), 10, "the finished runner LOST")


# -- the registry, the service and the monitor, over storage ---------------------------


def test_the_registry_stores_changes_once_per_flush_and_heartbeats_each_interval(
        storage: Storage) -> None:
    now = [0.0]
    registry = WorkerRegistry(storage, executor="subprocess", heartbeat_interval=1.0,
                              clock=lambda: now[0])
    registry.update(11, WorkerState.STARTING)
    registry.update(11, WorkerState.RUNNING, "r" * 32)
    registry.update(12, WorkerState.STARTING)
    registry.gone(12)  # shorter-lived than a flush: never stored
    registry.flush()
    (row,) = storage.list_workers(limit=10)
    assert (row.id, row.state, row.run_id, row.executor) == (
        worker_id(11), WorkerState.RUNNING, "r" * 32, "subprocess")
    storage.save_worker(evolve(row, heartbeat_at=row.heartbeat_at - dt.timedelta(hours=1)))
    registry.flush()  # within the interval: no heartbeat
    assert storage.list_workers(limit=10)[0].heartbeat_at < row.heartbeat_at
    now[0] = 1.0
    registry.flush()
    assert storage.list_workers(limit=10)[0].heartbeat_at >= row.heartbeat_at
    storage.remove_worker(row.id)  # as if pruned: found missing at a heartbeat ...
    now[0] = 2.0
    registry.flush()
    registry.flush()  # ... and saved again
    assert [w.id for w in storage.list_workers(limit=10)] == [row.id]
    registry.gone(11)
    registry.flush()
    assert storage.list_workers(limit=10) == []


def test_the_registry_stores_at_the_next_flush_what_a_failing_database_refused(
        tmp_path: Path) -> None:
    from daggo_core.plugins import make_plugin_manager
    from daggo_sqlite.testing import database_config

    storage = make_plugin_manager().storage_backend("sqlite").open(
        database_config(str(tmp_path / "w.sqlite")))
    try:
        registry = WorkerRegistry(storage, executor="subprocess", heartbeat_interval=1.0)
        registry.update(21, WorkerState.IDLE)
        with storage.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.text("ALTER TABLE workers RENAME TO workers_away"))
        registry.flush()  # logged, kept
        with storage.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.text("ALTER TABLE workers_away RENAME TO workers"))
        assert storage.list_workers(limit=10) == []
        registry.flush()
        assert [w.state for w in storage.list_workers(limit=10)] == [WorkerState.IDLE]
    finally:
        storage.close()


def test_workers_get_many_shows_silent_workers_lost_with_their_runs_job_by_pages(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.scheduler.enabled = False
    app = apps(cfg)
    run = app.storage.add_run(Run(job_name="nightly", status=RunStatus.STARTED))
    timeout = cfg.execution.heartbeat_timeout_seconds
    app.storage.save_worker(registered(pid=1, state=WorkerState.RUNNING, run_id=run.id))
    app.storage.save_worker(registered(pid=2, silent=timeout + 5))
    app.storage.save_worker(registered("other-host", 3, state=WorkerState.STARTING))

    def call(body: dict[str, Any]) -> Any:
        async def post() -> Any:
            answer = await app.asgi.test_client().post("/rpc/Workers.GetMany", json=body)
            assert answer.status_code == 200
            return await answer.get_json()

        return asyncio.run(post())

    page = call({})
    assert page["lost_after_seconds"] == timeout and page["next_cursor"] is None
    listed = [(w["host"], w["pid"], w["state"], w["job_name"]) for w in page["workers"]]
    assert listed == sorted([(HOST, 1, "RUNNING", "nightly"), (HOST, 2, "LOST", None),
                             ("other-host", 3, "STARTING", None)], key=lambda w: w[:2])
    first = call({"limit": 2})
    rest = call({"limit": 2, "cursor": first["next_cursor"]})
    assert [w["id"] for w in first["workers"] + rest["workers"]] == [
        w["id"] for w in page["workers"]]
    assert rest["next_cursor"] is None


def test_the_workers_page_shows_what_a_row_holds_as_text(
        tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    from daggo_sqlite.testing import database_config

    cfg = default_config()
    cfg.database = database_config(str(tmp_path / "page.sqlite"))
    app = apps(cfg)
    app.storage.save_worker(evolve(registered("<b>box</b>"), version="<script>x()</script>"))

    async def get() -> str:
        answer = await app.asgi.test_client().get("/workers")
        assert answer.status_code == 200
        return await answer.get_data(as_text=True)

    body = asyncio.run(get())
    assert "&lt;b&gt;box&lt;/b&gt;" in body and "<b>box</b>" not in body
    assert "&lt;script&gt;x()&lt;/script&gt;" in body and "<script>x()" not in body


def test_the_monitor_prunes_long_silent_workers_every_timeout(storage: Storage) -> None:
    timeout = 0.5
    monitor = RunMonitor(storage, {}, heartbeat_interval=0.1, heartbeat_timeout=timeout)
    long_silent = WORKER_PRUNE_TIMEOUTS * timeout + 1
    storage.save_worker(registered(pid=1, silent=long_silent))
    storage.save_worker(registered(pid=2, silent=long_silent - 2))
    assert monitor.prune_workers() == 1
    assert [w.pid for w in storage.list_workers(limit=10)] == [2]

    async def monitor_for(seconds: float) -> None:
        task = asyncio.create_task(monitor.run_forever())
        await asyncio.sleep(seconds)
        task.cancel()

    # Silent long enough within a timeout or two: pruned by the running monitor.
    asyncio.run(monitor_for(3 * timeout))
    assert storage.list_workers(limit=10) == []


def test_a_check_writes_nothing_while_a_hung_worker_holds_the_write_lock(
        env: SimpleNamespace) -> None:
    monitor = RunMonitor(env.storage, {}, heartbeat_interval=0.2, heartbeat_timeout=0.6)
    env.storage.save_worker(registered(pid=1, silent=WORKER_PRUNE_TIMEOUTS * 0.6 + 1))
    holder = sqlite3.connect(env.tmp / "daggo.sqlite")
    holder.execute("BEGIN IMMEDIATE")  # as a SIGSTOPped worker inside a transaction
    try:
        checked = threading.Event()
        threading.Thread(target=lambda: (monitor.check_once(), checked.set()),
                         daemon=True).start()
        # Writes wait up to database.retry_seconds (300 s): a check must not write.
        assert checked.wait(5), "the check waited for the write lock"
    finally:
        holder.rollback()
        holder.close()


# -- the Workers page, in a browser ------------------------------------------------------


def test_the_workers_page_lists_a_running_worker_with_a_link_to_its_run(
        env: SimpleNamespace, browser: Any) -> None:
    serve_worker_app(env)
    run_id = rpc(env, "Jobs.Launch", {"job": "gate_job"})["run"]["id"]
    pid = started_pid(env, run_id)
    wait_for(shown(env, "RUNNING", run_id), 10, "its worker listed RUNNING")
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"http://127.0.0.1:{env.port}/workers")
    row = page.locator(f'tr[data-worker="{worker_id(pid)}"]')
    assert "RUNNING" in row.inner_text() and "gate_job" in row.inner_text()
    assert row.locator("time[data-local]").count() == 2  # started, last heartbeat
    assert page.locator('header a[aria-current="page"]').inner_text() == "Workers"
    shot(page, "workers-running")
    row.get_by_role("link", name=run_id[:8]).click()
    page.wait_for_url(f"http://127.0.0.1:{env.port}/runs/{run_id}")
    assert errors == []
    context.close()
