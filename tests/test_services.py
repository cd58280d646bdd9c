"""The service layer on every backend: pages, filters, cursors, run ids, errors."""

from __future__ import annotations

import datetime as dt

import pytest
from attrs import frozen

from daggo_core import Context, Definitions, JobDefinition, NoInput, dag, execute
from daggo_core.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    JobNotFoundError,
    ParamsError,
    RunNotFoundError,
)
from daggo_core.services.jobs import JobsGetManyRequest, JobsGetRequest, JobsLaunchRequest
from daggo_core.services.runs import (
    CancelOutcome,
    EventKind,
    RunsCancelRequest,
    RunsCountRequest,
    RunsEventsRequest,
    RunsEventsResponse,
    RunsGetManyRequest,
    RunsGetRequest,
    RunsReexecuteRequest,
    RunStatus,
    RunTrigger,
    StepStatus,
)
from daggo_core.services.schedules import SchedulesTicksRequest
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run
from daggo_core.testing.services import services_over


@frozen
class Seed:
    n: int


@frozen
class LeafIn:
    seed: Seed


@frozen
class Leaf:
    n: int


@frozen
class SinkIn:
    leaves: list[Leaf]


@frozen
class Total:
    n: int


@frozen
class Params:
    limit: int
    label: str = "all"


def seed(ctx: Context, inp: NoInput) -> Seed:
    ctx.log.info("seeding %d", 3)
    ctx.log.warning("seed is fixed")
    return Seed(3)


def leaf(ctx: Context, inp: LeafIn) -> Leaf:
    print(f"leaf {ctx.op_name}")
    return Leaf(inp.seed.n)


def sink(ctx: Context, inp: SinkIn) -> Total:
    return Total(sum(x.n for x in inp.leaves))


FAN = (dag.job("fan", params=Params)
       .add(dag.op("seed", seed), dag.op("left", leaf), dag.op("right", leaf),
            dag.op("sink", sink))
       .schedule("0 * * * *", enabled=False, params={"limit": 5})
       .build())
DEFS = Definitions(jobs=[FAN])


@pytest.fixture
def synced(storage: Storage) -> Storage:
    sync_definitions(storage, DEFS)
    return storage


def test_jobs_get_many_gives_layers_and_the_effective_schedule_state(synced: Storage) -> None:
    services = services_over(synced, DEFS)
    [job] = services.jobs.get_many(JobsGetManyRequest()).jobs
    assert job.layers == (("seed",), ("left", "right"), ("sink",))
    assert job.op_count == 4 and job.latest_run is None
    [schedule] = job.schedules
    assert (schedule.key, schedule.enabled) == ("hourly", False)
    synced.set_schedule_enabled("fan", "hourly", True)
    [job] = services.jobs.get_many(JobsGetManyRequest()).jobs
    assert job.schedules[0].enabled is True and job.schedules[0].enabled_override is True


def test_jobs_get_gives_the_graph_and_unknown_jobs_are_named(synced: Storage) -> None:
    services = services_over(synced)
    detail = services.jobs.get(JobsGetRequest(name="fan"))
    edges = {(e.source, e.target) for e in detail.graph.edges()}
    assert edges == {("seed", "left"), ("seed", "right"), ("left", "sink"), ("right", "sink")}
    assert [p.name for p in detail.graph.params] == ["limit", "label"]
    with pytest.raises(JobNotFoundError, match=r"no job named 'nope' \(known jobs: fan\)"):
        services.jobs.get(JobsGetRequest(name="nope"))


def test_launch_validates_params_with_or_without_the_code(synced: Storage) -> None:
    with_code, without_code = services_over(synced, DEFS), services_over(synced)
    run = with_code.jobs.launch(JobsLaunchRequest(job="fan", params={"limit": 2})).run
    assert (run.status, run.trigger) == (RunStatus.QUEUED, RunTrigger.MANUAL)
    assert synced.get_run(run.id).params == {"limit": 2, "label": "all"}
    with pytest.raises(ParamsError, match="limit"):
        with_code.jobs.launch(JobsLaunchRequest(job="fan", params={"limit": "x"}))
    with pytest.raises(ParamsError, match="limit: required field missing"):
        without_code.jobs.launch(JobsLaunchRequest(job="fan"))
    with pytest.raises(ParamsError, match="size: unknown field"):
        without_code.jobs.launch(JobsLaunchRequest(job="fan", params={"limit": 1, "size": 2}))
    with pytest.raises(InvalidArgumentError, match="tags"):
        without_code.jobs.launch(JobsLaunchRequest(job="fan", params={"limit": 1},
                                                   tags={"team": 3}))  # type: ignore[dict-item]
    assert synced.count_runs() == 1


