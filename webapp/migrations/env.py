"""Alembic environment: migrations run on the connection handed over by `webapp.db.upgrade_schema`."""
from alembic import context

from webapp import models  # noqa: F401  (registers the tables)
from webapp.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
