"""Initial schema: jobs, runs, steps, events, schedules, queues, partitions, assets, backfills.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# Types are spelled out here (not imported from schema.py) so this revision stays fixed
# while the schema module moves on. JSON columns are TEXT; timestamps are naive UTC.
NAME = sa.String(255)
ID = sa.String(32)
STATUS = sa.String(16)
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("name", NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_jobs"),
    )
    op.create_table(
        "runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("job_name", NAME, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("parent_run_id", ID, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("schedule_key", NAME, nullable=True),
        sa.Column("scheduled_for", sa.DateTime(), nullable=True),
        sa.Column("queue_item_id", ID, nullable=True),
        sa.Column("partition_key", NAME, nullable=True),
        sa.Column("backfill_id", ID, nullable=True),
        sa.Column("worker_id", NAME, nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_job_name_created_at", "runs", ["job_name", "created_at"])
    op.create_index("ix_runs_status_created_at", "runs", ["status", "created_at"])
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
    op.create_table(
        "steps",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("step_key", NAME, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_steps_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "step_key", name="pk_steps"),
    )
    op.create_table(
        "events",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("step_key", NAME, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("level", STATUS, nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_events_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_run_id_id", "events", ["run_id", "id"])
    op.create_table(
        "scheduler_states",
        sa.Column("job_name", NAME, nullable=False),
        sa.Column("schedule_key", NAME, nullable=False),
        sa.Column("enabled_override", sa.Boolean(), nullable=True),
        sa.Column("last_tick_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_name", "schedule_key", name="pk_scheduler_states"),
    )
    op.create_table(
        "schedule_ticks",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("job_name", NAME, nullable=False),
        sa.Column("schedule_key", NAME, nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_ticks"),
        sa.UniqueConstraint(
            "job_name",
            "schedule_key",
            "scheduled_for",
            name="uq_schedule_ticks_job_name_schedule_key_scheduled_for",
        ),
    )
    op.create_table(
        "queues",
        sa.Column("name", NAME, nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_queues"),
    )
    op.create_table(
        "queue_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("queue_name", NAME, nullable=False),
        sa.Column("item_key", NAME, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("partition_key", NAME, nullable=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queue_items"),
        sa.UniqueConstraint("queue_name", "item_key", name="uq_queue_items_queue_name_item_key"),
    )
    op.create_index(
        "ix_queue_items_queue_name_status_created_at",
        "queue_items",
        ["queue_name", "status", "created_at"],
    )
    op.create_table(
        "partitions",
        sa.Column("partition_set", NAME, nullable=False),
        sa.Column("partition_key", NAME, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partition_set", "partition_key", name="pk_partitions"),
    )
    op.create_table(
        "assets",
        sa.Column("asset_key", NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("job_name", NAME, nullable=True),
        sa.Column("op_name", NAME, nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("asset_key", name="pk_assets"),
    )
    op.create_table(
        "asset_materializations",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("asset_key", NAME, nullable=False),
        sa.Column("partition_key", NAME, nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("step_key", NAME, nullable=True),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asset_materializations"),
    )
    op.create_index(
        "ix_asset_materializations_asset_key_partition_key_timestamp",
        "asset_materializations",
        ["asset_key", "partition_key", "timestamp"],
    )
    op.create_index("ix_asset_materializations_run_id", "asset_materializations", ["run_id"])
    op.create_table(
        "backfills",
        sa.Column("id", ID, nullable=False),
        sa.Column("job_name", NAME, nullable=False),
        sa.Column("partition_set", NAME, nullable=False),
        sa.Column("partition_keys", sa.Text(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backfills"),
    )
    op.create_index("ix_backfills_job_name_created_at", "backfills", ["job_name", "created_at"])


def downgrade() -> None:
    op.drop_table("backfills")
    op.drop_table("asset_materializations")
    op.drop_table("assets")
    op.drop_table("partitions")
    op.drop_table("queue_items")
    op.drop_table("queues")
    op.drop_table("schedule_ticks")
    op.drop_table("scheduler_states")
    op.drop_table("events")
    op.drop_table("steps")
    op.drop_table("runs")
    op.drop_table("jobs")
