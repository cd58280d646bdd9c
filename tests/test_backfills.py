"""Backfills: their plans (sets, ranges, only the missing and failed, chunked ranges),
the runner that creates their runs in batches and settles them, and cancels; on every
storage backend."""

from __future__ import annotations

import attrs
import pytest

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.config import default_config
from daggo_core.definitions.partitions import DailyPartitions, DynamicPartitions
from daggo_core.errors import AssetNotFoundError, FailedPreconditionError, InvalidArgumentError
from daggo_core.execution.local import execute
from daggo_core.plugins import make_plugin_manager
from daggo_core.scheduling.backfill_runner import BackfillRunner
from daggo_core.services import ServiceContext, Services
from daggo_core.services.backfills import (
    BackfillsCancelRequest,
    BackfillsGetPartitionsRequest,
    BackfillsGetRequest,
    BackfillsLaunchRequest,
)
from daggo_core.services.dynamic_partitions import DynamicPartitionsAddRequest
from daggo_core.services.jobs import JobsLaunchRequest
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.asset_records import BackfillStatus
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import Run, RunStatus, RunTrigger

JANUARY = DailyPartitions("2024-01-01", end="2024-02-01")


@attrs.frozen
class Out:
    n: int


def _day(ctx: Context, inp: NoInput) -> Out:
    return Out(n=len(ctx.partition_keys))


DAILY_JOB = (dag.job("daily", partitions=JANUARY)
             .add(dag.op("day", _day, assets=["days"])).build())
WEEKLY_CHUNKS = (dag.job("chunked", partitions=JANUARY)
                 .add(dag.op("chunk", _day, max_partitions_per_run=7)).build())
CUSTOMERS = (dag.job("customers", partitions=DynamicPartitions("customers"))
             .add(dag.op("customer", _day)).build())
DEFS = Definitions(jobs=[DAILY_JOB, WEEKLY_CHUNKS, CUSTOMERS])


@pytest.fixture
def services(storage: Storage) -> Services:
    sync_definitions(storage, DEFS)
    return Services.over(ServiceContext(storage=storage, config=default_config(),
                                        hooks=make_plugin_manager(), definitions=DEFS))


def _runs(storage: Storage, backfill_id: str) -> list[str]:
    runs = storage.list_runs(RunFilter(backfill_id=backfill_id), limit=10_000)
    return sorted(r.partition_key or "" for r in runs)


def test_a_backfill_creates_one_run_per_partition_in_batches(services: Services) -> None:
    storage = services.context.storage
    preview = services.backfills.preview(BackfillsLaunchRequest(job="daily"))
    assert (preview.partitions, preview.runs, preview.skipped) == (31, 31, 0)
    assert preview.first_runs[:2] == ("2024-01-01", "2024-01-02")
    launched = services.backfills.launch(BackfillsLaunchRequest(job="daily", tags={"t": "1"}))
    assert launched.status is BackfillStatus.REQUESTED and launched.unsubmitted == 31
    runner = BackfillRunner(storage, batch_size=10)
    assert [runner.pass_once() for _ in range(5)] == [10, 10, 10, 1, 0]
    backfill = services.backfills.get(BackfillsGetRequest(id=launched.id)).backfill
    assert backfill.status is BackfillStatus.RUNNING and backfill.submitted == 31
    assert backfill.run_counts == {RunStatus.QUEUED: 31}
    runs = storage.list_runs(RunFilter(backfill_id=launched.id), limit=100)
    assert {r.trigger for r in runs} == {RunTrigger.BACKFILL}
    assert {r.tags["t"] for r in runs} == {"1"}
    assert _runs(storage, launched.id) == [f"2024-01-{d:02d}" for d in range(1, 32)]
    page = services.backfills.get_partitions(BackfillsGetPartitionsRequest(id=launched.id,
                                                                          limit=2))
    assert [(r.seq, r.partition_key, r.run_status) for r in page.runs] == [
        (0, "2024-01-01", RunStatus.QUEUED), (1, "2024-01-02", RunStatus.QUEUED)]
    assert page.next_cursor is not None


def test_a_second_runner_resumes_where_the_first_stopped(services: Services) -> None:
    storage = services.context.storage
    launched = services.backfills.launch(BackfillsLaunchRequest(job="daily"))
    BackfillRunner(storage, batch_size=7).pass_once()  # then the server "dies"
    assert services.backfills.get(BackfillsGetRequest(id=launched.id)).backfill.submitted == 7
    other = BackfillRunner(storage, batch_size=500)
    while other.pass_once():
        pass
    assert _runs(storage, launched.id) == [f"2024-01-{d:02d}" for d in range(1, 32)]