def test_runs_get_many_pages_by_cursor_with_filters(synced: Storage) -> None:
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i in range(7):
        synced.add_run(Run(job_name="fan", created_at=base + dt.timedelta(minutes=i),
                           status=RunStatus.SUCCESS if i % 2 else RunStatus.FAILURE,
                           tags={"team": "a" if i < 4 else "b"}))
    runs = services_over(synced).runs
    seen, cursor = [], None
    while True:
        page = runs.get_many(RunsGetManyRequest(limit=3, cursor=cursor))
        seen.extend(r.created_at.minute for r in page.runs)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [6, 5, 4, 3, 2, 1, 0]
    failed = runs.get_many(RunsGetManyRequest(statuses=(RunStatus.FAILURE,), tags={"team": "a"}))
    assert [r.created_at.minute for r in failed.runs] == [2, 0]
    window = RunsGetManyRequest(created_after=base + dt.timedelta(minutes=2),
                                created_before=base + dt.timedelta(minutes=5))
    assert [r.created_at.minute for r in runs.get_many(window).runs] == [4, 3, 2]
    assert runs.count(RunsCountRequest(tags={"team": "b"})).count == 3
    assert runs.count(RunsCountRequest(triggers=(RunTrigger.SCHEDULE,))).count == 0


def test_list_requests_refuse_bad_pages_and_cursors(synced: Storage) -> None:
    services = services_over(synced)
    for limit in (0, 501, True):
        with pytest.raises(InvalidArgumentError, match="limit: must be an integer from 1 to 500"):
            services.runs.get_many(RunsGetManyRequest(limit=limit))
    jobs_cursor = services.jobs.get_many(JobsGetManyRequest(limit=1)).next_cursor
    with pytest.raises(InvalidArgumentError, match="not a cursor of this list"):
        services.runs.get_many(RunsGetManyRequest(cursor="garbage!"))
    with pytest.raises(InvalidArgumentError, match="not a cursor of this list"):
        services.runs.get_many(RunsGetManyRequest(cursor=jobs_cursor or "x"))
    with pytest.raises(InvalidArgumentError, match="UTC offset"):
        services.runs.get_many(RunsGetManyRequest(created_after=dt.datetime(2026, 1, 1)))
    with pytest.raises(InvalidArgumentError, match="not a cursor"):
        services.schedules.ticks(SchedulesTicksRequest(job="fan", cursor="abc"))


def test_jobs_page_by_cursor_and_resume_after_a_job_that_went_away(storage: Storage) -> None:
    def job(name: str) -> JobDefinition:
        return dag.job(name).add(dag.op("seed", seed)).build()

    sync_definitions(storage, Definitions(jobs=[job("alpha"), job("beta"), job("gamma")]))
    jobs = services_over(storage).jobs
    names, cursor = [], None
    while True:
        page = jobs.get_many(JobsGetManyRequest(limit=1, cursor=cursor))
        names.extend(j.name for j in page.jobs)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert names == ["alpha", "beta", "gamma"]
    after_beta = jobs.get_many(JobsGetManyRequest(limit=1)).next_cursor
    after_beta = jobs.get_many(JobsGetManyRequest(limit=1, cursor=after_beta)).next_cursor
    sync_definitions(storage, Definitions(jobs=[job("alpha"), job("gamma")]))  # beta gone
    rest = jobs.get_many(JobsGetManyRequest(cursor=after_beta))
    assert [j.name for j in rest.jobs] == ["gamma"] and rest.next_cursor is None


def test_a_runs_cursor_without_a_utc_offset_is_refused(synced: Storage) -> None:
    from daggo_core.services.cursors import encode_cursor

    naive = encode_cursor("runs", "2026-01-01T00:00:00", "a" * 32)
    with pytest.raises(InvalidArgumentError, match="not a cursor of this list"):
        services_over(synced).runs.get_many(RunsGetManyRequest(cursor=naive))


