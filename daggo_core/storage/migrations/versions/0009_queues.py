"""Queues: items with their deduplication, retries and dead-lettering, their counts per
partition key, loader cursors and health, ingestion errors, and an index from runs to
their item.

The `queue_items` table of 0001 was never written: it is created again in its new shape.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

NAME = sa.String(255)
ID = sa.String(32)
STATUS = sa.String(16)
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PARTITION_COUNTS = ("queued", "running", "succeeded", "failed", "partially_failed",
                    "canceled", "dead_lettered")


def upgrade() -> None:
    op.add_column("queues", sa.Column("description", sa.Text(), nullable=False,
                                      server_default=""))
    op.create_index("ix_runs_queue_item_id", "runs", ["queue_item_id"])
    op.drop_index("ix_queue_items_queue_name_status_created_at", table_name="queue_items")
    op.drop_table("queue_items")
    op.create_table(
        "queue_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("queue_name", NAME, nullable=False),
        sa.Column("item_key", NAME, nullable=False),
        sa.Column("dedupe_key", NAME, nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("partition_key", NAME, nullable=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("source", STATUS, nullable=False),
        sa.Column("duplicate_of", ID, nullable=True),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("retry_backoff", sa.Float(), nullable=False),
        sa.Column("retry_at", sa.DateTime(), nullable=True),
        sa.Column("dead_lettered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_queue_items"),
        sa.UniqueConstraint("queue_name", "dedupe_key",
                            name="uq_queue_items_queue_name_dedupe_key"),
    )
    for columns in (["queue_name", "created_at"], ["queue_name", "status", "created_at"],
                    ["queue_name", "partition_key", "created_at"], ["created_at"],
                    ["retry_at"], ["duplicate_of"], ["dead_lettered_at"]):
        op.create_index(f"ix_queue_items_{'_'.join(columns)}", "queue_items", columns)
    op.create_table(
        "queue_partitions",
        sa.Column("queue_name", NAME, nullable=False),
        sa.Column("partition_key", NAME, nullable=False),
        *(sa.Column(status, sa.BigInteger(), nullable=False, server_default="0")
          for status in PARTITION_COUNTS),
        sa.Column("latest_item_id", ID, nullable=False),
        sa.Column("latest_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("queue_name", "partition_key", name="pk_queue_partitions"),
    )
    op.create_table(
        "queue_loaders",
        sa.Column("queue_name", NAME, nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_poll_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lag", sa.BigInteger(), nullable=True),
        sa.Column("loaded", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("queue_name", name="pk_queue_loaders"),
    )
    op.create_table(
        "queue_errors",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("queue_name", NAME, nullable=False),
        sa.Column("source", STATUS, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queue_errors"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_queue_errors_queue_name_id", "queue_errors", ["queue_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_queue_errors_queue_name_id", table_name="queue_errors")
    op.drop_table("queue_errors")
    op.drop_table("queue_loaders")
    op.drop_table("queue_partitions")
    op.drop_table("queue_items")
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
    op.create_index("ix_queue_items_queue_name_status_created_at", "queue_items",
                    ["queue_name", "status", "created_at"])
    op.drop_index("ix_runs_queue_item_id", table_name="runs")
    op.drop_column("queues", "description")
