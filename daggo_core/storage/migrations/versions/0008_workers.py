"""Workers: the worker processes of executors, with their state and last heartbeat.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

NAME = sa.String(255)
ID = sa.String(32)
STATUS = sa.String(16)


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", NAME, nullable=False),
        sa.Column("host", NAME, nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("executor", NAME, nullable=False),
        sa.Column("state", STATUS, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("version", NAME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workers"),
    )
    op.create_index("ix_workers_host_pid", "workers", ["host", "pid"])


def downgrade() -> None:
    op.drop_index("ix_workers_host_pid", table_name="workers")
    op.drop_table("workers")
