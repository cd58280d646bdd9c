"""The migration contract: pytest tests every SQL backend's migrations must pass.

Subclass `MigrationContract` in a class named `Test...` and provide an `engine` fixture:
an engine on an empty database (or schema) of its own, not migrated. The tests write
rows as each older revision stored them, with SQLAlchemy Core (so they hold on every
dialect), then upgrade or downgrade and read through the storage.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from daggo_core.definitions.asset_snapshot import AssetSnapshot
from daggo_core.storage.asset_records import AssetEvent, AssetRecord, Backfill, PartitionStatus
from daggo_core.storage.base import RunFilter
from daggo_core.storage.migrate import HEAD_REVISION, alembic_config, current_revision, upgrade
from daggo_core.storage.records import RunTrigger, WorkerRecord, WorkerState
from daggo_core.storage.sql import SqlStorage

__all__ = ["MigrationContract"]

#: A job snapshot as revision 0003 stored it (untyped, version 1).
SNAPSHOT_V1: dict[str, Any] = {
    "ops": [
        {"name": "load", "description": "Load.", "input": "NoInput", "output": "Rows",
         "is_async": False, "inputs": []},
        {"name": "save", "description": "", "input": "SaveIn", "output": "Saved",
         "is_async": True, "inputs": [{"field": "rows", "type": "Rows", "wiring": "one",
                                       "producers": ["load"]}]},
    ],
    "schedules": [{"key": "hourly", "cron": "0 * * * *", "timezone": "UTC", "enabled": False,
                   "catch_up": "latest", "catch_up_window_seconds": 86400.0,
                   "overlap": "skip", "pause_after_failures": None, "tags": {}}],
    "params": [{"name": "limit", "type": "int", "required": False, "default": 10}],
    "tags": {"team": "data"},
}

#: Runs of revision 0003: (id, tags, schedule_key) and the trigger 0004 derives.
RUNS_0003: tuple[tuple[str, dict[str, str], str | None, RunTrigger], ...] = (
    ("a" * 32, {"team": "data"}, None, RunTrigger.MANUAL),
    ("b" * 32, {}, "hourly", RunTrigger.SCHEDULE),
    ("c" * 32, {"daggo/retry_number": "1"}, None, RunTrigger.RETRY),
    ("d" * 32, {"daggo/reexecute": "failure", "team": "web"}, None, RunTrigger.REEXECUTION),
)

_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_jobs = sa.table("jobs", sa.column("name"), sa.column("description"), sa.column("snapshot"),
                 sa.column("active", sa.Boolean), sa.column("updated_at", sa.DateTime))
_runs = sa.table("runs", sa.column("id"), sa.column("job_name"), sa.column("status"),
                 sa.column("params"), sa.column("tags"), sa.column("created_at", sa.DateTime),
                 sa.column("schedule_key"), sa.column("cancel_requested", sa.Boolean))
_steps = sa.table("steps", sa.column("run_id"), sa.column("step_key"), sa.column("seq"),
                  sa.column("status"), sa.column("attempt"))
_events = sa.table("events", sa.column("run_id"), sa.column("kind"),
                   sa.column("timestamp", sa.DateTime), sa.column("message"),
                   sa.column("data"))


def _seed_0003(engine: Engine) -> None:
    """Upgrade to 0003 and store a job, runs, their steps and events as 0003 did."""
    upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(_jobs.insert().values(name="etl", description="",
                                           snapshot=json.dumps(SNAPSHOT_V1), active=True,
                                           updated_at=_AT))
        for run_id, tags, schedule_key, _ in RUNS_0003:
            conn.execute(_runs.insert().values(
                id=run_id, job_name="etl", status="SUCCESS", params="{}",
                tags=json.dumps(tags), created_at=_AT, schedule_key=schedule_key,
                cancel_requested=False))
            conn.execute(_steps.insert().values(run_id=run_id, step_key="load", seq=1,
                                                status="SUCCESS", attempt=1))
            conn.execute(_events.insert().values(run_id=run_id, kind="LOG", timestamp=_AT,
                                                 message="kept", data="{}"))


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


class MigrationContract:
    """Upgrades keep and complete old data; downgrades keep it; all end at the head."""

    def test_revision_0003_gets_typed_snapshots_triggers_and_tags(self, engine: Engine) -> None:
        _seed_0003(engine)
        upgrade(engine)
        assert current_revision(engine) == HEAD_REVISION
        storage = SqlStorage(engine)
        job = storage.get_job("etl")
        assert job is not None
        snapshot = job.snapshot
        assert snapshot.order == ("load", "save") and snapshot.ops[1].is_async
        assert [(e.source, e.target, e.field) for e in snapshot.edges()] == [
            ("load", "save", "rows")]
        assert snapshot.ops[0].input_type == "NoInput" and snapshot.ops[1].output_type == "Saved"
        assert snapshot.schedules[0].enabled is False and snapshot.params[0].default == 10
        assert snapshot.tags == {"team": "data"}
        for run_id, _, _, trigger in RUNS_0003:
            assert [r.id for r in storage.list_runs(RunFilter(triggers=(trigger,)))] == [run_id]
        assert [r.id for r in storage.list_runs(RunFilter(tags={"team": "data"}))] == ["a" * 32]
        for run_id, *_ in RUNS_0003:  # nothing of the runs is lost on the way
            assert [s.step_key for s in storage.list_steps(run_id)] == ["load"]
            assert [e.message for e in storage.list_events(run_id)] == ["kept"]

    def test_downgrades_keep_runs_steps_and_events(self, engine: Engine) -> None:
        _seed_0003(engine)
        upgrade(engine)
        _downgrade(engine, "0003")
        with engine.connect() as conn:
            stored = conn.execute(sa.select(_jobs.c.snapshot)).scalar_one()
        assert json.loads(stored) == SNAPSHOT_V1  # as 0003 wrote it, for 0003's code
        assert "run_tags" not in sa.inspect(engine).get_table_names()
        _downgrade(engine, "0001")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("runs")}
        assert not columns & {"trigger", "wait_reason", "cancel_requested"}
        counts = [_count(engine, table) for table in ("runs", "steps", "events")]
        assert counts == [len(RUNS_0003)] * 3
        upgrade(engine)  # and back up, with everything still there
        storage = SqlStorage(engine)
        assert storage.get_job("etl") is not None
        assert [s.step_key for s in storage.list_steps("d" * 32)] == ["load"]
        assert [r.id for r in storage.list_runs(RunFilter(triggers=(RunTrigger.RETRY,)))] == [
            "c" * 32]

    def test_revision_0007_gives_old_steps_empty_metadata(self, engine: Engine) -> None:
        _seed_0003(engine)
        upgrade(engine)
        assert SqlStorage(engine).list_steps("a" * 32)[0].metadata == {}
        _downgrade(engine, "0006")
        assert "metadata" not in {c["name"] for c in sa.inspect(engine).get_columns("steps")}
        assert _count(engine, "steps") == len(RUNS_0003)

    def test_revision_0008_adds_the_worker_registry_and_its_downgrade_drops_it(
            self, engine: Engine) -> None:
        _seed_0003(engine)
        upgrade(engine)
        storage = SqlStorage(engine)
        registered = WorkerRecord(id="h:1", host="h", pid=1, executor="subprocess",
                                  state=WorkerState.IDLE, version="0.1.0")
        storage.save_worker(registered)
        assert storage.list_workers(limit=1) == [registered]
        _downgrade(engine, "0007")
        assert "workers" not in sa.inspect(engine).get_table_names()
        assert _count(engine, "runs") == len(RUNS_0003)

    def test_revision_0011_replaces_the_unwritten_asset_tables_and_its_downgrade_restores_them(
            self, engine: Engine) -> None:
        _seed_0003(engine)
        upgrade(engine)
        new = {"assets", "asset_events", "asset_partitions", "asset_check_results",
               "dynamic_partitions", "backfills", "backfill_plan"}
        assert new <= set(sa.inspect(engine).get_table_names())
        assert not {"partitions", "asset_materializations"} & set(
            sa.inspect(engine).get_table_names())
        storage = SqlStorage(engine)
        storage.sync_assets([AssetRecord(key="a", snapshot=AssetSnapshot())])
        storage.add_asset_events([AssetEvent(asset_key="a", partition_key="p")])
        storage.add_backfill(Backfill(job_name="etl"), ["p"])
        assert storage.partition_statuses("a") == {"p": PartitionStatus.MATERIALIZED}
        _downgrade(engine, "0010")
        tables = set(sa.inspect(engine).get_table_names())
        assert {"partitions", "assets", "asset_materializations", "backfills"} <= tables
        assert not tables & (new - {"assets", "backfills"})
        indexes = {index["name"] for index in sa.inspect(engine).get_indexes("runs")}
        assert "ix_runs_status_partition_key_created_at" in indexes
        assert "ix_runs_backfill_id_status" not in indexes
        assert _count(engine, "runs") == len(RUNS_0003)
        upgrade(engine)
        assert SqlStorage(engine).list_assets() == []

    def test_revision_0012_gives_old_workers_no_pool_and_its_downgrade_keeps_them(
            self, engine: Engine) -> None:
        _seed_0003(engine)
        upgrade(engine, "0011")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO workers (id, host, pid, executor, state, started_at, "
                "heartbeat_at, version) VALUES ('h:1', 'h', 1, 'subprocess', 'IDLE', "
                ":at, :at, '0.1.0')"), {"at": _AT.replace(tzinfo=None)})
        upgrade(engine)
        storage = SqlStorage(engine)
        (old,) = storage.list_workers(limit=1)
        assert (old.pool, old.queues, old.drain_requested_at) == ("", (), None)
        assert {r.claimed_version for r in storage.list_runs(limit=10)} == {None}
        storage.request_drain(worker_id="h:1", at=_AT)
        storage.announce_deploy("daggo", "2", holder="h:1", at=_AT, deadline=_AT)
        _downgrade(engine, "0011")
        tables = set(sa.inspect(engine).get_table_names())
        assert not {"worker_pools", "deploy_locks"} & tables
        columns = {c["name"] for c in sa.inspect(engine).get_columns("workers")}
        assert not {"pool", "queues", "drain_requested_at", "drain_accepted_at"} & columns
        assert "claimed_version" not in {c["name"] for c in sa.inspect(engine).get_columns(
            "runs")}
        assert _count(engine, "workers") == 1 and _count(engine, "runs") == len(RUNS_0003)
        upgrade(engine)
        assert SqlStorage(engine).get_deploy_lock("daggo") is None

    def test_a_database_downgraded_to_base_is_migrated_again(self, engine: Engine) -> None:
        upgrade(engine)
        _downgrade(engine, "base")
        assert current_revision(engine) is None
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == HEAD_REVISION
