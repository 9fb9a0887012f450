"""Alembic environment: always run with a connection handed in by lib.warehouse.migrate."""

from alembic import context

from procurement_pipeline.lib.warehouse.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via `alembic` CLI without our wrapper
    raise RuntimeError("run migrations through procurement_pipeline.lib.warehouse.migrate()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
