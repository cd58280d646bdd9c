"""daggo_core.open(): storage, job sync, executor choice and the ASGI app."""

import asyncio
import json
import os
import threading
import time

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.config import default_config
from daggo_core.errors import DaggoError, PluginError
from daggo_core.extensions import UIPanel
from daggo_core.hookspecs import hookimpl
from daggo_core.plugins import make_plugin_manager
from daggo_core.services.jobs import JobsGetManyRequest
from daggo_core.storage.base import RunFilter
from daggo_core.storage.records import Run, RunStatus


@frozen
class One:
    value: int


def one(ctx: Context, inp: NoInput) -> One:
    return One(1)


JOB = dag.job("one", description="returns one").add(dag.op("one", one)).build()


@pytest.fixture
def cfg(tmp_path):
    config = default_config()
    config.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    config.execution.executor = "in_process"
    return config


def test_open_syncs_jobs_and_marks_removed_ones_inactive(cfg, apps):
    other = dag.job("other").add(dag.op("one", one)).build()
    app = apps(cfg, JOB, other)
    assert [j.name for j in app.storage.list_jobs()] == ["one", "other"]
    app.close()
    app = apps(cfg, daggo_core.Definitions(jobs=[JOB]))
    assert [j.name for j in app.storage.list_jobs()] == ["one"]
    assert app.storage.get_job("other").active is False
    assert app.storage.get_job("one").snapshot.ops[0].name == "one"
    app.close()


def test_unknown_executor_fails_at_start_listing_installed_ones(cfg, apps):
    cfg.execution.executor = "warp_drive"
    with pytest.raises(PluginError, match=r"execution.executor = 'warp_drive'.*in_process"):
        apps(cfg, JOB)


def test_unknown_storage_driver_fails_at_start(cfg, apps):
    cfg.database.driver = "cassandra"
    with pytest.raises(PluginError, match=r"database.driver = 'cassandra'.*sqlite"):
        apps(cfg, JOB)


def test_storage_plugin_that_failed_to_import_is_named_in_the_error(cfg, tmp_path, monkeypatch,
                                                                   apps):
    pkg = tmp_path / "site"
    (pkg / "daggo_brokenstore").mkdir(parents=True)
    (pkg / "daggo_brokenstore" / "__init__.py").write_text("")
    (pkg / "daggo_brokenstore" / "plugin.py").write_text("import no_such_driver_module\n")
    dist = pkg / "daggo_brokenstore-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: daggo-brokenstore\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[daggo]\nbrokenstore = daggo_brokenstore.plugin\n")
    monkeypatch.syspath_prepend(str(pkg))
    hooks = make_plugin_manager()
    assert [f.name for f in hooks.failures] == ["brokenstore"]
    cfg.database.driver = "brokenstore"
    with pytest.raises(PluginError) as caught:
        apps(cfg, JOB, hooks=hooks)
    message = str(caught.value)
    assert "plugin 'brokenstore' (daggo-brokenstore 1.0) failed to import" in message
    assert "no_such_driver_module" in message


def test_launch_executes_through_the_coordinator_and_executor(cfg, apps):
    app = apps(cfg, JOB)
    coordinator = app.start_execution()
    run = app.launch("one")
    assert run.status is RunStatus.QUEUED
    assert coordinator.dispatch_once() == 1
    app.executor.close()
    final = app.storage.get_run(run.id)
    assert final.status is RunStatus.SUCCESS
    assert [s.output for s in app.storage.list_steps(run.id)] == [{"value": 1}]
    app.storage.close()


def test_coordinator_respects_max_concurrent_runs(cfg, apps):
    cfg.execution.max_concurrent_runs = 1
    app = apps(cfg, JOB)
    coordinator = app.start_execution()
    runs = [app.launch("one") for _ in range(3)]
    assert coordinator.dispatch_once() == 1
    app.executor.close()
    statuses = sorted(app.storage.get_run(r.id).status.value for r in runs)
    assert statuses == ["QUEUED", "QUEUED", "SUCCESS"]
    app.storage.close()


def test_a_closed_coordinator_launches_nothing(cfg, apps):
    app = apps(cfg, JOB)
    coordinator = app.start_execution()
    run = app.launch("one")
    coordinator.close()
    assert coordinator.dispatch_once() == 0
    assert app.storage.get_run(run.id).status is RunStatus.QUEUED
    assert app.executor.active_run_ids() == set()
    app.close()


def test_a_coordinator_woken_as_it_is_cancelled_stops(cfg, apps):
    coordinator = apps(cfg, JOB).start_execution()
    coordinator.notified_poll_interval = coordinator.poll_interval = 30.0

    async def main():
        task = asyncio.create_task(coordinator.run_forever())
        for _ in range(100):  # until it waits for a wake-up (its first dispatch is done)
            await asyncio.sleep(0.01)
        coordinator.wake()  # a run ended just as the app is stopped
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=5)
        return task in done and task.cancelled()

    assert asyncio.run(main())


