"""Step metadata: what an op recorded for its step with `Context.add_metadata`, as JSON.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("steps", sa.Column("metadata", sa.Text()))


def downgrade() -> None:
    op.drop_column("steps", "metadata")
