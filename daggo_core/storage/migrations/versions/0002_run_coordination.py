"""Run coordination: why a queued run waits, and cancellation requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    # ALTER TABLE, also on SQLite: a batch copy of the table would cascade its drop to
    # every row that references it.
    op.add_column("runs", sa.Column("wait_reason", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("cancel_requested", sa.Boolean(), nullable=False,
                                    server_default=sa.false()))


def downgrade() -> None:
    # ALTER TABLE, also on SQLite: a batch copy of the table would cascade its drop to
    # every row that references it.
    op.drop_column("runs", "cancel_requested")
    op.drop_column("runs", "wait_reason")