def test_concurrent_starts_start_the_runtime_once(cfg, apps):
    app = apps(cfg, JOB)

    async def main():
        await asyncio.gather(app.start(), app.start())
        names = sorted(task.get_name() for task in asyncio.all_tasks()
                       if task.get_name().startswith("daggo-"))
        await app.stop()
        return names

    assert asyncio.run(main()) == ["daggo-backfills", "daggo-coordinator", "daggo-run-monitor",
                                   "daggo-scheduler",
                                   "daggo-work-listener"]


def test_a_closed_app_does_not_start_again(cfg, apps):
    app = apps(cfg, JOB)
    app.close()
    with pytest.raises(DaggoError, match="this app is closed"):
        asyncio.run(app.start())
    assert app.component_states()["coordinator"] == "not started"


class PanelPlugin:
    @hookimpl
    def daggo_ui_panels(self):
        return [UIPanel(name="hello", title="Hello", path="/hello",
                        render=_render_hello)]


def _render_hello(ctx):
    jobs = ctx.services.jobs.get_many(JobsGetManyRequest()).jobs
    on_loop = threading.current_thread() is threading.main_thread()
    return f"<p>{len(jobs)} jobs{' on the event loop' if on_loop else ''}</p>"


class AsyncPanelPlugin:
    @hookimpl
    def daggo_ui_panels(self):
        async def render(ctx):
            await asyncio.sleep(0)
            return f"<p>async {ctx.services.plugins.get_many().plugins[0].name}</p>"

        return [UIPanel(name="hello_async", title="Hello async", path="/hello-async",
                        render=render)]


def get(app, path):
    async def fetch():
        client = app.asgi.test_client()
        response = await client.get(path)
        return response.status_code, (await response.get_data(as_text=True))

    return asyncio.run(fetch())


def test_asgi_serves_health_pages_and_plugin_panels(cfg, apps):
    hooks = make_plugin_manager(extra_plugins=[PanelPlugin(), AsyncPanelPlugin()])
    app = apps(cfg, JOB, hooks=hooks)
    result = daggo_core.execute(JOB, storage=app.storage)
    status, body = get(app, "/healthz")
    assert (status, json.loads(body)) == (200, {"database": "ok", "status": "ok", "components": {
        "coordinator": "not started", "monitor": "not started", "scheduler": "not started",
        "backfills": "not started",
        "executor": "not started"}, "problems": {},
        "process": {"pid": os.getpid(), "role": "primary"}})
    status, page = get(app, "/")
    assert status == 200 and "one" in page and result.run_id[:8] in page
    status, page = get(app, f"/runs/{result.run_id}")
    assert status == 200 and "SUCCESS" in page and "STEP_SUCCESS" in page
    assert get(app, "/runs/nope")[0] == 404
    status, page = get(app, "/hello")
    assert status == 200 and "<p>1 jobs</p>" in page and 'href="/hello"' in page
    status, page = get(app, "/hello-async")
    assert status == 200 and "<p>async " in page
    status, page = get(app, "/plugins")
    assert status == 200 and "daggo-sqlite" in page
    app.close()


def test_disable_ui_keeps_health_and_hides_pages(cfg, apps):
    cfg.disable_ui = True
    app = apps(cfg, JOB)
    assert get(app, "/healthz")[0] == 200
    assert get(app, "/")[0] == 404
    app.close()


def test_queued_runs_show_why_they_wait(cfg, apps):
    limited = dag.job("limited", max_concurrent_runs=1).add(dag.op("one", one)).build()
    app = apps(cfg, limited)
    coordinator = app.start_execution()
    app.storage.add_run(Run(job_name="limited", status=RunStatus.STARTED))
    queued = app.launch("limited")
    assert coordinator.dispatch_once() == 0
    waiting = app.storage.get_run(queued.id)
    assert waiting.wait_reason == "job 'limited' limit reached (1 of 1 running)"
    _, page = get(app, "/")
    assert "job &#39;limited&#39; limit reached" in page
    _, page = get(app, f"/runs/{queued.id}")
    assert "Waiting: job &#39;limited&#39; limit reached" in page
    app.close()


SCHEDULED = dag.job("scheduled").add(dag.op("one", one)).schedule("* * * * *").build()


def _serve_briefly(app: daggo_core.DaggoApp, until) -> None:
    """Serve until `until(app)` holds (at most 10 s), then shut down."""

    async def main() -> None:
        stop = asyncio.Event()
        server = asyncio.create_task(app.serve(stop))
        for _ in range(1000):
            await asyncio.sleep(0.01)
            if await asyncio.to_thread(until, app):
                break
        stop.set()
        await server

    asyncio.run(main())


