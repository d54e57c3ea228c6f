"""Alembic environment: run on the connection Vigie hands over (see migrate.py)."""

from alembic import context

from server.storage.models import Base

config = context.config
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