def test_only_missing_and_failed_partitions_are_backfilled(services: Services) -> None:
    storage = services.context.storage
    for day in ("2024-01-02", "2024-01-03", "2024-01-10"):
        assert execute(DAILY_JOB, storage=storage, partition_key=day).success
    request = BackfillsLaunchRequest(job="daily", first="2024-01-01", last="2024-01-10",
                                     only_missing=True)
    preview = services.backfills.preview(request)
    assert (preview.partitions, preview.runs, preview.skipped) == (7, 7, 3)
    launched = services.backfills.launch(request)
    while BackfillRunner(storage).pass_once():
        pass
    assert _runs(storage, launched.id) == [
        "2024-01-01", *(f"2024-01-{d:02d}" for d in range(4, 10))]
    with pytest.raises(InvalidArgumentError, match="materializes no assets"):
        services.backfills.preview(BackfillsLaunchRequest(job="chunked", only_missing=True))


def test_jobs_taking_ranges_are_backfilled_in_chunks(services: Services) -> None:
    preview = services.backfills.preview(BackfillsLaunchRequest(job="chunked"))
    assert preview.chunk_size == 7 and preview.runs == 5
    assert preview.first_runs == ("2024-01-01...2024-01-07", "2024-01-08...2024-01-14",
                                  "2024-01-15...2024-01-21", "2024-01-22...2024-01-28",
                                  "2024-01-29...2024-01-31")
    chosen = services.backfills.preview(BackfillsLaunchRequest(
        job="chunked", partition_keys=("2024-01-05", "2024-01-03", "2024-01-04", "2024-01-09"),
        chunk_size=2))
    # Keys not next to each other are never one range.
    assert chosen.first_runs == ("2024-01-03...2024-01-04", "2024-01-05", "2024-01-09")
    with pytest.raises(InvalidArgumentError, match="takes from 1 to 7 partitions per run"):
        services.backfills.preview(BackfillsLaunchRequest(job="chunked", chunk_size=8))


def test_bad_selections_are_refused_naming_what_is_wrong(services: Services) -> None:
    backfills = services.backfills
    with pytest.raises(InvalidArgumentError, match="'2023-12-31', 'nope' are not partitions"):
        backfills.preview(BackfillsLaunchRequest(job="daily",
                                                 partition_keys=("2023-12-31", "nope")))
    with pytest.raises(InvalidArgumentError, match="give the job to backfill or the asset"):
        backfills.preview(BackfillsLaunchRequest())
    with pytest.raises(InvalidArgumentError, match="a range needs both first and last"):
        backfills.preview(BackfillsLaunchRequest(job="daily", first="2024-01-01"))
    with pytest.raises(InvalidArgumentError, match="2024-01-05"):
        backfills.preview(BackfillsLaunchRequest(job="daily", first="2024-01-05",
                                                 last="2024-01-01"))
    with pytest.raises(AssetNotFoundError, match="no asset 'ghost' is defined"):
        backfills.preview(BackfillsLaunchRequest(asset="ghost"))


def test_a_backfill_of_an_asset_runs_its_job(services: Services) -> None:
    preview = services.backfills.preview(BackfillsLaunchRequest(asset="days",
                                                                first="2024-01-30",
                                                                last="2024-01-31"))
    assert (preview.job_name, preview.asset_key, preview.runs) == ("daily", "days", 2)


def test_canceling_a_backfill_stops_its_queued_runs(services: Services) -> None:
    storage = services.context.storage
    launched = services.backfills.launch(BackfillsLaunchRequest(job="daily"))
    runner = BackfillRunner(storage, batch_size=10)
    runner.pass_once()
    services.backfills.cancel(BackfillsCancelRequest(id=launched.id))
    while runner.pass_once():
        pass
    runner.pass_once()
    backfill = services.backfills.get(BackfillsGetRequest(id=launched.id)).backfill
    assert backfill.status is BackfillStatus.CANCELED
    assert backfill.submitted == 10 and backfill.run_counts == {RunStatus.CANCELED: 10}
    # Canceling again changes nothing; a finished backfill cannot be canceled.
    again = services.backfills.cancel(BackfillsCancelRequest(id=launched.id))
    assert again.status is BackfillStatus.CANCELED
    done = services.backfills.launch(BackfillsLaunchRequest(job="daily", partition_keys=(),
                                                            only_missing=False,
                                                            first="2024-01-31",
                                                            last="2024-01-31"))
    runner.pass_once()
    (run,) = storage.list_runs(RunFilter(backfill_id=done.id))
    storage.set_run_status(run.id, RunStatus.SUCCESS, expected=(RunStatus.QUEUED,))
    runner.pass_once()
    with pytest.raises(FailedPreconditionError,
                       match="is COMPLETED: only a backfill still going"):
        services.backfills.cancel(BackfillsCancelRequest(id=done.id))