def test_runs_are_found_by_any_unique_prefix(synced: Storage) -> None:
    for run_id in ("abc1" + "0" * 28, "abc2" + "0" * 28, "def0" + "0" * 28):
        synced.add_run(Run(id=run_id, job_name="fan"))
    runs = services_over(synced).runs
    assert runs.get(RunsGetRequest(run_id="def")).run.id == "def0" + "0" * 28
    assert runs.get(RunsGetRequest(run_id="ABC1")).run.id == "abc1" + "0" * 28
    with pytest.raises(InvalidArgumentError, match=r"'abc' is ambiguous: it matches "
                                                   r"abc10000.*, abc20000.*; give more"):
        runs.get(RunsGetRequest(run_id="abc"))
    with pytest.raises(RunNotFoundError, match="no run with id 'fff'"):
        runs.cancel(RunsCancelRequest(run_id="fff"))


def test_run_detail_lists_every_step_in_job_order(synced: Storage) -> None:
    result = execute(FAN, {"limit": 1}, storage=synced)
    runs = services_over(synced).runs
    detail = runs.get(RunsGetRequest(run_id=result.run_id[:8]))
    assert [s.key for s in detail.steps] == ["seed", "left", "right", "sink"]
    assert {s.status for s in detail.steps} == {StepStatus.SUCCESS}
    assert detail.params == {"limit": 1, "label": "all"} and detail.error is None
    queued = synced.add_run(Run(job_name="fan"))
    pending = runs.get(RunsGetRequest(run_id=queued.id))
    assert [(s.key, s.status) for s in pending.steps] == [
        (key, StepStatus.PENDING) for key in ("seed", "left", "right", "sink")]


def test_run_detail_takes_the_step_order_of_the_code_it_serves(synced: Storage) -> None:
    """A server reads a job's order from its own definitions (no query, no snapshot to
    parse); the stored job is for runs of jobs it does not define."""
    served = dag.job("fan").add(dag.op("seed", seed)).build()  # this code's "fan"
    queued = synced.add_run(Run(job_name="fan"))
    request = RunsGetRequest(run_id=queued.id)
    assert [s.key for s in services_over(synced, Definitions(jobs=[served])).runs.get(
        request).steps] == ["seed"]
    assert [s.key for s in services_over(synced, Definitions(jobs=[])).runs.get(
        request).steps] == ["seed", "left", "right", "sink"]


def test_events_page_by_cursor_and_filter(synced: Storage) -> None:
    result = execute(FAN, {"limit": 1}, storage=synced)
    runs = services_over(synced).runs
    everything = runs.events(RunsEventsRequest(run_id=result.run_id, limit=10_000)).events
    pages, cursor = [], None
    while True:
        page = runs.events(RunsEventsRequest(run_id=result.run_id, cursor=cursor, limit=4))
        pages.extend(page.events)
        assert page.run_status is RunStatus.SUCCESS
        if not page.events:
            break
        cursor = page.next_cursor
    assert pages == list(everything)
    again = runs.events(RunsEventsRequest(run_id=result.run_id, cursor=cursor))
    assert again.events == () and again.next_cursor == cursor  # where a follower waits

    def messages(**where: object) -> list[str]:
        request = RunsEventsRequest(run_id=result.run_id, **where)  # type: ignore[arg-type]
        return [e.message for e in runs.events(request).events]

    assert messages(step_key="seed", kinds=(EventKind.LOG,)) == ["seeding 3", "seed is fixed"]
    assert messages(levels=("warning",)) == ["seed is fixed"]
    assert sorted(messages(levels=("STDOUT",))) == ["leaf left", "leaf right"]  # in parallel
    assert messages(search="LEAF R") == ["leaf right"]


