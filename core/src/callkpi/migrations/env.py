"""Alembic environment: runs on the connection callkpi hands over (see callkpi.store.db)."""

from alembic import context
from sqlmodel import SQLModel

import callkpi.store.tables  # noqa: F401 - registers the tables on SQLModel.metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
