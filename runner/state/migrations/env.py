"""Alembic environment: runs on the connection ``runner.state.migrate`` hands over.

st-run never runs Alembic from an ``alembic.ini``; the caller opens the transaction and takes
the lock, so the migrations run inside it (Alembic sees an external transaction).
"""

from __future__ import annotations

from alembic import context

from runner.state.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("st-run migrations run through runner.state.migrate.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
