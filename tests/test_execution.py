"""execute() and the run worker: dependency order, status, outputs, errors, events."""

import asyncio

import pytest
from attrs import frozen

from daggo_core import Context, DaggoError, NoInput, dag, execute
from daggo_core.errors import ParamsError
from daggo_core.storage.base import RunFilter
from daggo_core.storage.records import EventKind, RunStatus, StepStatus


@frozen
class Num:
    value: int


@frozen
class AddIn:
    num: Num


@frozen
class Doubled:
    value: int


@frozen
class DoubleIn:
    num: Num


@frozen
class Total:
    value: int


@frozen
class SumIn:
    added: list[Doubled]
    extra: Num | None


@frozen
class Params:
    start: int
    label: str = "x"


def start(ctx: Context, inp: NoInput) -> Num:
    ctx.log.info("starting at %d", ctx.params.start if ctx.params else 1)
    return Num(ctx.params.start if ctx.params else 1)


def double(ctx: Context, inp: DoubleIn) -> Doubled:
    return Doubled(inp.num.value * 2)


async def double_async(ctx: Context, inp: DoubleIn) -> Doubled:
    await asyncio.sleep(0)
    return Doubled(inp.num.value * 3)


def total(ctx: Context, inp: SumIn) -> Total:
    return Total(sum(d.value for d in inp.added) + (inp.extra.value if inp.extra else 0))


def boom(ctx: Context, inp: DoubleIn) -> Doubled:
    raise ValueError("bad input value")


def fan_job(*ops):
    return dag.job("fan", params=Params).add(dag.op("start", start), *ops,
                                              dag.op("total", total)).build()


def test_execute_runs_steps_in_dependency_order_and_returns_outputs(storage):
    job = fan_job(dag.op("d1", double), dag.op("d2", double_async))
    result = execute(job, params={"start": 5}, storage=storage)
    assert result.success
    assert result.run.status is RunStatus.SUCCESS
    assert result.output_for("d1") == Doubled(10)
    assert result.output_for("d2") == Doubled(15)
    assert result.output_for("total") == Total(10 + 15 + 5)
    assert list(result.steps) == ["start", "d1", "d2", "total"]
    assert all(s.status is StepStatus.SUCCESS for s in result.steps.values())
    assert all(s.duration_seconds is not None for s in result.steps.values())


def test_outputs_are_persisted_as_json(storage):
    result = execute(fan_job(dag.op("d1", double)), params={"start": 2}, storage=storage)
    stored = {s.step_key: s for s in result.storage.list_steps(result.run_id)}
    assert stored["total"].output == {"value": 6}
    assert stored["start"].output == {"value": 2}
    run = result.storage.get_run(result.run_id)
    assert run.params == {"start": 2, "label": "x"}
    assert run.started_at is not None and run.finished_at is not None


def test_failure_records_error_with_traceback_and_skips_downstream(storage):
    result = execute(fan_job(dag.op("d1", double), dag.op("bad", boom)), params={"start": 1},
        storage=storage)
    assert not result.success
    assert result.run.status is RunStatus.FAILURE
    assert result.step_status("d1") is StepStatus.SUCCESS
    assert result.step_status("bad") is StepStatus.FAILURE
    assert result.step_status("total") is StepStatus.SKIPPED
    error = result.steps["bad"].error
    assert error.type == "ValueError" and error.message == "bad input value"
    assert "raise ValueError" in error.traceback and "in boom" in error.traceback
    assert "run_worker.py" not in error.traceback
    stored = {s.step_key: s for s in result.storage.list_steps(result.run_id)}
    assert stored["bad"].error.traceback == error.traceback
    with pytest.raises(KeyError, match="FAILURE"):
        result.output_for("bad")
    assert "bad" in result.run.error.message


def test_raise_on_error_names_the_failed_step(storage):
    with pytest.raises(DaggoError, match="bad: ValueError: bad input value"):
        execute(fan_job(dag.op("bad", boom)), params={"start": 1}, raise_on_error=True,
            storage=storage)


