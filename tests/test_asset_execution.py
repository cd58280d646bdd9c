"""Runs that materialize assets: partitions and ranges, the status table, checks, and
the values of upstream assets read from storage; on every storage backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from daggo_core import Context, Definitions, NoInput, RetryPolicy, dag
from daggo_core.definitions.asset_snapshot import CheckOutcome
from daggo_core.definitions.asset_specs import AssetSpec, CheckResult, asset_check
from daggo_core.definitions.assets import asset
from daggo_core.definitions.partitions import DailyPartitions, StaticPartitions
from daggo_core.errors import FailedPreconditionError
from daggo_core.execution.local import execute
from daggo_core.execution.run_worker import RunWorker
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.asset_records import (
    AssetEvent,
    AssetEventKind,
    AssetStateChange,
    AssetWrites,
    PartitionState,
    PartitionStatus,
)
from daggo_core.storage.base import Fence, Storage
from daggo_core.storage.records import (
    REEXECUTE_TAG,
    EventKind,
    Run,
    RunStatus,
    StepRecord,
    StepStatus,
)

DAILY = DailyPartitions("2024-03-01", end="2024-04-01", timezone="Europe/London")
seen: list[dict[str, Any]] = []


@attrs.frozen
class Sales:
    day: str
    amount: int


@attrs.frozen
class SalesIn:
    sales: Sales


@attrs.frozen
class Total:
    amount: int


@asset(partitions=DAILY, max_partitions_per_run=1)
def sales(ctx: Context, inp: NoInput) -> Sales:
    day = ctx.partition_key
    assert day is not None
    ctx.add_metadata(rows=int(day[-2:]), path=f"s3://lake/sales/{day}")
    return Sales(day=day, amount=int(day[-2:]) * 10)


def is_positive(ctx: Context, value: Total) -> CheckResult:
    if value.amount > 100:
        return CheckResult(outcome="pass", metadata={"amount": value.amount})
    return CheckResult(outcome="warn", description="small day")


def never_negative(ctx: Context, value: Total) -> bool:
    return value.amount >= 0


@asset(partitions=DAILY, checks=[is_positive, asset_check(never_negative, blocking=True)])
def total(ctx: Context, inp: SalesIn) -> Total:
    return Total(amount=inp.sales.amount if inp.sales.day != "2024-03-13" else -1)


def _monthly_rollup(ctx: Context, inp: NoInput) -> Total:
    seen.append({"keys": ctx.partition_keys, "range": ctx.partition_key_range,
                 "window": ctx.partition_time_window})
    with pytest.raises(FailedPreconditionError, match=r"read ctx\.partition_keys"):
        _ = ctx.partition_key
    return Total(amount=len(ctx.partition_keys))


ROLLUP = (dag.job("rollup", partitions=DAILY)
          .add(dag.op("rollup", _monthly_rollup, assets=["rollup"], max_partitions_per_run=31))
          .build())
DEFS = Definitions(jobs=[ROLLUP], assets=[sales, total])


@pytest.fixture
def synced(storage: Storage) -> Storage:
    sync_definitions(storage, DEFS)
    return storage


def test_each_partition_run_records_a_materialization_with_its_metadata(synced: Storage) -> None:
    for day in ("2024-03-01", "2024-03-02"):
        assert execute(DEFS.job("sales"), storage=synced, partition_key=day).success
    events = synced.list_asset_events("sales")
    assert [(e.partition_key, e.kind, dict(e.metadata)) for e in events] == [
        ("2024-03-02", AssetEventKind.MATERIALIZATION, {"rows": 2, "path": "s3://lake/sales/2024-03-02"}),
        ("2024-03-01", AssetEventKind.MATERIALIZATION, {"rows": 1, "path": "s3://lake/sales/2024-03-01"}),
    ]
    assert synced.partition_statuses("sales") == {
        "2024-03-01": PartitionStatus.MATERIALIZED, "2024-03-02": PartitionStatus.MATERIALIZED}
    record = synced.get_asset("sales")
    assert record is not None and record.last_event_id == events[0].id
    assert record.last_run_id == events[0].run_id


def test_a_downstream_asset_reads_the_same_partition_of_its_upstream(synced: Storage) -> None:
    first = execute(DEFS.job("sales"), storage=synced, partition_key="2024-03-20")
    execute(DEFS.job("sales"), storage=synced, partition_key="2024-03-21")
    result = execute(DEFS.job("total"), storage=synced, partition_key="2024-03-20")
    assert result.success and result.outputs["total"] == Total(amount=200)
    loaded = [e for e in result.events() if e.kind is EventKind.STEP_OUTPUT_REUSED]
    assert [e.message for e in loaded] == [
        f"step sales: value of asset sales loaded from run {first.run_id}"]


def test_a_missing_upstream_materialization_fails_the_run_saying_so(synced: Storage) -> None:
    result = execute(DEFS.job("total"), storage=synced, partition_key="2024-03-05")
    assert result.run.status is RunStatus.FAILURE
    assert result.run.error is not None
    assert result.run.error.message == ("asset 'sales' has no materialization of partition "
                                        "'2024-03-05' to read; materialize it first")
    assert synced.partition_statuses("total") == {}


def test_checks_are_recorded_and_a_blocking_failure_fails_the_step(synced: Storage) -> None:
    for day in ("2024-03-12", "2024-03-13", "2024-03-31"):
        execute(DEFS.job("sales"), storage=synced, partition_key=day)
        execute(DEFS.job("total"), storage=synced, partition_key=day)
    results = synced.list_check_results("total")
    outcomes = {(r.partition_key, r.check_name): r.outcome for r in results}
    assert outcomes == {
        ("2024-03-12", "is_positive"): CheckOutcome.PASS,
        ("2024-03-12", "never_negative"): CheckOutcome.PASS,
        ("2024-03-13", "is_positive"): CheckOutcome.WARN,
        ("2024-03-13", "never_negative"): CheckOutcome.FAIL,
        ("2024-03-31", "is_positive"): CheckOutcome.PASS,
        ("2024-03-31", "never_negative"): CheckOutcome.PASS,
    }
    warned = next(r for r in results if r.outcome is CheckOutcome.WARN)
    assert warned.description == "small day"
    # The blocking check failed: the step failed and the partition is not materialized.
    statuses = synced.partition_statuses("total")
    assert statuses["2024-03-13"] is PartitionStatus.FAILED
    assert statuses["2024-03-12"] is PartitionStatus.MATERIALIZED
    latest = synced.latest_check_results(["total"])
    assert latest["total", "never_negative"].partition_key == "2024-03-31"


def test_a_range_run_materializes_every_partition_it_covers(synced: Storage) -> None:
    seen.clear()
    result = execute(ROLLUP, storage=synced, partition_key="2024-03-30...2024-03-31")
    assert result.success, result.run.error
    (call,) = seen
    assert call["keys"] == ("2024-03-30", "2024-03-31")
    assert call["range"] == ("2024-03-30", "2024-03-31")
    window = call["window"]
    assert window.start.isoformat() == "2024-03-30T00:00:00+00:00"
    # 2024-03-31 is the day British Summer Time begins: 23 hours long.
    assert window.end.isoformat() == "2024-04-01T00:00:00+01:00"
    # (Aware times of one zone subtract as wall times: compare instants.)
    assert window.end.astimezone(dt.UTC) - window.start.astimezone(dt.UTC) == dt.timedelta(
        hours=47)
    assert synced.partition_statuses("rollup") == {
        "2024-03-30": PartitionStatus.MATERIALIZED, "2024-03-31": PartitionStatus.MATERIALIZED}


def test_a_run_for_a_key_the_partitions_do_not_hold_fails_naming_it(synced: Storage) -> None:
    result = execute(DEFS.job("sales"), storage=synced, partition_key="2024-04-01")
    assert result.run.status is RunStatus.FAILURE and result.run.error is not None
    assert "2024-04-01" in result.run.error.message
    missing = execute(DEFS.job("sales"), storage=synced)
    assert missing.run.error is not None
    assert "is partitioned" in missing.run.error.message
    assert "has no partition key; launch it for a partition" in missing.run.error.message


def test_failed_attempts_then_success_and_a_final_failure(storage: Storage) -> None:
    calls: list[str] = []

    def flaky(ctx: Context, inp: NoInput) -> Total:
        calls.append(ctx.partition_key or "")
        if ctx.partition_key == "b" or len(calls) == 1:
            raise RuntimeError("boom")
        return Total(amount=1)

    job = (dag.job("flaky", partitions=StaticPartitions(["a", "b"]))
           .add(dag.op("flaky", flaky, assets=["flaky"],
                       retry=RetryPolicy(max_attempts=2, delay_seconds=0.0)))
           .build())
    sync_definitions(storage, Definitions(jobs=[job]))
    assert execute(job, storage=storage, partition_key="a").success
    assert execute(job, storage=storage, partition_key="b").run.status is RunStatus.FAILURE
    assert storage.partition_statuses("flaky") == {"a": PartitionStatus.MATERIALIZED,
                                                   "b": PartitionStatus.FAILED}


def test_an_unpartitioned_asset_and_an_observation(storage: Storage) -> None:
    def build(ctx: Context, inp: NoInput) -> Total:
        return Total(amount=1)

    job = dag.job("build").add(dag.op("build", build, assets=["model"])).build()
    defs = Definitions(jobs=[job], assets=[AssetSpec(key="files")])
    sync_definitions(storage, defs)
    result = execute(job, storage=storage)
    assert result.step_status("build") is StepStatus.SUCCESS
    assert storage.partition_statuses("model") == {"": PartitionStatus.MATERIALIZED}
    (observed,) = storage.add_asset_events([AssetEvent(
        asset_key="files", kind=AssetEventKind.OBSERVATION, metadata={"bytes": 10})])
    files = storage.get_asset("files")
    assert files is not None and files.last_observed_at == observed.timestamp
    assert files.last_materialized_at is None


def test_a_run_ended_for_its_lost_worker_leaves_no_partition_in_progress(
        synced: Storage) -> None:
    run = Run(job_name="sales", status=RunStatus.STARTED, attempt=1, partition_key="2024-03-03")
    synced.add_run(run)
    synced.record_steps([StepRecord(run_id=run.id, step_key="sales",
                                    status=StepStatus.RUNNING)], [], fence=Fence(run.id, 1),
                        assets=AssetWrites(states=[AssetStateChange(
                            asset_key="sales", partition_keys=("2024-03-03",),
                            state=PartitionState.RUNNING, run_id=run.id)]))
    assert synced.partition_statuses("sales") == {"2024-03-03": PartitionStatus.IN_PROGRESS}
    synced.end_attempt(Fence(run.id, 1), RunStatus.FAILURE, error=None, events=[],
                       step_status=StepStatus.FAILURE, step_message="worker lost")
    assert synced.partition_statuses("sales") == {"2024-03-03": PartitionStatus.FAILED}


def test_an_asset_run_that_failed_for_want_of_its_upstream_is_re_executed(
        synced: Storage) -> None:
    failed = execute(DEFS.job("total"), storage=synced, partition_key="2024-03-22")
    assert failed.run.status is RunStatus.FAILURE
    execute(DEFS.job("sales"), storage=synced, partition_key="2024-03-22")
    again = Run(job_name="total", parent_run_id=failed.run_id, status=RunStatus.STARTING,
                tags={REEXECUTE_TAG: "failure"}, partition_key="2024-03-22")
    synced.add_run(again)
    final = RunWorker(DEFS.job("total"), again, synced).execute()
    assert final.status is RunStatus.SUCCESS, final.error
    assert synced.partition_statuses("total")["2024-03-22"] is PartitionStatus.MATERIALIZED
