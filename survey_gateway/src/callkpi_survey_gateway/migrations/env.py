"""Alembic environment of the gateway's own chain, run on the connection gateway_store hands over.

The version table is ``survey_gateway_alembic_version`` so this chain and the core's
``alembic_version`` live side by side in one database; autogenerate only looks at ``sg_`` tables.
"""

from alembic import context

from callkpi_survey_gateway.gateway_store import VERSION_TABLE
from callkpi_survey_gateway.tables import metadata


def _ours(name, type_, *_args) -> bool:
    return type_ != "table" or name.startswith("sg_")


connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  include_name=_ours, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
