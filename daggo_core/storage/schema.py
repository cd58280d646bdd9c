"""The database schema shared by every SQL backend (SQLAlchemy Core tables)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator

from daggo_core.serde import json_text

__all__ = [
    "NAMING_CONVENTION",
    "JSONText",
    "UTCDateTime",
    "asset_check_results",
    "asset_events",
    "asset_partitions",
    "assets",
    "backfill_plan",
    "backfills",
    "deploy_locks",
    "dynamic_partitions",
    "events",
    "jobs",
    "metadata",
    "queue_errors",
    "queue_items",
    "queue_loaders",
    "queue_partitions",
    "queues",
    "run_tags",
    "runs",
    "schedule_ticks",
    "scheduler_states",
    "steps",
    "worker_pools",
    "workers",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime, stored as naive UTC so every backend agrees."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is dt.UTC:  # what utcnow() gives: no conversion needed
            return value.replace(tzinfo=None)
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} stored; use an aware UTC one")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stored: dt.datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=dt.UTC)
        return stored.astimezone(dt.UTC)


class JSONText(TypeDecorator[Any]):
    """A JSON value stored as compact text; SQL NULL stands for None."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value == "{}":  # most events' data: no parse needed
            return {}
        return json.loads(value)


# SQLite only auto-increments an INTEGER PRIMARY KEY; elsewhere ids get 64 bits.
_AutoId = BigInteger().with_variant(Integer(), "sqlite")

_NAME = 255
_ID = 32
_STATUS = 16

