"""Alembic environment: migrations run on a connection handed over by ``db.migrate``."""

from __future__ import annotations

from alembic import context

import db.tables  # noqa: F401 - registers every model on the metadata
from db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `portal db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
