"""fact_case: kind, survey and deadline of a case (a detractor's follow-up), and whether it met it

Revision ID: 0014
Revises: 0011
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # filled from case.opened's data.kind/surveyid/due_at by the projector; cases stored
    # before this revision keep NULLs (they had no such data) until `callkpi rebuild`
    with op.batch_alter_table('fact_case') as batch:
        batch.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch.add_column(sa.Column('surveyid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch.add_column(sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('met_deadline', sa.Boolean(), nullable=True))
        batch.create_index('ix_fact_case_kind_surveyid', ['centre', 'kind', 'surveyid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fact_case') as batch:
        batch.drop_index('ix_fact_case_kind_surveyid')
        batch.drop_column('met_deadline')
        batch.drop_column('due_at')
        batch.drop_column('surveyid')
        batch.drop_column('kind')