def test_serve_runs_the_scheduler_which_launches_due_ticks(cfg, apps):
    import datetime as dt

    from daggo_core.testing.processes import free_port

    cfg.admin.port = free_port()
    app = apps(cfg, SCHEDULED)
    now = dt.datetime.now(dt.UTC)
    # The next minute starts half a second from now on the scheduler's clock.
    offset = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1) - now \
        - dt.timedelta(seconds=0.5)
    app.start_execution()
    app.start_scheduler(clock=lambda: dt.datetime.now(dt.UTC) + offset)
    storage = app.storage
    _serve_briefly(app, lambda a: any(r.status is RunStatus.SUCCESS
                                      for r in storage.list_runs(RunFilter(job_name="scheduled"))))
    reopened = apps(cfg, SCHEDULED)
    [run] = reopened.storage.list_runs(RunFilter(job_name="scheduled"))
    assert (run.status, run.schedule_key) == (RunStatus.SUCCESS, "every_minute")
    [tick] = reopened.storage.list_ticks("scheduled")
    assert tick.run_id == run.id
    reopened.close()


def test_serve_without_the_scheduler_when_it_is_disabled(cfg, apps):
    from daggo_core.testing.processes import free_port

    cfg.admin.port = free_port()
    cfg.scheduler.enabled = False
    app = apps(cfg, SCHEDULED)
    _serve_briefly(app, lambda a: a.coordinator is not None)
    assert app.scheduler is None
    reopened = apps(cfg, SCHEDULED)
    assert reopened.storage.list_schedule_states() == []
    reopened.close()


@frozen
class Half:
    value: int


@frozen
class HalfIn:
    one: One


@frozen
class BothIn:
    halves: list[Half]


@frozen
class Both:
    value: int


def half(ctx: Context, inp: HalfIn) -> Half:
    return Half(inp.one.value)


def both(ctx: Context, inp: BothIn) -> Both:
    return Both(sum(h.value for h in inp.halves))


DIAMOND = (dag.job("diamond").add(dag.op("one", one), dag.op("left", half), dag.op("right", half),
                                  dag.op("both", both))
           .schedule("0 * * * *").build())


def test_the_jobs_page_shows_the_stored_schedule_state(cfg, apps):
    from daggo_core.services.schedules import SchedulesSetEnabledRequest

    app = apps(cfg, DIAMOND)
    try:
        _, page = get(app, "/jobs")
        assert '<span class="badge ok">on</span>' in page
        app.services.schedules.set_enabled(SchedulesSetEnabledRequest(job="diamond",
                                                                      enabled=False))
        _, page = get(app, "/jobs")
        assert ('<span title="0 * * * * (UTC)">Every hour</span> '
                '<span class="badge ">off</span>') in page
    finally:
        app.close()


GATE = threading.Event()


def gated(ctx: Context, inp: NoInput) -> One:
    GATE.wait(30)
    return One(1)


GATED = dag.job("gated").add(dag.op("gated", gated)).build()


def test_a_run_waiting_for_a_full_executor_says_why(cfg, apps):
    cfg.execution.max_concurrent_runs = 1
    GATE.clear()
    app = apps(cfg, GATED)
    try:
        coordinator = app.start_execution()
        app.launch("gated")
        assert coordinator.dispatch_once() == 1
        second = app.launch("gated")
        assert coordinator.dispatch_once() == 0  # the executor is full
        waiting = app.storage.get_run(second.id)
        assert waiting.status is RunStatus.QUEUED
        assert waiting.wait_reason == "waiting for a run slot (1 of 1 running)"
    finally:
        GATE.set()
        app.close()


def test_a_full_coordinator_reads_the_queue_once_per_recheck_interval(cfg, apps):
    """Wake-ups while the executor is full cost no claim transaction, except one per
    `full_recheck_seconds`, which records why the runs queued meanwhile wait."""
    cfg.execution.max_concurrent_runs = 1
    GATE.clear()
    app = apps(cfg, GATED)
    try:
        coordinator = app.start_execution()
        coordinator.full_recheck_seconds = 0.5
        app.launch("gated")
        assert coordinator.dispatch_once() == 1
        second = app.launch("gated")
        assert coordinator.dispatch_once() == 0  # full: this pass reads the queue
        assert app.storage.get_run(second.id).wait_reason is not None
        third = app.launch("gated")
        assert coordinator.dispatch_once() == 0  # full again at once: nothing is read
        assert app.storage.get_run(third.id).wait_reason is None
        time.sleep(0.5)
        assert coordinator.dispatch_once() == 0
        assert app.storage.get_run(third.id).wait_reason == \
            "waiting for a run slot (1 of 1 running)"
    finally:
        GATE.set()
        app.close()


def test_closing_an_app_twice_is_harmless(cfg, apps):
    from daggo_core.storage.records import Event, EventKind

    seen = []

    class Listener:
        @hookimpl
        def daggo_run_event(self, event):
            seen.append(event.kind)

    app = apps(cfg, JOB, hooks=make_plugin_manager(extra_plugins=[Listener()]))
    run = app.storage.add_run(Run(job_name="one"))
    app.storage.add_events([Event(run_id=run.id, kind=EventKind.LOG, message="hi")])
    app.close()
    app.close()  # and the fixture closes it once more
    assert seen == [EventKind.LOG]  # delivered on the first close