def test_events_record_every_transition_and_log_lines_in_order(storage):
    result = execute(fan_job(dag.op("d1", double)), params={"start": 3}, storage=storage)
    kinds = [(e.kind, e.step_key) for e in result.events()]
    assert kinds[0] == (EventKind.RUN_STARTING, None)
    assert kinds[1] == (EventKind.RUN_STARTED, None)
    assert kinds[-1] == (EventKind.RUN_SUCCESS, None)
    for step in ("start", "d1", "total"):
        started = kinds.index((EventKind.STEP_STARTED, step))
        done = kinds.index((EventKind.STEP_SUCCESS, step))
        assert started < done
    logs = [e for e in result.events() if e.kind is EventKind.LOG]
    assert [(e.step_key, e.level, e.message) for e in logs] == [("start", "INFO", "starting at 3")]
    ids = [e.id for e in result.events()]
    assert ids == sorted(ids)


def test_params_are_validated_before_the_run_starts(storage):
    job = fan_job(dag.op("d1", double))
    with pytest.raises(ParamsError, match="start"):
        execute(job, params={"label": "no start"}, storage=storage)


def test_wrong_return_type_fails_the_step(storage):
    def liar(ctx: Context, inp: DoubleIn) -> Doubled:
        return Num(1)  # type: ignore[return-value]

    result = execute(fan_job(dag.op("liar", liar)), params={"start": 1}, storage=storage)
    assert result.step_status("liar") is StepStatus.FAILURE
    assert "returned a Num, expected a Doubled" in result.steps["liar"].error.message


def test_optional_input_without_producer_is_none_and_fan_in_without_producers_is_empty(storage):
    job = dag.job("lonely").add(dag.op("total", lambda_total)).build()
    result = execute(job, storage=storage)
    assert result.output_for("total") == Total(0)


def lambda_total(ctx: Context, inp: SumIn) -> Total:
    assert inp.added == [] and inp.extra is None
    return Total(0)


def test_bound_method_ops_share_their_dependencies(storage):
    class Ops:
        def __init__(self, offset: int) -> None:
            self.offset = offset

        def first(self, ctx: Context, inp: NoInput) -> Num:
            return Num(self.offset)

    job = dag.job("bound").add(dag.op("first", Ops(41).first), dag.op("double", double)).build()
    result = execute(job, storage=storage)
    assert result.output_for("double") == Doubled(82)


def test_context_carries_run_identity_and_tags(storage):
    seen = {}

    def look(ctx: Context, inp: NoInput) -> Num:
        seen.update(run_id=ctx.run_id, job=ctx.job_name, step=ctx.step_key, tags=dict(ctx.tags))
        return Num(1)

    result = execute(dag.job("look").add(dag.op("look", look)).build(), tags={"team": "data"},
        storage=storage)
    assert seen == {"run_id": result.run_id, "job": "look", "step": "look",
                    "tags": {"team": "data"}}
    assert result.storage.get_run(result.run_id).tags == {"team": "data"}


def test_execute_uses_given_storage(tmp_path):
    from daggo_core.config import default_config
    from daggo_core.plugins import make_plugin_manager

    config = default_config().database
    config.sqlite.path = str(tmp_path / "db.sqlite")
    storage = make_plugin_manager().storage_backend("sqlite").open(config)
    job = fan_job(dag.op("d1", double))
    for value in range(3):
        execute(job, params={"start": value}, storage=storage)
    assert storage.count_runs(RunFilter(job_name="fan")) == 3
    assert {r.status for r in storage.list_runs()} == {RunStatus.SUCCESS}
    storage.close()


@frozen
class LoopName:
    name: str


async def loop_name(ctx: Context, inp: NoInput) -> LoopName:
    return LoopName(type(asyncio.get_running_loop()).__module__)


def test_runs_execute_on_uvloop_where_it_is_installed():
    pytest.importorskip("uvloop")
    result = execute(dag.job("loop").add(dag.op("loop_name", loop_name)).build())
    assert result.output_for("loop_name").name.startswith("uvloop")


def test_runs_fall_back_to_asyncio_s_loop_without_uvloop(monkeypatch):
    """Where uvloop is not installed (Windows), asyncio's own loop runs the steps."""
    from daggo_core.execution import run_worker

    monkeypatch.setattr(run_worker, "uvloop", None)
    result = execute(dag.job("loop").add(dag.op("loop_name", loop_name)).build())
    assert result.output_for("loop_name").name.startswith("asyncio")
