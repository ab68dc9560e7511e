"""fact tables' local_date indexes become (local_date, centre)

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

FACT_TABLES = (
    'fact_contact',
    'fact_agent_interval',
    'fact_survey',
    'fact_survey_response',
    'fact_case',
    'fact_qa_evaluation',
    'fact_sale',
    'fact_forecast_interval',
)


def upgrade() -> None:
    for table in FACT_TABLES:
        op.create_index(f'ix_{table}_local_date_centre', table, ['local_date', 'centre'], unique=False)
        op.drop_index(f'ix_{table}_local_date', table_name=table)


def downgrade() -> None:
    for table in FACT_TABLES:
        op.create_index(f'ix_{table}_local_date', table, ['local_date'], unique=False)
        op.drop_index(f'ix_{table}_local_date_centre', table_name=table)
