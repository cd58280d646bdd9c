"""Drain: workers' pools, queues and drain requests, the pools themselves, deploy locks,
and the deploy version that claimed each run's attempt.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

NAME = sa.String(255)
STATUS = sa.String(16)


def upgrade() -> None:
    with op.batch_alter_table("workers") as workers:
        workers.add_column(sa.Column("pool", NAME, nullable=False, server_default=""))
        workers.add_column(sa.Column("queues", sa.Text(), nullable=False, server_default="[]"))
        workers.add_column(sa.Column("drain_requested_at", sa.DateTime(), nullable=True))
        workers.add_column(sa.Column("drain_accepted_at", sa.DateTime(), nullable=True))
    op.add_column("runs", sa.Column("claimed_version", NAME, nullable=True))
    op.create_table(
        "worker_pools",
        sa.Column("name", NAME, nullable=False),
        sa.Column("executor", NAME, nullable=False),
        sa.Column("host", NAME, nullable=False),
        sa.Column("version", NAME, nullable=False),
        sa.Column("queues", sa.Text(), nullable=False),
        sa.Column("active_runs", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("drain_requested_at", sa.DateTime(), nullable=True),
        sa.Column("drain_accepted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_worker_pools"),
    )
    op.create_table(
        "deploy_locks",
        sa.Column("name", NAME, nullable=False),
        sa.Column("version", NAME, nullable=False),
        sa.Column("state", STATUS, nullable=False),
        sa.Column("holder", NAME, nullable=False),
        sa.Column("previous_version", NAME, nullable=True),
        sa.Column("draining_since", sa.DateTime(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("active_since", sa.DateTime(), nullable=True),
        sa.Column("handed_back", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name", name="pk_deploy_locks"),
    )


def downgrade() -> None:
    op.drop_table("deploy_locks")
    op.drop_table("worker_pools")
    op.drop_column("runs", "claimed_version")
    with op.batch_alter_table("workers") as workers:
        workers.drop_column("drain_accepted_at")
        workers.drop_column("drain_requested_at")
        workers.drop_column("queues")
        workers.drop_column("pool")