def test_events_page_back_from_the_tail_and_forward_again(synced: Storage) -> None:
    result = execute(FAN, {"limit": 1}, storage=synced)
    runs = services_over(synced).runs
    everything = runs.events(RunsEventsRequest(run_id=result.run_id, limit=10_000)).events
    assert len(everything) > 8

    def page(**request: object) -> tuple[list[int], RunsEventsResponse]:
        response = runs.events(RunsEventsRequest(run_id=result.run_id, limit=4, **request))  # type: ignore[arg-type]
        return [e.id for e in response.events], response

    ids = [e.id for e in everything]
    tail, last = page(tail=True)
    assert tail == ids[-4:] and last.has_later is False
    assert last.previous_cursor is not None
    back = tail
    cursor = last.previous_cursor
    while cursor is not None:
        earlier, response = page(cursor=cursor)
        assert response.has_later is True
        back = earlier + back
        cursor = response.previous_cursor
    assert back == ids  # every event once, in order, none skipped
    first, start = page()
    assert start.previous_cursor is None and start.has_later is True
    later, middle = page(cursor=start.next_cursor)
    assert later == ids[4:8] and middle.previous_cursor is not None
    before_middle, _ = page(cursor=middle.previous_cursor)
    assert before_middle == first
    # Filters hold when paging back too.
    response = runs.events(RunsEventsRequest(run_id=result.run_id, tail=True, limit=1,
                                             kinds=(EventKind.LOG,)))
    assert [e.kind for e in response.events] == [EventKind.LOG]
    assert response.previous_cursor is not None
    earlier_logs = runs.events(RunsEventsRequest(
        run_id=result.run_id, cursor=response.previous_cursor, kinds=(EventKind.LOG,)))
    assert {e.kind for e in earlier_logs.events} == {EventKind.LOG}
    assert earlier_logs.previous_cursor is None


def test_events_refuse_a_tail_with_a_cursor_and_foreign_cursors(synced: Storage) -> None:
    result = execute(FAN, {"limit": 1}, storage=synced)
    runs = services_over(synced).runs
    cursor = runs.events(RunsEventsRequest(run_id=result.run_id)).next_cursor
    with pytest.raises(InvalidArgumentError, match="tail: ask for the log's tail or give a"):
        runs.events(RunsEventsRequest(run_id=result.run_id, tail=True, cursor=cursor))
    from daggo_core.services.cursors import encode_cursor

    for bad in (encode_cursor("events", "sideways", 3), encode_cursor("events", "after", -1),
                encode_cursor("events", 7)):
        with pytest.raises(InvalidArgumentError, match="not a cursor of this list"):
            runs.events(RunsEventsRequest(run_id=result.run_id, cursor=bad))


def test_cancel_says_what_it_did(synced: Storage) -> None:
    runs = services_over(synced).runs
    queued = synced.add_run(Run(job_name="fan"))
    started = synced.add_run(Run(job_name="fan", status=RunStatus.STARTED))
    done = synced.add_run(Run(job_name="fan", status=RunStatus.SUCCESS))
    outcomes = {run.id: runs.cancel(RunsCancelRequest(run_id=run.id))
                for run in (queued, started, done)}
    assert outcomes[queued.id].outcome is CancelOutcome.CANCELED
    assert outcomes[queued.id].run.status is RunStatus.CANCELED
    assert outcomes[started.id].outcome is CancelOutcome.REQUESTED
    assert outcomes[started.id].run.cancel_requested is True
    assert outcomes[done.id].outcome is CancelOutcome.ALREADY_FINISHED
    # No executor of this process runs it: the worker sees the request at its next
    # heartbeat (3 s) and gives up 10 + 3 + 3 s later, and 1 s is left to store the end.
    requested = outcomes[started.id]
    assert requested.ends_within_seconds == 20.0
    assert "next heartbeat (within 3 s)" in requested.message
    assert "the run ends CANCELED within 20 s" in requested.message
    assert outcomes[queued.id].ends_within_seconds is None
    assert outcomes[done.id].message.endswith("already finished: SUCCESS; nothing to cancel")


def test_reexecute_refuses_what_cannot_be_re_executed(synced: Storage) -> None:
    runs = services_over(synced, DEFS).runs
    running = synced.add_run(Run(job_name="fan", status=RunStatus.STARTED))
    with pytest.raises(FailedPreconditionError, match="only finished runs"):
        runs.reexecute(RunsReexecuteRequest(run_id=running.id))
    result = execute(FAN, {"limit": 1}, storage=synced)
    with pytest.raises(InvalidArgumentError, match="has no step 'nope'"):
        runs.reexecute(RunsReexecuteRequest(run_id=result.run_id, from_step="nope"))
    again = runs.reexecute(RunsReexecuteRequest(run_id=result.run_id, from_step="left")).run
    assert again.trigger is RunTrigger.REEXECUTION and again.parent_run_id == result.run_id


def test_system_health_and_config_redact_secrets(synced: Storage) -> None:
    services = services_over(synced)
    assert services.system.health().ok
    config = services.context.config
    config.database.postgres.password = "hunter2"
    shown = services.system.config().config
    assert shown["database"]["postgres"]["password"] == "********"
    assert "hunter2" not in repr(shown)
    assert services.system.version().storage == "sqlite"