jobs = Table(
    "jobs",
    metadata,
    Column("name", String(_NAME), primary_key=True),
    Column("description", Text, nullable=False),
    Column("snapshot", JSONText, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("job_name", String(_NAME), nullable=False),
    Column("status", String(_STATUS), nullable=False),
    Column("params", JSONText, nullable=False),
    Column("tags", JSONText, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("parent_run_id", String(_ID)),
    Column("error", JSONText),
    Column("schedule_key", String(_NAME)),
    Column("scheduled_for", UTCDateTime),
    Column("queue_item_id", String(_ID)),
    Column("partition_key", String(_NAME)),
    Column("backfill_id", String(_ID)),
    Column("worker_id", String(_NAME)),
    Column("heartbeat_at", UTCDateTime),
    Column("wait_reason", Text),
    Column("cancel_requested", Boolean, nullable=False, default=False, server_default=false()),
    Column("trigger", String(_STATUS)),  # always written; see migration 0004
    # Bumped by every claim: the fencing token of the run's current execution attempt.
    Column("attempt", Integer, nullable=False, default=0, server_default="0"),
    # The deploy version of the server that claimed the current attempt (deploy drain).
    Column("claimed_version", String(_NAME)),
    Index(None, "job_name", "created_at"),
    Index(None, "status", "created_at"),
    Index(None, "status", "partition_key", "created_at"),  # claims: oldest per key
    Index(None, "created_at"),
    Index(None, "trigger", "created_at"),
    Index(None, "queue_item_id"),
    Index(None, "backfill_id", "status"),
)

#: A run's tags again, one row per tag, so that runs can be found by tag with an index.
run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", String(_ID), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "key"),
    Index(None, "key", "value", "run_id"),
)

steps = Table(
    "steps",
    metadata,
    Column("run_id", String(_ID), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("step_key", String(_NAME), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("status", String(_STATUS), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("error", JSONText),
    Column("output", JSONText),
    Column("metadata", JSONText),
    PrimaryKeyConstraint("run_id", "step_key"),
    Index(None, "run_id", "seq"),
)

events = Table(
    "events",
    metadata,
    Column("id", _AutoId, primary_key=True, autoincrement=True),
    Column("run_id", String(_ID), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("step_key", String(_NAME)),
    Column("kind", String(32), nullable=False),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("level", String(_STATUS)),
    Column("message", Text, nullable=False),
    Column("data", JSONText, nullable=False),
    Index(None, "run_id", "id"),
    Index(None, "run_id", "step_key", "id"),
    Index(None, "run_id", "kind", "id"),  # a run's final event, events of some kinds
    sqlite_autoincrement=True,
)

scheduler_states = Table(
    "scheduler_states",
    metadata,
    Column("job_name", String(_NAME), nullable=False),
    Column("schedule_key", String(_NAME), nullable=False),
    Column("enabled_override", Boolean),
    Column("enabled_changed_at", UTCDateTime),
    Column("last_tick_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("job_name", "schedule_key"),
)

schedule_ticks = Table(
    "schedule_ticks",
    metadata,
    Column("id", _AutoId, primary_key=True, autoincrement=True),
    Column("job_name", String(_NAME), nullable=False),
    Column("schedule_key", String(_NAME), nullable=False),
    Column("scheduled_for", UTCDateTime, nullable=False),
    Column("status", String(_STATUS), nullable=False),
    Column("run_id", String(_ID)),
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("job_name", "schedule_key", "scheduled_for"),
    Index(None, "status"),
)

queues = Table(
    "queues",
    metadata,
    Column("name", String(_NAME), primary_key=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("snapshot", JSONText, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Deliveries to queues: accepted items (`dedupe_key` is their item key, unique in the
#: queue) and the deduplicated deliveries of a key already accepted (`dedupe_key` NULL).
queue_items = Table(
    "queue_items",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("queue_name", String(_NAME), nullable=False),
    Column("item_key", String(_NAME), nullable=False),
    Column("dedupe_key", String(_NAME)),
    Column("payload", JSONText, nullable=False),
    Column("partition_key", String(_NAME)),
    Column("status", String(_STATUS), nullable=False),
    Column("source", String(_STATUS), nullable=False),
    Column("duplicate_of", String(_ID)),
    Column("metadata", JSONText, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("max_retries", Integer, nullable=False),
    Column("retry_backoff", Float, nullable=False),
    Column("retry_at", UTCDateTime),
    Column("dead_lettered_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    UniqueConstraint("queue_name", "dedupe_key"),
    Index(None, "queue_name", "created_at"),
    Index(None, "queue_name", "status", "created_at"),
    Index(None, "queue_name", "partition_key", "created_at"),
    Index(None, "created_at"),
    Index(None, "retry_at"),
    Index(None, "duplicate_of"),
    Index(None, "dead_lettered_at"),
)

#: The accepted items of each partition key of a queue, counted by status (kept by the
#: transactions that store items and settle them), and its latest item.
queue_partitions = Table(
    "queue_partitions",
    metadata,
    Column("queue_name", String(_NAME), nullable=False),
    Column("partition_key", String(_NAME), nullable=False),
    *(Column(status, BigInteger, nullable=False, default=0, server_default="0")
      for status in ("queued", "running", "succeeded", "failed", "partially_failed",
                     "canceled", "dead_lettered")),
    Column("latest_item_id", String(_ID), nullable=False),
    Column("latest_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("queue_name", "partition_key"),
)

#: Each queue loader's cursor and health (a row once the loader first polled).
queue_loaders = Table(
    "queue_loaders",
    metadata,
    Column("queue_name", String(_NAME), primary_key=True),
    Column("cursor", Text),
    Column("version", Integer, nullable=False),
    Column("last_poll_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("failures", Integer, nullable=False),
    Column("lag", BigInteger),
    Column("loaded", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Problems ingesting into queues (bad items, loaders that raised), newest kept.
queue_errors = Table(
    "queue_errors",
    metadata,
    Column("id", _AutoId, primary_key=True, autoincrement=True),
    Column("queue_name", String(_NAME), nullable=False),
    Column("source", String(_STATUS), nullable=False),
    Column("message", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "queue_name", "id"),
    sqlite_autoincrement=True,
)

#: Assets synced from code (`active`: in the current set), with what storage keeps up to
#: date about each: its latest materialization and observation.
assets = Table(
    "assets",
    metadata,
    Column("asset_key", String(_NAME), primary_key=True),
    Column("description", Text, nullable=False),
    Column("group_name", String(_NAME), nullable=False),
    Column("job_name", String(_NAME)),
    Column("op_name", String(_NAME)),
    Column("snapshot", JSONText, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_event_id", BigInteger),
    Column("last_materialized_at", UTCDateTime),
    Column("last_run_id", String(_ID)),
    Column("last_observed_at", UTCDateTime),
)

#: Materializations and observations of assets, in id order.
asset_events = Table(
    "asset_events",
    metadata,
    Column("id", _AutoId, primary_key=True, autoincrement=True),
    Column("asset_key", String(_NAME), nullable=False),
    Column("kind", String(_STATUS), nullable=False),
    Column("partition_key", String(_NAME)),
    Column("run_id", String(_ID)),
    Column("step_key", String(_NAME)),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("metadata", JSONText, nullable=False),
    Index(None, "asset_key", "id"),
    Index(None, "asset_key", "partition_key", "id"),
    Index(None, "run_id"),
    sqlite_autoincrement=True,
)

#: The state of each partition of an asset ("" for an asset without partitions), kept by
#: the transactions that store the steps changing it. Without a rowid on SQLite: the
#: partitions of an asset are read together, in key order, from the table itself.
asset_partitions = Table(
    "asset_partitions",
    metadata,
    Column("asset_key", String(_NAME), nullable=False),
    Column("partition_key", String(_NAME), nullable=False),
    Column("state", String(_STATUS), nullable=False),
    Column("materialized_at", UTCDateTime),
    Column("run_id", String(_ID)),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("asset_key", "partition_key"),
    Index(None, "run_id"),  # the partitions a lost run left RUNNING
    sqlite_with_rowid=False,
)

asset_check_results = Table(
    "asset_check_results",
    metadata,
    Column("id", _AutoId, primary_key=True, autoincrement=True),
    Column("asset_key", String(_NAME), nullable=False),
    Column("check_name", String(_NAME), nullable=False),
    Column("outcome", String(_STATUS), nullable=False),
    Column("partition_key", String(_NAME)),
    Column("run_id", String(_ID)),
    Column("step_key", String(_NAME)),
    Column("description", Text, nullable=False),
    Column("metadata", JSONText, nullable=False),
    Column("timestamp", UTCDateTime, nullable=False),
    Index(None, "asset_key", "check_name", "id"),
    Index(None, "asset_key", "id"),
    sqlite_autoincrement=True,
)

#: The keys of dynamic partition sets; a set lists in id order (the order added).
dynamic_partitions = Table(
    "dynamic_partitions",
    metadata,
    Column("id", _AutoId, primary_key=True, autoincrement=True),
    Column("set_name", String(_NAME), nullable=False),
    Column("partition_key", String(_NAME), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("set_name", "partition_key"),
    Index(None, "set_name", "id"),
    sqlite_autoincrement=True,
)

backfills = Table(
    "backfills",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("job_name", String(_NAME), nullable=False),
    Column("asset_key", String(_NAME)),
    Column("status", String(_STATUS), nullable=False),
    Column("description", Text, nullable=False),
    Column("partitions", Integer, nullable=False),
    Column("planned", Integer, nullable=False),
    Column("submitted", Integer, nullable=False),
    Column("chunk_size", Integer, nullable=False),
    Column("only_missing", Boolean, nullable=False),
    Column("params", JSONText, nullable=False),
    Column("tags", JSONText, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("error", Text),
    Index(None, "job_name", "created_at"),
    Index(None, "created_at"),
    Index(None, "status"),
)

#: The runs a backfill creates, in order (`seq` from 0): a partition key or range each,
#: and the run once created. Runs are created in `seq` order, so those of `seq` below the
#: backfill's `submitted` are the ones created.
backfill_plan = Table(
    "backfill_plan",
    metadata,
    Column("backfill_id", String(_ID), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("partition_key", String(_NAME), nullable=False),
    Column("run_id", String(_ID)),
    PrimaryKeyConstraint("backfill_id", "seq"),
    sqlite_with_rowid=False,
)

#: The worker processes of executors, each row kept by the executor that started it.
#: No foreign key to runs: a worker's row outlives the run it executed, and the run may
#: be purged first.
workers = Table(
    "workers",
    metadata,
    Column("id", String(_NAME), primary_key=True),
    Column("host", String(_NAME), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("executor", String(_NAME), nullable=False),
    Column("state", String(_STATUS), nullable=False),
    Column("run_id", String(_ID)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("version", String(_NAME), nullable=False),
    Column("pool", String(_NAME), nullable=False, server_default=""),
    Column("queues", JSONText, nullable=False, server_default="[]"),
    Column("drain_requested_at", UTCDateTime),
    Column("drain_accepted_at", UTCDateTime),
    Index(None, "host", "pid"),
)

#: Pools of workers (a server's coordinator and executor, a plugin's queue of workers),
#: each row kept by what feeds the pool; drained as one by an admin.
worker_pools = Table(
    "worker_pools",
    metadata,
    Column("name", String(_NAME), primary_key=True),
    Column("executor", String(_NAME), nullable=False),
    Column("host", String(_NAME), nullable=False),
    Column("version", String(_NAME), nullable=False),
    Column("queues", JSONText, nullable=False),
    Column("active_runs", Integer),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("drain_requested_at", UTCDateTime),
    Column("drain_accepted_at", UTCDateTime),
)

#: Deploy locks: which deploy version may claim runs (see `DeployLock`).
deploy_locks = Table(
    "deploy_locks",
    metadata,
    Column("name", String(_NAME), primary_key=True),
    Column("version", String(_NAME), nullable=False),
    Column("state", String(_STATUS), nullable=False),
    Column("holder", String(_NAME), nullable=False),
    Column("previous_version", String(_NAME)),
    Column("draining_since", UTCDateTime, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("active_since", UTCDateTime),
    Column("handed_back", Integer, nullable=False, default=0, server_default="0"),
)
