"""Execution on every storage backend: the worker in process and the coordinator's claims."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag, execute
from daggo_core.config import default_config
from daggo_core.storage.base import Storage
from daggo_core.storage.records import EventKind, RunStatus, StepStatus


@frozen
class Num:
    value: int


@frozen
class AddIn:
    num: Num


@frozen
class Total:
    value: int


def start(ctx: Context, inp: NoInput) -> Num:
    print("starting")
    ctx.log.info("start at %d", 2)
    return Num(2)


def add_one(ctx: Context, inp: AddIn) -> Total:
    return Total(inp.num.value + 1)


def fail(ctx: Context, inp: AddIn) -> Total:
    raise ValueError("bad value")


def chain(name: str, last: Callable[..., Total] = add_one) -> daggo_core.JobDefinition:
    return dag.job(name).add(dag.op("start", start), dag.op("last", last)).build()


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {predicate}")


def test_execute_stores_run_steps_outputs_and_events(storage: Storage) -> None:
    result = execute(chain("ok"), storage=storage)
    assert result.success and result.output_for("last") == Total(3)
    run = storage.get_run(result.run_id)
    assert run.status is RunStatus.SUCCESS and run.finished_at is not None
    steps = {s.step_key: s for s in storage.list_steps(run.id)}
    assert steps["last"].status is StepStatus.SUCCESS and steps["last"].output == {"value": 3}
    events = storage.list_events(run.id)
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert events[-1].kind is EventKind.RUN_SUCCESS
    assert any(e.level == "STDOUT" and e.message == "starting" for e in events)


def test_execute_records_a_failure(storage: Storage) -> None:
    result = execute(chain("bad", fail), storage=storage)
    run = storage.get_run(result.run_id)
    assert run.status is RunStatus.FAILURE
    (failed,) = [s for s in storage.list_steps(run.id) if s.status is StepStatus.FAILURE]
    assert failed.error is not None and failed.error.message == "bad value"


def test_coordinator_runs_every_queued_run_once(storage_backend: Any) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.execution.executor = "in_process"
    cfg.execution.max_concurrent_runs = 2
    app = daggo_core.open(cfg, chain("ok"))
    try:
        coordinator = app.start_execution()
        runs = [app.launch("ok") for _ in range(5)]

        def all_done() -> bool:
            coordinator.dispatch_once()
            return all(app.storage.get_run(r.id).is_finished for r in runs)

        wait_for(all_done)
        assert {app.storage.get_run(r.id).status for r in runs} == {RunStatus.SUCCESS}
        for run in runs:
            kinds = [e.kind for e in app.storage.list_events(run.id)]
            assert kinds.count(EventKind.RUN_SUCCESS) == 1
    finally:
        app.close()