def test_a_backfill_completes_once_every_run_finished(services: Services) -> None:
    storage = services.context.storage
    launched = services.backfills.launch(BackfillsLaunchRequest(
        job="daily", partition_keys=("2024-01-01", "2024-01-02")))
    runner = BackfillRunner(storage)
    runner.pass_once()
    runs = storage.list_runs(RunFilter(backfill_id=launched.id))
    storage.set_run_status(runs[0].id, RunStatus.SUCCESS, expected=(RunStatus.QUEUED,))
    runner.pass_once()
    assert storage.get_backfill(launched.id).status is BackfillStatus.RUNNING
    storage.set_run_status(runs[1].id, RunStatus.FAILURE, expected=(RunStatus.QUEUED,))
    runner.pass_once()
    assert storage.get_backfill(launched.id).status is BackfillStatus.COMPLETED


def test_dynamic_partitions_are_backfilled_and_launched_by_key(services: Services) -> None:
    services.dynamic_partitions.add(DynamicPartitionsAddRequest(name="customers",
                                                                keys=("acme", "zen")))
    preview = services.backfills.preview(BackfillsLaunchRequest(job="customers"))
    assert preview.first_runs == ("acme", "zen")
    run = services.jobs.launch(JobsLaunchRequest(job="customers", partition_key="zen")).run
    assert run.partition_key == "zen"
    with pytest.raises(InvalidArgumentError, match="'nobody'"):
        services.jobs.launch(JobsLaunchRequest(job="customers", partition_key="nobody"))
    with pytest.raises(InvalidArgumentError, match="is partitioned"):
        services.jobs.launch(JobsLaunchRequest(job="customers"))
    with pytest.raises(InvalidArgumentError, match="covers 2 partitions; job 'customers' "
                                                   "takes at most 1 per run"):
        services.jobs.launch(JobsLaunchRequest(job="customers", partition_key="acme...zen"))


def test_a_job_without_partitions_is_launched_without_a_key(storage: Storage) -> None:
    job = dag.job("plain").add(dag.op("p", _day)).build()
    defs = Definitions(jobs=[job])
    sync_definitions(storage, defs)
    services = Services.over(ServiceContext(storage=storage, config=default_config(),
                                            hooks=make_plugin_manager(), definitions=defs))
    with pytest.raises(InvalidArgumentError, match="job 'plain' is not partitioned: launch "
                                                   "it without a partition_key"):
        services.jobs.launch(JobsLaunchRequest(job="plain", partition_key="x"))
    with pytest.raises(InvalidArgumentError, match="is not partitioned: launch it instead"):
        services.backfills.preview(BackfillsLaunchRequest(job="plain"))


def test_a_backfill_with_a_retry_still_queued_is_not_completed(services: Services) -> None:
    storage = services.context.storage
    launched = services.backfills.launch(BackfillsLaunchRequest(
        job="daily", partition_keys=("2024-01-01",)))
    runner = BackfillRunner(storage)
    runner.pass_once()
    (run,) = storage.list_runs(RunFilter(backfill_id=launched.id))
    storage.set_run_status(run.id, RunStatus.FAILURE, expected=(RunStatus.QUEUED,))
    storage.add_run(Run(job_name="daily", partition_key=run.partition_key,
                        backfill_id=launched.id, parent_run_id=run.id))  # its retry
    runner.pass_once()
    assert storage.get_backfill(launched.id).status is BackfillStatus.RUNNING


def test_a_one_key_range_is_that_key(services: Services) -> None:
    run = services.jobs.launch(JobsLaunchRequest(job="daily",
                                                 partition_key="2024-01-03...2024-01-03")).run
    assert run.partition_key == "2024-01-03"
