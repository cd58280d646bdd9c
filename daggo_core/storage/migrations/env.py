"""Alembic environment for daggo: runs on the connection `daggo_core.storage.migrate` passes."""

from __future__ import annotations

from alembic import context

from daggo_core.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "daggo migrations run on an open connection: call daggo_core.storage.migrate.migrate()"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
