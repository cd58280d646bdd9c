"""An index of queued runs by partition key: each key's oldest run found in a look-up,
however many runs of other keys are queued before it (the coordinator's fair share and
per-partition limits).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_INDEX = "ix_runs_status_partition_key_created_at"


def upgrade() -> None:
    op.create_index(_INDEX, "runs", ["status", "partition_key", "created_at"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="runs")
