"""Draining workers and pools (`Workers.Drain`, `Workers.Resume`, the registry's drain
orders, the Workers page) and deploy drain (`deploy.*`, `Workers.GetDeploy`), from the
registry over storage up to real servers of two versions on one database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

import daggo_core
from daggo_core.config import default_config
from daggo_core.execution.deploy_drain import DEPLOY_DRAIN_TIMEOUT, DeployDrain
from daggo_core.execution.heartbeat import worker_id
from daggo_core.execution.worker_registry import DrainOrders, WorkerRegistry
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.drain_records import DeployState, PoolRecord
from daggo_core.storage.records import (
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
    WorkerRecord,
    WorkerState,
    utcnow,
)
from daggo_core.testing.processes import free_port, pid_alive, wait_for, wait_healthy
from tests.conftest import BackendUnderTest, serve_worker_app, started_pid
from tests.ui_support import shot

HOST = socket.gethostname()


def rpc(port: int, method: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/rpc/{method}", data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def status(port: int, run_id: str) -> str:
    return str(rpc(port, "Runs.Get", {"run_id": run_id})["run"]["status"])


# -- the registry's drain orders, over storage -----------------------------------------


def test_a_registry_obeys_its_pools_drain_accepts_it_once_obeyed_and_resumes(
        storage: Storage) -> None:
    now = [0.0]
    registry = WorkerRegistry(storage, executor="celery", heartbeat_interval=1.0,
                              pool="celery:reports", queues=["reports"], version="7",
                              clock=lambda: now[0])
    told: list[DrainOrders] = []
    refusals = [1]

    def listener(orders: DrainOrders) -> None:
        told.append(orders)
        if refusals[0]:
            refusals[0] -= 1
            raise RuntimeError("not ready to stop consuming")

    registry.on_drain(listener)
    registry.update(31, WorkerState.IDLE)
    registry.flush()
    (pool,) = storage.list_pools()
    assert (pool.name, pool.executor, pool.queues, pool.version, pool.host) == (
        "celery:reports", "celery", ("reports",), "7", HOST)
    (row,) = storage.list_workers(limit=10)
    assert (row.pool, row.queues, row.version) == ("celery:reports", ("reports",), "7")
    assert told == []  # nothing asked: nobody told
    storage.request_drain(pool="celery:reports", at=utcnow())
    registry.flush()
    assert told == []  # seen at the next heartbeat, not before
    drain = DrainOrders(pool=True, pids=frozenset({31}))
    now[0] = 1.0
    registry.flush()
    assert told == [drain] and registry.orders == DrainOrders()  # refused: not accepted
    assert storage.list_pools()[0].drain_accepted_at is None
    now[0] = 2.0
    registry.flush()
    assert told == [drain, drain] and registry.orders == drain
    assert storage.list_pools()[0].drain_accepted_at is not None
    now[0] = 3.0
    registry.flush()
    assert len(told) == 2  # the same orders are not given again
    storage.resume_drain(pool="celery:reports")
    storage.request_drain(worker_id=worker_id(31), at=utcnow())
    now[0] = 4.0
    registry.flush()
    assert told[-1] == DrainOrders(pids=frozenset({31}))
    assert storage.list_workers(limit=1)[0].drain_accepted_at is not None
    assert storage.list_pools()[0].drain_requested_at is None


# -- what Workers.* show and do, over storage -------------------------------------------


def call(app: daggo_core.DaggoApp, method: str, body: dict[str, Any] | None = None,
         expect: int = 200) -> Any:
    async def post() -> Any:
        answer = await app.asgi.test_client().post(f"/rpc/{method}", json=body or {})
        assert answer.status_code == expect, await answer.get_data(as_text=True)
        return await answer.get_json()

    return asyncio.run(post())


def row(pid: int, *, pool: str = "", state: WorkerState = WorkerState.IDLE,
        run_id: str | None = None) -> WorkerRecord:
    return WorkerRecord(id=f"{HOST}:{pid}", host=HOST, pid=pid, executor="subprocess",
                        state=state, run_id=run_id, version="1", pool=pool)


def test_a_worker_that_exits_as_it_is_drained_is_answered_gone_not_unknown(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    """The drain is stored, then the worker exits before the answer reads its row back:
    the answer says neither worker nor pool (gone), not that it never existed."""
    cfg = default_config()
    cfg.database = storage_backend.database
    app = apps(cfg)
    app.storage.save_worker(row(7))
    request_drain = app.storage.request_drain

    def then_the_worker_exits(**target: Any) -> bool:
        stored = request_drain(**target)
        storage_backend.open().remove_worker(f"{HOST}:7")  # the worker's own last act
        return stored

    app.storage.request_drain = then_the_worker_exits  # type: ignore[method-assign]
    assert call(app, "Workers.Drain", {"worker": f"{HOST}:7"}) == {"worker": None,
                                                                   "pool": None}
    call(app, "Workers.Drain", {"worker": f"{HOST}:7"}, expect=404)  # now it is unknown


def test_drained_workers_and_pools_show_draining_until_accepted_and_idle_then_drained(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    app = apps(cfg)
    storage = app.storage
    run = storage.add_run(Run(job_name="nightly", status=RunStatus.STARTED))
    for name, active in (("busy", 1), ("calm", 0), ("own", None)):
        storage.save_pool(PoolRecord(name=name, executor="subprocess", host=HOST,
                                     version="1", active_runs=active))
    storage.save_worker(row(1, pool="busy", state=WorkerState.RUNNING, run_id=run.id))
    storage.save_worker(row(2, pool="own", state=WorkerState.RUNNING, run_id=run.id))
    storage.save_worker(row(3))
    storage.save_worker(row(4))
    for pool in ("busy", "calm", "own"):
        assert call(app, "Workers.Drain", {"pool": pool})["pool"]["state"] == "DRAINING"
    storage.accept_drain(pool="busy", at=utcnow())
    storage.accept_drain(pool="calm", at=utcnow())
    storage.accept_drain(pool="own", at=utcnow())
    answer = call(app, "Workers.Drain", {"worker": f"{HOST}:3"})["worker"]
    assert (answer["state"], answer["drained_with_pool"]) == ("DRAINING", False)
    call(app, "Workers.Drain", {"worker": f"{HOST}:4"})
    storage.accept_drain(worker_ids=[f"{HOST}:4"], at=utcnow())
    pools = {p["name"]: p for p in call(app, "Workers.GetPools")["pools"]}
    # A pool whose owner counts its runs, or one counted by its workers' rows.
    assert {name: (p["state"], p["active_runs"]) for name, p in pools.items()} == {
        "busy": ("DRAINING", 1), "calm": ("DRAINED", 0), "own": ("DRAINING", 1)}
    assert pools["calm"]["drain_accepted_at"] is not None
    shown = {w["pid"]: w for w in call(app, "Workers.GetMany")["workers"]}
    assert {pid: w["state"] for pid, w in shown.items()} == {
        1: "DRAINING", 2: "DRAINING", 3: "DRAINING", 4: "DRAINED"}
    assert shown[1]["drained_with_pool"] and shown[1]["pool"] == "busy"
    assert shown[4]["pool"] is None and not shown[4]["drained_with_pool"]
    resumed = call(app, "Workers.Resume", {"pool": "calm"})["pool"]
    assert (resumed["state"], resumed["drain_requested_at"]) == ("ACTIVE", None)
    assert call(app, "Workers.Resume", {"worker": f"{HOST}:4"})["worker"]["state"] == "IDLE"
    missing = call(app, "Workers.Drain", {"pool": "nope"}, expect=404)["error"]
    assert missing["code"] == "not_found" and "Workers.GetPools" in missing["message"]
    both = call(app, "Workers.Drain", {"pool": "busy", "worker": f"{HOST}:1"}, expect=400)
    assert "name one of them" in both["error"]["message"]


def test_get_deploy_counts_the_runs_other_versions_have_and_the_page_says_so(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.deploy.version = "2"
    app = apps(cfg)
    assert call(app, "Workers.GetDeploy") == {"deploy": None, "drain_enabled": False,
                                              "version": "2"}
    for version in ("1", "1", None):
        app.storage.add_run(Run(job_name="etl", status=RunStatus.STARTED,
                                claimed_version=version))
    app.storage.add_run(Run(job_name="etl", status=RunStatus.STARTED, claimed_version="2"))
    at = utcnow()
    app.storage.announce_deploy("daggo", "2", holder="web-2:1", at=at,
                                deadline=at + dt.timedelta(minutes=30))
    deploy = call(app, "Workers.GetDeploy")["deploy"]
    assert (deploy["state"], deploy["version"], deploy["runs_left"]) == (
        "DRAINING", "2", {"1": 2, "unknown": 1})

    async def page() -> str:
        answer = await app.asgi.test_client().get("/workers")
        assert answer.status_code == 200
        return await answer.get_data(as_text=True)

    body = asyncio.run(page())
    assert 'data-deploy-state="DRAINING"' in body and "3 runs left" in body


# -- deploy drain's decisions, over storage ---------------------------------------------


def test_at_the_deadline_old_runs_are_handed_back_and_the_new_version_waits_for_their_workers(
        storage_backend: BackendUnderTest, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.execution.executor = "in_process"
    app = apps(cfg)
    coordinator = app.start_execution()
    storage = app.storage
    started = storage.add_run(Run(job_name="etl", status=RunStatus.STARTED, claimed_version="1",
                                  worker_id=f"{HOST}:901", tags={"team": "data"}))
    storage.record_steps([StepRecord(run_id=started.id, step_key="load",
                                     status=StepStatus.RUNNING)], [])
    starting = storage.add_run(Run(job_name="etl", status=RunStatus.STARTING,
                                   claimed_version="1"))
    storage.save_worker(row(901, state=WorkerState.RUNNING, run_id=started.id))
    clock = [utcnow()]
    new = DeployDrain(storage, coordinator, lock_name="daggo", version="2", timeout=60,
                      interval=1, heartbeat_timeout=3600, clock=lambda: clock[0])
    lock = new.announce()
    assert (lock.state, lock.previous_version) == (DeployState.DRAINING, None)
    assert "waits for 2 run(s) of other versions" in coordinator.paused["deploy"]
    assert new.check_once().state is DeployState.DRAINING  # before the deadline: waits
    clock[0] += dt.timedelta(seconds=61)
    lock = new.check_once()
    assert (lock.state, lock.handed_back) == (DeployState.DRAINING, 2)
    failed = storage.get_run(started.id)
    assert failed.status is RunStatus.FAILURE and failed.error is not None
    assert failed.error.type == DEPLOY_DRAIN_TIMEOUT
    assert [s.status for s in storage.list_steps(started.id)] == [StepStatus.FAILURE]
    (again,) = [r for r in storage.list_runs(RunFilter(statuses=(RunStatus.QUEUED,)),
                                             limit=10) if r.id != starting.id]
    assert (again.parent_run_id, again.job_name, again.tags) == (started.id, "etl",
                                                                 {"team": "data"})
    assert storage.get_run(starting.id).status is RunStatus.QUEUED  # never started: as is
    # The handed-back run's worker still heartbeats: the new version does not claim yet.
    assert "workers of handed-back runs" in coordinator.paused["deploy"]
    storage.remove_worker(f"{HOST}:901")  # it saw its run end, stopped and exited
    assert new.check_once().state is DeployState.ACTIVE
    assert "deploy" not in coordinator.paused
    # A server of the old version reading the lock claims no more.
    old_app = apps(cfg)
    old = DeployDrain(storage, old_app.start_execution(), lock_name="daggo", version="1",
                      timeout=60, interval=1, heartbeat_timeout=30)
    assert old.check_once().version == "2"
    assert "version 2 took lock 'daggo' over" in old.coordinator.paused["deploy"]


# -- a served app's pool and workers, drained for real ----------------------------------


@pytest.fixture
def env(worker_env: SimpleNamespace) -> SimpleNamespace:
    return worker_env


def own_pool(env: SimpleNamespace, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    name = f"subprocess@{worker_id(server.pid)}"
    return next(p for p in rpc(env.port, "Workers.GetPools")["pools"] if p["name"] == name)


def idle_workers(env: SimpleNamespace) -> list[dict[str, Any]]:
    return [w for w in rpc(env.port, "Workers.GetMany")["workers"] if w["state"] == "IDLE"]


def test_a_drained_pool_finishes_its_run_claims_no_more_and_resumes(
        env: SimpleNamespace) -> None:
    server = serve_worker_app(env)
    (warm,) = wait_for(lambda: idle_workers(env), 20, "a warm worker")
    first = rpc(env.port, "Jobs.Launch", {"job": "gate_job"})["run"]["id"]
    started_pid(env, first)
    wait_for(lambda: [w for w in idle_workers(env) if w["pid"] != warm["pid"]], 20,
             "the next warm worker")
    pool = own_pool(env, server)
    assert (pool["state"], pool["executor"], pool["active_runs"]) == ("ACTIVE", "subprocess", 1)
    drained = rpc(env.port, "Workers.Drain", {"pool": pool["name"]})["pool"]
    assert drained["state"] == "DRAINING"
    wait_for(lambda: own_pool(env, server)["drain_accepted_at"], 10, "the drain accepted")
    # Accepted: the coordinator claims no more, and no warm worker waits.
    wait_for(lambda: not idle_workers(env), 10, "the warm workers let go")
    runner = next(w for w in rpc(env.port, "Workers.GetMany")["workers"]
                  if w["run_id"] == first)
    assert (runner["state"], runner["drained_with_pool"]) == ("DRAINING", True)
    second = rpc(env.port, "Jobs.Launch", {"job": "gate_job"})["run"]["id"]
    (env.gate / "open").touch()
    wait_for(lambda: status(env.port, first) == "SUCCESS", 20, "the running run to finish")
    wait_for(lambda: own_pool(env, server)["state"] == "DRAINED", 10, "the pool DRAINED")
    assert status(env.port, second) == "QUEUED"  # many passes later, still not claimed
    resumed = rpc(env.port, "Workers.Resume", {"pool": pool["name"]})["pool"]
    assert resumed["state"] == "ACTIVE"
    wait_for(lambda: status(env.port, second) == "SUCCESS", 20, "the queued run, resumed")
    wait_for(lambda: idle_workers(env), 20, "a warm worker again")


def test_a_drained_idle_worker_is_let_go_and_replaced(env: SimpleNamespace) -> None:
    serve_worker_app(env)
    (warm,) = wait_for(lambda: idle_workers(env), 20, "a warm worker")
    rpc(env.port, "Workers.Drain", {"worker": warm["id"]})
    wait_for(lambda: not pid_alive(warm["pid"]), 10, "the drained worker to exit")
    wait_for(lambda: [w for w in idle_workers(env) if w["pid"] != warm["pid"]], 20,
             "a new warm worker")


def test_the_workers_page_drains_and_resumes_a_pool(env: SimpleNamespace, browser: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGGO_DEPLOY_DRAIN_ENABLED", "true")
    server = serve_worker_app(env)
    run_id = rpc(env.port, "Jobs.Launch", {"job": "gate_job"})["run"]["id"]
    pid = started_pid(env, run_id)
    name = own_pool(env, server)["name"]
    context = browser.new_context(viewport={"width": 1300, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"http://127.0.0.1:{env.port}/workers")
    assert "ACTIVE" in page.locator(f'tr[data-pool="{name}"]').inner_text()
    assert page.locator('#deploy [data-deploy-state="ACTIVE"]').count() == 1
    page.get_by_role("button", name=f"Drain pool {name}").click()
    page.wait_for_url(f"http://127.0.0.1:{env.port}/workers#pools")

    def shown(text: str, selector: str) -> bool:
        page.reload()
        return text in page.locator(selector).inner_text()

    wait_for(lambda: shown("DRAINING", f'tr[data-worker="{worker_id(pid)}"]')
             and page.locator("tr[data-worker]").count() == 1, 10,
             "the running worker DRAINING, the idle one let go")
    assert "DRAINING" in page.locator(f'tr[data-pool="{name}"]').inner_text()
    shot(page, "workers-pool-draining")
    (env.gate / "open").touch()
    wait_for(lambda: shown("DRAINED", f'tr[data-pool="{name}"]'), 20, "the pool DRAINED")
    assert page.get_by_role("button", name=f"Resume pool {name}").is_visible()
    shot(page, "workers-pool-drained")
    page.get_by_role("button", name=f"Resume pool {name}").click()
    page.wait_for_url(f"http://127.0.0.1:{env.port}/workers#pools")
    assert "ACTIVE" in page.locator(f'tr[data-pool="{name}"]').inner_text()
    assert errors == []
    context.close()


# -- deploy drain with two real servers of different versions ---------------------------


def serve_version(env: SimpleNamespace, port: int, version: str) -> subprocess.Popen[bytes]:
    """`daggo run -f app.py` as deploy version `version` on `port`, healthy."""
    log = (env.tmp / f"server-{len(env.procs)}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "daggo_core.cli.main", "run", "-f", "app.py"], cwd=env.tmp,
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "DAGGO_ADMIN_PORT": str(port), "DAGGO_DEPLOY_VERSION": version})
    env.procs.append(proc)
    wait_healthy(port, proc)
    return proc


def test_a_new_version_claims_only_once_the_old_versions_runs_finished(
        backend_worker_env: SimpleNamespace, monkeypatch: pytest.MonkeyPatch,
        browser: Any) -> None:
    env = backend_worker_env
    monkeypatch.setenv("DAGGO_DEPLOY_DRAIN_ENABLED", "true")
    monkeypatch.setenv("DAGGO_EXECUTION_MAX_CONCURRENT_RUNS", "2")
    old_port, new_port = env.port, free_port()
    serve_version(env, old_port, "1")
    wait_for(lambda: (rpc(old_port, "Workers.GetDeploy")["deploy"] or {}).get("state")
             == "ACTIVE", 20, "version 1 to claim")
    launch = lambda: rpc(old_port, "Jobs.Launch", {"job": "journal_job"})["run"]["id"]  # noqa: E731
    running = [launch(), launch()]
    for run_id in running:
        started_pid(env, run_id)
    queued = [launch(), launch(), launch()]
    serve_version(env, new_port, "2")
    deploy = rpc(new_port, "Workers.GetDeploy")
    assert deploy["version"] == "2" and deploy["drain_enabled"]
    lock = deploy["deploy"]
    assert (lock["state"], lock["version"], lock["previous_version"], lock["runs_left"]) == (
        "DRAINING", "2", "1", {"1": 2})
    assert rpc(old_port, "Workers.GetDeploy")["deploy"]["state"] == "DRAINING"  # one lock
    context = browser.new_context(viewport={"width": 1300, "height": 800})
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{old_port}/workers")
    assert page.locator("#deploy [data-runs-left]").inner_text() == "2 runs left"
    shot(page, "workers-deploy-draining")
    context.close()
    (env.gate / "open").touch()  # the old version's runs finish; then the new one claims
    for run_id in running + queued:
        wait_for(lambda run_id=run_id: status(new_port, run_id) == "SUCCESS", 60,
                 f"run {run_id} to succeed")
        env.worker_pids.add(int((env.gate / f"started-{run_id}").read_text()))
    lines = [line.split() for line in (env.gate / "journal").read_text().splitlines()]
    starts = [(run_id, version) for kind, run_id, version in lines if kind == "start"]
    ends = [(run_id, version) for kind, run_id, version in lines if kind == "end"]
    # Each run executed once (nothing twice, nothing lost): the old version's by version
    # 1, the queued ones by version 2, each only after every run of version 1 ended.
    assert sorted(starts) == sorted(ends) == sorted(
        [(r, "1") for r in running] + [(r, "2") for r in queued])
    last_old_end = max(i for i, line in enumerate(lines) if line[0] == "end" and line[2] == "1")
    first_new = min(i for i, line in enumerate(lines) if line[2] == "2")
    assert last_old_end < first_new
    final = rpc(new_port, "Workers.GetDeploy")["deploy"]
    assert (final["state"], final["version"], final["runs_left"], final["handed_back"]) == (
        "ACTIVE", "2", {}, 0)
