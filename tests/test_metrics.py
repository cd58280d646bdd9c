"""`GET /metrics` on each backend: the series after real runs, parsed as Prometheus reads
them, and the RPC request counters; refused without the token when a secret is set."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy
from attrs import frozen
from prometheus_client.parser import text_string_to_metric_families

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.config import default_config
from daggo_core.metrics import MAX_TRACKED_RUNS
from daggo_core.storage.records import Run, RunStatus
from daggo_core.testing.processes import wait_for
from tests.conftest import BackendUnderTest

SECRET = "metrics-secret-value"
AUTH = {"Authorization": f"Bearer {SECRET}"}
RELEASE = threading.Event()


@frozen
class Out:
    n: int


def quick(ctx: Context, inp: NoInput) -> Out:
    return Out(1)


def held(ctx: Context, inp: NoInput) -> Out:
    RELEASE.wait(10)
    return Out(2)


QUICK = dag.job("quick").add(dag.op("first", quick)).add(dag.op("second", quick)).build()
HELD = dag.job("held").add(dag.op("hold", held)).build()
TICKING = (dag.job("ticking").add(dag.op("work", quick))
           .schedule("* * * * *", overlap="allow").build())


@pytest.fixture
def app(storage_backend: BackendUnderTest,
        apps: Callable[..., daggo_core.DaggoApp]) -> daggo_core.DaggoApp:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.execution.executor = "in_process"
    cfg.execution.max_concurrent_runs = 1
    cfg.scheduler.enabled = False
    cfg.admin.secret_key = SECRET
    return apps(cfg, QUICK, HELD, TICKING)


def request(app: daggo_core.DaggoApp, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, str]:
    async def send() -> tuple[int, str]:
        response = await app.asgi.test_client().open(
            path, method=method, headers=AUTH if headers is None else headers,
            data=None if body is None else json.dumps(body))
        return response.status_code, await response.get_data(as_text=True)

    return asyncio.run(send())


def scrape(app: daggo_core.DaggoApp) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `/metrics`, by (name, sorted labels)."""
    status, text = request(app, "GET", "/metrics")
    assert status == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def launch(app: daggo_core.DaggoApp, job: str) -> str:
    status, text = request(app, "POST", "/rpc/Jobs.Launch", {"job": job})
    assert status == 200
    run_id: str = json.loads(text)["run"]["id"]
    return run_id


def finished(app: daggo_core.DaggoApp, run_id: str) -> bool:
    return app.storage.get_run(run_id).is_finished


def test_a_scrape_after_a_run_shows_its_runs_steps_latency_and_rpc_calls(
        app: daggo_core.DaggoApp) -> None:
    run_id = launch(app, "quick")
    queued = scrape(app)
    assert queued[("daggo_runs", (("job", "quick"), ("status", "QUEUED")))] == 1
    coordinator = app.start_execution()
    assert coordinator.dispatch_once() == 1
    wait_for(lambda: finished(app, run_id), 10, "it")
    wait_for(lambda: not app.executor or not app.executor.active_run_ids(), 10, "it")
    samples = scrape(app)
    assert samples[("daggo_runs", (("job", "quick"), ("status", "SUCCESS")))] == 1
    assert ("daggo_runs", (("job", "quick"), ("status", "QUEUED"))) not in samples
    steps = app.storage.list_steps(run_id)
    success = (("job", "quick"), ("status", "SUCCESS"))
    assert samples[("daggo_step_duration_seconds_count", success)] == 2
    assert samples[("daggo_step_duration_seconds_sum", success)] == pytest.approx(
        sum(s.duration_seconds or 0 for s in steps))
    run = app.storage.get_run(run_id)
    assert samples[("daggo_run_start_latency_seconds_count", (("job", "quick"),))] == 1
    latency = samples[("daggo_run_start_latency_seconds_sum", (("job", "quick"),))]
    assert 0 <= latency <= (run.started_at - run.created_at).total_seconds()  # type: ignore[operator]
    assert samples[("daggo_active_workers", ())] == 0
    launches = (("method", "Jobs.Launch"), ("status", "200"))
    assert samples[("daggo_rpc_requests_total", launches)] == 1
    assert samples[("daggo_rpc_request_duration_seconds_count",
                    (("method", "Jobs.Launch"),))] == 1
    # Observed once: a second scrape adds nothing.
    again = scrape(app)
    assert again[("daggo_step_duration_seconds_count", success)] == 2


def test_queued_runs_are_counted_by_why_they_wait(app: daggo_core.DaggoApp) -> None:
    RELEASE.clear()
    first, second = launch(app, "held"), launch(app, "held")
    coordinator = app.start_execution()
    try:
        assert coordinator.dispatch_once() == 1
        samples = scrape(app)
        assert samples[("daggo_queued_runs_waiting", (("reason", "run_slot"),))] == 1
        for kind in ("executor_slot", "job_limit", "tag_limit"):
            assert samples[("daggo_queued_runs_waiting", (("reason", kind),))] == 0
        assert samples[("daggo_active_workers", ())] == 1
        assert samples[("daggo_runs", (("job", "held"), ("status", "QUEUED")))] == 1
    finally:
        RELEASE.set()
    wait_for(lambda: finished(app, first), 10, "it")
    wait_for(lambda: coordinator.dispatch_once() == 1 or finished(app, second), 10, "it")
    wait_for(lambda: finished(app, second), 10, "it")
    coordinator.dispatch_once()
    assert scrape(app)[("daggo_queued_runs_waiting", (("reason", "run_slot"),))] == 0


