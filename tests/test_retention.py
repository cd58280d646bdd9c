"""Retention end to end: the server's purger, the retention service and `daggo db purge`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from attrs import frozen
from click.testing import CliRunner, Result

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.app import DaggoApp
from daggo_core.cli.main import cli
from daggo_core.config import Config, default_config
from daggo_core.errors import FailedPreconditionError, InvalidArgumentError, JobNotFoundError
from daggo_core.plugins import make_plugin_manager
from daggo_core.services import Services, open_services
from daggo_core.services.retention import KeptRuns, PurgedJob, RetentionPurgeRequest
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus, StepRecord, utcnow
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import app_served
from daggo_sqlite.testing import database_config


@frozen
class One:
    n: int


def one(ctx: Context, inp: NoInput) -> One:
    return One(1)


ETL = dag.job("etl").add(dag.op("one", one)).build()
NIGHTLY = dag.job("nightly").add(dag.op("one", one)).build()


def old_run(storage: Storage, job: str, days: float, *, steps: int = 0,
            events: int = 0) -> Run:
    """A successful run of `job` that finished `days` ago, with steps and log events."""
    at = utcnow() - dt.timedelta(days=days)
    run = storage.add_run(Run(job_name=job, status=RunStatus.SUCCESS, created_at=at,
                              started_at=at, finished_at=at))
    storage.record_steps(
        [StepRecord(run_id=run.id, step_key=f"s{i}", output={"i": i}) for i in range(steps)],
        [], [Event(run_id=run.id, kind=EventKind.LOG, message="x") for _ in range(events)])
    return run


def run_ids(storage: Storage) -> set[str]:
    return {run.id for run in storage.list_runs(limit=100)}


# ---------------------------------------------------------------------------- the server


def test_the_server_purges_old_runs_in_batches_and_keeps_recent_ones(
        storage_backend, apps: Callable[..., DaggoApp]) -> None:
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.execution.executor = "in_process"
    cfg.scheduler.enabled = False
    cfg.admin.port = free_port()
    cfg.retention.run_days = 30
    cfg.retention.job_days = {"nightly": 90}
    cfg.retention.batch_size = 2
    app = apps(cfg, Definitions(jobs=[ETL, NIGHTLY]))
    for days in range(40, 45):
        old_run(app.storage, "etl", days, steps=1, events=2)
    kept = {old_run(app.storage, "etl", 3).id, old_run(app.storage, "nightly", 60).id}
    with app_served(app):
        wait_for(lambda: app.storage.count_runs() == len(kept), 30,
                 "the server's purger to purge the 5 old runs")
        assert run_ids(app.storage) == kept
        assert app.component_states()["retention"] == "running"


def test_without_retention_days_the_server_runs_no_purger(
        tmp_path: Path, apps: Callable[..., DaggoApp]) -> None:
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.execution.executor = "in_process"
    cfg.admin.port = free_port()
    app = apps(cfg, ETL)
    run = old_run(app.storage, "etl", 4000)
    with app_served(app):
        wait_for(lambda: app.component_states()["coordinator"] == "running", 30,
                 "the runtime to start")
        assert "retention" not in app.component_states()
        assert run_ids(app.storage) == {run.id}


# ---------------------------------------------------------------------------- the service


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    config = default_config()
    config.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    return config


@pytest.fixture
def services(cfg: Config) -> Iterator[Services]:
    with open_services(cfg, make_plugin_manager()) as services:
        sync_definitions(services.context.storage, Definitions(jobs=[ETL, NIGHTLY]))
        yield services


def test_the_service_purges_with_the_days_and_jobs_given(cfg: Config,
                                                         services: Services) -> None:
    storage = services.context.storage
    cfg.retention.job_days = {"nightly": 0}  # kept, unless asked for by name
    etl, nightly = old_run(storage, "etl", 40, steps=2, events=3), old_run(storage, "nightly", 40)
    purge = services.retention.purge
    dry = purge(RetentionPurgeRequest(dry_run=True, days=30))
    assert dry.dry_run and (dry.runs, dry.steps, dry.events) == (1, 2, 3)
    assert [(j.job, j.runs) for j in dry.jobs] == [("etl", 1)]
    assert run_ids(storage) == {etl.id, nightly.id}
    named = purge(RetentionPurgeRequest(days=30, jobs=("nightly",)))
    assert [(j.job, j.runs, j.steps, j.events) for j in named.jobs] == [("nightly", 1, 0, 0)]
    assert run_ids(storage) == {etl.id}


def test_the_service_says_what_it_cannot_purge(services: Services) -> None:
    purge = services.retention.purge
    with pytest.raises(FailedPreconditionError, match=r"every run is kept: retention\.run_"
                                                      r"days is 0.*--days N"):
        purge(RetentionPurgeRequest())
    with pytest.raises(InvalidArgumentError, match="days: must be at least 1, got 0"):
        purge(RetentionPurgeRequest(days=0))
    with pytest.raises(JobNotFoundError, match=r"no job named 'nope' \(known jobs: etl, "
                                               r"nightly\)"):
        purge(RetentionPurgeRequest(days=3, jobs=("nope",)))


def test_the_service_reports_the_cutoff_and_the_runs_kept(cfg: Config,
                                                          services: Services) -> None:
    storage = services.context.storage
    cfg.retention.run_days = 30
    parent = old_run(storage, "etl", 40)
    storage.add_run(Run(job_name="etl", parent_run_id=parent.id))  # a queued re-execution
    old_run(storage, "etl", 50)
    asked = utcnow()
    response = services.retention.purge(RetentionPurgeRequest(dry_run=True))
    answered = utcnow()
    (job,) = response.jobs
    assert isinstance(job, PurgedJob) and job.runs == 1
    month = dt.timedelta(days=30)
    assert asked - month <= job.cutoff <= answered - month
    assert response.kept == (KeptRuns(reason="a re-execution of it has not finished", runs=1),)


# ---------------------------------------------------------------------------- the CLI


def daggo(db: Path, *args: str, **env: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"DAGGO_SQLITE_PATH": str(db),
                                                    "DAGGO_DATABASE_DRIVER": None, **env})


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Path, Storage]]:
    path = tmp_path / "daggo.sqlite"
    storage = make_plugin_manager().storage_backend("sqlite").open(database_config(path))
    sync_definitions(storage, Definitions(jobs=[ETL, NIGHTLY]))
    yield path, storage
    storage.close()


def test_db_purge_dry_run_shows_what_would_go_and_deletes_nothing(
        db: tuple[Path, Storage]) -> None:
    path, storage = db
    for days in (40, 41):
        old_run(storage, "etl", days, steps=2, events=1500)
    old_run(storage, "nightly", 40, steps=1)
    recent = old_run(storage, "etl", 1)
    dry = daggo(path, "db", "purge", "--dry-run", DAGGO_RETENTION_RUN_DAYS="30")
    assert dry.exit_code == 0, dry.output
    assert "runs would be purged (dry run: nothing was deleted)" in dry.output
    rows = {cells[0]: cells[1:] for line in dry.output.splitlines()
            if len(cells := [cell.strip() for cell in line.split("│")[1:-1]]) == 5}
    assert rows["etl"][1:] == ["2", "4", "3,000"] and rows["nightly"][1:] == ["1", "1", "0"]
    assert rows["total"] == ["", "3", "5", "3,000"]
    assert "with them: 0 queue item(s), 0 asset event(s)" in dry.output
    assert storage.count_runs() == 4
    done = daggo(path, "db", "purge", "--days", "30", "--job", "etl")
    assert done.exit_code == 0, done.output
    assert "runs purged" in done.output and "nightly" not in done.output
    assert storage.count_runs() == 2 and recent.id in run_ids(storage)


def test_db_purge_without_days_or_with_an_unknown_job_says_so(db: tuple[Path, Storage]) -> None:
    path, _ = db
    kept = daggo(path, "db", "purge", "--dry-run")
    assert kept.exit_code == 1 and "every run is kept" in kept.output
    assert "daggo db purge --days N" in kept.output
    unknown = daggo(path, "db", "purge", "--days", "3", "--job", "nope")
    assert unknown.exit_code == 1 and "no job named 'nope'" in unknown.output
    zero = daggo(path, "db", "purge", "--days", "0")
    assert zero.exit_code == 2 and "0 is not in the range x>=1" in zero.output
    nothing = daggo(path, "db", "purge", "--days", "3")
    assert nothing.exit_code == 0 and "no old run purged" in nothing.output
