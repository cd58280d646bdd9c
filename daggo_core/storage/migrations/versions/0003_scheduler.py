"""Scheduler: when the Enabled override changed; ticks looked up by status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("scheduler_states",
                  sa.Column("enabled_changed_at", sa.DateTime(), nullable=True))
    op.create_index("ix_schedule_ticks_status", "schedule_ticks", ["status"])


def downgrade() -> None:
    op.drop_index("ix_schedule_ticks_status", table_name="schedule_ticks")
    op.drop_column("scheduler_states", "enabled_changed_at")