def test_the_scheduler_lag_is_how_late_a_due_tick_fired(app: daggo_core.DaggoApp) -> None:
    start = dt.datetime(2026, 1, 1, 12, 0, 30, tzinfo=dt.UTC)
    scheduler = app.start_scheduler(clock=lambda: start)
    scheduler.tick(start)  # the schedule's bookkeeping starts here
    assert scheduler.tick(start + dt.timedelta(seconds=32))  # the 12:01 tick, 2 s late
    samples = scrape(app)
    assert samples[("daggo_scheduler_tick_lag_seconds_count", ())] == 1
    assert samples[("daggo_scheduler_tick_lag_seconds_sum", ())] == pytest.approx(2.0)


def test_rpc_requests_are_labelled_by_method_or_route_never_by_any_path(
        app: daggo_core.DaggoApp) -> None:
    request(app, "POST", "/rpc/System.Version")
    request(app, "POST", "/rpc/No.Such")
    request(app, "POST", "/rpc/System.Version", headers={})
    request(app, "GET", "/rpc/openapi.json")
    samples = scrape(app)
    count = "daggo_rpc_requests_total"
    assert samples[(count, (("method", "System.Version"), ("status", "200")))] == 1
    assert samples[(count, (("method", "System.Version"), ("status", "401")))] == 1
    assert samples[(count, (("method", "unknown"), ("status", "404")))] == 1
    assert samples[(count, (("method", "/rpc/openapi.json"), ("status", "200")))] == 1
    assert not any("No.Such" in str(key) for key in samples)


def test_metrics_need_the_token_when_a_secret_is_set(app: daggo_core.DaggoApp) -> None:
    status, text = request(app, "GET", "/metrics", headers={})
    assert status == 401
    assert json.loads(text)["error"]["code"] == "unauthenticated"


def test_each_app_has_its_own_registry(storage_backend: BackendUnderTest,
                                       apps: Callable[..., daggo_core.DaggoApp]) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.execution.executor = "in_process"
    one, two = apps(cfg, QUICK), apps(cfg, QUICK)
    request(one, "POST", "/rpc/System.Version", headers={})
    assert one.metrics.registry is not two.metrics.registry
    assert ("daggo_rpc_requests_total", (("method", "System.Version"), ("status", "200"))) \
        not in scrape(two)


def test_runs_waiting_for_a_scrape_are_bounded(app: daggo_core.DaggoApp) -> None:
    for _ in range(MAX_TRACKED_RUNS + 5):
        app.metrics.run_launched(Run(job_name="quick", status=RunStatus.STARTING))
    assert app.metrics.runs_to_observe == MAX_TRACKED_RUNS


def test_a_failing_observer_never_keeps_runs_or_ticks_from_launching(
        app: daggo_core.DaggoApp, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("observer broke")

    first, second = launch(app, "quick"), launch(app, "quick")
    coordinator = app.start_execution()
    coordinator.max_concurrent_runs, coordinator.on_launch = 2, broken
    assert coordinator.dispatch_once() == 2
    wait_for(lambda: finished(app, first) and finished(app, second), 10, "it")
    assert caplog.text.count("on_launch failed for run") == 2
    start = dt.datetime(2026, 1, 1, 12, 0, 30, tzinfo=dt.UTC)
    scheduler = app.start_scheduler(clock=lambda: start)
    scheduler.on_fired = broken
    scheduler.tick(start)
    [tick] = scheduler.tick(start + dt.timedelta(seconds=32))
    assert tick.run_id is not None
    assert "on_fired failed for a tick of ticking/" in caplog.text


def test_a_scrape_reads_no_run_its_executor_still_executes(app: daggo_core.DaggoApp) -> None:
    RELEASE.clear()
    run_id = launch(app, "held")
    coordinator = app.start_execution()
    assert coordinator.dispatch_once() == 1
    try:
        wait_for(lambda: app.storage.get_run(run_id).status is RunStatus.STARTED, 10, "start")
        statements: list[str] = []

        def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        engine = app.storage.engine  # type: ignore[attr-defined]
        sqlalchemy.event.listen(engine, "before_cursor_execute", executed)
        try:
            scrape(app)
        finally:
            sqlalchemy.event.remove(engine, "before_cursor_execute", executed)
        # (The run's own writes go on meanwhile, in this process: only reads count.)
        assert not [s for s in statements if s.startswith("SELECT") and "FROM steps" in s]
        assert any("GROUP BY runs.job_name" in s for s in statements)
        assert app.metrics.runs_to_observe == 1
    finally:
        RELEASE.set()
    wait_for(lambda: finished(app, run_id), 10, "the held run to finish")
    wait_for(lambda: not app.executor or not app.executor.active_run_ids(), 10, "its slot")
    hold = (("job", "held"), ("status", "SUCCESS"))
    assert scrape(app)[("daggo_step_duration_seconds_count", hold)] == 1
    assert app.metrics.runs_to_observe == 0
