"""Assets: their definitions and latest materialization, materializations and
observations, each partition's state, check results, dynamic partition keys, backfills
with their plans, and an index of runs by backfill.

The `partitions`, `assets`, `asset_materializations` and `backfills` tables of 0001 were
never written: they are dropped, and assets and backfills created again in their new shape.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

NAME = sa.String(255)
ID = sa.String(32)
STATUS = sa.String(16)
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: The indexes created here: (table, columns).
INDEXES = (
    ("asset_events", ["asset_key", "id"]),
    ("asset_events", ["asset_key", "partition_key", "id"]),
    ("asset_events", ["run_id"]),
    ("asset_partitions", ["run_id"]),
    ("asset_check_results", ["asset_key", "check_name", "id"]),
    ("asset_check_results", ["asset_key", "id"]),
    ("dynamic_partitions", ["set_name", "id"]),
    ("backfills", ["job_name", "created_at"]),
    ("backfills", ["created_at"]),
    ("backfills", ["status"]),
    ("runs", ["backfill_id", "status"]),
)


def upgrade() -> None:
    op.drop_table("backfills")
    op.drop_table("asset_materializations")
    op.drop_table("assets")
    op.drop_table("partitions")
    op.create_table(
        "assets",
        sa.Column("asset_key", NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_name", NAME, nullable=False),
        sa.Column("job_name", NAME, nullable=True),
        sa.Column("op_name", NAME, nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=True),
        sa.Column("last_materialized_at", sa.DateTime(), nullable=True),
        sa.Column("last_run_id", ID, nullable=True),
        sa.Column("last_observed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("asset_key", name="pk_assets"),
    )
    op.create_table(
        "asset_events",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("asset_key", NAME, nullable=False),
        sa.Column("kind", STATUS, nullable=False),
        sa.Column("partition_key", NAME, nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("step_key", NAME, nullable=True),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asset_events"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "asset_partitions",
        sa.Column("asset_key", NAME, nullable=False),
        sa.Column("partition_key", NAME, nullable=False),
        sa.Column("state", STATUS, nullable=False),
        sa.Column("materialized_at", sa.DateTime(), nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("asset_key", "partition_key", name="pk_asset_partitions"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "asset_check_results",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("asset_key", NAME, nullable=False),
        sa.Column("check_name", NAME, nullable=False),
        sa.Column("outcome", STATUS, nullable=False),
        sa.Column("partition_key", NAME, nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("step_key", NAME, nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_asset_check_results"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "dynamic_partitions",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("set_name", NAME, nullable=False),
        sa.Column("partition_key", NAME, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dynamic_partitions"),
        sa.UniqueConstraint("set_name", "partition_key",
                            name="uq_dynamic_partitions_set_name_partition_key"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "backfills",
        sa.Column("id", ID, nullable=False),
        sa.Column("job_name", NAME, nullable=False),
        sa.Column("asset_key", NAME, nullable=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("partitions", sa.Integer(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("only_missing", sa.Boolean(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_backfills"),
    )
    op.create_table(
        "backfill_plan",
        sa.Column("backfill_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("partition_key", NAME, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("backfill_id", "seq", name="pk_backfill_plan"),
        sqlite_with_rowid=False,
    )
    for table, columns in INDEXES:
        op.create_index(f"ix_{table}_{'_'.join(columns)}", table, columns)


def downgrade() -> None:
    op.drop_index("ix_runs_backfill_id_status", table_name="runs")
    for table in ("backfill_plan", "backfills", "dynamic_partitions", "asset_check_results",
                  "asset_partitions", "asset_events", "assets"):
        op.drop_table(table)
    # The tables of 0001, as it made them.
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
    op.create_index("ix_asset_materializations_asset_key_partition_key_timestamp",
                    "asset_materializations", ["asset_key", "partition_key", "timestamp"])
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
